/**
 * Body of the worker thread that verifies large signed deny lists and builds their compact form
 * (JSON parsing and hashing 10⁶ entries would block the main thread for hundreds of ms). One job
 * per message; the document arrives by transfer and goes back by transfer (for persisting it),
 * with the compact list's buffer.
 */
import v8 from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { ListRefused, processDenyDocument, rootKeysFromJson, type HeldList } from './signedList.ts';
import type { CompactDenyData } from './signedListDeny.ts';
import type { WorkerReply, WorkerRequest } from './signedListJob.ts';

function run(req: WorkerRequest): { reply: WorkerReply; transfer: ArrayBuffer[] } {
  const started = performance.now();
  const transfer: ArrayBuffer[] = [req.doc.buffer as ArrayBuffer];
  try {
    const roots = rootKeysFromJson(req.rootJwks);
    const held: HeldList & { data?: CompactDenyData } = { version: req.held.version };
    if (req.held.signature !== undefined) held.signature = req.held.signature;
    if (req.held.data) held.data = req.held.data;
    const r = processDenyDocument(req.doc, roots, held, req.nowSec);
    if (r.outcome === 'applied') transfer.push(r.list.buffer);
    return { reply: { ok: true, result: r, doc: req.doc, workerMs: performance.now() - started, heap: v8.getHeapStatistics().total_heap_size }, transfer };
  } catch (e) {
    const reply: WorkerReply =
      e instanceof ListRefused
        ? { ok: false, reason: e.reason, message: e.message, ...(e.header ? { header: e.header } : {}), doc: req.doc }
        : { ok: false, reason: 'error', message: (e as Error).stack ?? String(e), doc: req.doc };
    return { reply, transfer };
  }
}

parentPort!.on('message', (req: WorkerRequest) => {
  const { reply, transfer } = run(req);
  parentPort!.postMessage(reply, transfer);
});
parentPort!.postMessage({ ready: true });
