/**
 * The JT/T root list on the validator (docs/signed-lists.md, "JT/T root list"), on the trust
 * list's path: `P/jtt-roots` (retained, QoS 1) received with its size limit
 * (`lists.maxBytes.jttRoots`, an oversized message dropped unparsed where it was read), verified
 * against the list root keys, a rollback or a malformed list refused (log + `list_refused` event
 * with `list: "jtt-roots"` + status, at most REFUSAL_REPORT_BURST reports per window), swapped
 * atomically into the JttFormat (a whole new JttRoots), persisted in `dataDir/lists/` (temporary
 * file, then rename) and read back, verified again, at the next start. Documents are handled one
 * at a time, in arrival order. With the gate's list worker (`worker`, as a gate runs it) a document
 * is verified there, as a trust list is, and only the checked entries come back; the roots' keys
 * are made when they first verify a certificate (src/token/jtt/roots.ts).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorFields, errorMessage } from '../errors/faregateError.ts';
import { ListRefused, type RefusalReason, type RootKeySet } from '../lists/signedList.ts';
import { runJttRootsJob, type ListWorkerPool } from '../lists/signedListJob.ts';
import {
  JTT_ROOTS_LIST,
  JttRootsRefused,
  processJttRootsDocument,
  type ProcessedJttRoots,
} from '../lists/signedListJttRoots.ts';
import type { MqttPort, SubscribeOptions } from '../mqtt/mqttPort.ts';
import type { Logger } from '../platform/logger.ts';
import type { JttFormat } from '../token/jtt/jttFormat.ts';
import type { Clock } from '../token/validator.ts';
import type { EventSink } from './events.ts';
import { REFUSAL_REPORT_BURST, REFUSAL_REPORT_WINDOW_MS, type ListSource, type Refusal } from './listApplier.ts';
import { LISTS_DIR } from './listStore.ts';

export const JTT_ROOTS_FILE = `${JTT_ROOTS_LIST}.jws.json`;

/** The topic of the JT/T root list under a topic prefix. */
export const jttRootsTopic = (prefix: string): string => `${prefix}/${JTT_ROOTS_LIST}`;

/** What the status says of the JT/T root list (`lists.jttRoots`). */
export interface JttRootsListState {
  /** 0 = the roots of the `jtt.roots` file. */
  version: number;
  source: 'file' | 'signed';
  roots: number;
  issuedAt: number | null;
  kid?: string;
  appliedAt?: number;
  applied: number;
  refused: number;
  oversized: number;
  lastRefused?: Refusal;
}

export type JttRootsResult =
  | { outcome: 'applied'; version: number }
  | { outcome: 'duplicate'; version: number }
  | { outcome: 'refused'; reason: RefusalReason | 'error'; detail: string };

export interface JttRootsSyncDeps {
  jtt: JttFormat;
  /** The list root keys (`lists.rootKeys`). */
  rootKeys: RootKeySet;
  /**
   * The gate's list worker (src/fleet/listSync.ts) and the root keys as JSON for it: documents
   * are verified there. Without it, on this thread.
   */
  worker?: { pool: ListWorkerPool; rootJwks: unknown } | undefined;
  /** Size limit in bytes (`lists.maxBytes.jttRoots`); absent = none. */
  maxBytes?: number | undefined;
  dataDir: string;
  link?: MqttPort | undefined;
  topicPrefix: string;
  events: EventSink;
  clock: Clock;
  logger: Logger;
  /** After a list was put in force (version, source): the status changed. */
  applied?: (version: number) => void;
  statusChanged?: () => void;
}

export class JttRootsSync {
  private version = 0;
  private signature: string | undefined;
  private kid: string | undefined;
  private issuedAt: number | null = null;
  private appliedAt: number | undefined;
  private counts = { applied: 0, refused: 0, oversized: 0 };
  private lastRefused: Refusal | undefined;
  /** How the last document was verified (the list worker or this thread) and what it cost here. */
  lastJob: { via: 'worker' | 'inline'; ms: number; workerMs?: number } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private window = { start: 0, reported: 0, suppressed: 0 };
  private readonly file: string;
  private readonly topic: string;

  constructor(private readonly d: JttRootsSyncDeps) {
    this.file = join(d.dataDir, LISTS_DIR, JTT_ROOTS_FILE);
    this.topic = jttRootsTopic(d.topicPrefix);
  }

