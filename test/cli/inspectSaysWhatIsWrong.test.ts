/**
 * `faregate inspect`: exit 2 with no ride code at all; exit 1 when a code does not decode, with
 * the layer that failed on stderr (not base45, not CBOR, not a COSE_Sign1, not an FG1 ride
 * code); exit 0 when every code decodes. One JSON line per code either way.
 */
import { describe, expect, it } from 'vitest';
import { cborEncode } from '../../src/token/cbor.ts';
import { base45Encode } from '../../src/token/base45.ts';
import { jsonLines, runFaregate } from '../support/cli.ts';
import { makeRider } from '../support/riders.ts';

const fg1 = (value: Parameters<typeof cborEncode>[0]) => 'FG1:' + base45Encode(cborEncode(value));

describe('inspect exit codes', () => {
  it('no argument and empty stdin (or only blank lines): exit 2', async () => {
    for (const input of ['', '\n\n']) {
      const r = await runFaregate(['inspect'], { input });
      expect(r).toEqual({
        code: 2,
        stdout: '',
        stderr: 'faregate inspect: no ride code: no argument, and nothing on stdin\n',
      });
    }
  });

  it.each([
    ['FG1:%%%', 'not base45'],
    ['FG1:ABC', 'not CBOR'],
    [fg1([1, 2]), 'not a COSE_Sign1'],
    ['HELLO', 'not an FG1 ride code (missing FG1: prefix)'],
  ])('%s: exit 1, %s', async (code, what) => {
    const r = await runFaregate(['inspect', code]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^faregate inspect: the argument: ride code: ${what.replace(/[()]/g, '\\$&')}`),
    );
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(jsonLines(r.stdout)[0]).toMatchObject({ verified: false, malformed: expect.stringContaining(what) });
  });

  it('a good code decodes (exit 0); a bad line among good ones on stdin makes it exit 1 and names the line', async () => {
    const rider = makeRider();
    const good = rider.code();
    const ok = await runFaregate(['inspect', good]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(jsonLines(ok.stdout)[0]).toMatchObject({ verified: false, credential: { sub: rider.sub } });
    expect(ok.stdout).not.toContain(good.slice(4, 60));

    const r = await runFaregate(['inspect'], { input: `${rider.code()}\nFG1:%%%\n${rider.code()}\n` });
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).map((o) => o.malformed === undefined)).toEqual([true, false, true]);
    expect(r.stderr).toMatch(/^faregate inspect: line 2: ride code: not base45/);
  });
});
