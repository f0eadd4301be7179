/**
 * The real `faregate` command as a child whose stdin stays open: a test writes a line, waits for
 * the answer line on stdout (or a timeout) and decides what to write next, as an interactive
 * producer would.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { FAREGATE_BIN, REPO_ROOT } from './cli.ts';

export class LineChild {
  readonly child: ChildProcessWithoutNullStreams;
  stderr = '';
  private buf = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [FAREGATE_BIN, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => {
      this.buf += d;
      let nl;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, nl));
        this.buf = this.buf.slice(nl + 1);
      }
      this.waiter?.();
    });
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.child.stdin.on('error', () => {}); // a child that has stopped reading: seen through its exit
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  write(text: string): void {
    this.child.stdin.write(text);
  }

  end(): void {
    this.child.stdin.end();
  }

  /** Output lines received so far and not yet taken. */
  get received(): number {
    return this.lines.length;
  }

  /** The next output line; rejects if none arrives within `timeoutMs`. */
  async nextLine(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no output line within ${timeoutMs} ms (stderr: ${this.stderr.slice(0, 300)})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.lines.shift()!;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
