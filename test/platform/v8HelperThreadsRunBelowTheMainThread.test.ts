/**
 * `faregate run` lowers V8's platform threads (`V8Worker`: garbage collection of every thread's
 * heap, background compilation) 5 nice levels below the main thread, once; the main thread keeps
 * its priority. Linux only (per-thread nice values in /proc/self/task).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/platform/packageRoot.ts';

const PROBE = `
import { readdirSync, readFileSync } from 'node:fs';
import { lowerV8HelperThreads } from './src/platform/threadPriority.ts';
const nices = () => readdirSync('/proc/self/task').map((tid) => {
  const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
  return { tid, name: readFileSync('/proc/self/task/' + tid + '/comm', 'utf8').trim(),
    nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) };
});
const before = nices();
const first = lowerV8HelperThreads();
const second = lowerV8HelperThreads();
console.log(JSON.stringify({ before, after: nices(), first, second, pid: String(process.pid) }));
`;

interface Thread {
  tid: string;
  name: string;
  nice: number;
}

describe('V8 helper threads', () => {
  it.runIf(existsSync('/proc/self/task'))('run 5 nice levels below the main thread, lowered once', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], {
      cwd: packageRoot(),
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      before: Thread[];
      after: Thread[];
      first: number;
      second: number;
      pid: string;
    };
    const helpers = (l: Thread[]) => l.filter((t) => t.name === 'V8Worker');
    const main = (l: Thread[]) => l.find((t) => t.tid === r.pid)!;
    expect(helpers(r.before).length).toBeGreaterThan(0);
    expect(r.first).toBe(helpers(r.before).length);
    expect(r.second).toBe(0);
    for (const t of helpers(r.after)) expect(t.nice).toBe(Math.min(19, main(r.before).nice + 5));
    expect(main(r.after).nice).toBe(main(r.before).nice);
  });
});
