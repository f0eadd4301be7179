/**
 * `faregate verify` on a large piped input (many input chunks, many batched writes): exactly one
 * answer per input line, in input order, with the right decision for each line — accepts carry
 * their own line's codeId, lines that cannot be read are malformed in place, and a code shown
 * again within the duplicate window is ignored.
 */
import { describe, expect, it } from 'vitest';
import { jsonLines, runFaregate } from '../support/cli.ts';
import { codeIdOfText, makeRider } from '../support/riders.ts';
import { DEV_TRUST } from '../support/serviceProcess.ts';

describe('faregate verify, 6,000 lines piped in one go', () => {
  it('answers each line once, in order', async () => {
    const now = Math.floor(Date.now() / 1000);
    const riders = Array.from({ length: 80 }, () => makeRider());
    const lines: string[] = [];
    const expected: Record<string, unknown>[] = [];
    let lastCode = '';
    for (let i = 0; i < 6000; i++) {
      const at = now + i * 0.05; // a rider comes back every 4 s, outside the 3 s duplicate window
      if (i % 97 === 13) {
        lines.push(i % 2 ? '{"qr": 12}' : `{"qr": "${'x'.repeat(i % 700)}"`); // unreadable JSON lines
        expected.push({ decision: 'reject', reason: 'malformed' });
      } else if (i % 101 === 50) {
        lines.push(JSON.stringify({ qr: lastCode, at })); // the previous line's code again, 50 ms later
        expected.push({ decision: 'ignore', reason: 'duplicate', codeId: codeIdOfText(lastCode) });
      } else {
        const r = riders[i % riders.length]!;
        lastCode = r.code(Math.floor(at));
        lines.push(JSON.stringify({ qr: lastCode, at }));
        expected.push({ decision: 'accept', codeId: codeIdOfText(lastCode), sub: r.sub });
      }
    }
    const input = lines.join('\n') + '\n';
    expect(input.length).toBeGreaterThan(20 * 65_536); // many pipe chunks

    const r = await runFaregate(['verify', '--trust', DEV_TRUST], { input });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    const out = jsonLines(r.stdout);
    expect(out).toHaveLength(lines.length);
    for (let i = 0; i < out.length; i++) expect(out[i], `answer to line ${i + 1}`).toMatchObject(expected[i]!);
  }, 60_000);
});
