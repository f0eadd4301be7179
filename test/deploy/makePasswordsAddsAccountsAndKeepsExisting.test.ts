/**
 * docs/deploy/make-passwords.sh, run twice for real (mosquitto_passwd from the mosquitto package):
 * every secret is 0600 (the folder 0700), the second run adds the new account and keeps the first
 * run's accounts (same password files, same hashes), and all of them log in to a real Mosquitto
 * with the resulting password file.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';

const SCRIPT = join(REPO_ROOT, 'docs/deploy/make-passwords.sh');
const hasMosquittoPasswd = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v mosquitto_passwd'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const dirs: string[] = [];
let broker: Mosquitto | undefined;
afterAll(async () => {
  await broker?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of the script in its own folder (it writes next to itself: mosquitto/passwd, secrets/). */
function scriptCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'faregate-passwords-'));
  dirs.push(dir);
  copyFileSync(SCRIPT, join(dir, 'make-passwords.sh'));
  return dir;
}

const mode = (f: string): string => (statSync(f).mode & 0o777).toString(8);
const hashes = (passwd: string): Map<string, string> =>
  new Map(
    readFileSync(passwd, 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf(':')), l] as const),
  );

async function logsIn(url: string, username: string, password: string): Promise<boolean> {
  try {
    const c = await mqtt.connectAsync(url, {
      username,
      password,
      clientId: `pw-test-${username}-${Math.random().toString(36).slice(2, 8)}`,
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    await c.endAsync(true);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasMosquittoPasswd)('make-passwords.sh run twice', () => {
  it("writes 0600 secrets, adds the new account, keeps the first run's accounts working", async () => {
    const dir = scriptCopy();
    const run = (...args: string[]) =>
      execFileSync('sh', [join(dir, 'make-passwords.sh'), ...args], { encoding: 'utf8', env: { ...process.env } });
    const passwd = join(dir, 'mosquitto', 'passwd');
    const secrets = join(dir, 'secrets');

    const out1 = run();
    expect(out1).toContain('accounts added: backend operator monitor compose-bus-1');
    const first = hashes(passwd);
    expect([...first.keys()].sort()).toEqual(['backend', 'compose-bus-1', 'monitor', 'operator']);
    const firstPasswords = Object.fromEntries(
      [...first.keys()].map((u) => [u, readFileSync(join(secrets, `${u}.password`), 'utf8')]),
    );
    for (const pw of Object.values(firstPasswords)) expect(pw).toMatch(/^[A-Za-z0-9]{16,}$/);

    const out2 = run('compose-bus-1', 'compose-bus-2');
    expect(out2).toContain('accounts added: compose-bus-2');
    expect(out2).toContain('accounts kept: backend operator monitor compose-bus-1');
    const second = hashes(passwd);
    for (const [user, line] of first) expect(second.get(user), `${user} keeps its hash`).toBe(line);
    expect(second.has('compose-bus-2')).toBe(true);
    for (const [user, pw] of Object.entries(firstPasswords))
      expect(readFileSync(join(secrets, `${user}.password`), 'utf8')).toBe(pw);

    expect(mode(passwd)).toBe('600');
    expect(mode(secrets)).toBe('700');
    const files = readdirSync(secrets).filter((f) => f.endsWith('.password'));
    expect(files.sort()).toEqual(
      ['backend', 'compose-bus-1', 'compose-bus-2', 'monitor', 'operator'].map((u) => `${u}.password`),
    );
    for (const f of files) expect(mode(join(secrets, f)), f).toBe('600');

    broker = await startMosquitto({ passwordFile: passwd });
    for (const [user, pw] of Object.entries(firstPasswords))
      expect(await logsIn(broker.url, user, pw), `${user} logs in`).toBe(true);
    expect(
      await logsIn(broker.url, 'compose-bus-2', readFileSync(join(secrets, 'compose-bus-2.password'), 'utf8')),
    ).toBe(true);
    expect(await logsIn(broker.url, 'backend', 'not-the-password')).toBe(false);
  }, 30_000);

  it('refuses an account name that is not a plain name before writing anything, with a clear message', () => {
    const dir = scriptCopy();
    let stderr = '';
    let status: number | null = 0;
    try {
      execFileSync('sh', [join(dir, 'make-passwords.sh'), 'bus-1', 'bus;2'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      stderr = String((e as { stderr: string }).stderr);
      status = (e as { status: number | null }).status;
    }
    expect(status).toBe(2);
    expect(stderr).toContain('account name "bus;2" may only hold letters, digits');
    // Nothing was written, not even for the good name before it.
    expect(existsSync(join(dir, 'secrets'))).toBe(false);
    expect(existsSync(join(dir, 'mosquitto', 'passwd'))).toBe(false);
  });
});
