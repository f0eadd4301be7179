/**
 * Test harness for firmware-sim: the real validator core (src/token/validator.ts) with the dev
 * trust and deny lists, a byte splitter, and a recorder that decides every frame as it arrives
 * and pairs it with what the simulator said it would be.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { denyListFromJson } from '../../src/lists/denyFile.ts';
import { trustListFromJson } from '../../src/lists/trustFile.ts';
import { stripFrame } from '../../src/token/frame.ts';
import type { Mode, ValidationParams } from '../../src/token/params.ts';
import { RideCodeValidator, type Decision } from '../../src/token/validator.ts';
import type { SentEvent, ScannerSimulator } from '../../firmware-sim/simulator.ts';

const devFile = (name: string) =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../config/dev/${name}`, import.meta.url)), 'utf8')) as unknown;

export function devValidator(mode: Mode = 'bus', params: Partial<ValidationParams> = {}): RideCodeValidator {
  return new RideCodeValidator({
    trust: trustListFromJson(devFile('trust.json')),
    deny: denyListFromJson(devFile('deny.json')),
    params: { ...params, mode },
  });
}

/** Splits a byte stream on a delimiter (CR by default); calls `onFrame` with each frame without it. */
export class Splitter {
  private buf = Buffer.alloc(0);
  constructor(
    private readonly onFrame: (frame: Buffer) => void,
    private readonly delimiter: Buffer = Buffer.from('\r'),
  ) {}
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    let i: number;
    while ((i = this.buf.indexOf(this.delimiter)) >= 0) {
      const frame = this.buf.subarray(0, i);
      this.buf = this.buf.subarray(i + this.delimiter.length);
      this.onFrame(Buffer.from(frame));
    }
  }
  get pending(): number {
    return this.buf.length;
  }
}

export interface Received {
  frame: Buffer;
  decision: Decision;
}

/**
 * Collects the simulator's 'sent' (and 'noise') announcements and the frames a reader receives;
 * each received frame is decided at once (real clock), in arrival order.
 */
export class Recorder {
  readonly announced: Array<{ kind: 'frame'; e: SentEvent } | { kind: 'noise'; data: Buffer }> = [];
  readonly received: Received[] = [];
  constructor(
    sim: ScannerSimulator,
    readonly validator: RideCodeValidator,
  ) {
    sim.on('sent', (e) => this.announced.push({ kind: 'frame', e }));
    sim.on('noise', (e) => this.announced.push({ kind: 'noise', data: e.data }));
  }
  onFrame = (frame: Buffer): void => {
    this.received.push({ frame, decision: this.validator.decide(stripFrame(frame.toString('latin1'))) });
  };
  get sentFrames(): SentEvent[] {
    return this.announced.flatMap((a) => (a.kind === 'frame' ? [a.e] : []));
  }
  /** Every announced item next to what was received at the same position. */
  pairs(): Array<{ announced: Recorder['announced'][number]; got: Received | undefined }> {
    return this.announced.map((a, i) => ({ announced: a, got: this.received[i] }));
  }
  /** Human-readable mismatches (empty when every decision is as labelled). */
  mismatches(): string[] {
    const out: string[] = [];
    if (this.received.length !== this.announced.length)
      out.push(`received ${this.received.length} frames, announced ${this.announced.length}`);
    this.pairs().forEach(({ announced: a, got }, i) => {
      if (!got) return;
      if (a.kind === 'noise') {
        if (got.decision.decision !== 'reject' || got.decision.reason !== 'malformed')
          out.push(`#${i} noise → ${got.decision.decision} ${got.decision.reason}`);
        return;
      }
      const e = a.e;
      const sameBytes = got.frame.equals(e.data.subarray(0, got.frame.length));
      if (!sameBytes) out.push(`#${e.n} ${e.scenario}: received bytes differ from the ones sent`);
      if (got.decision.decision !== e.expect.decision || got.decision.reason !== e.expect.reason)
        out.push(
          `#${e.n} ${e.scenario}/${e.variant ?? ''} expected ${e.expect.decision} ${e.expect.reason ?? ''}, got ${got.decision.decision} ${got.decision.reason ?? ''} (${got.decision.detail ?? ''})`,
        );
      if (e.codeId && got.decision.codeId !== e.codeId) out.push(`#${e.n} codeId ${got.decision.codeId} ≠ ${e.codeId}`);
    });
    return out;
  }
}

export function openReader(path: string, onData: (d: Buffer) => void): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
    port.on('data', onData);
    port.on('error', () => {});
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

export function closeReader(port: SerialPort | undefined): Promise<void> {
  return new Promise((resolve) => (port?.isOpen ? port.close(() => resolve()) : resolve()));
}

export async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
