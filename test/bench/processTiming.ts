/**
 * Wall-clock timing of whole processes for the process-level benchmarks (startup,
 * verifyProcess): spawn → exit, with optional stdin bytes and captured stdout.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hrnow } from './stats.ts';

const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

/**
 * CPU time (ms) of this process's children that have been waited for: cutime + cstime of
 * /proc/self/stat (Linux; NaN elsewhere). With one child at a time, the difference around a run
 * is that child's CPU time, all threads, which a shared machine's load barely changes.
 */
function childrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

export interface TimedRun {
  /** Spawn to 'close' (every stdio stream drained), in milliseconds. */
  ms: number;
  /** CPU time of the child (user + system, all threads; 10 ms resolution), NaN off Linux. */
  cpuMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns `process.execPath args`, writes `input` (if any) to its stdin and times it to exit. */
export function timeProcess(
  args: string[],
  o: { input?: Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const cpu0 = childrenCpuMs();
    const t0 = hrnow();
    const child = spawn(process.execPath, args, {
      cwd: o.cwd,
      env: o.env ?? process.env,
      stdio: [o.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(hrnow() - t0) / 1e6;
      resolve({ ms, cpuMs: childrenCpuMs() - cpu0, code, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
    if (o.input) {
      child.stdin!.on('error', () => {}); // a child that exits early closes its stdin: reported via code
      child.stdin!.end(o.input);
    }
  });
}

/** Median of a list of numbers (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}
