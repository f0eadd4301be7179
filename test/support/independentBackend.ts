/**
 * An independent settlement backend for fault tests, written only from the contract
 * (docs/spec/settlement-mqtt-v1.md), never from src/backend: a plain mqtt.js client that
 * subscribes to `P/gates/+/taps` at QoS 1, parses tap batches with plain JSON (no project code,
 * no project schemas), treats the tap `id` as the idempotency key and acknowledges on
 * `P/gates/D/acks` at QoS 1 with `{"batchId", "tapIds"}` (v1), or, with a signing key (the
 * default: the TEST-ONLY dev backend key), with a signed ack of Amendment 1 (v1.1): a flattened
 * JWS (`alg` EdDSA or ES256, `kid`, `typ` faregate-ack+json) over
 * `{"batchId", "deviceId", "at", "tapIds", "rejected"}`, signed here with node:crypto only; an id
 * it already holds with different content is `rejected` (`duplicate_id_conflict`), not acked.
 *
 * What it records, for exactly-once checks:
 * - `receipts`: tap id → how many times it arrived (at least once: duplicates are allowed);
 * - `settled` / `settlements`: the first receipt of an id is its settlement, recorded once;
 * - `settledByCode`: code id → tap ids settled for it (one ride settled under two tap ids would be
 *   a double charge even though every id is unique);
 * - `conflicts`: ids that arrived again with a different content (must never happen).
 *
 * Fault knobs (all off by default, changeable while running through `faults`): drop the first N
 * acks, send extra copies of acks, delay acks, send a malformed payload before each ack, add
 * unknown ids to acks, stop acking; plus `sendRaw`, `sendMalformedAcks`, `sendUnknownAck`,
 * `replayOldAck`, and `goOffline` / `comeBack` (ends the client; the same client id returns).
 */
