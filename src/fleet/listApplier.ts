/**
 * Verifies signed list documents and puts them in force: documents of a type are handled one at
 * a time; while one is being verified, at most one more waits (the newest arrival: it replaces an
 * older one that was not verified yet, which is dropped and counted as `superseded`), so a flood
 * costs neither memory nor delay beyond the document in hand. A document over its type's size
 * limit (`lists.maxBytes`) is refused before anything parses it. Every document is verified in
 * the list worker (src/lists/signedListJob.ts): a deny list is built there too, a trust list's
 * keys are imported here once it verified; an applied list replaces
 * the validator's list atomically (a whole new object). A refused document changes nothing: it
 * is counted, kept as `lastRefused`, logged and raised as a `list_refused` event (at most
 * REFUSAL_REPORT_BURST of a type and reason per REFUSAL_REPORT_WINDOW_MS; the next report says
 * how many were not reported, `suppressed`).
 */
import { errorMessage } from '../errors/faregateError.ts';
import { ListRefused } from '../lists/signedList.ts';
import type { ListHeader, ListType, RefusalReason, RootKeySet } from '../lists/signedList.ts';
import { HashedDenyList, type CompactDenyData } from '../lists/signedListDeny.ts';
import { ListWorkerPool, runDenyJob, runTrustJob, type DenyJobOptions } from '../lists/signedListJob.ts';
import type { HeldPayload } from '../mqtt/mqttPort.ts';
import type { Logger } from '../platform/logger.ts';
import type { JttFormat } from '../token/jtt/jttFormat.ts';
import type { Clock, RideCodeValidator } from '../token/validator.ts';
import type { EventSink } from './events.ts';

export type ListSource = 'mqtt' | 'disk';

/** A document's bytes, or a handle to them in the thread that read them (a large deny list from the broker). */
export type ListDocument = Uint8Array | HeldPayload;

const sizeOf = (doc: ListDocument): number => (doc instanceof Uint8Array ? doc.byteLength : doc.bytes);
/** A held document that will not be read: its thread frees it. */
const discard = (doc: ListDocument): void => {
  if (!(doc instanceof Uint8Array)) doc.release();
};

export interface Refusal {
  reason: RefusalReason | 'error';
  detail: string;
  source: ListSource;
  at: number;
  version?: number;
}

export type ReceiveResult =
  | {
      outcome: 'applied';
      header: ListHeader;
      ms: number;
      via: 'inline' | 'worker';
      /** Worker jobs: whether the bytes came through the main thread or straight from the MQTT thread. */
      route?: 'main' | 'held';
      workerHeapBytes?: number;
    }
  | { outcome: 'duplicate'; header: ListHeader }
  | { outcome: 'refused'; reason: RefusalReason | 'error'; detail: string }
  /** Replaced, before it was verified, by a newer arrival of the same type (dropped unread). */
  | { outcome: 'superseded' };

/** Refusals of one type and reason reported (log + event) per window; the rest are only counted. */
export const REFUSAL_REPORT_BURST = 5;
export const REFUSAL_REPORT_WINDOW_MS = 60_000;

/** What is held of one list type. */
export interface HeldState {
  /** 0 = the bootstrap list from the settings' file. */
  version: number;
  signature?: string;
  kid?: string;
  /** Unix s: the signed list's issuedAt, or the bootstrap file's mtime; null = none. */
  issuedAt: number | null;
  appliedAt?: number;
  waitingForSnapshot: boolean;
  applied: number;
  refused: number;
  /** Of `refused`: over the size limit (never parsed). */
  oversized: number;
  /** Dropped unverified: a newer document of the type arrived while they waited. */
  superseded: number;
  lastRefused?: Refusal;
  denyData?: CompactDenyData;
  /** The snapshot the held chain descends from (itself for a snapshot). */
  base?: { version: number; signature: string };
}

interface Pending {
  doc: ListDocument;
  source: ListSource;
  file: string | undefined;
  resolve(r: ReceiveResult): void;
}

