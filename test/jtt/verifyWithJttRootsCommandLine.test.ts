/**
 * `faregate verify --jtt-roots FILE` (jtt1179-reading §6): JT/T lines as hex or base64 beside FG1
 * lines, one replay memory, the §7 example printed exactly, and an unusable root file exits 2.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runFaregate } from '../support/cli.ts';
import { makeRider } from '../support/riders.ts';
import { DEV_TRUST } from '../support/serviceProcess.ts';
import { NOW, code, rootsFile } from './jttFixtures.ts';
import { EXAMPLE_HEX, EXAMPLE_LINE, EXAMPLE_ROOT } from './workedExample.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'faregate-jtt-verify-'));
  writeFileSync(join(dir, 'example-roots.json'), JSON.stringify({ roots: [{ index: 23, key: EXAMPLE_ROOT }] }));
  writeFileSync(join(dir, 'roots.json'), JSON.stringify(rootsFile()));
});

async function verify(
  args: string[],
  lines: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runFaregate(['verify', ...args], { cwd: dir, input: lines.join('\n') + '\n' });
}

describe('faregate verify --jtt-roots', () => {
  it('prints the §7 example’s line exactly', async () => {
    const r = await verify(
      ['--jtt-roots', 'example-roots.json'],
      [JSON.stringify({ qr: EXAMPLE_HEX, at: 1767225610 })],
    );
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(EXAMPLE_LINE + '\n');
  });

  it('decides JT/T and FG1 lines in one run with one replay memory, FG1 lines naming their format', async () => {
    const now = Math.floor(Date.now() / 1000);
    const rider = makeRider();
    const fg1 = rider.code(now);
    const jtt = code().toString('hex');
    const lines = [
      JSON.stringify({ qr: jtt, at: NOW }),
      JSON.stringify({ qr: code().toString('base64'), at: NOW + 10 }), // the same code, base64: a replay
      JSON.stringify({ qr: code({ expiry: Buffer.from('0120', 'hex') }).toString('hex'), at: NOW }),
      JSON.stringify({ qr: jtt.slice(0, 100), at: NOW }),
      `]Q1${fg1}\r`,
      'hello',
    ];
    const r = await verify(['--jtt-roots', 'roots.json', '--trust', DEV_TRUST, '--now', String(now)], lines);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const out = jsonLines(r.stdout);
    const common = {
      format: 'jtt1179',
      sub: '31000000000000000001',
      cti: '50415930303030303030303030303031',
      profile: 0,
      cap: 2000,
      cardType: 1,
    };
    expect(out[0]).toEqual({ decision: 'accept', codeId: expect.stringMatching(/^[0-9a-f]{32}$/), ...common });
    expect(Object.keys(out[0]!)).toEqual(['decision', 'format', 'codeId', 'sub', 'cti', 'profile', 'cap', 'cardType']);
    expect(out[1]).toEqual({ decision: 'reject', reason: 'replay', codeId: out[0]!.codeId, ...common });
    expect(out[2]).toMatchObject({ decision: 'reject', reason: 'issuer_cert_expired', format: 'jtt1179' });
    expect(out[3]).toEqual({ decision: 'reject', reason: 'malformed', format: 'jtt1179' });
    expect(out[4]).toMatchObject({ decision: 'accept', format: 'fg1', sub: rider.sub });
    expect(Object.keys(out[4]!)).toEqual(['decision', 'format', 'codeId', 'sub', 'cti', 'profile']);
    expect(out[5]).toEqual({ decision: 'reject', reason: 'malformed' });
  });

  it('without --jtt-roots a JT/T code stops at check 3; without --trust an FG1 code meets an empty trust list', async () => {
    const now = Math.floor(Date.now() / 1000);
    const noRoots = await verify(['--trust', DEV_TRUST], [JSON.stringify({ qr: code().toString('hex'), at: NOW })]);
    expect(jsonLines(noRoots.stdout)[0]).toMatchObject({
      decision: 'reject',
      reason: 'unknown_key',
      format: 'jtt1179',
    });
    const noTrust = await verify(['--jtt-roots', 'roots.json', '--now', String(now)], [makeRider().code(now)]);
    expect(jsonLines(noTrust.stdout)[0]).toMatchObject({ decision: 'reject', reason: 'unknown_key', format: 'fg1' });
  });

  it('--skew, --duplicate-window and --deny apply to JT/T codes', async () => {
    writeFileSync(join(dir, 'deny.json'), JSON.stringify({ sub: [], cti: ['50415930303030303030303030303031'] }));
    const c = code().toString('hex');
    const denied = await verify(
      ['--jtt-roots', 'roots.json', '--deny', 'deny.json'],
      [JSON.stringify({ qr: c, at: NOW })],
    );
    expect(jsonLines(denied.stdout)[0]).toMatchObject({ reason: 'denied' });
    const late = await verify(
      ['--jtt-roots', 'roots.json', '--skew', '5'],
      [JSON.stringify({ qr: c, at: NOW - 10 + 60 + 6 })],
    );
    expect(jsonLines(late.stdout)[0]).toMatchObject({ reason: 'code_expired' });
    const window = await verify(
      ['--jtt-roots', 'roots.json', '--duplicate-window', '0'],
      [JSON.stringify({ qr: c, at: NOW }), JSON.stringify({ qr: c, at: NOW + 1 })],
    );
    expect(jsonLines(window.stdout).map((o) => o.reason)).toEqual([undefined, 'replay']);
  });

  it.each([
    [{ roots: 'x' }, /JT\/T root-key file bad\.json is unusable: "roots" must be an array/],
    [
      {
        roots: [
          { index: 23, key: EXAMPLE_ROOT },
          { index: 23, key: EXAMPLE_ROOT },
        ],
      },
      /index: 23 is repeated/,
    ],
    [{ roots: [{ index: 256, key: EXAMPLE_ROOT }] }, /index: must be an integer 0-255/],
    [{ roots: [{ index: 1, key: '02' + '00'.repeat(31) + '05' }] }, /not a valid compressed SM2 point/],
    [{ roots: [{ index: 1, key: '04' + '11'.repeat(64) }] }, /not a point on the SM2 curve/],
    [{ roots: [{ index: 1, key: 'abc' }] }, /not hex/],
    // Every problem, on the one line.
    [{ roots: [{ index: 256, key: 'abc' }] }, /roots\[0\]\.index: must be an integer 0-255; roots\[0\]\.key: not hex/],
  ])('an unusable root file exits 2 with what is wrong: %j', async (file, message) => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(file));
    const r = await verify(['--jtt-roots', 'bad.json'], [EXAMPLE_HEX]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('a root key may be given as 64 bytes X ‖ Y (as validators store it) or 65 bytes 04 ‖ X ‖ Y', async () => {
    const { decompress } = await import('../../src/token/jtt/sm2.ts');
    const p = decompress(Buffer.from(EXAMPLE_ROOT, 'hex'))!;
    const xy = p.x.toString(16).padStart(64, '0') + p.y.toString(16).padStart(64, '0');
    for (const key of [xy, '04' + xy.toUpperCase()]) {
      writeFileSync(join(dir, 'xy.json'), JSON.stringify({ roots: [{ index: 23, key, label: 'example' }], other: 1 }));
      const r = await verify(['--jtt-roots', 'xy.json'], [JSON.stringify({ qr: EXAMPLE_HEX, at: 1767225610 })]);
      expect(r.stdout).toBe(EXAMPLE_LINE + '\n');
    }
  });
});

describe('faregate inspect, a JT/T code', () => {
  it('prints the §7 example’s fields unverified, without its signatures', async () => {
    const r = await runFaregate(['inspect', EXAMPLE_HEX], { cwd: dir });
    expect([r.code, r.stderr]).toEqual([0, '']);
    const o = jsonLines(r.stdout)[0]!;
    expect(o).toMatchObject({
      verified: false,
      format: 'jtt1179',
      codeId: 'db2028e71b5ed7997632221573e232db',
      certificate: { rootIndex: 23, issuerId: '12345678', expiry: '12/2030', expiryEndIso: '2030-12-31T23:59:59.000Z' },
      code: {
        sub: '31000000000000000001',
        cti: '50415930303030303030303030303031',
        cap: 2000,
        cardType: 1,
        validity: 60,
        ts: 1767225600,
      },
    });
    expect(r.stdout).not.toContain(EXAMPLE_HEX.slice(-128));
  });

  it('says which rule a malformed JT/T code breaks, exit 1', async () => {
    const r = await runFaregate(['inspect', EXAMPLE_HEX.slice(0, -2)], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/JT\/T code: 348 bytes, but L = 17 makes 349/);
  });
});
