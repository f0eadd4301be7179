import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runFaregate } from '../support/cli.ts';

const NOW = 1_800_000_000;
let dir: string;
let code1: string;
let code2: string;
let codeEs: string;

async function ok(args: string[], input?: string) {
  const r = await runFaregate(args, { cwd: dir, ...(input !== undefined ? { input } : {}) });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'faregate-cli-'));
  await ok(['keys', 'generate', '--alg', 'EdDSA', '--out', 'issuer.jwk.json', '--public-out', 'issuer.pub.json']);
  await ok(['keys', 'generate', '--alg', 'ES256', '--out', 'issuer2.jwk.json', '--public-out', 'issuer2.pub.json']);
  await ok(['keys', 'generate', '--alg', 'EdDSA', '--out', 'rider.jwk.json', '--public-out', 'rider.pub.json']);
  await ok(['keys', 'generate', '--alg', 'ES256', '--out', 'rider2.jwk.json', '--public-out', 'rider2.pub.json']);
  await ok([
    'trust',
    'build',
    '--key',
    'issuer.pub.json',
    '--key',
    'issuer2.pub.json',
    '--nbf',
    String(NOW - 86400),
    '--out',
    'trust.json',
  ]);
  await ok([
    'issue',
    '--issuer',
    'issuer.jwk.json',
    '--rider',
    'rider.pub.json',
    '--sub',
    'A1B2C3',
    '--cti',
    '0102',
    '--iat',
    String(NOW - 60),
    '--exp',
    String(NOW + 86400),
    '--profile',
    '2',
    '--modes',
    'bus',
    '--out',
    'cred.txt',
  ]);
  await ok([
    'issue',
    '--issuer',
    'issuer2.jwk.json',
    '--rider',
    'rider2.pub.json',
    '--sub',
    'ffee',
    '--iat',
    String(NOW - 60),
    '--untagged',
    '--out',
    'cred2.txt',
  ]);
  code1 = (
    await ok(['code', '--credential', 'cred.txt', '--rider', 'rider.jwk.json', '--seq', '1', '--ts', String(NOW)])
  ).trim();
  code2 = (
    await ok(['code', '--credential', 'cred.txt', '--rider', 'rider.jwk.json', '--seq', '2', '--ts', String(NOW + 10)])
  ).trim();
  codeEs = (
    await ok([
      'code',
      '--credential',
      'cred2.txt',
      '--rider',
      'rider2.jwk.json',
      '--seq',
      '7',
      '--ts',
      String(NOW),
      '--untagged',
    ])
  ).trim();
}, 60_000);

describe('faregate keys generate', () => {
  it('writes the private key with mode 0600 and prints only the public key', async () => {
    const out = await ok(['keys', 'generate', '--alg', 'ES256', '--out', 'k.jwk.json']);
    expect(statSync(join(dir, 'k.jwk.json')).mode & 0o777).toBe(0o600);
    const printed = JSON.parse(out) as Record<string, unknown>;
    expect(printed.d).toBeUndefined();
    expect(printed).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    const stored = JSON.parse(readFileSync(join(dir, 'k.jwk.json'), 'utf8')) as Record<string, unknown>;
    expect(typeof stored.d).toBe('string');
    expect(stored.kid).toBe(printed.kid);
  });
});