interface ReportWindow {
  start: number;
  reported: number;
  suppressed: number;
}

export interface LastJob {
  via: 'inline' | 'worker';
  route?: 'main' | 'held';
  ms: number;
  workerMs?: number;
  workerHeapBytes?: number;
  inForceAt: number;
}

export interface ListApplierDeps {
  validator: RideCodeValidator;
  /** The JT/T format (`jtt.roots`): the same deny list is swapped into it. */
  jtt?: JttFormat | undefined;
  roots: RootKeySet;
  rootJwks: unknown;
  bootstrapIssuedAt: Record<ListType, number | null>;
  events: EventSink;
  clock: Clock;
  logger: Logger;
  jobOptions?: DenyJobOptions | undefined;
  /** Size limits in bytes by type (`lists.maxBytes`); absent = no limit. */
  maxBytes?: Record<ListType, number> | undefined;
  /**
   * The list files' folder: a deny list verified in the list worker from the broker is written
   * there by the worker (its bytes are not brought back to this thread).
   */
  persistDir?: string | undefined;
  /**
   * After a list was put in force: the bytes to persist, or none when the list worker already
   * wrote the document (then only the files it ends are to be removed).
   */
  applied(type: ListType, header: ListHeader, bytes: Uint8Array | undefined, source: ListSource): Promise<void>;
  /** After a refusal (a missing base: the next snapshot is awaited). */
  refused(type: ListType, reason: RefusalReason | 'error'): void;
}

export class ListApplier {
  readonly held: Record<ListType, HeldState>;
  private readonly running: Record<ListType, Promise<void> | undefined> = { trust: undefined, deny: undefined };
  private readonly pending: Record<ListType, Pending | undefined> = { trust: undefined, deny: undefined };
  private readonly reports = new Map<string, ReportWindow>();
  /** The list worker (kept from job to job); the JT/T root list uses it too. */
  readonly pool = new ListWorkerPool();
  /** The last deny list put in force: how it was verified (the list worker) and what it cost. */
  lastJob: LastJob | undefined;

  constructor(private readonly deps: ListApplierDeps) {
    const fresh = (t: ListType): HeldState => ({
      version: 0,
      issuedAt: deps.bootstrapIssuedAt[t],
      waitingForSnapshot: false,
      applied: 0,
      refused: 0,
      oversized: 0,
      superseded: 0,
    });
    this.held = { trust: fresh('trust'), deny: fresh('deny') };
  }

  /**
   * Handles one signed document (from MQTT or disk). Documents of a type are handled one at a
   * time; while one is, the newest arrival waits and replaces an older waiting one (which then
   * resolves `superseded`). A document over its type's size limit is refused at once, unparsed.
   */
  receive(type: ListType, doc: ListDocument, source: ListSource, fileName?: string): Promise<ReceiveResult> {
    const max = this.deps.maxBytes?.[type];
    const size = sizeOf(doc);
    if (max !== undefined && size > max) {
      discard(doc);
      return Promise.resolve(this.oversized(type, size, max, source));
    }
    return new Promise<ReceiveResult>((resolve) => {
      const older = this.pending[type];
      if (older) {
        discard(older.doc);
        this.held[type].superseded++;
        this.deps.logger.debug({ list: type, source: older.source }, 'signed list superseded before verification');
        older.resolve({ outcome: 'superseded' });
      }
      this.pending[type] = { doc, source, file: fileName, resolve };
      this.running[type] ??= this.drain(type);
    });
  }

  private async drain(type: ListType): Promise<void> {
    try {
      for (let p = this.pending[type]; p; p = this.pending[type]) {
        this.pending[type] = undefined;
        let r: ReceiveResult;
        try {
          r = await this.process(type, p.doc, p.source, p.file);
        } catch (e) {
          r = { outcome: 'refused', reason: 'error', detail: errorMessage(e) };
        }
        p.resolve(r);
      }
    } finally {
      this.running[type] = undefined;
    }
  }

