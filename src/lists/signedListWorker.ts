/**
 * Body of the worker thread that verifies signed deny lists and builds their compact form (JSON
 * parsing and hashing 10⁶ entries would block the main thread for hundreds of ms), and verifies
 * trust documents up to their checked keys (list: 'trust') and JT/T root lists up to their checked
 * entries (list: 'jtt-roots'). One job per message; the document
 * arrives by transfer, from the main thread or straight from the thread that read it (on a port
 * of its own), and a new list is written to the gate's list files here (`persistDir`), so its
 * bytes need not go back.
 * The compact lists (the held base of a delta, the result) are SharedArrayBuffers: they cross
 * without a copy.
 */
import v8 from 'node:v8';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { lowerThisThread } from '../platform/threadPriority.ts';
import { persistedListName, writeListFile } from './listFiles.ts';
import {
  ListRefused,
  processDenyDocument,
  rootKeysFromJson,
  verifyTrustDocument,
  type HeldList,
} from './signedList.ts';
import type { CompactDenyData } from './signedListDeny.ts';
import { JTT_ROOTS_LIST, JttRootsRefused, verifyJttRootsDocument } from './signedListJttRoots.ts';
import type { WorkerReply, WorkerRequest } from './signedListJob.ts';

/** Nice levels below its creator where SCHED_IDLE is not allowed (capped at 19, the lowest). */
const WORKER_NICE = 19;

/** The document on its port: one message, then the port closes (closed with none: the bytes are gone). */
function received(port: MessagePort): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    port.once('message', (doc: Uint8Array) => {
      port.close();
      resolve(doc);
    });
    port.once('close', () => reject(new Error('the document was lost before it reached the list worker')));
  });
}

async function run(req: WorkerRequest): Promise<WorkerReply<unknown>> {
  const started = performance.now();
  try {
    const doc = req.doc ?? (req.docPort ? await received(req.docPort) : undefined);
    if (!doc) throw new Error('no document in the request');
    const roots = rootKeysFromJson(req.rootJwks);
    const held: HeldList & { data?: CompactDenyData } = { version: req.held.version };
    if (req.held.signature !== undefined) held.signature = req.held.signature;
    if (req.held.base) held.base = req.held.base;
    if (req.held.data) held.data = req.held.data;
    if (req.list === JTT_ROOTS_LIST) {
      // This thread only checks it: the main thread keeps the bytes and persists them.
      const r = await verifyJttRootsDocument(doc, roots, held);
      return {
        ok: true,
        result: r,
        workerMs: performance.now() - started,
        heap: v8.getHeapStatistics().total_heap_size,
      };
    }
    const r =
      req.list === 'trust'
        ? await verifyTrustDocument(doc, roots, held)
        : await processDenyDocument(doc, roots, held, req.nowSec);
    const kept: { persisted?: string; persistError?: string } = {};
    if (req.persistDir !== undefined && r.outcome !== 'duplicate') {
      const name = persistedListName(req.list ?? 'deny', r.header);
      try {
        await writeListFile(req.persistDir, name, doc);
        kept.persisted = name;
      } catch (e) {
        kept.persistError = e instanceof Error ? e.message : String(e);
      }
    }
    return {
      ok: true,
      result: r,
      ...kept,
      workerMs: performance.now() - started,
      heap: v8.getHeapStatistics().total_heap_size,
    };
  } catch (e) {
    return e instanceof ListRefused
      ? {
          ok: false,
          reason: e.reason,
          message: e.message,
          ...(e.header ? { header: e.header } : {}),
          ...(e instanceof JttRootsRefused && e.version !== undefined ? { version: e.version } : {}),
          heap: v8.getHeapStatistics().total_heap_size,
        }
      : { ok: false, reason: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}

// Lowest CPU priority for this thread only (src/platform/threadPriority.ts: SCHED_IDLE where
// allowed, else nice 19): when the cores are busy, the main thread's decisions run first and the
// list simply takes longer to build. Where neither is allowed, the thread keeps the normal priority.
lowerThisThread(WORKER_NICE);

parentPort!.on('message', (req: WorkerRequest) => {
  void run(req).then((reply) => parentPort!.postMessage(reply));
});
parentPort!.postMessage({ ready: true });
