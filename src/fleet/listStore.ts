/**
 * The signed lists a gate holds, on disk: `dataDir/lists/{trust,deny}.jws.json` (the last
 * snapshots) and `deny.delta.<version>.jws.json` (the deltas since the deny snapshot), written
 * atomically (temporary file, then rename). At start they are read back in order and verified
 * again like documents from the broker, so a gate starts offline with its last lists.
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errorFields } from '../errors/faregateError.ts';
import { DELTA_FILE, persistedListName, writeListFile } from '../lists/listFiles.ts';
import type { ListHeader, ListType } from '../lists/signedList.ts';
import type { Logger } from '../platform/logger.ts';

export const LISTS_DIR = 'lists';

export interface PersistedDocument {
  type: ListType;
  file: string;
  bytes: Buffer;
}

export class ListStore {
  readonly dir: string;

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.dir = join(dataDir, LISTS_DIR);
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /**
   * Keeps an applied document: a snapshot replaces the held one (a deny snapshot ends the
   * deltas). Without `bytes` the document was already written (by the list worker, which verified
   * it): only the deltas a snapshot ends are removed. Never throws.
   */
  async persist(type: ListType, header: ListHeader, bytes?: Uint8Array): Promise<void> {
    try {
      if (bytes) await writeListFile(this.dir, persistedListName(type, header), bytes);
      if (header.kind === 'snapshot' && type === 'deny')
        for (const f of await this.deltaFiles()) await unlink(join(this.dir, f.name)).catch(() => undefined);
    } catch (e) {
      this.log.warn({ list: type, version: header.version, ...errorFields(e) }, 'signed list could not be persisted');
    }
  }

  private async deltaFiles(): Promise<{ name: string; version: number }[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names
      .map((name) => ({ name, m: DELTA_FILE.exec(name) }))
      .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
      .map((x) => ({ name: x.name, version: Number(x.m[1]) }))
      .sort((a, b) => a.version - b.version);
  }

  private async read(name: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.dir, name));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') this.log.warn({ file: name, ...errorFields(e) }, 'persisted list unreadable');
      return undefined;
    }
  }

  /** The persisted documents in the order they must be applied: trust, deny snapshot, deny deltas by version. */
  async *documents(): AsyncGenerator<PersistedDocument> {
    const trust = await this.read('trust.jws.json');
    if (trust) yield { type: 'trust', file: 'trust.jws.json', bytes: trust };
    const deny = await this.read('deny.jws.json');
    if (deny) yield { type: 'deny', file: 'deny.jws.json', bytes: deny };
    for (const f of await this.deltaFiles()) {
      const b = await this.read(f.name);
      if (b) yield { type: 'deny', file: f.name, bytes: b };
    }
  }
}
