/**
 * Body of the worker thread that verifies large signed deny lists and builds their compact form
 * (JSON parsing and hashing 10⁶ entries would block the main thread for hundreds of ms). One job
 * per message; the document arrives by transfer and goes back by transfer (for persisting it).
 * The compact lists (the held base of a delta, the result) are SharedArrayBuffers: they cross
 * without a copy.
 */
import { setPriority } from 'node:os';
import v8 from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { ListRefused, processDenyDocument, rootKeysFromJson, type HeldList } from './signedList.ts';
import type { CompactDenyData } from './signedListDeny.ts';
import type { WorkerReply, WorkerRequest } from './signedListJob.ts';

/** Nice value of the worker thread (19 = lowest priority). */
const WORKER_NICE = 19;

async function run(req: WorkerRequest): Promise<{ reply: WorkerReply; transfer: ArrayBuffer[] }> {
  const started = performance.now();
  const transfer: ArrayBuffer[] = [req.doc.buffer as ArrayBuffer];
  try {
    const roots = rootKeysFromJson(req.rootJwks);
    const held: HeldList & { data?: CompactDenyData } = { version: req.held.version };
    if (req.held.signature !== undefined) held.signature = req.held.signature;
    if (req.held.base) held.base = req.held.base;
    if (req.held.data) held.data = req.held.data;
    const r = await processDenyDocument(req.doc, roots, held, req.nowSec);
    return {
      reply: {
        ok: true,
        result: r,
        doc: req.doc,
        workerMs: performance.now() - started,
        heap: v8.getHeapStatistics().total_heap_size,
      },
      transfer,
    };
  } catch (e) {
    const reply: WorkerReply =
      e instanceof ListRefused
        ? { ok: false, reason: e.reason, message: e.message, ...(e.header ? { header: e.header } : {}), doc: req.doc }
        : {
            ok: false,
            reason: 'error',
            message: e instanceof Error ? (e.stack ?? e.message) : String(e),
            doc: req.doc,
          };
    return { reply, transfer };
  }
}

// Lowest CPU priority for this thread only (on Linux the nice value is per thread; pid 0 = the
// calling thread): when the cores are busy, the main thread's decisions run first and the list
// simply takes longer to build. Where it is not allowed, the thread keeps the normal priority.
try {
  setPriority(0, WORKER_NICE);
} catch {
  // not supported on this platform: the default priority only costs latency under load
}

parentPort!.on('message', (req: WorkerRequest) => {
  void run(req).then(({ reply, transfer }) => parentPort!.postMessage(reply, transfer));
});
parentPort!.postMessage({ ready: true });
