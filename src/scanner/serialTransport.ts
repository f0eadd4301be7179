/**
 * ByteTransport over a serial port (USB CDC-ACM scanners, RS-232 adapters), using `serialport`.
 *
 * Unplug detection does not rely on the port's 'close' event alone: besides 'close' (with
 * `err.disconnected`) and 'error', the device path is polled with fs.stat every `pollMs`; a path
 * that vanished, or that now names a different device (other inode / rdev, e.g. another adapter
 * took over a /dev/serial/by-id/... name), counts as lost. 'lost' is emitted at most once per
 * open, and the port is released when it happens. `close()` is idempotent and never throws.
 */
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import { silentLogger, type Logger } from '../platform/logger.ts';
import type { ByteTransport } from './types.ts';
import { errorMessage, systemErrorCode } from '../errors/faregateError.ts';
import { SETTING_DEFAULTS } from '../config/schema.ts';

export type DataBits = 5 | 6 | 7 | 8;
export type Parity = 'none' | 'even' | 'odd' | 'mark' | 'space';
export type StopBits = 1 | 1.5 | 2;

export interface SerialTransportOptions {
  /** Device path, e.g. /dev/ttyACM0 or /dev/serial/by-id/usb-...-if00 (symlinks are followed). */
  path: string;
  baudRate: number;
  dataBits?: DataBits;
  parity?: Parity;
  stopBits?: StopBits;
  /** How often the device path is checked while open (ms). Default 1000. */
  pollMs?: number;
  logger?: Logger;
}

interface DeviceIdentity {
  dev: number;
  ino: number;
  rdev: number;
}

/** One open of the port; events from an older open are ignored. */
interface Session {
  port: SerialPort;
  identity: DeviceIdentity | undefined;
  poll: NodeJS.Timeout | undefined;
  lost: boolean;
  closed: Promise<void> | undefined;
}

export class SerialTransport extends EventEmitter<{ data: [Buffer]; lost: [reason: string] }> implements ByteTransport {
  readonly target: string;
  private readonly opts: Required<Omit<SerialTransportOptions, 'logger'>>;
  private readonly log: Logger;
  private session: Session | undefined;

  constructor(options: SerialTransportOptions) {
    super();
    if (typeof options.path !== 'string' || options.path.length === 0) throw new TypeError('serial path is required');
    if (!Number.isInteger(options.baudRate) || options.baudRate <= 0)
      throw new TypeError('baudRate must be a positive integer');
    this.opts = {
      path: options.path,
      baudRate: options.baudRate,
      dataBits: options.dataBits ?? SETTING_DEFAULTS.serial.dataBits,
      parity: options.parity ?? SETTING_DEFAULTS.serial.parity,
      stopBits: options.stopBits ?? SETTING_DEFAULTS.serial.stopBits,
      pollMs: options.pollMs ?? 1000,
    };
    this.target = options.path;
    this.log = (options.logger ?? silentLogger).child({ component: 'serial-transport' });
  }

  async open(): Promise<void> {
    if (this.session !== undefined) throw new Error(`${this.target} is already open`);
    const port = new SerialPort({
      path: this.opts.path,
      baudRate: this.opts.baudRate,
      dataBits: this.opts.dataBits,
      parity: this.opts.parity,
      stopBits: this.opts.stopBits,
      autoOpen: false,
    });
    const session: Session = { port, identity: undefined, poll: undefined, lost: false, closed: undefined };
    // Listeners before open so nothing is missed; all of them check that this open is current.
    port.on('error', (err: Error) => this.lose(session, `error: ${err.message}`));
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      this.lose(session, err?.disconnected ? 'disconnected' : 'closed');
    });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    try {
      session.identity = identityOf(await stat(this.opts.path));
    } catch (err) {
      this.log.debug({ err: errorMessage(err) }, 'device path not stat-able right after open');
    }
    if (session.lost || session.identity === undefined) {
      await release(session);
      throw new Error(`${this.target} went away while opening`);
    }
    this.session = session;
    port.on('data', (chunk: Buffer) => {
      if (this.session === session && !session.lost) this.emit('data', chunk);
    });
    session.poll = setInterval(() => void this.check(session), this.opts.pollMs);
    session.poll.unref();
  }

  async close(): Promise<void> {
    const session = this.session;
    if (session === undefined) return;
    this.session = undefined;
    await release(session);
  }

  private async check(session: Session): Promise<void> {
    if (session.lost || this.session !== session) return;
    let reason: string | undefined;
    try {
      const now = identityOf(await stat(this.opts.path));
      const was = session.identity;
      if (was !== undefined && (now.ino !== was.ino || now.rdev !== was.rdev || now.dev !== was.dev)) {
        reason = 'a different device now sits at the path';
      }
    } catch (err) {
      reason = systemErrorCode(err) === 'ENOENT' ? 'device path vanished' : `device path: ${errorMessage(err)}`;
    }
    if (reason !== undefined) this.lose(session, reason);
  }

  private lose(session: Session, reason: string): void {
    if (session.lost) return;
    session.lost = true;
    // Events of an open that never completed, or that was already closed, are not reported.
    if (this.session !== session) return;
    this.log.debug({ reason }, 'serial link lost');
    void release(session);
    this.emit('lost', reason);
  }
}

function release(session: Session): Promise<void> {
  session.lost = true;
  if (session.poll !== undefined) clearInterval(session.poll);
  session.poll = undefined;
  session.closed ??= new Promise<void>((resolve) => {
    const port = session.port;
    if (!port.isOpen) {
      // A port that was never opened, or that closed itself after a disconnect.
      resolve();
      return;
    }
    try {
      port.close(() => resolve());
    } catch {
      resolve();
    }
  }).then(() => {
    session.port.removeAllListeners('data');
  });
  return session.closed;
}

function identityOf(s: { dev: number; ino: number; rdev: number }): DeviceIdentity {
  return { dev: s.dev, ino: s.ino, rdev: s.rdev };
}
