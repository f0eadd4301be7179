/**
 * Runs the verification and build of a signed deny list in a worker thread, so that decisions are
 * never held up by a list update (and the verification of a trust document, runTrustJob, and of a
 * JT/T root list, runJttRootsJob). A gate
 * (src/fleet/listApplier.ts) sends every document there (`workerMinBytes: 0`); a caller may keep
 * small ones inline (document < `workerMinBytes`, and a delta on a held list of <
 * `workerMinEntries` entries), as the defaults do.
 * A document the MQTT worker holds (src/mqtt/mqttPort.ts, HeldPayload) goes from there to the
 * list worker on a channel of their own, and the list worker writes it to the gate's list files
 * itself: the bytes of a 20 MB list never reach the main thread (receiving, transferring and
 * freeing them there was enough to start its garbage collector during decisions).
 *
 * The worker is started ahead of need and kept from job to job, so that a small list (a delta,
 * a refused message of a flood) costs a message each way and no thread start. After a job that
 * left its heap over {@link WORKER_REPLACE_HEAP_BYTES} (a parsed 10⁶-entry document leaves a few
 * hundred MB) it is ended, which gives the memory back, and a fresh spare is started at once.
 */
import { isMarkedAsUntransferable, MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { HeldPayload } from '../mqtt/mqttPort.ts';
import type { TrustList } from '../token/trustList.ts';
import type { TrustJwk } from './listFileShape.ts';
import {
  buildVerifiedTrustList,
  ListRefused,
  processDenyDocument,
  type HeldList,
  type ListHeader,
  type Processed,
  type RefusalReason,
  type RootKeySet,
} from './signedList.ts';
import type { CompactDenyData } from './signedListDeny.ts';
import {
  buildJttRoots,
  JTT_ROOTS_LIST,
  JttRootsRefused,
  type ProcessedJttRoots,
  type VerifiedJttRoots,
} from './signedListJttRoots.ts';

/**
 * ≈ 3,000 entries. A deny document from the broker at least this large stays in the MQTT thread
 * and goes from there to the list worker (src/fleet/listSubscription.ts, holdFrom); it is also
 * the default inline limit of {@link runDenyJob} for callers that keep small documents inline.
 */
export const WORKER_MIN_BYTES = 64 * 1024;
export const WORKER_MIN_ENTRIES = 50_000;
/** Heap limit of the worker (a 10⁶-entry document needs about 250 MB while parsed). */
export const WORKER_MAX_OLD_GENERATION_MB = 1024;
/** A worker whose heap is over this after a job is ended and replaced (its memory given back). */
export const WORKER_REPLACE_HEAP_BYTES = 64 * 1024 * 1024;

export interface WorkerRequest {
  /**
   * What to verify (default deny): a trust document is verified up to its checked keys, a JT/T
   * root list up to its checked entries.
   */
  list?: 'deny' | 'trust' | typeof JTT_ROOTS_LIST;
  /** The document, or the port it arrives on (from the thread that read it: the MQTT worker). */
  doc?: Uint8Array;
  docPort?: MessagePort;
  /** Where to keep the document once it verified and is new (src/lists/listFiles.ts), by the worker itself. */
  persistDir?: string;
  rootJwks: unknown;
  held: { version: number; signature?: string; base?: { version: number; signature: string }; data?: CompactDenyData };
  nowSec: number;
}

export type WorkerReply<R = Processed<CompactDenyData>> =
  | {
      ok: true;
      result: R;
      workerMs: number;
      heap: number;
      /** The file the worker wrote the document to; or why it could not. */
      persisted?: string;
      persistError?: string;
    }
  | {
      ok: false;
      reason: RefusalReason | 'error';
      message: string;
      header?: ListHeader;
      /** A refused JT/T root list's version, when it was read (JttRootsRefused). */
      version?: number;
      heap?: number;
    };

export interface DenyJobResult {
  result: Processed<CompactDenyData>;
  /** Inline: the document's bytes (to persist); a worker job keeps them itself (`persisted`). */
  doc?: Uint8Array;
  /** Worker job with `persistDir`: the file the worker wrote, or why it could not. */
  persisted?: string;
  persistError?: string;
  /**
   * How the document reached the worker: `main`, through this thread; `held`, straight from the
   * thread that read it (the MQTT worker), never through this one.
   */
  route?: 'main' | 'held';
  via: 'inline' | 'worker';
  ms: number;
  /** Worker only: time spent inside the worker, and its V8 heap size at the end of the job. */
  workerMs?: number;
  workerHeapBytes?: number;
}

// Compiled (dist/…/signedListWorker.js), the worker is plain JavaScript. From the TypeScript
// sources (tests, tsx), the worker gets no loader from this thread: signedListWorker.mjs
// registers tsx (a development dependency) and then loads signedListWorker.ts.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './signedListWorker.mjs' : './signedListWorker.js',
  import.meta.url,
);