  /** Loads the persisted list (verified again), then subscribes. */
  async start(): Promise<void> {
    await mkdir(join(this.d.dataDir, LISTS_DIR), { recursive: true });
    const saved = await readFile(this.file).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT')
        this.d.logger.warn({ file: JTT_ROOTS_FILE, ...errorFields(e) }, 'persisted list unreadable');
      return undefined;
    });
    if (saved) await this.receive(saved, 'disk');
    const link = this.d.link;
    if (!link) return;
    // The handler's promise settles when the document is handled: with the MQTT link in its
    // thread, the next comes only then, the newest waiting there (src/mqtt/mqttPort.ts).
    const handler = (_topic: string, payload: Buffer) => this.receive(payload, 'mqtt');
    const max = this.d.maxBytes;
    const opts: SubscribeOptions = {
      ...(max === undefined ? {} : { maxBytes: max, oversized: (_t: string, n: number) => this.oversized(n) }),
      oneAtATime: true,
    };
    link.subscribe(this.topic, handler, opts);
    // With a kept session the broker does not resend the retained list: ask again while none is held.
    link.on('connected', (sessionPresent) => {
      if (sessionPresent && this.version === 0 && link.connected) link.subscribe(this.topic, handler, opts);
    });
  }

  /** Waits until every document received so far is handled. */
  async idle(): Promise<void> {
    await this.queue;
  }

  stop(): Promise<void> {
    return this.idle();
  }

  /** Handles one signed document (one at a time, in arrival order); over the size limit it is refused unparsed. */
  receive(doc: Uint8Array, source: ListSource): Promise<JttRootsResult> {
    const max = this.d.maxBytes;
    if (max !== undefined && doc.byteLength > max) return Promise.resolve(this.oversized(doc.byteLength, source));
    const r = this.queue.then(() => this.process(doc, source));
    this.queue = r.catch(() => undefined);
    return r;
  }

  private async process(doc: Uint8Array, source: ListSource): Promise<JttRootsResult> {
    const log = this.d.logger;
    try {
      const held = { version: this.version, ...(this.signature !== undefined ? { signature: this.signature } : {}) };
      const r = await this.verify(doc, held);
      if (r.outcome === 'duplicate') {
        log.debug({ list: JTT_ROOTS_LIST, version: r.header.version, source }, 'signed list already held');
        return { outcome: 'duplicate', version: r.header.version };
      }
      this.d.jtt.setRoots(r.roots);
      const { version, issuedAt } = r.header;
      this.version = version;
      this.issuedAt = issuedAt;
      this.signature = r.signature;
      this.kid = r.kid;
      this.appliedAt = this.d.clock.now();
      this.counts.applied++;
      // Everything that reports the roots in force changes here, with no await in between: a
      // status built while the list is persisted says the same version in `lists` and in `jtt`.
      this.d.applied?.(version);
      log.info({ list: JTT_ROOTS_LIST, version, issuedAt, entries: r.roots.size, source }, 'signed list applied');
      this.d.statusChanged?.();
      if (source === 'mqtt') await this.persist(doc, version);
      return { outcome: 'applied', version };
    } catch (e) {
      const reason = e instanceof ListRefused ? e.reason : 'error';
      this.refusal(source, reason, errorMessage(e), e instanceof JttRootsRefused ? e.version : undefined);
      return { outcome: 'refused', reason, detail: errorMessage(e) };
    }
  }

  private async verify(doc: Uint8Array, held: { version: number; signature?: string }): Promise<ProcessedJttRoots> {
    const started = performance.now();
    const w = this.d.worker;
    if (!w) {
      const r = await processJttRootsDocument(doc, this.d.rootKeys, held);
      this.lastJob = { via: 'inline', ms: performance.now() - started };
      return r;
    }
    try {
      const j = await runJttRootsJob(doc, w.rootJwks, held, w.pool);
      this.lastJob = { via: j.via, ms: j.ms, workerMs: j.workerMs };
      return j.result;
    } catch (e) {
      this.lastJob = { via: 'worker', ms: performance.now() - started };
      throw e;
    }
  }

  private async persist(doc: Uint8Array, version: number): Promise<void> {
    const tmp = `${this.file}.tmp`;
    try {
      await writeFile(tmp, doc);
      await rename(tmp, this.file);
    } catch (e) {
      this.d.logger.warn({ list: JTT_ROOTS_LIST, version, ...errorFields(e) }, 'signed list could not be persisted');
    }
  }

  private oversized(bytes: number, source: ListSource = 'mqtt'): JttRootsResult {
    this.counts.oversized++;
    const detail = `${bytes} bytes, over the ${this.d.maxBytes}-byte limit of lists.maxBytes.jttRoots (not parsed)`;
    this.refusal(source, 'oversized', detail, undefined, { bytes, maxBytes: this.d.maxBytes });
    return { outcome: 'refused', reason: 'oversized', detail };
  }

  private refusal(
    source: ListSource,
    reason: RefusalReason | 'error',
    detail: string,
    version: number | undefined,
    extra: Record<string, unknown> = {},
  ): void {
    const at = this.d.clock.now();
    this.counts.refused++;
    this.lastRefused = { reason, detail, source, at, ...(version !== undefined ? { version } : {}) };
    this.d.statusChanged?.();
    const w = this.window;
    if (at - w.start >= REFUSAL_REPORT_WINDOW_MS) Object.assign(w, { start: at, reported: 0 });
    if (w.reported >= REFUSAL_REPORT_BURST) {
      w.suppressed++;
      return;
    }
    w.reported++;
    const suppressed = w.suppressed ? { suppressed: w.suppressed } : {};
    w.suppressed = 0;
    const fields = {
      list: JTT_ROOTS_LIST,
      reason,
      detail,
      source,
      heldVersion: this.version,
      ...(version !== undefined ? { version } : {}),
      ...extra,
      ...suppressed,
    };
    this.d.logger.warn(fields, 'signed list refused');
    this.d.events.event({ at, kind: 'list_refused', ...fields });
  }

  status(): JttRootsListState {
    return {
      version: this.version,
      source: this.version === 0 ? 'file' : 'signed',
      roots: this.d.jtt.rootKeys.size,
      issuedAt: this.issuedAt,
      ...(this.kid !== undefined ? { kid: this.kid } : {}),
      ...(this.appliedAt !== undefined ? { appliedAt: this.appliedAt } : {}),
      ...this.counts,
      ...(this.lastRefused ? { lastRefused: this.lastRefused } : {}),
    };
  }
}
