/**
 * A relay or display board on a second serial port: one command line per outcome, e.g.
 * `OPEN go` / `REJECT refresh_code`, as many gate and bus-reader boards accept.
 */
import { SerialPort } from 'serialport';
import type { Logger } from '../platform/logger.ts';
import type { GateDriver, GateSignal } from './types.ts';

export interface SerialGateOptions {
  path: string;
  baudRate: number;
  commands: { open: string; reject: string; silent?: string };
  lineEnding: 'cr' | 'lf' | 'crlf';
}

const ENDINGS = { cr: '\r', lf: '\n', crlf: '\r\n' } as const;

export function renderCommand(template: string, s: GateSignal): string {
  return template
    .replaceAll('{tapId}', s.tapId ?? '')
    .replaceAll('{message}', s.message)
    .replaceAll('{text}', s.text)
    .replaceAll('{fare}', s.fare === undefined ? '' : String(s.fare));
}

export class SerialGate implements GateDriver {
  readonly name = 'serial';
  private port: SerialPort | undefined;
  constructor(
    private readonly o: SerialGateOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.ensureOpen().catch((e: Error) =>
      this.log.warn({ path: this.o.path, err: e.message }, 'gate board not reachable yet'),
    );
  }

  private ensureOpen(): Promise<SerialPort> {
    if (this.port?.isOpen) return Promise.resolve(this.port);
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: this.o.path, baudRate: this.o.baudRate, autoOpen: false });
      port.open((err) => {
        if (err) return reject(err);
        port.on('error', (e) => this.log.warn({ err: e.message }, 'gate board error'));
        port.on('close', () => {
          if (this.port === port) this.port = undefined;
        });
        this.port = port;
        resolve(port);
      });
    });
  }

  async signal(s: GateSignal): Promise<void> {
    const template =
      s.action === 'open'
        ? this.o.commands.open
        : s.action === 'reject'
          ? this.o.commands.reject
          : this.o.commands.silent;
    if (template === undefined) return;
    const port = await this.ensureOpen();
    const line = renderCommand(template, s) + ENDINGS[this.o.lineEnding];
    await new Promise<void>((resolve, reject) => {
      port.write(line, 'latin1', (err) => (err ? reject(err) : port.drain((e) => (e ? reject(e) : resolve()))));
    });
  }

  async stop(): Promise<void> {
    const p = this.port;
    this.port = undefined;
    if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
  }
}
