/**
 * Test helpers for the settlement backend: hand-made taps and batches, a fake gate (a plain
 * mqtt.js client that publishes batches and collects acks), and a backend with a temp store.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import {
  AckSchema,
  SignedAckPayloadSchema,
  DEFAULT_TOPIC_PREFIX,
  topics,
  type Ack,
  type SignedAckPayload,
  type TapBatch,
  type TapMessage,
} from '../../src/contract/settlement.ts';
import { BackendStore } from '../../src/backend/backendStore.ts';
import { SettlementBackend, type SettlementBackendOptions } from '../../src/backend/settlementBackend.ts';
import type { Logger } from '../../src/platform/logger.ts';
import { afterAll, beforeAll } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';

export const PREFIX = DEFAULT_TOPIC_PREFIX;

let seq = 0;
export function makeTap(deviceId: string, over: Partial<TapMessage> = {}): TapMessage {
  seq++;
  return {
    id: randomUUID(),
    deviceId,
    at: 1_795_000_000_000 + seq * 1000,
    mode: 'bus',
    place: 'route-42',
    direction: 'board',
    sub: randomBytes(8).toString('hex'),
    cti: randomBytes(4).toString('hex'),
    codeId: randomBytes(16).toString('hex'),
    ts: 1_795_000_000 + seq,
    seq,
    profile: 0,
    fare: 200,
    currency: 'CNY',
    ...over,
  };
}

export function makeBatch(deviceId: string, taps: TapMessage[] | number, batchId: string = randomUUID()): TapBatch {
  const list = typeof taps === 'number' ? Array.from({ length: taps }, () => makeTap(deviceId)) : taps;
  return { batchId, deviceId, taps: list };
}

export function tempDir(prefix = 'faregate-backend-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ReceivedAck {
  topic: string;
  deviceId: string;
  /** The ack's batchId and tapIds (of a signed ack: its payload, read here without verifying). */
  ack: Ack;
  raw: string;
  receivedAt: number;
  /** A signed ack (settlement-mqtt-v1 v1.1): its payload, unverified (a test verifies `raw`). */
  signed?: SignedAckPayload;
}

function readAck(raw: string): { ack: Ack; signed?: SignedAckPayload } {
  const json = JSON.parse(raw) as { protected?: unknown; payload?: unknown };
  if (typeof json.protected !== 'string' || typeof json.payload !== 'string') return { ack: AckSchema.parse(json) };
  const signed = SignedAckPayloadSchema.parse(JSON.parse(Buffer.from(json.payload, 'base64url').toString('utf8')));
  return { ack: { batchId: signed.batchId, tapIds: signed.tapIds }, signed };
}

/** A fake gate: publishes batches (or anything) on `P/gates/D/taps`, collects every ack on `P/gates/+/acks`. */
export class FakeGate {
  readonly acks: ReceivedAck[] = [];
  /** Called synchronously when an ack arrives (e.g. to look into the backend's SQLite file at that moment). */
  onAck: ((a: ReceivedAck) => void) | undefined;

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      const raw = payload.toString('utf8');
      const deviceId = topic.split('/').at(-2) ?? '';
      const a: ReceivedAck = { topic, deviceId, ...readAck(raw), raw, receivedAt: Date.now() };
      this.acks.push(a);
      this.onAck?.(a);
    });
  }

  static async connect(url: string, protocolVersion: 4 | 5 = 5): Promise<FakeGate> {
    const client = mqtt.connect(url, {
      protocolVersion,
      clientId: `fake-gate-${randomUUID()}`,
      reconnectPeriod: 200,
      connectTimeout: 5000,
    });
    client.on('error', () => {}); // reconnects are part of the scenarios
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const gate = new FakeGate(client);
    await client.subscribeAsync(`${PREFIX}/gates/+/acks`, { qos: 1 });
    return gate;
  }

  /** Publishes a batch (as JSON) or a raw payload at QoS 1 on the taps topic of `deviceId`. */
  async publish(deviceId: string, payload: TapBatch | string | Buffer): Promise<void> {
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    await this.client.publishAsync(topics(PREFIX, deviceId).taps, body, { qos: 1 });
  }

  acksOf(batchId: string): ReceivedAck[] {
    return this.acks.filter((a) => a.ack.batchId === batchId);
  }

  async waitForAck(batchId: string, timeoutMs = 5000): Promise<ReceivedAck> {
    await until(() => this.acksOf(batchId).length > 0, timeoutMs, `ack of batch ${batchId}`);
    return this.acksOf(batchId)[0]!;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** A backend with its own temp SQLite store. */
export async function startBackend(
  url: string,
  opts: Partial<Omit<SettlementBackendOptions, 'url' | 'store'>> & {
    dbFile?: string;
    logger?: Logger;
    noStart?: boolean;
  } = {},
): Promise<{
  backend: SettlementBackend;
  store: BackendStore;
  dbFile: string;
  stop(opts?: { endSession?: boolean }): Promise<void>;
}> {
  const { dbFile: givenDb, noStart, ...backendOpts } = opts;
  const tmp = givenDb ? undefined : tempDir();
  const dbFile = givenDb ?? join(tmp!.dir, 'backend.db');
  const store = new BackendStore({ file: dbFile, synchronous: 'NORMAL' }).open();
  const backend = new SettlementBackend({
    url,
    store,
    clientId: opts.clientId ?? `backend-${randomUUID()}`,
    reconnectPeriodMs: 200,
    connectTimeoutMs: 5000,
    ...backendOpts,
  });
  if (!noStart) await backend.start();
  let stopped = false;
  return {
    backend,
    store,
    dbFile,
    /** Ends the MQTT 5 session by default, so a stopped backend leaves its shared group for good. */
    async stop({ endSession = true } = {}) {
      if (stopped) return;
      stopped = true;
      await backend.stop({ endSession });
      store.close();
      tmp?.cleanup();
    },
  };
}

/**
 * A Mosquitto broker, a backend on it and a fake gate, started before the tests of the calling
 * describe block and stopped after them. The fields are set once `beforeAll` has run.
 */
export function backendWithGate(): { broker: Mosquitto; b: Awaited<ReturnType<typeof startBackend>>; gate: FakeGate } {
  const env = {} as { broker: Mosquitto; b: Awaited<ReturnType<typeof startBackend>>; gate: FakeGate };
  beforeAll(async () => {
    env.broker = await startMosquitto();
    env.b = await startBackend(env.broker.url);
    env.gate = await FakeGate.connect(env.broker.url);
  });
  afterAll(async () => {
    await env.gate?.close();
    await env.b?.stop();
    await env.broker?.stop();
  });
  return env;
}
