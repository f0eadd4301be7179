/**
 * CPU priority of the threads that do a gate's background work. On Linux the nice value is per
 * thread. The decisions run on the main thread; the MQTT thread (src/mqtt/mqttWorker.ts) and the
 * list worker (src/lists/signedListWorker.ts) lower themselves. V8's own platform threads
 * (named `V8Worker`: they mark and sweep the heaps of every thread of the process, the list
 * worker's 20 MB parse included, and compile in the background) start at the process's
 * priority; {@link lowerV8HelperThreads} puts them below the main thread too, so that when the
 * two cores are busy a frame's decision is not queued behind collecting a list worker's garbage.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
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

/** How a background thread ended up: SCHED_IDLE, a nice value, or unchanged (not allowed / not Linux). */
export type BackgroundPriority = 'idle' | 'nice' | 'unchanged';

/**
 * Puts the calling thread (a worker thread doing background work) below the main thread.
 * Linux: `nice` levels below the thread's own, and SCHED_IDLE for this thread only where allowed
 * (`chrt --idle`, util-linux): any ordinary thread that wakes, the main thread with a frame,
 * preempts a SCHED_IDLE thread at once, whereas under a mere nice value the kernel lets the
 * running thread finish its time slice (1–3 ms) first. Elsewhere nothing. Call it at the thread's
 * start (it runs a short child process, in this thread, not the main one).
 */
export function lowerThisThread(nice: number): BackgroundPriority {
  if (process.platform !== 'linux') return 'unchanged';
  let result: BackgroundPriority = 'unchanged';
  try {
    setPriority(0, Math.min(19, getPriority(0) + nice));
    result = 'nice';
  } catch {
    // not allowed: only SCHED_IDLE may still lower it
  }
  try {
    const tid = readlinkSync('/proc/thread-self').split('/').pop();
    if (tid && /^\d+$/.test(tid)) {
      const r = spawnSync('chrt', ['--idle', '--pid', '0', tid], { stdio: 'ignore', timeout: 2000 });
      if (r.status === 0) result = 'idle';
    }
  } catch {
    // no /proc or no chrt: the nice value only
  }
  return result;
}