/**
 * One worker thread kept: started ahead of need, kept while its heap stays small, replaced after
 * a job that left it large or failed. A job that finds it busy (a trust and a deny document at
 * once) gets a worker of its own, ended after it.
 */
export class ListWorkerPool {
  private spare: Promise<Worker> | undefined;
  private closed = false;

  private spawn(): Promise<Worker> {
    const w = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: WORKER_MAX_OLD_GENERATION_MB } });
    w.unref();
    const ready = this.once(w, (reply: unknown) => reply, 'during start').then(() => w);
    ready.catch(() => undefined);
    return ready;
  }

  /**
   * The worker's next message, or its error or exit, with only this call's listeners removed
   * after (never removeAllListeners(): the Worker's own listeners start and stop its port).
   */
  private once<T>(w: Worker, take: (m: unknown) => T, when: string, send?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const off = () => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      const onMessage = (m: unknown) => {
        off();
        resolve(take(m));
      };
      const onError = (e: Error) => {
        off();
        reject(e);
      };
      const onExit = (code: number) => {
        off();
        reject(new Error(`list worker exited ${when} (code ${code})`));
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      send?.();
    });
  }

  /** Starts the worker now (so that the first list does not wait for it). */
  warm(): void {
    if (!this.closed && !this.spare) this.spare = this.spawn();
  }

  async run<R = Processed<CompactDenyData>>(
    req: WorkerRequest,
    transfer: (ArrayBuffer | MessagePort)[],
  ): Promise<WorkerReply<R>> {
    if (this.closed) throw new Error('list worker pool closed');
    const pending = this.spare ?? this.spawn();
    this.spare = undefined;
    let w = await pending;
    // A kept worker that ended meanwhile (its thread id is then -1): a fresh one.
    if (w.threadId < 0) w = await this.spawn();
    w.ref();
    let keep = false;
    try {
      const reply = await this.once(
        w,
        (m) => m as WorkerReply<R>,
        'during a job',
        () => w.postMessage(req, transfer),
      );
      keep = (reply.ok || reply.reason !== 'error') && (reply.heap ?? Infinity) < WORKER_REPLACE_HEAP_BYTES;
      return reply;
    } finally {
      // Two jobs at once (a trust and a deny document) ran on two workers: one is kept.
      if (keep && !this.closed && !this.spare) {
        w.unref();
        this.spare = Promise.resolve(w);
      } else {
        void w.terminate();
        if (!this.closed && !this.spare) this.spare = this.spawn();
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.spare;
    this.spare = undefined;
    if (s) await s.then((w) => w.terminate()).catch(() => undefined);
  }
}

export interface DenyJobOptions {
  workerMinBytes?: number;
  workerMinEntries?: number;
  /** Without a pool, a worker is started for the job and ended after it. */
  pool?: ListWorkerPool;
  /** A worker job writes the document there itself once it verified (src/lists/listFiles.ts). */
  persistDir?: string;
}

export async function runDenyJob(
  doc: Uint8Array | HeldPayload,
  roots: RootKeySet,
  rootJwks: unknown,
  held: HeldList & { data?: CompactDenyData; entries?: number },
  nowSec: number,
  opts: DenyJobOptions = {},
): Promise<DenyJobResult> {
  const started = performance.now();
  const bytes = doc instanceof Uint8Array ? doc.byteLength : doc.bytes;
  const big =
    !(doc instanceof Uint8Array) ||
    bytes >= (opts.workerMinBytes ?? WORKER_MIN_BYTES) ||
    (held.entries ?? 0) >= (opts.workerMinEntries ?? WORKER_MIN_ENTRIES);
  if (doc instanceof Uint8Array && !big) {
    const result = await processDenyDocument(doc, roots, held, nowSec);
    return { result, doc, via: 'inline', ms: performance.now() - started };
  }
  const req: WorkerRequest = { rootJwks, held: { version: held.version }, nowSec };
  const transfer: (ArrayBuffer | MessagePort)[] = [];
  if (doc instanceof Uint8Array) {
    // Transfer the document's memory when it is a whole ArrayBuffer, else send a copy.
    // Node marks the memory of its small-Buffer pool untransferable (a small delta arrives in
    // it): such a document goes as a copy too.
    const whole =
      doc.byteOffset === 0 &&
      doc.byteLength === doc.buffer.byteLength &&
      doc.buffer instanceof ArrayBuffer &&
      !isMarkedAsUntransferable(doc.buffer);
    req.doc = whole ? doc : new Uint8Array(doc);
    transfer.push(req.doc.buffer as ArrayBuffer);
  } else {
    // The bytes go from the thread that holds them to the worker, on a channel of their own.
    const { port1, port2 } = new MessageChannel();
    req.docPort = port2;
    transfer.push(port2);
    doc.sendTo(port1);
  }
  if (opts.persistDir !== undefined) req.persistDir = opts.persistDir;
  if (held.signature !== undefined) req.held.signature = held.signature;
  if (held.base) req.held.base = held.base;
  // The held list stays in use on this thread; its buffer is shared (never written after it was
  // packed), so the worker reads the same memory: no copy of 12 bytes per entry on this thread.
  if (held.data) req.held.data = held.data;
  const pool = opts.pool ?? new ListWorkerPool();
  let reply: WorkerReply;
  try {
    reply = await pool.run(req, transfer);
  } finally {
    if (!opts.pool) await pool.close();
  }
  const ok = succeeded(reply);
  return {
    result: ok.result,
    ...(ok.persisted !== undefined ? { persisted: ok.persisted } : {}),
    ...(ok.persistError !== undefined ? { persistError: ok.persistError } : {}),
    route: doc instanceof Uint8Array ? 'main' : 'held',
    via: 'worker',
    ms: performance.now() - started,
    workerMs: ok.workerMs,
    workerHeapBytes: ok.heap,
  };
}

/** A worker's reply as its result, or its refusal (ListRefused) or failure thrown. */
function succeeded<R>(reply: WorkerReply<R>): Extract<WorkerReply<R>, { ok: true }> {
  if (reply.ok) return reply;
  if (reply.reason === 'error') throw new Error(`list worker failed: ${reply.message}`);
  if (reply.version !== undefined) throw new JttRootsRefused(reply.reason, reply.message, reply.version);
  throw new ListRefused(reply.reason, reply.message, reply.header);
}

export interface ListJobCost {
  via: 'worker';
  ms: number;
  workerMs: number;
  workerHeapBytes: number;
}

export interface TrustJobResult extends ListJobCost {
  result: Processed<TrustList>;
}

/**
 * A document that this thread keeps (to persist it) verified in the list worker: it goes as a
 * copy of exactly its bytes (a view may sit in a larger buffer, which a clone would copy whole).
 */
async function runCopyJob<R>(
  list: 'trust' | typeof JTT_ROOTS_LIST,
  doc: Uint8Array,
  rootJwks: unknown,
  held: HeldList,
  pool: ListWorkerPool,
): Promise<{ result: R; cost: ListJobCost }> {
  const started = performance.now();
  const copy = new Uint8Array(doc);
  const req: WorkerRequest = { list, doc: copy, rootJwks, held: { version: held.version }, nowSec: 0 };
  if (held.signature !== undefined) req.held.signature = held.signature;
  if (held.base) req.held.base = held.base;
  const ok = succeeded(await pool.run<R>(req, [copy.buffer]));
  const cost: ListJobCost = {
    via: 'worker',
    ms: performance.now() - started,
    workerMs: ok.workerMs,
    workerHeapBytes: ok.heap,
  };
  return { result: ok.result, cost };
}

/**
 * Verifies a trust document in the list worker (a forged or garbage one of up to
 * `lists.maxBytes.trust`, 1 MiB, held the main thread 20–30 ms inline: its JSON parse and the hash
 * of its payload) and imports its keys here. Throws ListRefused.
 */
export async function runTrustJob(
  doc: Uint8Array,
  rootJwks: unknown,
  held: HeldList,
  pool: ListWorkerPool,
): Promise<TrustJobResult> {
  const { result: r, cost } = await runCopyJob<Processed<TrustJwk[]>>('trust', doc, rootJwks, held, pool);
  const result: Processed<TrustList> =
    r.outcome === 'duplicate' ? r : { ...r, list: buildVerifiedTrustList(r.header, r.list) };
  return { result, ...cost };
}

export interface JttRootsJobResult extends ListJobCost {
  result: ProcessedJttRoots;
}

/**
 * Verifies a JT/T root list in the list worker (envelope, signature, every §5 rule: a forged one
 * of 263 kB held the main thread about 3.5 ms inline) and builds its roots here from
 * the checked entries (their keys are made at first use). Throws ListRefused (JttRootsRefused
 * with the version of a rollback).
 */
export async function runJttRootsJob(
  doc: Uint8Array,
  rootJwks: unknown,
  held: HeldList,
  pool: ListWorkerPool,
): Promise<JttRootsJobResult> {
  const { result, cost } = await runCopyJob<VerifiedJttRoots>(JTT_ROOTS_LIST, doc, rootJwks, held, pool);
  return { result: buildJttRoots(result), ...cost };
}
