/**
 * The whole ValidatorService in process, without a broker, a pseudo-terminal or a child process:
 * a fake scanner transport that feeds frames, a recording gate driver, a manual clock (near real
 * time, so freshly minted codes are fresh) and the in-memory MQTT link on a MemoryBroker, with a
 * fake backend that acks batches (or withholds, duplicates, garbles acks). For rule tests; the
 * wire and the serial port are proven by the tests on the real broker and pseudo-terminals.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema, type Config } from '../../src/config/schema.ts';
import { TapBatchSchema } from '../../src/contract/settlement.ts';
import type { GateDriver, GateSignal } from '../../src/gate/types.ts';
import type { Logger } from '../../src/platform/logger.ts';
import type { ByteTransport } from '../../src/scanner/types.ts';
import { ValidatorService } from '../../src/service/validatorService.ts';
import { captureLogger } from '../support/captureLogger.ts';
import { devAckKey, signAck, type AckSigningKey } from '../support/independentBackend.ts';
import { MemoryBroker, MemoryMqttLink } from '../support/memoryMqtt.ts';
import { makeRider, type TestRider } from '../support/riders.ts';
import { busSettings } from '../support/serviceProcess.ts';

/** Real time plus what the test adds with `advance` (re-send timeouts, ages, retention). */
export class ManualClock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

/** A scanner link the test drives: `feed` writes bytes, `unplug`/`replug` take it away and back. */
export class FakeScanner extends EventEmitter<{ data: [Buffer]; lost: [reason: string] }> implements ByteTransport {
  readonly target = 'fake://scanner';
  plugged = true;
  opens = 0;
  private open_ = false;

  /** Frames waiting in the scanner when the link opens (sent right after the open). */
  pending: string[] = [];

  async open(): Promise<void> {
    if (!this.plugged) throw new Error('no such device');
    this.opens++;
    this.open_ = true;
    const waiting = this.pending.splice(0);
    if (waiting.length) setImmediate(() => this.feed(...waiting));
  }
  async close(): Promise<void> {
    this.open_ = false;
  }
  get isOpen(): boolean {
    return this.open_;
  }
  /** Raw bytes as the scanner sends them (latin1), terminators included. */
  write(bytes: string): void {
    this.emit('data', Buffer.from(bytes, 'latin1'));
  }
  /** One frame per text, CR-terminated. */
  feed(...texts: string[]): void {
    for (const t of texts) this.emit('data', Buffer.from(`${t}\r`, 'latin1'));
  }
  unplug(): void {
    this.plugged = false;
    if (this.open_) {
      this.open_ = false;
      this.emit('lost', 'unplugged');
    }
  }
  replug(): void {
    this.plugged = true;
  }
}

export class RecordingGate implements GateDriver {
  readonly name = 'recording';
  readonly signals: GateSignal[] = [];
  started = false;
  stopped = false;
  async start(): Promise<void> {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  async signal(s: GateSignal): Promise<void> {
    this.signals.push(s);
  }
}

export interface BackendFaults {
  /** Acks are withheld while false. */
  acking: boolean;
  /** Each ack is sent this many times. */
  copies: number;
  /** The first N acks are dropped. */
  dropFirst: number;
  /** A malformed payload goes out before each ack. */
  malformedBefore: boolean;
}

/** A fake backend on the memory broker: settles each tap id once and acks batches by id. */
export class MemoryBackend {
  readonly settled = new Set<string>();
  readonly receipts = new Map<string, number>();
  readonly faults: BackendFaults = { acking: true, copies: 1, dropFirst: 0, malformedBefore: false };
  batches = 0;
  acksSent = 0;
  acksDropped = 0;
  malformedSent = 0;
  readonly sentAcks: { batchId: string; tapIds: string[]; payload: string }[] = [];
  /** Tap ids to put in `rejected` instead of `tapIds` (signed acks only). */
  readonly reject = new Set<string>();

  /** `signer`: signed acks (settlement-mqtt-v1 Amendment 1) with that key; absent: v1 acks. */
  constructor(
    private readonly broker: MemoryBroker,
    private readonly link: MemoryMqttLink,
    readonly signer?: AckSigningKey,
  ) {
    broker.watch(link.topics.taps, (payload) => this.onBatch(payload));
  }

  /** Batches that broke the contract (a test fails on them). */
  readonly invalid: string[] = [];

