/**
 * The list worker stays out of the decisions' way (issue 9, deny list swap on Node 24):
 *  - its thread runs at the lowest CPU priority (nice 19, and SCHED_IDLE where `chrt` is there),
 *    the main thread keeps its own;
 *  - the compact list it builds is shared memory, so the held list goes back to a worker as the
 *    base of the next delta without being cloned on the main thread, and the worker reads it as is.
 * Linux only for the priority (the per-thread nice value is read from /proc/self/task).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rootKeysFromJson } from '../../src/lists/signedList.ts';
import { HashedDenyList } from '../../src/lists/signedListDeny.ts';
import { ListWorkerPool, runDenyJob } from '../../src/lists/signedListJob.ts';
import { denyDelta, denySnapshot, makeRoot, randomIds } from './support.ts';

/** The scheduling policy of a thread (0 SCHED_OTHER, 5 SCHED_IDLE), from /proc/self/task/TID/sched. */
const policyOf = (tid: string): number =>
  Number(/^policy\s*:\s*(\d+)/m.exec(readFileSync(`/proc/self/task/${tid}/sched`, 'utf8'))?.[1] ?? NaN);
const hasChrt = spawnSync('chrt', ['--version'], { stdio: 'ignore' }).status === 0;

/** Nice value of each thread of this process, by thread name and id. */
function threadNices(): { tid: string; name: string; nice: number }[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after "(comm) ": state is field 3 of stat(5); nice is field 19.
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      return [{ tid, name: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(), nice }];
    } catch {
      return []; // the thread ended while being read
    }
  });
}

describe('list worker yields to decisions', () => {
  it.runIf(existsSync('/proc/self/task'))(
    'the worker thread runs at nice 19 (and SCHED_IDLE where chrt is there), the main thread at its own priority',
    async () => {
      const before = threadNices();
      const mainNice = before.find((t) => t.tid === String(process.pid))!.nice;
      const pool = new ListWorkerPool();
      try {
        pool.warm();
        // Wait for the started worker's thread (a new thread at nice 19).
        const deadline = Date.now() + 10_000;
        let lowered: { tid: string; name: string; nice: number }[] = [];
        while (Date.now() < deadline) {
          lowered = threadNices().filter((t) => t.nice === 19 && !before.some((b) => b.tid === t.tid));
          if (lowered.length) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(lowered.map((t) => t.name)).toEqual(['WorkerThread']);
        expect(threadNices().find((t) => t.tid === String(process.pid))!.nice).toBe(mainNice);
        if (hasChrt) {
          // chrt runs right after the nice change: wait for it too.
          const tid = lowered[0]!.tid;
          while (Date.now() < deadline && policyOf(tid) !== 5) await new Promise((r) => setTimeout(r, 50));
          expect(policyOf(tid)).toBe(5);
          expect(policyOf(String(process.pid))).toBe(0);
        }
      } finally {
        await pool.close();
      }
    },
  );

  it('a large list is shared memory: the held list is the base of a delta in the worker, untouched here', async () => {
    const root = makeRoot();
    const roots = rootKeysFromJson({ keys: [root.jwk] });
    const subs = randomIds(60_000);
    const ctis = randomIds(1000);
    const opts = { workerMinBytes: 1024, workerMinEntries: 1000 };
    const snap = await runDenyJob(
      Buffer.from(denySnapshot(root, 3, { sub: subs, cti: ctis })),
      roots,
      { keys: [root.jwk] },
      { version: 0 },
      Date.now() / 1000,
      opts,
    );
    expect(snap.via).toBe('worker');
    if (snap.result.outcome !== 'applied') throw new Error('snapshot not applied');
    const held = snap.result.list;
    expect(held.buffer).toBeInstanceOf(SharedArrayBuffer);
    const heldBytes = Buffer.from(new Uint8Array(held.buffer)); // a copy, to see that nothing writes the held list
    const heldList = new HashedDenyList(held, () => Date.now() / 1000);

    const delta = Buffer.from(denyDelta(root, 4, 3, { sub: ['0badc0de'] }, { sub: subs.slice(0, 5) }));
    const next = await runDenyJob(
      delta,
      roots,
      { keys: [root.jwk] },
      { version: 3, data: held, entries: heldList.size },
      Date.now() / 1000,
      opts,
    );
    expect(next.via).toBe('worker');
    if (next.result.outcome !== 'applied') throw new Error('delta not applied');
    const nextList = new HashedDenyList(next.result.list, () => Date.now() / 1000);
    expect(nextList.size).toBe(heldList.size - 5 + 1);
    expect(nextList.denies('0badc0de', '00')).toBe(true);
    expect(nextList.denies(subs[0]!, '00')).toBe(false);
    expect(nextList.denies(subs[5]!, '00')).toBe(true);
    // The held list is still whole and unchanged on this thread (it stays in force until the swap).
    expect(held.buffer.byteLength).toBe(heldBytes.byteLength);
    expect(Buffer.from(new Uint8Array(held.buffer)).equals(heldBytes)).toBe(true);
    expect(heldList.denies(subs[0]!, '00')).toBe(true);
  });
});
