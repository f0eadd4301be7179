/**
 * Where the simulated scanner writes its bytes:
 * - pty (default): a socat pair of pseudo-terminals, `<dir>/scanner` (the service opens it as its
 *   serial port) and `<dir>/sim` (the simulator writes here). Unplug kills socat; replug starts
 *   it again with the same link names (the pts numbers may change, the paths do not).
 * - device: any serial device or path, opened with serialport.
 * - tcp: a TCP server; the service connects to tcp://host:port as a client and every connected
 *   client receives the frames. Unplug drops the clients and stops accepting for a while.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { readdir, readlink, realpath } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';

export interface OutputEvents {
  /** Something worth a line in the log (not an error). */
  info: [message: string];
  /** A TCP client connected. */
  client: [remote: string];
  /** A TCP client went away. */
  'client-gone': [remote: string];
}

export interface Output extends EventEmitter<OutputEvents> {
  readonly kind: 'pty' | 'device' | 'tcp';
  /** What the service should open: a path, or tcp://host:port. Known after open(). */
  readonly target: string;
  open(): Promise<void>;
  /** Whether a write would reach a reader now (tcp: a client is connected; pty: the service has the port open). */
  isReady(): Promise<boolean>;
  /** Resolves when a write will reach a reader. Rejects on abort. */
  whenReady(signal?: AbortSignal): Promise<void>;
  /** Writes and waits until the bytes left the process. Returns how many receivers got them. */
  write(data: Buffer): Promise<number>;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
  /** Last-resort synchronous clean-up for process exit (kills child processes). */
  killSync(): void;
}

export type OutputSpec =
  | { kind: 'pty'; dir?: string; baudRate?: number; socat?: string; waitForReader?: boolean }
  | { kind: 'device'; path: string; baudRate?: number }
  | { kind: 'tcp'; port: number; host?: string };

export function createOutput(spec: OutputSpec): Output {
  switch (spec.kind) {
    case 'pty':
      return new PtyOutput(spec);
    case 'device':
      return new DeviceOutput(spec.path, spec.baudRate ?? 9600);
    case 'tcp':
      return new TcpOutput(spec.port, spec.host ?? '127.0.0.1');
  }
}

function openPort(path: string, baudRate: number): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.open((err) => (err ? reject(new Error(`cannot open ${path}: ${err.message}`)) : resolve(port)));
  });
}

function closePort(port: SerialPort | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!port || !port.isOpen) return resolve();
    port.close(() => resolve());
  });
}

function writePort(port: SerialPort, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    port.write(data, (err) => {
      if (err) return reject(err);
      port.drain((e) => (e ? reject(e) : resolve()));
    });
  });
}

const resolved = Promise.resolve();

/** Pause between seeing a new reader on the pty and writing to it. */
export const READER_SETTLE_MS = 250;

/** A serial device (or any path serialport can open). */
export class DeviceOutput extends EventEmitter<OutputEvents> implements Output {
  readonly kind = 'device' as const;
  private port: SerialPort | undefined;
  constructor(
    readonly target: string,
    private readonly baudRate: number,
  ) {
    super();
  }
  async open(): Promise<void> {
    this.port = await openPort(this.target, this.baudRate);
    this.port.on('error', (e) => this.emit('info', `serial error on ${this.target}: ${e.message}`));
  }
  async isReady(): Promise<boolean> {
    return true;
  }
  whenReady(): Promise<void> {
    return resolved;
  }
  async write(data: Buffer): Promise<number> {
    if (!this.port?.isOpen) throw new Error(`${this.target} is not open`);
    await writePort(this.port, data);
    return 1;
  }
  async unplug(): Promise<void> {
    await closePort(this.port);
    this.port = undefined;
  }
  async replug(): Promise<void> {
    await this.open();
  }
  async close(): Promise<void> {
    await this.unplug();
  }
  killSync(): void {}
}

