/**
 * docs/deploy/faregate.service: `systemd-analyze verify` accepts it (where systemd-analyze exists;
 * the installed bin /usr/bin/faregate is allowed to be missing on the test machine), a settings
 * error (exit status 3) is not restarted forever, the service waits for synchronised time, the
 * hardening stays and ExecStart runs the installed bin.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CONFIG } from '../../src/config/load.ts';
import { REPO_ROOT } from '../support/cli.ts';

const UNIT = join(REPO_ROOT, 'docs/deploy/faregate.service');
const INSTALLED_BIN = '/usr/bin/faregate';

/** Directive → values, per section (comments and blank lines skipped). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    expect(eq, `not a directive: ${line}`).toBeGreaterThan(0);
    expect(current, `directive outside a section: ${line}`).toBeDefined();
    const key = line.slice(0, eq);
    current!.set(key, [...(current!.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

const unit = parseUnit(readFileSync(UNIT, 'utf8'));
const words = (section: string, key: string): string[] =>
  (unit.get(section)?.get(key) ?? []).flatMap((v) => v.split(/\s+/));

const systemdAnalyze = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();

describe('faregate.service', () => {
  it.skipIf(systemdAnalyze === '')('passes systemd-analyze verify', () => {
    const r = spawnSync(systemdAnalyze, ['verify', UNIT], { encoding: 'utf8', timeout: 30_000 });
    const problems = `${r.stdout}${r.stderr}`
      .split('\n')
      .filter((l) => l.trim() !== '')
      // The only accepted complaint: faregate is not installed on this machine.
      .filter((l) => existsSync(INSTALLED_BIN) || !l.includes(`Command ${INSTALLED_BIN} is not executable`));
    expect(problems).toEqual([]);
  });

  it('does not restart a settings error (exit status 3) every 2 s, but restarts everything else', () => {
    expect(EXIT_CONFIG).toBe(3);
    expect(words('Service', 'RestartPreventExitStatus')).toContain(String(EXIT_CONFIG));
    expect(words('Service', 'Restart')).toEqual(['always']);
  });

  it('starts after the clock is synchronised (ride codes are time-checked; a Pi has no RTC)', () => {
    expect(words('Unit', 'After')).toContain('time-sync.target');
    expect(words('Unit', 'Wants')).toContain('time-sync.target');
    expect(words('Unit', 'After')).toContain('network-online.target');
  });

  it('runs the installed bin as the faregate user with the hardening kept', () => {
    const exec = unit.get('Service')?.get('ExecStart') ?? [];
    expect(exec).toEqual([`${INSTALLED_BIN} run --config /etc/faregate/settings.yaml`]);
    expect(words('Service', 'User')).toEqual(['faregate']);
    expect(words('Service', 'SupplementaryGroups')).toContain('dialout');
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['ProtectKernelTunables', 'yes'],
      ['ProtectControlGroups', 'yes'],
      ['RestrictSUIDSGID', 'yes'],
      ['StateDirectory', 'faregate'],
    ] as const)
      expect(words('Service', key), key).toEqual([value]);
  });
});
