/**
 * What a user gets from `npm pack` + `npm install -g ./faregate-*.tgz`: a `faregate` on PATH
 * that runs the compiled JavaScript (no tsx, no TypeScript), answers `--version`, and decides a
 * ride code with `verify`. The tarball holds no TEST-ONLY key and no test or source tree.
 *
 * dist/ is built by the test run's global setup (test/buildOnce.ts), so the pack skips `prepare`.
 * The install takes its dependencies from npm's cache (filled by `npm ci`), falling back to the
 * registry (a stalled request is retried after 30 s); better-sqlite3 and serialport bring their
 * prebuilt binaries inside their packages.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const work = mkdtempSync(path.join(tmpdir(), 'faregate-pack-'));
const prefix = path.join(work, 'prefix');
const bin = path.join(prefix, 'bin', 'faregate');
let tarball = '';
let listed: string[] = [];

function faregate(args: string[], input = ''): { code: number | null; stdout: string; stderr: string } {
  // PATH: the node running the tests (Node 24) first, as a user's shell would find it.
  const env = {
    ...process.env,
    PATH: `${path.join(prefix, 'bin')}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
  };
  const r = spawnSync(bin, args, { input, encoding: 'utf8', env, cwd: work, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const out = execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const info = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, info[0]!.filename);
  listed = info[0]!.files.map((f) => f.path);
  // A registry request that stalls is given up after 30 s and tried again (npm's default waits
  // 5 minutes for one, longer than this whole install may take): a CI run once timed out here.
  const patience = ['--fetch-timeout=30000', '--fetch-retries=5', '--fetch-retry-maxtimeout=20000'];
  execFileSync(
    npm,
    ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', ...patience, tarball],
    {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 240_000,
    },
  );
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack + npm install -g', () => {
  it('packs compiled JavaScript, the docs and the example settings, without test-only keys, secrets, sources or tests', () => {
    expect(listed).toContain('dist/src/cli/faregate.js');
    expect(listed).toContain('LICENSE');
    expect(listed).toContain('docs/spec/qr-token-v1.md');
    expect(listed).toContain('config/bus-reader.example.yaml');
    expect(listed).toContain('config/settings.schema.json');
    expect(listed).toContain('docs/deploy/faregate.service');
    const forbidden =
      /TEST-ONLY|^config\/dev\/|\.jwk\.json$|\.password$|mosquitto\/passwd$|\.sqlite|^test\/|^src\/|\.ts$|\.map$|tsbuildinfo/;
    expect(listed.filter((f) => forbidden.test(f))).toEqual([]);
  });

  it('puts a faregate on PATH that prints its version', () => {
    const r = faregate(['--version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    expect(r.stdout.trim()).toBe(version);
  });

  it('mints and verifies a ride code with the installed command alone', () => {
    const f = (name: string) => path.join(work, name);
    for (const [alg, name] of [
      ['EdDSA', 'issuer'],
      ['ES256', 'rider'],
    ] as const) {
      const r = faregate([
        'keys',
        'generate',
        '--alg',
        alg,
        '--out',
        f(`${name}.jwk.json`),
        '--public-out',
        f(`${name}.pub.json`),
      ]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(faregate(['trust', 'build', '--key', f('issuer.pub.json'), '--out', f('trust.json')]).code).toBe(0);
    const issued = faregate([
      'issue',
      '--issuer',
      f('issuer.jwk.json'),
      '--rider',
      f('rider.pub.json'),
      '--sub',
      'a1b2c3',
      '--profile',
      '2',
      '--modes',
      'bus',
      '--out',
      f('cred.txt'),
    ]);
    expect(issued.code, issued.stderr).toBe(0);
    const code = faregate(['code', '--credential', f('cred.txt'), '--rider', f('rider.jwk.json'), '--seq', '1']);
    expect(code.code, code.stderr).toBe(0);
    const verified = faregate(['verify', '--trust', f('trust.json')], code.stdout.trim() + '\nnot a ride code\n');
    expect(verified.code, verified.stderr).toBe(0);
    const lines = verified.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ decision: 'accept', sub: 'a1b2c3', profile: 2 });
    expect(lines[1]).toMatchObject({ decision: 'reject', reason: 'malformed' });
  });
});
