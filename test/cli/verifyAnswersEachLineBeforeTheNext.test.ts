/**
 * `faregate verify` batches its output writes, but a producer that writes one line and waits for
 * its answer (a gate script, a person typing) gets it without sending more input or closing
 * stdin: each answer is written before the command waits for the next line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LineChild } from '../support/lineChild.ts';
import { codeIdOfText, makeRider } from '../support/riders.ts';
import { DEV_TRUST } from '../support/serviceProcess.ts';

let child: LineChild | undefined;
afterEach(() => child?.kill());

describe('faregate verify, one line at a time through a pipe that stays open', () => {
  it('answers every line before the next one is written, in the same shared replay memory', async () => {
    const now = Math.floor(Date.now() / 1000);
    const anna = makeRider();
    const ben = makeRider();
    const first = anna.code(now);
    child = new LineChild(['verify', '--trust', DEV_TRUST]);

    const steps: { line: string; expect: Record<string, unknown> }[] = [
      {
        line: JSON.stringify({ qr: first, at: now }),
        expect: { decision: 'accept', codeId: codeIdOfText(first), sub: anna.sub },
      },
      // the same code again 1 s later: inside the duplicate window, so ignored (this needs the first answer's memory)
      { line: JSON.stringify({ qr: first, at: now + 1 }), expect: { decision: 'ignore', reason: 'duplicate' } },
      { line: 'not a ride code', expect: { decision: 'reject' } },
    ];
    const benCode = ben.code(now);
    steps.push({ line: benCode, expect: { decision: 'accept', codeId: codeIdOfText(benCode), sub: ben.sub } });

    for (const [i, step] of steps.entries()) {
      child.write(step.line + '\n');
      const answer = JSON.parse(await child.nextLine()) as Record<string, unknown>;
      expect(answer, `answer to line ${i + 1}`).toMatchObject(step.expect);
      // nothing more came than the one answer
      expect(child.received).toBe(0);
    }
    // a line split across two writes is answered once, when its LF arrives
    // (Anna 9 s after her last code: outside the duplicate window; Ben's raw line was decided at the system clock)
    const split = JSON.stringify({ qr: anna.code(now + 10), at: now + 10 });
    child.write(split.slice(0, 100));
    await expect(child.nextLine(300)).rejects.toThrow(/no output line/);
    child.write(split.slice(100) + '\n');
    expect(JSON.parse(await child.nextLine())).toMatchObject({ decision: 'accept', sub: anna.sub });

    child.end();
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.stderr).toBe('');
  });
});
