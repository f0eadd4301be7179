/**
 * `faregate keys generate` never replaces an existing --out or --public-out file without
 * --force (exit 2, the message names the file, nothing is written); with --force it replaces
 * both, the private part still 0600, and no temporary file is left behind.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFaregate } from '../support/cli.ts';

describe('keys generate and existing files', () => {
  it('refuses an existing --out, then an existing --public-out, and replaces both with --force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-keys-'));
    const gen = (...extra: string[]) =>
      runFaregate(['keys', 'generate', '--out', 'k.jwk.json', '--public-out', 'k.pub.json', ...extra], { cwd: dir });

    const first = await gen();
    expect(first.code, first.stderr).toBe(0);
    const priv1 = readFileSync(join(dir, 'k.jwk.json'), 'utf8');
    const pub1 = readFileSync(join(dir, 'k.pub.json'), 'utf8');

    const again = await gen();
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(
      'faregate keys generate: --out k.jwk.json already exists; not replacing it (give --force to replace it)\n',
    );
    expect(readFileSync(join(dir, 'k.jwk.json'), 'utf8')).toBe(priv1);

    // Only the public file is in the way: nothing is written, not even the new private key.
    const onlyPub = await runFaregate(['keys', 'generate', '--out', 'other.jwk.json', '--public-out', 'k.pub.json'], {
      cwd: dir,
    });
    expect(onlyPub.code).toBe(2);
    expect(onlyPub.stderr).toContain('--public-out k.pub.json already exists');
    expect(readdirSync(dir).sort()).toEqual(['k.jwk.json', 'k.pub.json']);

    const forced = await gen('--force');
    expect(forced.code, forced.stderr).toBe(0);
    const priv2 = readFileSync(join(dir, 'k.jwk.json'), 'utf8');
    expect(priv2).not.toBe(priv1);
    expect(readFileSync(join(dir, 'k.pub.json'), 'utf8')).not.toBe(pub1);
    expect(JSON.parse(readFileSync(join(dir, 'k.pub.json'), 'utf8'))).toEqual(JSON.parse(forced.stdout));
    expect((JSON.parse(priv2) as { kid: string }).kid).toBe((JSON.parse(forced.stdout) as { kid: string }).kid);
    expect(statSync(join(dir, 'k.jwk.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['k.jwk.json', 'k.pub.json']);
  });

  it('--force replaces a world-readable file with a 0600 one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-keys-'));
    writeFileSync(join(dir, 'k.jwk.json'), 'old', { mode: 0o644 });
    const r = await runFaregate(['keys', 'generate', '--alg', 'ES256', '--out', 'k.jwk.json', '--force'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(join(dir, 'k.jwk.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'k.jwk.json'), 'utf8'))).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      d: expect.any(String),
    });
  });
});
