/**
 * ByteTransport over TCP, as a client to a network scanner (or the simulator) at
 * tcp://host:port. TCP keepalive is on so a dead peer is noticed; the peer closing, a reset or
 * any socket error is 'lost' (at most once per open). `close()` is idempotent and never throws.
 */
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { silentLogger, type Logger } from '../platform/logger.ts';
import type { ByteTransport } from './types.ts';

export interface TcpTransportOptions {
  host: string;
  port: number;
  /** Give up connecting after this long (ms). Default 5000. */
  connectTimeoutMs?: number;
  /** Initial keepalive delay (ms). Default 5000. */
  keepAliveMs?: number;
  logger?: Logger;
}

interface Session {
  socket: Socket;
  lost: boolean;
  closed: Promise<void>;
}

export class TcpTransport extends EventEmitter<{ data: [Buffer]; lost: [reason: string] }> implements ByteTransport {
  readonly target: string;
  private readonly host: string;
  private readonly port: number;
  private readonly connectTimeoutMs: number;
  private readonly keepAliveMs: number;
  private readonly log: Logger;
  private session: Session | undefined;
  private opening = false;
  /** Aborts a connect in progress (close() during open()). */
  private abortConnect: ((err: Error) => void) | undefined;

  constructor(options: TcpTransportOptions) {
    super();
    if (typeof options.host !== 'string' || options.host.length === 0) throw new TypeError('host is required');
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)
      throw new TypeError('port must be 1..65535');
    this.host = options.host;
    this.port = options.port;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.keepAliveMs = options.keepAliveMs ?? 5000;
    this.target = `tcp://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    this.log = (options.logger ?? silentLogger).child({ component: 'tcp-transport' });
  }

  async open(): Promise<void> {
    if (this.session !== undefined || this.opening) throw new Error(`${this.target} is already open`);
    this.opening = true;
    try {
      const socket = await this.connect();
      let resolveClosed!: () => void;
      const session: Session = { socket, lost: false, closed: new Promise<void>((r) => (resolveClosed = r)) };
      socket.on('close', () => {
        resolveClosed();
        this.lose(session, 'connection closed');
      });
      socket.on('end', () => this.lose(session, 'peer closed the connection'));
      socket.on('error', (err: Error) => this.lose(session, `error: ${err.message}`));
      socket.on('data', (chunk: Buffer) => {
        if (this.session === session && !session.lost) this.emit('data', chunk);
      });
      this.session = session;
    } finally {
      this.opening = false;
    }
  }

  async close(): Promise<void> {
    this.abortConnect?.(new Error('closed while connecting'));
    const session = this.session;
    if (session === undefined) return;
    this.session = undefined;
    session.lost = true;
    session.socket.destroy();
    await session.closed;
  }

  private connect(): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const socket = connect({
        host: this.host,
        port: this.port,
        keepAlive: true,
        keepAliveInitialDelay: this.keepAliveMs,
        noDelay: true,
      });
      const timer = setTimeout(
        () => fail(new Error(`connect timeout after ${this.connectTimeoutMs} ms`)),
        this.connectTimeoutMs,
      );
      const fail = (err: Error): void => {
        this.abortConnect = undefined;
        clearTimeout(timer);
        socket.removeListener('connect', ok);
        socket.on('error', () => {});
        socket.destroy();
        reject(err);
      };
      const ok = (): void => {
        this.abortConnect = undefined;
        clearTimeout(timer);
        socket.removeListener('error', fail);
        socket.setKeepAlive(true, this.keepAliveMs);
        resolve(socket);
      };
      socket.once('connect', ok);
      socket.once('error', fail);
      this.abortConnect = fail;
    });
  }

  private lose(session: Session, reason: string): void {
    if (session.lost) return;
    session.lost = true;
    if (this.session !== session) return;
    this.log.debug({ reason }, 'tcp link lost');
    session.socket.destroy();
    this.emit('lost', reason);
  }
}
