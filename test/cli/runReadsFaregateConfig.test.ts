/**
 * `faregate run` without --config uses the settings file named by FAREGATE_CONFIG; --config
 * wins over it; with neither, exit 2 with a message naming both.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAREGATE_BIN, REPO_ROOT, runFaregate } from '../support/cli.ts';
import { startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { busSettings } from '../support/serviceProcess.ts';

afterAll(async () => {
  await stopAllPtyPairs();
});

const envWithout = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const env = { ...process.env, ...extra };
  if (!('FAREGATE_CONFIG' in extra)) delete env.FAREGATE_CONFIG;
  return env;
};

describe('faregate run and FAREGATE_CONFIG', () => {
  it('neither --config nor FAREGATE_CONFIG: exit 2 naming both', async () => {
    for (const env of [envWithout(), envWithout({ FAREGATE_CONFIG: '' })]) {
      const r = await runFaregate(['run'], { env });
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(
        'faregate run: missing --config and FAREGATE_CONFIG is not set (the settings file, YAML or JSON)',
      );
    }
  });

  it('--config wins over FAREGATE_CONFIG; each is the file the settings are read from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-envcfg-'));
    writeFileSync(join(dir, 'bad.yaml'), 'deviceId: "has spaces"\n');
    const viaEnv = await runFaregate(['run'], { env: envWithout({ FAREGATE_CONFIG: join(dir, 'bad.yaml') }) });
    expect(viaEnv.code).toBe(3);
    expect(viaEnv.stderr).toContain(`configuration ${join(dir, 'bad.yaml')} has`);
    const both = await runFaregate(['run', '--config', join(dir, 'bad.yaml')], {
      env: envWithout({ FAREGATE_CONFIG: join(dir, 'missing.yaml') }),
    });
    expect(both.code).toBe(3);
    expect(both.stderr).toContain(`configuration ${join(dir, 'bad.yaml')} has`);
    expect(both.stderr).not.toContain('missing.yaml');
  });

  it('starts the service from the file FAREGATE_CONFIG names, and stops on SIGTERM with 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-envcfg-'));
    const scanner = await startPtyPair();
    const file = join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify(busSettings(scanner.a, join(dir, 'data'))));
    const child = spawn(process.execPath, [FAREGATE_BIN, 'run'], {
      cwd: REPO_ROOT,
      env: envWithout({ FAREGATE_CONFIG: file }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes('"scanner up"'), 'scanner up', 15_000);
      expect(out).toContain('"deviceId":"test-bus-1"');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
