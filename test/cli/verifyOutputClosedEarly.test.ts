/**
 * `faregate verify … | head -1`: the reader of stdout goes away while answers are still being
 * written. The command stops with a one-line message on stderr and exit 0 (spec §5: non-zero is
 * for unusable arguments or files), never an uncaught EPIPE with a stack trace, and never a hang
 * on the input it will no longer answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LineChild } from '../support/lineChild.ts';
import { makeRider } from '../support/riders.ts';
import { DEV_TRUST } from '../support/serviceProcess.ts';

let child: LineChild | undefined;
afterEach(() => child?.kill());

describe('faregate verify whose stdout is closed early', () => {
  it('stops with a clear message and exit 0 while its stdin is still open', async () => {
    const now = Math.floor(Date.now() / 1000);
    const riders = Array.from({ length: 80 }, () => makeRider());
    const lines = Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({ qr: riders[i % 80]!.code(now + Math.floor(i / 20)), at: now + i * 0.05 }),
    );
    child = new LineChild(['verify', '--trust', DEV_TRUST]);
    child.write(lines[0] + '\n');
    expect(JSON.parse(await child.nextLine())).toMatchObject({ decision: 'accept' });
    child.child.stdout.destroy(); // the reader is gone, as after `head -1`
    child.write(lines.slice(1).join('\n') + '\n'); // more input; stdin is left open

    const exit = await Promise.race([
      child.exited,
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000)),
    ]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.stderr).toBe('faregate verify: standard output was closed (EPIPE); stopped reading input\n');
  }, 30_000);
});
