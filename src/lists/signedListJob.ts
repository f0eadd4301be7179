/**
 * Runs the verification and build of a signed deny list on the main thread when it is small, or
 * in a worker thread when it is large (document ≥ `workerMinBytes`, or a delta on a held list
 * of ≥ `workerMinEntries` entries), so that decisions are never held up by a list update.
 *
 * The worker is started on first need and replaced by a fresh one after every job: a parsed
 * 10⁶-entry document leaves the worker's heap at a few hundred MB, which ending the thread gives
 * back, and the spare is already loaded when the next large list comes.
 */
import { isMarkedAsUntransferable, Worker } from 'node:worker_threads';
import {
  ListRefused,
  processDenyDocument,
  type HeldList,
  type ListHeader,
  type Processed,
  type RefusalReason,
  type RootKeySet,
} from './signedList.ts';
import type { CompactDenyData } from './signedListDeny.ts';

/** ≈ 3,000 entries: below this a document is handled inline (a few ms). */
export const WORKER_MIN_BYTES = 64 * 1024;
export const WORKER_MIN_ENTRIES = 50_000;
/** Heap limit of the worker (a 10⁶-entry document needs about 250 MB while parsed). */
export const WORKER_MAX_OLD_GENERATION_MB = 1024;

export interface WorkerRequest {
  doc: Uint8Array;
  rootJwks: unknown;
  held: { version: number; signature?: string; base?: { version: number; signature: string }; data?: CompactDenyData };
  nowSec: number;
}

export type WorkerReply =
  | { ok: true; result: Processed<CompactDenyData>; doc: Uint8Array; workerMs: number; heap: number }
  | { ok: false; reason: RefusalReason | 'error'; message: string; header?: ListHeader; doc: Uint8Array };

export interface DenyJobResult {
  result: Processed<CompactDenyData>;
  /** The document's bytes (back from the worker: the same bytes that were given). */
  doc: Uint8Array;
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

/** One worker thread at a time, started on demand, replaced after each job. */
export class ListWorkerPool {
  private spare: Promise<Worker> | undefined;
  private closed = false;

  private spawn(): Promise<Worker> {
    const w = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: WORKER_MAX_OLD_GENERATION_MB } });
    w.unref();
    const ready = new Promise<Worker>((resolve, reject) => {
      w.once('message', () => resolve(w));
      w.once('error', reject);
      w.once('exit', (code) => reject(new Error(`list worker exited during start (code ${code})`)));
    });
    ready.catch(() => undefined);
    return ready;
  }

  /** Starts the worker now (so that the first large list does not wait for it). */
  warm(): void {
    if (!this.closed && !this.spare) this.spare = this.spawn();
  }

  async run(req: WorkerRequest, transfer: ArrayBuffer[]): Promise<WorkerReply> {
    if (this.closed) throw new Error('list worker pool closed');
    const pending = this.spare ?? this.spawn();
    this.spare = undefined;
    const w = await pending;
    w.ref();
    try {
      return await new Promise<WorkerReply>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`list worker exited with code ${code}`)));
        w.postMessage(req, transfer);
      });
    } finally {
      w.removeAllListeners();
      void w.terminate();
      if (!this.closed) this.spare = this.spawn();
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
}

export async function runDenyJob(
  doc: Uint8Array,
  roots: RootKeySet,
  rootJwks: unknown,
  held: HeldList & { data?: CompactDenyData; entries?: number },
  nowSec: number,
  opts: DenyJobOptions = {},
): Promise<DenyJobResult> {
  const started = performance.now();
  const big =
    doc.byteLength >= (opts.workerMinBytes ?? WORKER_MIN_BYTES) ||
    (held.entries ?? 0) >= (opts.workerMinEntries ?? WORKER_MIN_ENTRIES);
  if (!big) {
    const result = await processDenyDocument(doc, roots, held, nowSec);
    return { result, doc, via: 'inline', ms: performance.now() - started };
  }
  // Transfer the document's memory when it is a whole ArrayBuffer, else send a copy.
  // Node marks the memory of its small-Buffer pool untransferable (a small delta arrives in it):
  // such a document goes as a copy too.
  const whole =
    doc.byteOffset === 0 &&
    doc.byteLength === doc.buffer.byteLength &&
    doc.buffer instanceof ArrayBuffer &&
    !isMarkedAsUntransferable(doc.buffer);
  const payload = whole ? doc : new Uint8Array(doc);
  const req: WorkerRequest = { doc: payload, rootJwks, held: { version: held.version }, nowSec };
  if (held.signature !== undefined) req.held.signature = held.signature;
  if (held.base) req.held.base = held.base;
  // The held list stays in use on this thread; its buffer is shared (never written after it was
  // packed), so the worker reads the same memory: no copy of 12 bytes per entry on this thread.
  if (held.data) req.held.data = held.data;
  const pool = opts.pool ?? new ListWorkerPool();
  let reply: WorkerReply;
  try {
    reply = await pool.run(req, [payload.buffer as ArrayBuffer]);
  } finally {
    if (!opts.pool) await pool.close();
  }
  if (!reply.ok) {
    if (reply.reason === 'error') throw new Error(`list worker failed: ${reply.message}`);
    throw new ListRefused(reply.reason, reply.message, reply.header);
  }
  return {
    result: reply.result,
    doc: reply.doc,
    via: 'worker',
    ms: performance.now() - started,
    workerMs: reply.workerMs,
    workerHeapBytes: reply.heap,
  };
}
