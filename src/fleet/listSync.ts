/**
 * Signed trust and deny lists on the validator (docs/signed-lists.md): receives `P/trust` and
 * `P/deny` (retained, QoS 1), verifies them against the root keys pinned in the settings, refuses
 * forged, unknown-root, rolled-back, out-of-order and malformed documents (log + `list_refused`
 * event + status), swaps the validator's list atomically (a whole new object), persists the
 * signed documents in `dataDir/lists/` and re-verifies them at start, so a gate starts offline
 * with its last lists. Tracks the lists' age: a stale list raises the `lists_stale` alarm and
 * the stale policy applies to taps (flag or refuse).
 *
 * Large deny lists are verified and built in a worker thread (src/lists/signedListJob.ts); the
 * hot path only ever sees a finished list.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ListsConfig } from '../config/schema.ts';
import { ListFileError } from '../lists/trustFile.ts';
import { ListRefused, processTrustDocument, rootKeysFromJson, type ListHeader, type ListType, type RefusalReason, type RootKeySet } from '../lists/signedList.ts';
import { HashedDenyList, type CompactDenyData } from '../lists/signedListDeny.ts';
import { ListWorkerPool, runDenyJob, type DenyJobOptions } from '../lists/signedListJob.ts';
import type { MqttLink } from '../mqtt/mqttLink.ts';
import type { Logger } from '../platform/logger.ts';
import type { Clock, RideCodeValidator } from '../token/validator.ts';

export const FLAG_STALE_LISTS = 'stale_lists';
export const LISTS_DIR = 'lists';
const STALE_CHECK_MS = 1000;
const MAX_PENDING_EVENTS = 50;

export type EventSink = (body: { at: number; kind: string } & Record<string, unknown>) => void;

export interface ListSyncDeps {
  cfg: ListsConfig;
  dataDir: string;
  validator: RideCodeValidator;
  roots: RootKeySet;
  /** The root key JWK Set as read (handed to the worker thread). */
  rootJwks: unknown;
  /** issuedAt of the bootstrap lists (the files' mtime, Unix s); null = no such file. */
  bootstrapIssuedAt: Record<ListType, number | null>;
  link?: MqttLink | undefined;
  /** Publishes an event on `P/gates/D/events` (Telemetry.event). */
  event: EventSink;
  /** The status changed (versions, staleness): republish it. */
  statusChanged?: () => void;
  clock: Clock;
  logger: Logger;
  jobOptions?: DenyJobOptions;
}

export interface Refusal {
  reason: RefusalReason | 'error';
  detail: string;
  source: 'mqtt' | 'disk';
  at: number;
  version?: number;
}

export interface ListState {
  /** 0 = bootstrap list from the settings' file. */
  version: number;
  source: 'file' | 'signed';
  /** Unix s: the signed list's issuedAt, or the bootstrap file's mtime; null = none. */
  issuedAt: number | null;
  ageSec: number | null;
  stale: boolean;
  maxAgeSec: number;
  entries: number;
  kid?: string;
  appliedAt?: number;
  /** A delta arrived whose base is not held: the next snapshot is awaited. */
  waitingForSnapshot: boolean;
  applied: number;
  refused: number;
  lastRefused?: Refusal;
}

export type ReceiveResult =
  | { outcome: 'applied'; header: ListHeader; ms: number; via: 'inline' | 'worker'; workerHeapBytes?: number }
  | { outcome: 'duplicate'; header: ListHeader }
  | { outcome: 'refused'; reason: RefusalReason | 'error'; detail: string };

interface TypeState {
  version: number;
  signature?: string;
  kid?: string;
  issuedAt: number | null;
  appliedAt?: number;
  waitingForSnapshot: boolean;
  applied: number;
  refused: number;
  lastRefused?: Refusal;
  denyData?: CompactDenyData;
  queue: Promise<unknown>;
}

/** Reads the root keys and the bootstrap files' age; problems are reported by setting path. */
export function loadListSettings(
  cfg: ListsConfig,
  files: { trust: string; deny?: string | undefined },
): { roots?: RootKeySet; rootJwks?: unknown; bootstrapIssuedAt: Record<ListType, number | null>; problems: string[] } {
  const problems: string[] = [];
  let roots: RootKeySet | undefined;
  let rootJwks: unknown;
  try {
    rootJwks = JSON.parse(readFileSync(cfg.rootKeys, 'utf8'));
    roots = rootKeysFromJson(rootJwks);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    problems.push(
      `lists.rootKeys: ${cfg.rootKeys}: ${err.code === 'ENOENT' ? 'file not found' : err instanceof SyntaxError ? `not valid JSON (${err.message})` : e instanceof ListFileError ? `unusable: ${err.message}` : err.message}`,
    );
  }
  const mtime = (f: string | undefined): number | null => {
    if (f === undefined) return null;
    try {
      return Math.floor(statSync(f).mtimeMs / 1000);
    } catch {
      return null;
    }
  };
  return { ...(roots ? { roots, rootJwks } : {}), bootstrapIssuedAt: { trust: mtime(files.trust), deny: mtime(files.deny) }, problems };
}

