/**
 * Verifies signed list documents and puts them in force: documents of a type are handled one at
 * a time in arrival order (a queue per type); a trust list is verified inline, a deny list inline
 * or in the list worker (src/lists/signedListJob.ts); an applied list replaces the validator's
 * list atomically (a whole new object). A refused document changes nothing: it is logged,
 * counted, kept as `lastRefused` and raised as a `list_refused` event.
 */
import { errorMessage } from '../errors/faregateError.ts';
import { ListRefused, processTrustDocument } from '../lists/signedList.ts';
import type { ListHeader, ListType, RefusalReason, RootKeySet } from '../lists/signedList.ts';
import { HashedDenyList, type CompactDenyData } from '../lists/signedListDeny.ts';
import { ListWorkerPool, runDenyJob, type DenyJobOptions } from '../lists/signedListJob.ts';
import type { Logger } from '../platform/logger.ts';
import type { Clock, RideCodeValidator } from '../token/validator.ts';
import type { EventSink } from './events.ts';

export type ListSource = 'mqtt' | 'disk';

export interface Refusal {
  reason: RefusalReason | 'error';
  detail: string;
  source: ListSource;
  at: number;
  version?: number;
}

export type ReceiveResult =
  | { outcome: 'applied'; header: ListHeader; ms: number; via: 'inline' | 'worker'; workerHeapBytes?: number }
  | { outcome: 'duplicate'; header: ListHeader }
  | { outcome: 'refused'; reason: RefusalReason | 'error'; detail: string };

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
  lastRefused?: Refusal;
  denyData?: CompactDenyData;
}

export interface LastJob {
  via: 'inline' | 'worker';
  ms: number;
  workerMs?: number;
  workerHeapBytes?: number;
  inForceAt: number;
}

export interface ListApplierDeps {
  validator: RideCodeValidator;
  roots: RootKeySet;
  rootJwks: unknown;
  bootstrapIssuedAt: Record<ListType, number | null>;
  events: EventSink;
  clock: Clock;
  logger: Logger;
  jobOptions?: DenyJobOptions | undefined;
  /** After a list was put in force (the bytes to persist: from the worker, the same as given). */
  applied(type: ListType, header: ListHeader, bytes: Uint8Array, source: ListSource): Promise<void>;
  /** After a refusal (a missing base: the next snapshot is awaited). */
  refused(type: ListType, reason: RefusalReason | 'error'): void;
}

export class ListApplier {
  readonly held: Record<ListType, HeldState>;
  private readonly queues: Record<ListType, Promise<unknown>> = { trust: Promise.resolve(), deny: Promise.resolve() };
  private readonly pool = new ListWorkerPool();
  /** Verification in the worker (large deny lists): what the last one cost. */
  lastJob: LastJob | undefined;

  constructor(private readonly deps: ListApplierDeps) {
    const fresh = (t: ListType): HeldState => ({
      version: 0,
      issuedAt: deps.bootstrapIssuedAt[t],
      waitingForSnapshot: false,
      applied: 0,
      refused: 0,
    });
    this.held = { trust: fresh('trust'), deny: fresh('deny') };
  }

  /** Handles one signed document (from MQTT or disk); documents of a type are handled in order. */
  receive(type: ListType, doc: Uint8Array, source: ListSource, fileName?: string): Promise<ReceiveResult> {
    const p = this.queues[type].then(() => this.process(type, doc, source, fileName));
    this.queues[type] = p.catch(() => undefined);
    return p;
  }

  /** Waits for the documents queued so far. */
  async idle(): Promise<void> {
    await Promise.all([this.queues.trust, this.queues.deny]);
  }

  async close(): Promise<void> {
    await this.idle();
    await this.pool.close();
  }

  private nowSec(): number {
    return this.deps.clock.now() / 1000;
  }

  private async verify(type: ListType, doc: Uint8Array) {
    const s = this.held[type];
    const { roots, rootJwks, validator } = this.deps;
    const held = { version: s.version, ...(s.signature !== undefined ? { signature: s.signature } : {}) };
    if (type === 'trust') {
      const t0 = performance.now();
      const r = await processTrustDocument(doc, roots, held);
      if (r.outcome === 'duplicate') return r;
      const install = () => validator.setTrustList(r.list);
      return { ...r, bytes: doc, install, extra: { ms: performance.now() - t0, via: 'inline' as const } };
    }
    const base = { ...held, ...(s.denyData ? { data: s.denyData } : {}), entries: validator.denyList.size };
    const j = await runDenyJob(doc, roots, rootJwks, base, this.nowSec(), { pool: this.pool, ...this.deps.jobOptions });
    const r = j.result;
    if (r.outcome === 'duplicate') return r;
    const install = () => {
      validator.setDenyList(new HashedDenyList(r.list, () => this.nowSec()));
      s.denyData = r.list;
      this.lastJob = {
        inForceAt: performance.now(),
        via: j.via,
        ms: j.ms,
        ...(j.workerMs !== undefined ? { workerMs: j.workerMs } : {}),
        ...(j.workerHeapBytes !== undefined ? { workerHeapBytes: j.workerHeapBytes } : {}),
      };
    };
    const heap = j.workerHeapBytes !== undefined ? { workerHeapBytes: j.workerHeapBytes } : {};
    return { ...r, bytes: j.doc, install, extra: { ms: j.ms, via: j.via, ...heap } };
  }

  private async process(type: ListType, doc: Uint8Array, source: ListSource, file?: string): Promise<ReceiveResult> {
    const s = this.held[type];
    const log = this.deps.logger;
    try {
      const r = await this.verify(type, doc);
      if (r.outcome === 'duplicate') {
        log.debug({ list: type, version: r.header.version, source }, 'signed list already held');
        return { outcome: 'duplicate', header: r.header };
      }
      r.install();
      const { header, extra } = r;
      s.signature = r.signature;
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
      const refused = e instanceof ListRefused;
      const reason = refused ? e.reason : 'error';
      const detail = errorMessage(e);
      const version = refused && e.header ? { version: e.header.version } : {};
      const r: Refusal = { reason, detail, source, at: this.deps.clock.now(), ...version };
      s.refused++;
      s.lastRefused = r;
      if (reason === 'missing_base') s.waitingForSnapshot = true;
      const waiting = s.waitingForSnapshot;
      const named = file ? { file } : {};
      const fields = { list: type, reason, detail, source, ...named, ...version, heldVersion: s.version };
      log.warn({ ...fields, waitingForSnapshot: waiting }, 'signed list refused');
      this.deps.events.event({
        at: r.at,
        kind: 'list_refused',
        list: type,
        reason,
        detail,
        source,
        heldVersion: s.version,
        ...version,
        ...(refused && e.header ? { listKind: e.header.kind } : {}),
        ...(waiting ? { waitingForSnapshot: true } : {}),
      });
      this.deps.refused(type, reason);
      return { outcome: 'refused', reason, detail };
    }
  }
}
