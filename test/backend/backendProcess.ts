/**
 * A real `faregate backend` process (JSON logs on stdout), for tests and benchmarks that need
 * the whole process: SIGKILL it, start it again under the same client id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { FAREGATE_BIN, REPO_ROOT } from '../support/cli.ts';
import { DEV_BACKEND_ACK_KEY } from '../support/serviceProcess.ts';

export type BackendLine = Record<string, unknown> & { msg?: string };

export interface BackendProcessOptions {
  mqtt: string;
  db: string;
  clientId: string;
  sharedGroup?: string;
  /** Default: the TEST-ONLY dev ack key (signed acks). */
  ackKey?: string | false;
  /** More arguments, appended. */
  extraArgs?: string[];
  /** `--lanes` (MQTT 5 sessions in the shared group). Default 1. */
  lanes?: number;
  /** Default info (start waits for the info line `subscribed`). */
  logLevel?: 'info' | 'debug' | 'trace';
}

export class BackendProcess {
  readonly lines: BackendLine[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  private constructor(readonly opts: BackendProcessOptions) {
    const args = [FAREGATE_BIN, 'backend', '--mqtt', opts.mqtt, '--db', opts.db, '--client-id', opts.clientId];
    if (opts.sharedGroup) args.push('--shared-group', opts.sharedGroup);
    if (opts.lanes !== undefined) args.push('--lanes', String(opts.lanes));
    const key = opts.ackKey === undefined ? DEV_BACKEND_ACK_KEY : opts.ackKey;
    if (key) args.push('--ack-key', key);
    args.push('--log-level', opts.logLevel ?? 'info', ...(opts.extraArgs ?? []));
    this.child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as BackendLine);
        } catch {
          this.lines.push({ msg: line, unparsed: true });
        }
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  /** Starts the process and waits until every lane subscribed. */
  static async start(opts: BackendProcessOptions, timeoutMs = 20_000): Promise<BackendProcess> {
    const p = new BackendProcess(opts);
    try {
      const deadline = Date.now() + timeoutMs;
      await p.waitForLine((l) => l.msg === 'subscribed', 'subscribed', timeoutMs);
      while (p.count('subscribed') < (opts.lanes ?? 1)) {
        if (Date.now() > deadline || !p.alive) throw new Error(`lanes did not subscribe: ${p.stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    } catch (e) {
      await p.kill('SIGKILL');
      throw e;
    }
    return p;
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number {
    return this.child.pid!;
  }

  count(msg: string): number {
    return this.lines.filter((l) => l.msg === msg).length;
  }

  async waitForLine(pred: (l: BackendLine) => boolean, what: string, timeoutMs = 10_000): Promise<BackendLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`backend exited while waiting for ${what}; stderr: ${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; last lines: ${JSON.stringify(this.lines.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

const running = new Set<BackendProcess>();

/** SIGKILLs every backend process a test started and did not stop. */
export async function killAllBackends(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill('SIGKILL')));
}