/** A socat pseudo-terminal pair; the service opens `<dir>/scanner`. */
export class PtyOutput extends EventEmitter<OutputEvents> implements Output {
  readonly kind = 'pty' as const;
  readonly dir: string;
  readonly scannerPath: string;
  readonly simPath: string;
  private readonly ownsDir: boolean;
  private readonly baudRate: number;
  private readonly socatBin: string;
  private socat: ChildProcess | undefined;
  private port: SerialPort | undefined;
  private closed = false;

  private readonly waitForReader: boolean;
  private readerSeenAt = 0;

  constructor(o: { dir?: string; baudRate?: number; socat?: string; waitForReader?: boolean } = {}) {
    super();
    this.waitForReader = o.waitForReader ?? true;
    this.ownsDir = o.dir === undefined;
    this.dir = o.dir ?? mkdtempSync(join(tmpdir(), 'faregate-sim-'));
    this.scannerPath = join(this.dir, 'scanner');
    this.simPath = join(this.dir, 'sim');
    this.baudRate = o.baudRate ?? 9600;
    this.socatBin = o.socat ?? (existsSync('/usr/bin/socat') ? '/usr/bin/socat' : 'socat');
  }

  get target(): string {
    return this.scannerPath;
  }

  /** Pid of the running socat (for tests). */
  get socatPid(): number | undefined {
    return this.socat?.exitCode === null ? this.socat.pid : undefined;
  }

  async open(): Promise<void> {
    await this.startSocat();
    this.port = await openPort(this.simPath, this.baudRate);
    this.port.on('error', (e) => this.emit('info', `pty error: ${e.message}`));
  }

  private removeLinks(): void {
    for (const p of [this.scannerPath, this.simPath]) {
      try {
        unlinkSync(p);
      } catch {
        /* not there */
      }
    }
  }