export class ListSync {
  private readonly st: Record<ListType, TypeState>;
  private readonly log: Logger;
  private readonly dir: string;
  private timer: NodeJS.Timeout | undefined;
  private staleAlarm: { lists: ListType[]; since: number } | undefined;
  private readonly pendingEvents: ({ at: number; kind: string } & Record<string, unknown>)[] = [];
  private readonly handlers: Record<ListType, (topic: string, payload: Buffer) => void>;
  private stopped = false;
  private readonly pool = new ListWorkerPool();

  constructor(private readonly deps: ListSyncDeps) {
    this.log = deps.logger;
    this.dir = join(deps.dataDir, LISTS_DIR);
    const fresh = (t: ListType): TypeState => ({ version: 0, issuedAt: deps.bootstrapIssuedAt[t], waitingForSnapshot: false, applied: 0, refused: 0, queue: Promise.resolve() });
    this.st = { trust: fresh('trust'), deny: fresh('deny') };
    this.handlers = {
      trust: (_t, payload) => void this.receive('trust', payload, 'mqtt'),
      deny: (_t, payload) => void this.receive('deny', payload, 'mqtt'),
    };
  }

  private nowSec(): number {
    return this.deps.clock.now() / 1000;
  }

  /** Loads the persisted lists (re-verified), subscribes, starts the staleness check. */
  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.loadPersisted();
    const link = this.deps.link;
    if (link) {
      link.subscribe(link.topics.trust, this.handlers.trust);
      link.subscribe(link.topics.deny, this.handlers.deny);
      link.on('connected', (sessionPresent) => {
        for (const e of this.pendingEvents.splice(0)) this.deps.event(e);
        // With a kept session the broker does not resend retained lists: ask again when none is held.
        if (sessionPresent) for (const t of ['trust', 'deny'] as const) if (this.st[t].version === 0 || this.st[t].waitingForSnapshot) this.resubscribe(t);
      });
    }
    this.checkStale();
    this.timer = setInterval(() => this.checkStale(), STALE_CHECK_MS);
    this.timer.unref();
  }

  /** Verification in the worker (large deny lists): what the last one cost. */
  lastJob: { via: 'inline' | 'worker'; ms: number; workerMs?: number; workerHeapBytes?: number; inForceAt: number } | undefined;

  /** Waits for the updates queued so far. */
  async idle(): Promise<void> {
    await Promise.all([this.st.trust.queue, this.st.deny.queue]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.idle();
    await this.pool.close();
  }

  private resubscribe(t: ListType): void {
    const link = this.deps.link;
    if (link?.connected) link.subscribe(t === 'trust' ? link.topics.trust : link.topics.deny, this.handlers[t]);
  }

  private emit(body: { at: number; kind: string } & Record<string, unknown>): void {
    const link = this.deps.link;
    if (link && !link.connected) {
      if (this.pendingEvents.length < MAX_PENDING_EVENTS) this.pendingEvents.push(body);
      return;
    }
    this.deps.event(body);
  }

  /** Handles one signed document (from MQTT or disk); documents of a type are handled in order. */
  receive(type: ListType, doc: Uint8Array, source: 'mqtt' | 'disk', fileName?: string): Promise<ReceiveResult> {
    const s = this.st[type];
    const p = s.queue.then(() => this.process(type, doc, source, fileName));
    s.queue = p.catch(() => undefined);
    return p;
  }

  private async process(type: ListType, doc: Uint8Array, source: 'mqtt' | 'disk', fileName?: string): Promise<ReceiveResult> {
    const s = this.st[type];
    const { roots, rootJwks, validator } = this.deps;
    const held = { version: s.version, ...(s.signature !== undefined ? { signature: s.signature } : {}) };
    try {
      let header: ListHeader;
      let extra: { ms: number; via: 'inline' | 'worker'; workerHeapBytes?: number };
      let bytes = doc;
      if (type === 'trust') {
        const t0 = performance.now();
        const r = processTrustDocument(doc, roots, held);
        if (r.outcome === 'duplicate') return this.duplicate(type, r.header, source);
        validator.setTrustList(r.list);
        header = r.header;
        s.signature = r.signature;
        s.kid = r.kid;
        extra = { ms: performance.now() - t0, via: 'inline' };
      } else {
        const j = await runDenyJob(doc, roots, rootJwks, { ...held, ...(s.denyData ? { data: s.denyData } : {}), entries: validator.denyList.size }, this.nowSec(), { pool: this.pool, ...this.deps.jobOptions });
        const r = j.result;
        if (r.outcome === 'duplicate') return this.duplicate(type, r.header, source);
        validator.setDenyList(new HashedDenyList(r.list, () => this.nowSec()));
        s.denyData = r.list;
        header = r.header;
        s.signature = r.signature;
        s.kid = r.kid;
        bytes = j.doc;
        this.lastJob = { inForceAt: performance.now(), via: j.via, ms: j.ms, ...(j.workerMs !== undefined ? { workerMs: j.workerMs } : {}), ...(j.workerHeapBytes !== undefined ? { workerHeapBytes: j.workerHeapBytes } : {}) };
        extra = { ms: j.ms, via: j.via, ...(j.workerHeapBytes !== undefined ? { workerHeapBytes: j.workerHeapBytes } : {}) };
      }
      s.version = header.version;
      s.issuedAt = header.issuedAt;
      s.appliedAt = this.deps.clock.now();
      s.applied++;
      if (header.kind === 'snapshot') s.waitingForSnapshot = false;
      this.log.info(
        { list: type, version: header.version, kind: header.kind, issuedAt: header.issuedAt, entries: type === 'trust' ? validator.trustList.size : validator.denyList.size, source, ms: Math.round(extra.ms), via: extra.via },
        'signed list applied',
      );
      if (source === 'mqtt') await this.persist(type, header, bytes);
      this.checkStale();
      this.deps.statusChanged?.();
      return { outcome: 'applied', header, ...extra };
    } catch (e) {
      const refused = e instanceof ListRefused;
      const reason = refused ? e.reason : 'error';
      const detail = (e as Error).message;
      const r: Refusal = { reason, detail, source, at: this.deps.clock.now(), ...(refused && e.header ? { version: e.header.version } : {}) };
      s.refused++;
      s.lastRefused = r;
      if (reason === 'missing_base') {
        s.waitingForSnapshot = true;
        this.resubscribe(type);
      }
      this.log.warn({ list: type, reason, detail, source, ...(fileName ? { file: fileName } : {}), ...(r.version !== undefined ? { version: r.version } : {}), heldVersion: s.version, waitingForSnapshot: s.waitingForSnapshot }, 'signed list refused');
      this.emit({
        at: r.at,
        kind: 'list_refused',
        list: type,
        reason,
        detail,
        source,
        heldVersion: s.version,
        ...(r.version !== undefined ? { version: r.version } : {}),
        ...(refused && e.header ? { listKind: e.header.kind } : {}),
        ...(s.waitingForSnapshot ? { waitingForSnapshot: true } : {}),
      });
      this.deps.statusChanged?.();
      return { outcome: 'refused', reason, detail };
    }
  }

  private duplicate(type: ListType, header: ListHeader, source: string): ReceiveResult {
    this.log.debug({ list: type, version: header.version, source }, 'signed list already held');
    return { outcome: 'duplicate', header };
  }

  // ---- persistence: dataDir/lists/{trust,deny}.jws.json and deny.delta.<version>.jws.json -------

  private async writeAtomic(name: string, bytes: Uint8Array): Promise<void> {
    const file = join(this.dir, name);
    const tmp = `${file}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  }

  private async persist(type: ListType, header: ListHeader, bytes: Uint8Array): Promise<void> {
    try {
      if (header.kind === 'snapshot') {
        await this.writeAtomic(`${type}.jws.json`, bytes);
        if (type === 'deny') for (const f of await this.deltaFiles()) await unlink(join(this.dir, f.name)).catch(() => undefined);
      } else await this.writeAtomic(`deny.delta.${header.version}.jws.json`, bytes);
    } catch (e) {
      this.log.warn({ list: type, version: header.version, err: (e as Error).message }, 'signed list could not be persisted');
    }
  }

  private async deltaFiles(): Promise<{ name: string; version: number }[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names
      .map((name) => ({ name, m: /^deny\.delta\.(\d+)\.jws\.json$/.exec(name) }))
      .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
      .map((x) => ({ name: x.name, version: Number(x.m[1]) }))
      .sort((a, b) => a.version - b.version);
  }

  private async loadPersisted(): Promise<void> {
    const read = async (name: string): Promise<Buffer | undefined> => {
      try {
        return await readFile(join(this.dir, name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ file: name, err: (e as Error).message }, 'persisted list unreadable');
        return undefined;
      }
    };
    const trust = await read('trust.jws.json');
    if (trust) await this.receive('trust', trust, 'disk', 'trust.jws.json');
    const deny = await read('deny.jws.json');
    if (deny) await this.receive('deny', deny, 'disk', 'deny.jws.json');
    for (const f of await this.deltaFiles()) {
      const b = await read(f.name);
      if (b) await this.receive('deny', b, 'disk', f.name);
    }
  }

  // ---- staleness ---------------------------------------------------------------------------

  private isStale(t: ListType, nowSec: number): boolean {
    const issued = this.st[t].issuedAt;
    return issued === null || nowSec - issued > this.deps.cfg.maxAgeSeconds[t];
  }

  /** Lists that are stale now. */
  staleLists(nowSec = this.nowSec()): ListType[] {
    const out: ListType[] = [];
    if (this.isStale('trust', nowSec)) out.push('trust');
    if (this.isStale('deny', nowSec)) out.push('deny');
    return out;
  }

  /** Flags for an accepted tap (accept_and_flag policy): ["stale_lists"] while a list is stale. */
  tapFlags(): string[] | undefined {
    if (this.deps.cfg.stalePolicy !== 'accept_and_flag') return undefined;
    const now = this.nowSec();
    return this.isStale('trust', now) || this.isStale('deny', now) ? [FLAG_STALE_LISTS] : undefined;
  }

  /** Under the reject policy, 'lists_stale' while a list is stale: accepted codes are turned away. */
  refusal(): 'lists_stale' | undefined {
    if (this.deps.cfg.stalePolicy !== 'reject') return undefined;
    const now = this.nowSec();
    return this.isStale('trust', now) || this.isStale('deny', now) ? 'lists_stale' : undefined;
  }

  /** Active alarms of the lists ('lists_stale'). */
  get alarms(): string[] {
    return this.staleAlarm ? ['lists_stale'] : [];
  }

  /** Raises or clears the `lists_stale` alarm (event + status). */
  checkStale(): void {
    if (this.stopped) return;
    const now = this.nowSec();
    const stale = this.staleLists(now);
    const ages = Object.fromEntries(stale.map((t) => [t, this.ageSec(t, now)]));
    const maxAge = Object.fromEntries(stale.map((t) => [t, this.deps.cfg.maxAgeSeconds[t]]));
    const at = this.deps.clock.now();
    if (stale.length && (!this.staleAlarm || this.staleAlarm.lists.join() !== stale.join())) {
      this.staleAlarm = { lists: stale, since: this.staleAlarm?.since ?? at };
      this.log.warn({ alarm: 'lists_stale', lists: stale, ageSec: ages, maxAgeSec: maxAge, policy: this.deps.cfg.stalePolicy }, 'alarm raised');
      this.emit({ at, kind: 'alarm', state: 'raised', alarm: 'lists_stale', lists: stale, ageSec: ages, maxAgeSec: maxAge, policy: this.deps.cfg.stalePolicy });
      this.deps.statusChanged?.();
    } else if (!stale.length && this.staleAlarm) {
      this.staleAlarm = undefined;
      this.log.info({ alarm: 'lists_stale' }, 'alarm cleared');
      this.emit({ at, kind: 'alarm', state: 'cleared', alarm: 'lists_stale' });
      this.deps.statusChanged?.();
    }
  }

  private ageSec(t: ListType, nowSec: number): number | null {
    const issued = this.st[t].issuedAt;
    return issued === null ? null : Math.max(0, Math.round(nowSec - issued));
  }

  status(): { trust: ListState; deny: ListState; stalePolicy: ListsConfig['stalePolicy'] } {
    const now = this.nowSec();
    const one = (t: ListType): ListState => {
      const s = this.st[t];
      const v = this.deps.validator;
      return {
        version: s.version,
        source: s.version === 0 ? 'file' : 'signed',
        issuedAt: s.issuedAt,
        ageSec: this.ageSec(t, now),
        stale: this.isStale(t, now),
        maxAgeSec: this.deps.cfg.maxAgeSeconds[t],
        entries: t === 'trust' ? v.trustList.size : v.denyList.size,
        ...(s.kid !== undefined ? { kid: s.kid } : {}),
        ...(s.appliedAt !== undefined ? { appliedAt: s.appliedAt } : {}),
        waitingForSnapshot: s.waitingForSnapshot,
        applied: s.applied,
        refused: s.refused,
        ...(s.lastRefused ? { lastRefused: s.lastRefused } : {}),
      };
    };
    return { trust: one('trust'), deny: one('deny'), stalePolicy: this.deps.cfg.stalePolicy };
  }
}
