/**
 * Runs the real validator service (`faregate run --config …`) as a child process with JSON logs,
 * and lets a test wait for log lines. The settings file is written to a temp folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAREGATE_BIN, REPO_ROOT } from './cli.ts';

export type LogLine = Record<string, unknown> & { msg?: string };

export const DEV_TRUST = join(REPO_ROOT, 'config/dev/trust.json');
export const DEV_DENY = join(REPO_ROOT, 'config/dev/deny.json');
/** The TEST-ONLY backend ack keys (settlement-mqtt-v1 Amendment 1): the public set and the private JWK. */
export const DEV_BACKEND_KEYS = join(REPO_ROOT, 'config/dev/backend-keys.json');
export const DEV_BACKEND_ACK_KEY = join(REPO_ROOT, 'config/dev/backend-ack-TEST-ONLY.jwk.json');

/**
 * With `mqtt`, the settlement section pins the dev backend keys (signed acks) unless it says
 * otherwise (its own `backendKeys`, or `acceptUnsignedAcks` for a test about v1 acks).
 */
export function withBackendKeys(extra: Record<string, unknown>): Record<string, unknown> {
  if (!extra.mqtt) return extra;
  const s = (extra.settlement ?? {}) as Record<string, unknown>;
  if (s.backendKeys !== undefined || s.acceptUnsignedAcks === true) return extra;
  return { ...extra, settlement: { ...s, backendKeys: DEV_BACKEND_KEYS } };
}
export const DEV_ISSUER = join(REPO_ROOT, 'config/dev/issuer-TEST-ONLY.jwk.json');

/** Settings for a bus reader on `scannerPath`, storing in `dataDir`; `extra` is merged on top. */
export function busSettings(
  scannerPath: string,
  dataDir: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    deviceId: 'test-bus-1',
    mode: 'bus',
    place: 'route-7',
    direction: 'board',
    scanner: { path: scannerPath, reconnect: { initialDelayMs: 100, maxDelayMs: 500 } },
    trust: { file: DEV_TRUST },
    deny: { file: DEV_DENY },
    dataDir,
    fare: { currency: 'CNY', bus: { adult: 200, child: 100, student: 100, senior: 0 } },
    gate: { driver: 'console' },
    log: { level: 'debug', format: 'json' },
    ...withBackendKeys(extra),
  };
}

const running = new Set<ServiceProcess>();

/** Kills every service a test started and did not stop (call from afterAll/afterEach). */
export async function killAllServices(): Promise<void> {
  await Promise.all([...running].map((s) => s.kill('SIGKILL')));
}

export class ServiceProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  private child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(settingsFile: string, env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [FAREGATE_BIN, 'run', '--config', settingsFile], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ msg: line, unparsed: true });
        }
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      }),
    );
    running.add(this);
  }

  static start(dir: string, settings: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): ServiceProcess {
    const file = join(dir, `settings-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(settings, null, 2));
    return new ServiceProcess(file, env);
  }

  get pid(): number {
    return this.child.pid!;
  }

  decisions(): LogLine[] {
    return this.lines.filter((l) => typeof l.decision === 'string');
  }

  /** Waits for a log line matching `pred` (looking at lines from index `from`). */
  async waitForLine(pred: (l: LogLine) => boolean, what: string, timeoutMs = 10_000, from = 0): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(from).find(pred);
      if (hit) return hit;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(
          `service exited (${this.child.exitCode ?? this.child.signalCode}) while waiting for ${what}; stderr: ${this.stderr}`,
        );
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; last lines: ${JSON.stringify(this.lines.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  waitForDecisions(n: number, timeoutMs = 10_000): Promise<LogLine[]> {
    return (async () => {
      const deadline = Date.now() + timeoutMs;
      while (this.decisions().length < n) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${n} decisions, have ${this.decisions().length}`);
        if (this.child.exitCode !== null) throw new Error(`service exited: ${this.stderr}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return this.decisions();
    })();
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