  private startSocat(): Promise<void> {
    this.removeLinks();
    const args = ['-d', '-d', `pty,raw,echo=0,link=${this.scannerPath}`, `pty,raw,echo=0,link=${this.simPath}`];
    const child = spawn(this.socatBin, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.socat = child;
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (log.length < 8192) log += d;
    });
    child.on('exit', (code, signal) => {
      if (this.socat === child && !this.closed) {
        this.socat = undefined;
        this.emit('info', `socat exited unexpectedly (${signal ?? code}); it will be restarted on the next write`);
      }
    });
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          return reject(
            new Error(
              `socat exited before the pty was ready: ${log.trim() || `(${child.signalCode ?? child.exitCode})`}`,
            ),
          );
        }
        if (log.includes('starting data transfer loop') && existsSync(this.scannerPath) && existsSync(this.simPath))
          return resolve();
        if (Date.now() - started > 5000) {
          child.kill('SIGKILL');
          return reject(new Error(`socat did not create the pty links within 5 s: ${log.trim()}`));
        }
        setTimeout(check, 10);
      };
      child.once('error', (e) => reject(new Error(`cannot start socat (${this.socatBin}): ${e.message}`)));
      check();
    });
  }

  private async stopSocat(): Promise<void> {
    const child = this.socat;
    this.socat = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => child.kill('SIGKILL'), 2000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
    this.removeLinks();
  }

  /**
   * Processes other than socat that hold the scanner side open (Linux: /proc/<pid>/fd), or
   * undefined where that cannot be known (no /proc): then writes are never held back.
   */
  async readers(): Promise<number | undefined> {
    let pids: string[];
    let real: string;
    try {
      pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
      real = await realpath(this.scannerPath);
    } catch {
      return existsSync('/proc/self/fd') ? 0 : undefined;
    }
    const socat = String(this.socat?.pid ?? -1);
    let n = 0;
    await Promise.all(
      pids.map(async (pid) => {
        if (pid === socat) return;
        let fds: string[];
        try {
          fds = await readdir(`/proc/${pid}/fd`);
        } catch {
          return;
        }
        for (const fd of fds) {
          try {
            if ((await readlink(`/proc/${pid}/fd/${fd}`)) === real) {
              n++;
              return;
            }
          } catch {
            /* closed meanwhile */
          }
        }
      }),
    );
    return n;
  }

  /** True when the service has the scanner side open (checked at most once a second while it does). */
  async isReady(): Promise<boolean> {
    if (!this.waitForReader) return true;
    if (Date.now() - this.readerSeenAt < 1000) return true;
    const n = await this.readers();
    if (n === undefined || n > 0) {
      this.readerSeenAt = Date.now();
      return true;
    }
    return false;
  }

  async whenReady(signal?: AbortSignal): Promise<void> {
    let waited = false;
    while (!(await this.isReady())) {
      if (signal?.aborted) throw new Error('aborted');
      waited = true;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The reader has just opened the port: serialport (and most serial code) sets the line up and
    // flushes its input right after open(), so give it a moment before the first byte.
    if (waited) await new Promise((r) => setTimeout(r, READER_SETTLE_MS));
  }

  async write(data: Buffer): Promise<number> {
    if (!this.socat || !this.port?.isOpen) {
      // socat died on its own (or the port closed): bring the pair back, same paths.
      await closePort(this.port);
      await this.stopSocat();
      await this.open();
    }
    await writePort(this.port!, data);
    return 1;
  }

  async unplug(): Promise<void> {
    await closePort(this.port);
    this.port = undefined;
    this.readerSeenAt = 0;
    this.closed = true;
    await this.stopSocat();
    this.closed = false;
  }

  async replug(): Promise<void> {
    await this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    await closePort(this.port);
    this.port = undefined;
    await this.stopSocat();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  killSync(): void {
    this.closed = true;
    try {
      this.socat?.kill('SIGKILL');
    } catch {
      /* gone */
    }
    this.removeLinks();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A TCP server the service connects to. */
export class TcpOutput extends EventEmitter<OutputEvents> implements Output {
  readonly kind = 'tcp' as const;
  private server: Server | undefined;
  private readonly clients = new Set<Socket>();
  private boundPort: number;

  constructor(
    port: number,
    readonly host: string,
  ) {
    super();
    this.boundPort = port;
  }

  get port(): number {
    return this.boundPort;
  }

  get target(): string {
    return `tcp://${this.host}:${this.boundPort}`;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  open(): Promise<void> {
    const server = createServer((sock) => this.accept(sock));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.host, () => {
        server.off('error', reject);
        server.on('error', (e) => this.emit('info', `tcp server error: ${e.message}`));
        const a = server.address();
        if (a && typeof a === 'object') this.boundPort = a.port;
        resolve();
      });
    });
  }

  private accept(sock: Socket): void {
    const remote = `${sock.remoteAddress}:${sock.remotePort}`;
    sock.setNoDelay(true);
    this.clients.add(sock);
    // Anything the service sends (it should send nothing) is read and dropped.
    sock.on('data', () => {});
    sock.on('error', () => {});
    sock.on('close', () => {
      if (this.clients.delete(sock)) this.emit('client-gone', remote);
    });
    this.emit('client', remote);
  }

  async isReady(): Promise<boolean> {
    return this.clients.size > 0;
  }

  whenReady(signal?: AbortSignal): Promise<void> {
    if (this.clients.size > 0) return resolved;
    return new Promise((resolve, reject) => {
      const onClient = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.off('client', onClient);
        reject(new Error('aborted'));
      };
      this.once('client', onClient);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async write(data: Buffer): Promise<number> {
    const targets = [...this.clients].filter((s) => s.writable);
    await Promise.all(
      targets.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.write(data, () => resolve());
          }),
      ),
    );
    return targets.length;
  }

  async unplug(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.clients) s.destroy();
    this.clients.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async replug(): Promise<void> {
    await this.open();
  }

  async close(): Promise<void> {
    await this.unplug();
  }

  killSync(): void {
    for (const s of this.clients) s.destroy();
    this.server?.close();
  }
}
