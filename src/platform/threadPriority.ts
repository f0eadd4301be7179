/**
 * CPU priority of the threads that do a gate's background work. On Linux the nice value is per
 * thread. The decisions run on the main thread; the MQTT thread (src/mqtt/mqttWorker.ts) and the
 * list worker (src/lists/signedListWorker.ts) lower themselves. V8's own platform threads
 * (named `V8Worker`: they mark and sweep the heaps of every thread of the process, the list
 * worker's 20 MB parse included, and compile in the background) start at the process's
 * priority; {@link lowerV8HelperThreads} puts them below the main thread too, so that when the
 * two cores are busy a frame's decision is not queued behind collecting a list worker's garbage.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Nice levels the V8 platform threads run below the process's own priority. */
export const V8_HELPER_NICE_OFFSET = 5;

let lowered = false;

/**
 * Lowers this process's V8 platform threads by `offset` nice levels, once (later calls do
 * nothing). Returns how many threads were lowered (0 off Linux or where it is not allowed).
 */
export function lowerV8HelperThreads(offset = V8_HELPER_NICE_OFFSET): number {
  if (lowered || process.platform !== 'linux') return 0;
  lowered = true;
  let n = 0;
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  for (const task of tasks) {
    const tid = Number(task);
    try {
      if (readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim() !== 'V8Worker') continue;
      setPriority(tid, Math.min(19, getPriority(tid) + offset));
      n++;
    } catch {
      // gone, or not allowed: it keeps its priority
    }
  }
  return n;
}