import { createPrivateKey, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';

/** An ack signing key: a private JWK (kid, alg EdDSA or ES256). */
export interface AckSigningKey {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  key: KeyObject;
}

/** The TEST-ONLY development backend key of config/dev (its public part: config/dev/backend-keys.json). */
export function devAckKey(): AckSigningKey {
  const file = join(import.meta.dirname, '../../config/dev/backend-ack-TEST-ONLY.jwk.json');
  return ackKeyFromJwk(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>);
}

export function ackKeyFromJwk(jwk: Record<string, string>): AckSigningKey {
  const alg = jwk.crv === 'Ed25519' ? 'EdDSA' : 'ES256';
  return { kid: jwk.kid!, alg, key: createPrivateKey({ key: jwk, format: 'jwk' }) };
}

/**
 * A signed ack (settlement-mqtt-v1 Amendment 1) in the flattened JWS JSON serialization (RFC 7515
 * §7.2.2), by hand: `header` members are added to the protected header (a test can put `crit` there).
 */
export function signAck(payload: unknown, k: AckSigningKey, header: Record<string, unknown> = {}): string {
  const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');
  const p = b64u(JSON.stringify({ alg: k.alg, kid: k.kid, typ: 'faregate-ack+json', ...header }));
  const pl = b64u(JSON.stringify(payload));
  const input = Buffer.from(`${p}.${pl}`, 'ascii');
  const sig =
    k.alg === 'EdDSA' ? sign(null, input, k.key) : sign('sha256', input, { key: k.key, dsaEncoding: 'ieee-p1363' });
  return JSON.stringify({ protected: p, payload: pl, signature: b64u(sig) });
}

export interface BackendFaults {
  /** Do not send the first N acks (the batches are settled, the validator never hears of it). */
  dropFirstAcks: number;
  /** Extra copies of every ack (0: each ack once). */
  duplicateAcks: number;
  /** Wait this long before sending an ack. */
  delayAckMs: number;
  /** Send one malformed payload (rotating through `MALFORMED_ACKS`) before each real ack. */
  malformedBeforeEachAck: boolean;
  /** Add this many unknown (random) ids to each ack. */
  unknownIdsInAcks: number;
  /** false: receive and settle but never ack. */
  acking: boolean;
}

export interface IndependentBackendOptions {
  url: string;
  prefix?: string;
  protocolVersion?: 4 | 5;
  /** Stable across goOffline/comeBack. Default a random one. */
  clientId?: string;
  /**
   * Persistent session (clean: false; on MQTT 5 a session expiry): the broker queues batches
   * published while the backend is offline. Default false: they are lost and must be re-sent.
   */
  persistentSession?: boolean;
  reconnectPeriodMs?: number;
  faults?: Partial<BackendFaults>;
  /** The ack signing key; default the dev key; false: v1 acks (unsigned). */
  signingKey?: AckSigningKey | false;
}

export interface Settlement {
  id: string;
  deviceId: string;
  batchId: string;
  codeId: string | undefined;
  fare: number | undefined;
  at: number;
}

export interface SentAck {
  topic: string;
  payload: string;
}

/** Payloads that are not valid acks; every one must be ignored by a validator. */
export const MALFORMED_ACKS: readonly (string | Buffer)[] = [
  '{"batchId": "x", "tapIds": [',
  'not json at all',
  '',
  'null',
  '42',
  '"a string"',
  '[]',
  '{}',
  '{"batchId": "x"}',
  '{"tapIds": ["a"]}',
  '{"batchId": 7, "tapIds": ["a"]}',
  '{"batchId": "x", "tapIds": "abc"}',
  '{"batchId": "x", "tapIds": [1, 2, 3]}',
  '{"batchId": "x", "tapIds": [null]}',
  '{"batchId": "x", "tapIds": [""]}',
  '{"batchId": "", "tapIds": ["a"]}',
  JSON.stringify({ batchId: 'x', tapIds: ['y'.repeat(65)] }),
  JSON.stringify({ batchId: 'b'.repeat(65), tapIds: ['a'] }),
  Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
  // Huge: more ids than an ack may carry, and a multi-megabyte string.
  JSON.stringify({ batchId: 'huge', tapIds: Array.from({ length: 10_001 }, () => randomUUID()) }),
  JSON.stringify({ batchId: 'huge-string', tapIds: ['z'.repeat(3 * 1024 * 1024)] }),
];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Plain checks of a tap batch against the contract's table; returns a reason or undefined. */
function batchProblem(b: unknown, topicDevice: string): string | undefined {
  if (!isObject(b)) return 'not an object';
  if (typeof b.batchId !== 'string' || b.batchId.length === 0) return 'batchId';
  if (b.deviceId !== topicDevice) return 'deviceId differs from the topic';
  if (!Array.isArray(b.taps) || b.taps.length === 0) return 'taps';
  for (const t of b.taps) {
    if (!isObject(t)) return 'tap not an object';
    if (typeof t.id !== 'string' || t.id.length === 0) return 'tap id';
    if (t.deviceId !== topicDevice) return 'tap deviceId';
    if (typeof t.at !== 'number' || !Number.isInteger(t.at)) return 'tap at';
    if (t.mode !== 'bus' && t.mode !== 'metro') return 'tap mode';
    if (!['board', 'in', 'out'].includes(t.direction as string)) return 'tap direction';
    for (const k of ['place', 'sub', 'cti', 'codeId', 'currency'] as const)
      if (typeof t[k] !== 'string') return `tap ${k}`;
    for (const k of ['ts', 'seq', 'profile'] as const) if (typeof t[k] !== 'number') return `tap ${k}`;
    if (t.fare !== undefined && typeof t.fare !== 'number') return 'tap fare';
  }
  return undefined;
}

export class IndependentBackend {
  readonly receipts = new Map<string, number>();
  readonly settled = new Set<string>();
  readonly settlements: Settlement[] = [];
  readonly settledByCode = new Map<string, string[]>();
  /** The first content of each id (canonical JSON), to detect conflicting re-sends. */
  private readonly contents = new Map<string, string>();
  readonly conflicts: string[] = [];
  readonly sentAcks: SentAck[] = [];
  readonly faults: BackendFaults;
  readonly counters = {
    batches: 0,
    malformedBatches: 0,
    acksSent: 0,
    acksDropped: 0,
    acksUnsent: 0,
    rawSent: 0,
    malformedSent: 0,
    connects: 0,
  };
  readonly clientId: string;
  private client: MqttClient | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private acksSeen = 0;
  private malformedIndex = 0;
  private readonly prefix: string;

  private constructor(private readonly opts: IndependentBackendOptions) {
    this.prefix = opts.prefix ?? 'faregate/v1';
    this.clientId = opts.clientId ?? `independent-backend-${randomBytes(4).toString('hex')}`;
    this.faults = {
      dropFirstAcks: 0,
      duplicateAcks: 0,
      delayAckMs: 0,
      malformedBeforeEachAck: false,
      unknownIdsInAcks: 0,
      acking: true,
      ...opts.faults,
    };
  }

  static async start(opts: IndependentBackendOptions): Promise<IndependentBackend> {
    const b = new IndependentBackend(opts);
    await b.comeBack();
    return b;
  }

  get online(): boolean {
    return this.client?.connected ?? false;
  }

  /** Receipts beyond the first, summed over all ids. */
  get duplicateReceipts(): number {
    let n = 0;
    for (const c of this.receipts.values()) n += c - 1;
    return n;
  }

  /** Connects (again) with the same client id and subscribes; resolves once subscribed. */
  async comeBack(): Promise<void> {
    if (this.client) return;
    const v = this.opts.protocolVersion ?? 4;
    const persistent = this.opts.persistentSession ?? false;
    const client = mqtt.connect(this.opts.url, {
      clientId: this.clientId,
      protocolVersion: v,
      clean: !persistent,
      reconnectPeriod: this.opts.reconnectPeriodMs ?? 200,
      connectTimeout: 5000,
      ...(v === 5 && persistent ? { properties: { sessionExpiryInterval: 3600 } } : {}),
    });
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', () => undefined);
    client.on('connect', (connack) => {
      this.counters.connects++;
      // Subscribe on every connection without a session (mqtt.js also resubscribes; twice is harmless).
      if (!connack.sessionPresent) client.subscribe(`${this.prefix}/gates/+/taps`, { qos: 1 }, () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`independent backend could not connect to ${this.opts.url}`)),
        10_000,
      );
      client.once('connect', () => {
        client.subscribe(`${this.prefix}/gates/+/taps`, { qos: 1 }, (err) => {
          clearTimeout(t);
          if (err) reject(err);
          else resolve();
        });
      });
    });
  }

  /** Disconnects (no will, no queued acks survive); delayed acks not yet sent are lost. */
  async goOffline(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync(false).catch(() => c.end(true));
  }

  async stop(): Promise<void> {
    await this.goOffline();
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parts = topic.split('/');
    const deviceId = parts.at(-2) ?? '';
    if (!topic.startsWith(`${this.prefix}/gates/`) || parts.at(-1) !== 'taps') return;
    let batch: unknown;
    try {
      batch = JSON.parse(payload.toString('utf8'));
    } catch {
      this.counters.malformedBatches++;
      return;
    }
    if (batchProblem(batch, deviceId) !== undefined) {
      this.counters.malformedBatches++;
      return;
    }
    const b = batch as { batchId: string; taps: Record<string, Json>[] };
    this.counters.batches++;
    const now = Date.now();
    for (const t of b.taps) {
      const id = t.id as string;
      this.receipts.set(id, (this.receipts.get(id) ?? 0) + 1);
      const content = JSON.stringify(t, Object.keys(t).sort());
      const before = this.contents.get(id);
      if (before === undefined) this.contents.set(id, content);
      else if (before !== content) this.conflicts.push(id);
      if (!this.settled.has(id)) {
        // Settlement: once per id, whatever the number of receipts.
        this.settled.add(id);
        const codeId = typeof t.codeId === 'string' ? t.codeId : undefined;
        this.settlements.push({
          id,
          deviceId,
          batchId: b.batchId,
          codeId,
          fare: typeof t.fare === 'number' ? t.fare : undefined,
          at: now,
        });
        if (codeId !== undefined) this.settledByCode.set(codeId, [...(this.settledByCode.get(codeId) ?? []), id]);
      }
    }
    const ids = [...new Set(b.taps.map((t) => t.id as string))];
    // Signed (v1.1): an id held with different content is rejected; v1 acks name every id.
    const conflicting = this.signer ? new Set(ids.filter((id) => this.conflicts.includes(id))) : new Set<string>();
    const tapIds = ids.filter((id) => !conflicting.has(id));
    const rejected = [...conflicting].map((id) => ({ id, reason: 'duplicate_id_conflict' }));
    this.ack(deviceId, { batchId: b.batchId, tapIds, rejected });
  }

  /** The ack signing key in use (undefined: v1 acks). */
  get signer(): AckSigningKey | undefined {
    return this.opts.signingKey === false ? undefined : (this.key ??= this.opts.signingKey ?? devAckKey());
  }
  private key: AckSigningKey | undefined;

  /** The ack payload as sent: a signed ack (v1.1) or a v1 ack. */
  ackPayload(
    deviceId: string,
    ack: { batchId: string; tapIds: string[]; rejected?: { id: string; reason: string }[] },
  ): string {
    const s = this.signer;
    if (!s) return JSON.stringify({ batchId: ack.batchId, tapIds: ack.tapIds });
    const body = { batchId: ack.batchId, deviceId, at: Date.now(), tapIds: ack.tapIds, rejected: ack.rejected ?? [] };
    return signAck(body, s);
  }

  private ack(
    deviceId: string,
    ack: { batchId: string; tapIds: string[]; rejected: { id: string; reason: string }[] },
  ): void {
    const f = this.faults;
    if (!f.acking) {
      this.counters.acksUnsent++;
      return;
    }
    this.acksSeen++;
    if (this.acksSeen <= f.dropFirstAcks) {
      this.counters.acksDropped++;
      return;
    }
    const tapIds =
      f.unknownIdsInAcks > 0
        ? [...ack.tapIds, ...Array.from({ length: f.unknownIdsInAcks }, () => randomUUID())]
        : ack.tapIds;
    const send = () => {
      if (!this.client) return;
      const topic = `${this.prefix}/gates/${deviceId}/acks`;
      if (f.malformedBeforeEachAck) {
        this.sendRaw(deviceId, MALFORMED_ACKS[this.malformedIndex % MALFORMED_ACKS.length]!);
        this.malformedIndex++;
        this.counters.malformedSent++;
      }
      const payload = this.ackPayload(deviceId, { batchId: ack.batchId, tapIds, rejected: ack.rejected });
      for (let i = 0; i <= f.duplicateAcks; i++) {
        if (!this.client) return;
        this.client.publish(topic, payload, { qos: 1 });
        this.counters.acksSent++;
      }
      this.sentAcks.push({ topic, payload });
    };
    if (f.delayAckMs > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        send();
      }, f.delayAckMs);
      this.timers.add(t);
    } else send();
  }

  /** Publishes anything on `P/gates/D/acks` (QoS 1). */
  sendRaw(deviceId: string, payload: string | Buffer): void {
    if (!this.client) throw new Error('independent backend is offline');
    this.client.publish(`${this.prefix}/gates/${deviceId}/acks`, payload, { qos: 1 });
    this.counters.rawSent++;
  }

  /** Sends every payload of MALFORMED_ACKS; returns how many. */
  sendMalformedAcks(deviceId: string): number {
    for (const p of MALFORMED_ACKS) {
      this.sendRaw(deviceId, p);
      this.counters.malformedSent++;
    }
    return MALFORMED_ACKS.length;
  }

  /** A well-formed ack naming only ids that were never taps. */
  sendUnknownAck(deviceId: string, ids = 5): void {
    this.sendRaw(
      deviceId,
      this.ackPayload(deviceId, { batchId: randomUUID(), tapIds: Array.from({ length: ids }, () => randomUUID()) }),
    );
  }

  /** Sends again an ack sent earlier (default the first one). */
  replayOldAck(index = 0): SentAck {
    const a = this.sentAcks[index];
    if (!a) throw new Error(`no ack #${index} to replay (sent ${this.sentAcks.length})`);
    if (!this.client) throw new Error('independent backend is offline');
    this.client.publish(a.topic, a.payload, { qos: 1 });
    this.counters.rawSent++;
    return a;
  }

  /** Waits until every id is settled here. */
  async waitSettled(ids: Iterable<string>, timeoutMs: number, what = 'taps settled at the backend'): Promise<void> {
    const want = [...ids];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing = want.filter((id) => !this.settled.has(id));
      if (missing.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${missing.length} of ${want.length} missing`);
      await sleep(20);
    }
  }
}