describe('faregate verify', () => {
  it('decides a sequence with one shared replay memory: accept, duplicate, replay, next code accepted', async () => {
    const input =
      [
        code1,
        code1,
        `{"qr": ${JSON.stringify(code1)}, "at": ${NOW + 5}}`,
        `{"qr": ${JSON.stringify(code2)}, "at": ${NOW + 10}}`,
      ].join('\n') + '\n';
    const out = jsonLines(await ok(['verify', '--trust', 'trust.json', '--now', String(NOW)], input));
    expect(out.map((o) => [o.decision, o.reason])).toEqual([
      ['accept', undefined],
      ['ignore', 'duplicate'],
      ['reject', 'replay'],
      ['accept', undefined],
    ]);
    expect(out[0]).toEqual({
      decision: 'accept',
      format: 'fg1',
      codeId: expect.stringMatching(/^[0-9a-f]{32}$/),
      sub: 'a1b2c3',
      cti: '0102',
      profile: 2,
    });
    expect(Object.keys(out[0]!)).toEqual(['decision', 'format', 'codeId', 'sub', 'cti', 'profile']);
  });

  it('strips CRLF and an AIM ]Q1 prefix like the scanner layer, and answers every line in order', async () => {
    const input = `]Q1${code1}\r\n\n{not json\n${'A'.repeat(2000)}\n${codeEs}`;
    const out = jsonLines(await ok(['verify', '--trust', 'trust.json', '--now', String(NOW)], input));
    expect(out.map((o) => `${o.decision as string}:${(o.reason as string | undefined) ?? ''}`)).toEqual([
      'accept:',
      'reject:malformed',
      'reject:malformed',
      'reject:malformed',
      'accept:',
    ]);
    expect(out[2]).toEqual({ decision: 'reject', reason: 'malformed' });
    expect(out[4]).toMatchObject({ sub: 'ffee', profile: 0 });
  });

  it('applies --mode, --deny, --code-validity and --skew', async () => {
    writeFileSync(join(dir, 'deny.json'), JSON.stringify({ sub: ['FFEE'], cti: [] }));
    const metro = jsonLines(
      await ok(['verify', '--trust', 'trust.json', '--mode', 'metro', '--now', String(NOW)], code1 + '\n'),
    );
    expect(metro[0]).toMatchObject({ decision: 'reject', reason: 'mode_not_allowed' });
    const denied = jsonLines(
      await ok(['verify', '--trust', 'trust.json', '--deny', 'deny.json', '--now', String(NOW)], codeEs + '\n'),
    );
    expect(denied[0]).toMatchObject({ decision: 'reject', reason: 'denied', sub: 'ffee' });
    const late = String(NOW + 20 + 5 + 1);
    const expired = jsonLines(
      await ok(
        ['verify', '--trust', 'trust.json', '--now', late, '--code-validity', '20', '--skew', '5'],
        code1 + '\n',
      ),
    );
    expect(expired[0]).toMatchObject({ decision: 'reject', reason: 'code_expired' });
  });

  it('rejects codes from an issuer that is not in the trust list', async () => {
    await ok(['trust', 'build', '--key', 'issuer2.pub.json', '--out', 'trust2.json']);
    const out = jsonLines(await ok(['verify', '--trust', 'trust2.json', '--now', String(NOW)], code1 + '\n'));
    expect(out[0]).toMatchObject({ decision: 'reject', reason: 'unknown_key' });
  });

  it.each([
    [['verify'], /give --trust, --jtt-roots or both/],
    [['verify', '--trust', 'missing.json'], /trust list missing\.json: no such file/],
    [['verify', '--trust', 'trust.json', '--mode', 'tram'], /--mode/],
    [['verify', '--trust', 'trust.json', '--now', 'soon'], /--now/],
    [['verify', '--trust', 'trust.json', '--now', ''], /--now: must be a number/],
    [['verify', '--trust', 'trust.json', '--skew', ' 0x3e8'], /--skew: must be a number/],
    [['verify', '--trust', 'trust.json', '--bogus'], /unknown option --bogus/],
    [['verify', '--trust', 'dup.json'], /repeated kid/],
    [['verify', '--trust', 'trust.json', '--deny', 'baddeny.json'], /deny list baddeny\.json is unusable: sub\.0/],
    [['verify', '--trust', 'notjson.json'], /not valid JSON/],
  ])(
    'exits 2 with a one-line message (then the usage, for an argument) for unusable arguments or files: %j',
    async (args, message) => {
      const pub = JSON.parse(readFileSync(join(dir, 'issuer.pub.json'), 'utf8')) as object;
      writeFileSync(join(dir, 'dup.json'), JSON.stringify({ keys: [pub, pub] }));
      writeFileSync(join(dir, 'baddeny.json'), JSON.stringify({ sub: [42] }));
      writeFileSync(join(dir, 'notjson.json'), '{"keys": [');
      const r = await runFaregate(args, { cwd: dir, input: code1 + '\n' });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0]).toMatch(message);
      // An unusable file is one line; an argument error is followed by the usage.
      if (lines.length > 1)
        expect(lines.slice(1).join('\n')).toMatch(/^usage: faregate verify \[--trust FILE\] \[--jtt-roots FILE\]/);
    },
  );
});

describe('faregate inspect', () => {
  it('decodes both levels without checking signatures and never prints the whole code', async () => {
    const out = JSON.parse(await ok(['inspect', code1])) as Record<string, any>;
    expect(out.verified).toBe(false);
    expect(out.code).toMatchObject({ ts: NOW, seq: 1, alg: '-8' });
    expect(out.credential).toMatchObject({ sub: 'a1b2c3', cti: '0102', profile: 2, modes: 1, riderKey: 'OKP Ed25519' });
    expect(JSON.stringify(out)).not.toContain(code1.slice(4, 40));
    const bad = await runFaregate(['inspect', 'FG1:%%%'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect((JSON.parse(bad.stdout) as Record<string, unknown>).malformed).toMatch(/not base45/);
  });
});