  private onBatch(payload: Buffer): void {
    const parsed = TapBatchSchema.safeParse(JSON.parse(payload.toString('utf8')));
    if (!parsed.success) {
      this.invalid.push(parsed.error.message);
      return;
    }
    const batch = parsed.data;
    this.batches++;
    for (const t of batch.taps) {
      this.settled.add(t.id);
      this.receipts.set(t.id, (this.receipts.get(t.id) ?? 0) + 1);
    }
    if (!this.faults.acking) return;
    if (this.faults.dropFirst > 0) {
      this.faults.dropFirst--;
      this.acksDropped++;
      return;
    }
    const ids = batch.taps.map((t) => t.id);
    const tapIds = this.signer ? ids.filter((id) => !this.reject.has(id)) : ids;
    const rejected = ids.filter((id) => this.signer && this.reject.has(id)).map((id) => ({ id, reason: 'test' }));
    const body = { batchId: batch.batchId, deviceId: batch.deviceId, at: Date.now(), tapIds, rejected };
    const v1 = JSON.stringify({ batchId: batch.batchId, tapIds });
    const ack = this.signer ? signAck(body, this.signer) : v1;
    this.sentAcks.push({ batchId: batch.batchId, tapIds, payload: ack });
    // Acks arrive asynchronously, as from a broker.
    setImmediate(() => {
      for (let i = 0; i < this.faults.copies; i++) {
        if (this.faults.malformedBefore) this.sendRaw('{"batchId": 7}');
        this.broker.inject(this.link.topics.acks, ack);
        this.acksSent++;
      }
    });
  }

  sendRaw(payload: string | Buffer): void {
    this.malformedSent++;
    this.broker.inject(this.link.topics.acks, payload);
  }

  /** Replays an ack sent earlier (an old retained or re-delivered message). */
  replay(i: number): void {
    const a = this.sentAcks[i];
    if (a) this.broker.inject(this.link.topics.acks, a.payload);
  }
}

export interface InProcess {
  svc: ValidatorService;
  config: Config;
  dataDir: string;
  clock: ManualClock;
  scanner: FakeScanner;
  gate: RecordingGate;
  broker: MemoryBroker;
  /** The service's MQTT link (undefined without `mqtt` in the settings). */
  link: MemoryMqttLink | undefined;
  backend: MemoryBackend | undefined;
  /** What the service logged (empty when the caller passed its own `logger`). */
  log: Logger & { lines: Record<string, unknown>[] };
  riders: TestRider[];
  /** Feeds `n` fresh riders' codes; returns their texts. */
  ride(n: number): string[];
}

/** Fast settlement timings (as the Mosquitto tests use). */
export const FAST = { lingerMs: 20, ackTimeoutMs: 300, maxBackoffMs: 1000, metricsIntervalMs: 1000 };

/**
 * Builds (not starts) the service. `mqtt: true` adds an MQTT section served by the memory
 * broker; `settings` is merged over the bus settings.
 */
export function inProcess(
  o: {
    mqtt?: boolean;
    settings?: Record<string, unknown>;
    backend?: boolean;
    gateDriver?: GateDriver;
    logger?: Logger;
  } = {},
): InProcess {
  const dir = mkdtempSync(join(tmpdir(), 'faregate-inproc-'));
  const dataDir = join(dir, 'data');
  const { settlement, ...rest } = o.settings ?? {};
  const settings = busSettings('/dev/fake-scanner', dataDir, {
    ...(o.mqtt ? { mqtt: { url: 'mqtt://memory.invalid:1883' } } : {}),
    settlement: { ...FAST, ...(settlement as object | undefined) },
    ...rest,
  });
  const config = ConfigSchema.parse(settings);
  const clock = new ManualClock();
  const scanner = new FakeScanner();
  const gate = new RecordingGate();
  const broker = new MemoryBroker();
  const log = captureLogger();
  let link: MemoryMqttLink | undefined;
  const svc = new ValidatorService(config, {
    logger: o.logger ?? log,
    clock,
    scannerTransport: () => scanner,
    gateDriver: o.gateDriver ?? gate,
    mqtt: (m) => (link = new MemoryMqttLink(broker, m.deviceId, m.statusFields, m.cfg.topicPrefix)),
  });
  const signer = config.settlement.backendKeys ? devAckKey() : undefined;
  const backend = link && o.backend !== false ? new MemoryBackend(broker, link, signer) : undefined;
  const riders: TestRider[] = [];
  return {
    svc,
    config,
    dataDir,
    clock,
    scanner,
    gate,
    broker,
    link,
    backend,
    log,
    riders,
    ride(n) {
      const texts: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = makeRider();
        riders.push(r);
        texts.push(r.code(Math.floor(clock.now() / 1000)));
      }
      scanner.feed(...texts);
      return texts;
    },
  };
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