  /** Waits until no document is being handled or waiting. */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [this.running.trust, this.running.deny].filter((p) => p !== undefined);
      if (!busy.length) return;
      await Promise.all(busy);
    }
  }

  /** Starts the list worker ahead of the first document. */
  warm(): void {
    this.pool.warm();
  }

  async close(): Promise<void> {
    await this.idle();
    await this.pool.close();
  }

  /**
   * A message from the broker over its type's limit, dropped by the MQTT link where it was read
   * (only its size is known): counted and reported as an oversized document.
   */
  oversizedMessage(type: ListType, bytes: number): void {
    const max = this.deps.maxBytes?.[type];
    if (max !== undefined) this.oversized(type, bytes, max, 'mqtt');
  }

  /**
   * Documents the MQTT link dropped unread in its thread (a newer one of the type arrived while
   * one was handled here): counted as superseded, like one replaced while it waited here.
   */
  supersededInLink(type: ListType, count: number): void {
    this.held[type].superseded += count;
    this.deps.logger.debug({ list: type, count }, 'signed lists superseded before verification');
  }

  private oversized(type: ListType, bytes: number, max: number, source: ListSource): ReceiveResult {
    const s = this.held[type];
    s.oversized++;
    const detail = `${bytes} bytes, over the ${max}-byte limit of lists.maxBytes.${type} (not parsed)`;
    this.refusal(type, source, 'oversized', detail, undefined, { bytes, maxBytes: max });
    return { outcome: 'refused', reason: 'oversized', detail };
  }

  /** Counts a refusal; logs it and raises its event unless its type and reason are flooding. */
  private refusal(
    type: ListType,
    source: ListSource,
    reason: RefusalReason | 'error',
    detail: string,
    e: ListRefused | undefined,
    extra: Record<string, unknown> = {},
    file?: string,
  ): void {
    const s = this.held[type];
    const version = e?.header ? { version: e.header.version } : {};
    const r: Refusal = { reason, detail, source, at: this.deps.clock.now(), ...version };
    s.refused++;
    s.lastRefused = r;
    if (reason === 'missing_base') s.waitingForSnapshot = true;
    const waiting = s.waitingForSnapshot;
    const key = `${type}/${reason}`;
    let w = this.reports.get(key);
    if (!w || r.at - w.start >= REFUSAL_REPORT_WINDOW_MS) {
      w = { start: r.at, reported: 0, suppressed: w?.suppressed ?? 0 };
      this.reports.set(key, w);
    }
    if (w.reported >= REFUSAL_REPORT_BURST) {
      w.suppressed++;
      this.deps.refused(type, reason);
      return;
    }
    w.reported++;
    const suppressed = w.suppressed ? { suppressed: w.suppressed } : {};
    w.suppressed = 0;
    const named = file ? { file } : {};
    const fields = { list: type, reason, detail, source, ...named, ...version, heldVersion: s.version, ...extra };
    this.deps.logger.warn({ ...fields, waitingForSnapshot: waiting, ...suppressed }, 'signed list refused');
    this.deps.events.event({
      at: r.at,
      kind: 'list_refused',
      list: type,
      reason,
      detail,
      source,
      heldVersion: s.version,
      ...version,
      ...(e?.header ? { listKind: e.header.kind } : {}),
      ...(waiting ? { waitingForSnapshot: true } : {}),
      ...extra,
      ...suppressed,
    });
    this.deps.refused(type, reason);
  }

  private nowSec(): number {
    return this.deps.clock.now() / 1000;
  }

  private async verify(type: ListType, doc: ListDocument, source: ListSource) {
    const s = this.held[type];
    const { roots, rootJwks, validator } = this.deps;
    const held = {
      version: s.version,
      ...(s.signature !== undefined ? { signature: s.signature } : {}),
      ...(s.base ? { base: s.base } : {}),
    };
    if (type === 'trust') {
      if (!(doc instanceof Uint8Array)) {
        doc.release();
        throw new Error('a trust list cannot be verified from a held payload');
      }
      // Parsed and its signature checked in the list worker; only the keys of a verified
      // document are imported here.
      const j = await runTrustJob(doc, rootJwks, held, this.pool);
      const r = j.result;
      if (r.outcome === 'duplicate') return r;
      const install = () => validator.setTrustList(r.list);
      const extra = { ms: j.ms, via: j.via, workerHeapBytes: j.workerHeapBytes };
      return { ...r, bytes: doc, install, extra };
    }
    const base = { ...held, ...(s.denyData ? { data: s.denyData } : {}), entries: validator.denyList.size };
    const persistDir =
      source === 'mqtt' && this.deps.persistDir !== undefined ? { persistDir: this.deps.persistDir } : {};
    // Every deny document is verified in the list worker (a delta too: the first one on a cold
    // main thread took 25–40 ms inline), the main thread only swaps the result in.
    const opts = { pool: this.pool, workerMinBytes: 0, ...this.deps.jobOptions, ...persistDir };
    const j = await runDenyJob(doc, roots, rootJwks, base, this.nowSec(), opts);
    if (j.persistError !== undefined)
      this.deps.logger.warn({ list: type, detail: j.persistError }, 'signed list could not be persisted');
    const r = j.result;
    if (r.outcome === 'duplicate') return r;
    const install = () => {
      validator.setDenyList(new HashedDenyList(r.list, () => this.nowSec()));
      this.deps.jtt?.setDenyList(validator.denyList);
      s.denyData = r.list;
      this.lastJob = {
        inForceAt: performance.now(),
        via: j.via,
        ...(j.route ? { route: j.route } : {}),
        ms: j.ms,
        ...(j.workerMs !== undefined ? { workerMs: j.workerMs } : {}),
        ...(j.workerHeapBytes !== undefined ? { workerHeapBytes: j.workerHeapBytes } : {}),
      };
    };
    const heap = j.workerHeapBytes !== undefined ? { workerHeapBytes: j.workerHeapBytes } : {};
    // A worker job kept the bytes: it wrote them itself (or could not; logged above).
    const route = j.route ? { route: j.route } : {};
    return { ...r, bytes: j.doc, install, extra: { ms: j.ms, via: j.via, ...route, ...heap } };
  }

  private async process(type: ListType, doc: ListDocument, source: ListSource, file?: string): Promise<ReceiveResult> {
    const s = this.held[type];
    const log = this.deps.logger;
    try {
      const r = await this.verify(type, doc, source);
      if (r.outcome === 'duplicate') {
        log.debug({ list: type, version: r.header.version, source }, 'signed list already held');
        return { outcome: 'duplicate', header: r.header };
      }
      r.install();
      const { header, extra } = r;
      s.signature = r.signature;
      if (r.header.kind === 'snapshot') s.base = { version: r.header.version, signature: r.signature };
      s.kid = r.kid;
      s.version = header.version;
      s.issuedAt = header.issuedAt;
      s.appliedAt = this.deps.clock.now();
      s.applied++;
      if (header.kind === 'snapshot') s.waitingForSnapshot = false;
      const v = this.deps.validator;
      const entries = type === 'trust' ? v.trustList.size : v.denyList.size;
      const { version, kind, issuedAt } = header;
      const ms = Math.round(extra.ms);
      log.info({ list: type, version, kind, issuedAt, entries, source, ms, via: extra.via }, 'signed list applied');
      await this.deps.applied(type, header, r.bytes, source);
      return { outcome: 'applied', header, ...extra };
    } catch (e) {
      const refused = e instanceof ListRefused ? e : undefined;
      this.refusal(type, source, refused ? refused.reason : 'error', errorMessage(e), refused, {}, file);
      return { outcome: 'refused', reason: refused ? refused.reason : 'error', detail: errorMessage(e) };
    }
  }
}
