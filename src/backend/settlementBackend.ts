/**
 * The reference settlement backend of settlement-mqtt-v1: receives tap batches from every
 * validator on `P/gates/+/taps` (QoS 1), stores them idempotently (tap id = idempotency key),
 * and only then acknowledges them on `P/gates/D/acks` (QoS 1) with every tap id of the batch.
 *
 * - Malformed batches (bad JSON, wrong schema, device id not the topic's) are logged by size and
 *   ids only, counted, and never acknowledged; the backend carries on.
 * - The MQTT PUBACK of an incoming batch is sent only after the batch was stored and its ack
 *   handed to the client, so a batch lost to a crash in between is redelivered by the broker.
 * - Persistent session (clean: false, stable clientId; on MQTT 5 a session expiry interval), so
 *   QoS 1 batches published while the backend is away are queued by the broker. On every
 *   connection whose CONNACK says the session was not resumed, it subscribes again (with a
 *   shared subscription also when it was resumed: see `resubscribeOnResume`).
 * - On MQTT 5, with `shared` (default on), it subscribes `$share/<group>/P/gates/+/taps`:
 *   several backend processes with distinct client ids and the same group split the batches.
 * - The store is a SettlementStore: the SQLite file or PostgreSQL (src/backend/pgStore.ts). A
 *   store error (the database restarting, a lost connection) means no ack: the validator re-sends.
 *   At most `maxInFlightBatches` batches are in flight from the broker (MQTT 5 Receive Maximum).
 */
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import {
  ACK_TYP,
  AckSchema,
  backendTopics,
  DEFAULT_TOPIC_PREFIX,
  deviceOfTopic,
  SignedAckPayloadSchema,
  TapBatchEnvelopeSchema,
  TapBatchSchema,
  TapSchema,
  topics,
  type Ack,
  type RejectedTap,
  type SignedAckPayload,
  type TapBatch,
} from '../contract/settlement.ts';
import { signFlattenedJws, type JwsSigner } from '../lists/jws.ts';
import { silentLogger, type Logger } from '../platform/logger.ts';
import { UNKNOWN_DEVICE, type InsertResult, type SettlementStore } from './settlementStore.ts';
import { errorFields } from '../errors/faregateError.ts';

export const DEFAULT_SHARED_GROUP = 'faregate-backend';
/** Larger payloads are rejected before parsing (10,000 taps of ~450 bytes fit easily). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;

export interface BackendTlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
  /** Default true; false only for testing against a broker with a self-signed certificate. */
  rejectUnauthorized?: boolean;
}

export interface SettlementBackendOptions {
  /** `mqtt://host:port` or `mqtts://host:port`. */
  url: string;
  /** SQLite (BackendStore) or PostgreSQL (PgStore); a batch is acked only after its commit. */
  store: SettlementStore;
  /** Must be stable across restarts (the broker keeps the session and queued batches under it) and distinct per backend process. */
  clientId: string;
  prefix?: string;
  /** 4 (MQTT 3.1.1) or 5. Default 5. */
  protocolVersion?: 4 | 5;
  /** MQTT 5 shared subscription group; false for a plain subscription. Default `faregate-backend`. Ignored on 3.1.1. */
  sharedGroup?: string | false;
  username?: string;
  password?: string | Buffer;
  tls?: BackendTlsOptions;
  logger?: Logger;
  /**
   * MQTT 5 session expiry (s): how long the broker keeps the session (and queues batches) while
   * this backend is away. Default 3600; beyond it validators re-send unacknowledged taps anyway.
   */
  sessionExpiryS?: number;
  /** Delay between reconnection attempts (ms). Default 1000. */
  reconnectPeriodMs?: number;
  /** Connect timeout (ms). Default 10000. */
  connectTimeoutMs?: number;
  keepaliveS?: number;
  maxPayloadBytes?: number;
  /**
   * Subscribe again even when the broker resumed the session. Default: true for a shared
   * subscription, false otherwise. Mosquitto 2.0.11 restores sessions from its persistence
   * file (CONNACK sessionPresent = 1) without their shared subscriptions, so batches would stop
   * arriving after a broker restart. Subscribing to the same filter again is harmless: it
   * replaces the existing subscription (MQTT 5 §3.8.4) and keeps queued messages.
   */
  resubscribeOnResume?: boolean;
  /**
   * The ack signing key (settlement-mqtt-v1 Amendment 1): every ack is a flattened JWS (`typ`
   * faregate-ack+json) and a tap id already held with different content is `rejected`
   * (`duplicate_id_conflict`) instead of acked. Absent: v1 acks (every id of the batch).
   */
  ackSigner?: JwsSigner;
  /**
   * MQTT 5 `Receive Maximum`: how many batches the broker may have in flight to this backend
   * (sent, not yet PUBACKed) at once; the others wait at the broker (or go to another member of
   * the shared group). mqtt.js stores them one after the other in arrival order, and the PUBACK
   * of each follows its commit. Default 16. Ignored on 3.1.1.
   */
  maxInFlightBatches?: number;
}

export const DEFAULT_MAX_IN_FLIGHT_BATCHES = 16;

/** The reason a signed ack gives for a tap id the backend already holds with different content. */
export const DUPLICATE_ID_CONFLICT = 'duplicate_id_conflict';

export interface BackendCounters {
  /** Valid batches stored and acknowledged (replays included). */
  batches: number;
  /** Taps stored for the first time. */
  tapsInserted: number;
  /** Taps received again (already held). */
  duplicates: number;
  /** Duplicates whose content differed from the stored tap. */
  conflicts: number;
  /** Batches rejected and not acknowledged. */
  malformed: number;
  /** Taps that were not valid taps in an otherwise valid batch (never stored; rejected when signed). */
  malformedTaps: number;
  /** Batches that could not be stored (not acknowledged; the validator re-sends). */
  storeErrors: number;
  /** Connections made (1 + reconnections). */
  connects: number;
}

export interface BatchEvent {
  batchId: string;
  deviceId: string;
  topic: string;
  inserted: number;
  duplicates: number;
  ack: Ack;
  /** Taps rejected in a signed ack (none in a v1 ack). */
  rejected: RejectedTap[];
  /** Whether the ack was signed. */
  signed: boolean;
}

export interface MalformedEvent {
  topic: string;
  deviceId: string | undefined;
  bytes: number;
  reason: string;
}

export interface SettlementBackendEvents {
  batch: [BatchEvent];
  malformed: [MalformedEvent];
  connect: [{ sessionPresent: boolean; subscribed: boolean }];
  error: [Error];
}

type Outcome =
  | {
      ok: true;
      /** The batch's valid taps (all of them, unless `malformedTaps`). */
      batch: TapBatch;
      deviceId: string;
      /** Taps that are not valid taps but carry an id: never stored, rejected in a signed ack. */
      malformedTaps?: { id: string; issues: string[] }[];
    }
  | { ok: false; reason: string; detail?: Record<string, unknown> };

/** The reason a signed ack gives for a tap that is not a valid tap (it can never be stored). */
export const MALFORMED_TAP = 'malformed_tap';

function safeId(v: unknown): string | undefined {
  return typeof v === 'string' && /^[\x21-\x7e]{1,64}$/.test(v) ? v : undefined;
}

export class SettlementBackend extends EventEmitter<SettlementBackendEvents> {
  private client: MqttClient | undefined;
  private readonly log: Logger;
  private readonly prefix: string;
  private readonly protocolVersion: 4 | 5;
  private readonly filter: string;
  private readonly shared: boolean;
  private readonly resubscribeOnResume: boolean;
  private readonly maxPayloadBytes: number;
  private stopping = false;
  private readonly c: BackendCounters = {
    batches: 0,
    tapsInserted: 0,
    duplicates: 0,
    conflicts: 0,
    malformed: 0,
    malformedTaps: 0,
    storeErrors: 0,
    connects: 0,
  };

  constructor(private readonly opts: SettlementBackendOptions) {
    super();
    if (!/^mqtts?:\/\//.test(opts.url))
      throw new Error(
        `unsupported broker URL scheme (use mqtt:// or mqtts://): ${opts.url.replace(/\/\/[^@/]*@/, '//***@')}`,
      );
    if (!opts.clientId) throw new Error('clientId is required (stable per backend process)');
    this.log = (opts.logger ?? silentLogger).child({ component: 'settlement-backend' });
    this.prefix = opts.prefix ?? DEFAULT_TOPIC_PREFIX;
    this.protocolVersion = opts.protocolVersion ?? 5;
    this.maxPayloadBytes = opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    const group = opts.sharedGroup === undefined ? DEFAULT_SHARED_GROUP : opts.sharedGroup;
    if (group !== false && !/^[^/+#]+$/.test(group)) throw new Error(`invalid shared subscription group: ${group}`);
    this.shared = this.protocolVersion === 5 && group !== false;
    const allTaps = backendTopics(this.prefix).allTaps;
    this.filter = this.shared ? `$share/${group}/${allTaps}` : allTaps;
    this.resubscribeOnResume = opts.resubscribeOnResume ?? this.shared;
  }

  /** The subscription filter in use (`$share/<group>/P/gates/+/taps` or `P/gates/+/taps`). */
  get subscription(): string {
    return this.filter;
  }

  get counters(): Readonly<BackendCounters> {
    return { ...this.c };
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /**
   * Connects and subscribes; resolves once the first subscription is granted. While the broker
   * is unreachable it keeps retrying (errors are logged); rejects if the broker refuses the
   * subscription or shared subscriptions, or if `stop()` is called first.
   */
  async start(): Promise<void> {
    if (this.client) throw new Error('already started');
    if (this.stopping) throw new Error('backend was stopped');
    const o = this.opts;
    const options: IClientOptions = {
      clientId: o.clientId,
      protocolVersion: this.protocolVersion,
      clean: false,
      resubscribe: false, // done in the 'connect' handler below, from CONNACK sessionPresent
      reconnectPeriod: o.reconnectPeriodMs ?? 1000,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      keepalive: o.keepaliveS ?? 30,
      ...(this.protocolVersion === 5
        ? {
            properties: {
              sessionExpiryInterval: o.sessionExpiryS ?? 3600,
              receiveMaximum: o.maxInFlightBatches ?? DEFAULT_MAX_IN_FLIGHT_BATCHES,
            },
          }
        : {}),
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
    };
    if (o.tls) {
      if (o.tls.ca !== undefined) options.ca = o.tls.ca;
      if (o.tls.cert !== undefined) options.cert = o.tls.cert;
      if (o.tls.key !== undefined) options.key = o.tls.key;
      if (o.tls.servername !== undefined) options.servername = o.tls.servername;
      options.rejectUnauthorized = o.tls.rejectUnauthorized ?? true;
    }

    const client = mqtt.connect(o.url, options);
    this.client = client;
    // PUBACK of an incoming batch only after it was handled (committed and acked, or rejected).
    // mqtt.js hands over the next incoming packet only after `done`, so batches are stored one
    // after the other, in arrival order, per connection.
    client.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void) => {
      const handled = this.onPublish(packet).catch((e: unknown) => {
        // Never crash on a message; onPublish handles its own errors, this is a last resort.
        this.log.error(errorFields(e), 'unexpected error handling a batch');
      });
      this.inFlight.add(handled);
      void handled.finally(() => {
        this.inFlight.delete(handled);
        done();
      });
    };

    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      this.startAborted = (err) => finish(err);
      client.on('connect', (connack: IConnackPacket) => {
        this.c.connects++;
        const sessionPresent = connack.sessionPresent === true;
        const sharedAvailable = connack.properties?.sharedSubscriptionAvailable;
        if (this.shared && sharedAvailable === false) {
          const err = new Error(
            'the broker does not support MQTT 5 shared subscriptions; run with sharedGroup: false (--no-shared)',
          );
          this.log.error({}, err.message);
          if (settled) this.fail(err);
          else finish(err);
          return;
        }
        this.log.info(
          { sessionPresent, connects: this.c.connects, protocolVersion: this.protocolVersion },
          'connected to broker',
        );
        if (sessionPresent && settled && !this.resubscribeOnResume) {
          this.emit('connect', { sessionPresent, subscribed: false });
          return;
        }
        // First connection (the old session may hold other subscriptions), a new session, or a
        // resumed session whose shared subscription the broker may have lost (see above).
        const why = !sessionPresent
          ? 'new session'
          : !settled
            ? 'first connection'
            : 'resumed session (shared subscription)';
        this.subscribe(client, why).then(
          () => {
            this.emit('connect', { sessionPresent, subscribed: true });
            finish();
          },
          (err: Error) => {
            this.log.error({ err: err.message, filter: this.filter }, 'subscription refused');
            if (!settled) finish(err);
            else this.fail(err);
          },
        );
      });
      client.on('reconnect', () => this.log.debug({}, 'reconnecting to broker'));
      client.on('offline', () => this.log.warn({}, 'broker connection lost'));
      client.on('error', (err: Error & { code?: unknown }) =>
        this.log.warn({ err: err.message, code: err.code }, 'broker connection error'),
      );
      client.on('disconnect', (packet) =>
        this.log.warn({ reasonCode: packet.reasonCode }, 'broker disconnected this client'),
      );
    });
  }

  private startAborted: ((err: Error) => void) | undefined;
  /** Batches being stored (their ack follows the commit); `stop` lets them finish. */
  private readonly inFlight = new Set<Promise<void>>();

  /** A failure after start: an 'error' event if anyone listens (an unheard 'error' would throw). */
  private fail(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  private subscribe(client: MqttClient, why: string): Promise<void> {
    return new Promise((resolve, reject) => {
      client.subscribe(this.filter, { qos: 1 }, (err, granted) => {
        if (err) return reject(err);
        const g = granted?.[0];
        if (!g || g.qos > 2) return reject(new Error(`broker refused subscription ${this.filter} (code ${g?.qos})`));
        if (g.qos < 1)
          this.log.warn(
            { filter: this.filter, qos: g.qos },
            'broker granted QoS 0: batches may be lost while disconnected',
          );
        this.log.info({ filter: this.filter, qos: g.qos, why }, 'subscribed');
        resolve();
      });
    });
  }

  /**
   * Disconnects cleanly. By default the broker keeps the session (and queues batches for this
   * client id until it returns or the session expires). `endSession: true` (MQTT 5) ends it:
   * for a backend leaving a shared group for good, whose offline session would otherwise keep
   * receiving its share of the batches until it expires.
   */
  async stop(opts: { endSession?: boolean } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.startAborted?.(new Error('backend stopped before it was connected'));
    const client = this.client;
    if (!client) return;
    // A batch being committed gets its ack out before the connection closes (a database that
    // hangs is cut off by the store's statement timeout).
    await Promise.all([...this.inFlight]);
    const disconnect =
      opts.endSession && this.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0 } } : {};
    await new Promise<void>((resolve) => {
      // force=false: let in-flight acks go out first; but do not hang on a dead broker.
      const t = setTimeout(() => client.end(true, () => resolve()), 2000);
      client.end(false, disconnect, () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.log.info({ ...this.c }, 'backend stopped');
  }

  private async onPublish(packet: IPublishPacket): Promise<void> {
    const topic = typeof packet.topic === 'string' ? packet.topic : String(packet.topic);
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const outcome = this.check(topic, payload);
    if (!outcome.ok) {
      await this.rejectBatch(topic, payload.length, outcome.reason, outcome.detail);
      return;
    }
    const { batch, deviceId } = outcome;
    const bad = outcome.malformedTaps ?? [];
    if (bad.length) {
      this.c.malformedTaps += bad.length;
      this.log.warn(
        {
          deviceId,
          batchId: batch.batchId,
          n: bad.length,
          taps: bad.slice(0, 10).map((t) => ({ id: t.id, issues: t.issues })),
        },
        this.opts.ackSigner ? 'malformed taps rejected; the rest of the batch settles' : 'malformed taps not acked',
      );
    }
    let result: InsertResult;
    try {
      // Resolves after the commit: the ack below is published only then.
      result = batch.taps.length
        ? await this.opts.store.insertBatch(batch.taps, { batchId: batch.batchId })
        : { inserted: 0, duplicates: 0, conflicts: [] };
    } catch (e) {
      this.c.storeErrors++;
      this.log.error(
        { ...errorFields(e), deviceId, batchId: batch.batchId, taps: batch.taps.length },
        'could not store batch; not acknowledged',
      );
      return;
    }
    this.c.batches++;
    this.c.tapsInserted += result.inserted;
    this.c.duplicates += result.duplicates;
    this.c.conflicts += result.conflicts.length;
    if (result.conflicts.length)
      this.log.warn(
        { deviceId, batchId: batch.batchId, tapIds: result.conflicts.slice(0, 20), n: result.conflicts.length },
        'tap id re-sent with different content; kept the first',
      );

    // Every tap id of the batch, once each, in batch order (duplicates already held included);
    // signed: an id held with different content is rejected instead (it will never settle),
    // unless the copy held is an earlier one of this batch: that one is stored, so it is settled.
    const signer = this.opts.ackSigner;
    const kept = new Set(result.firstCopyKept ?? []);
    const conflicting = new Set(signer ? result.conflicts.filter((id) => !kept.has(id)) : []);
    // A malformed tap is never stored: rejected when signed, left out of a v1 ack (re-sent); an id
    // that also came as a valid tap in the batch is stored, so it settles.
    const malformed = new Set(bad.map((t) => t.id));
    const valid = new Set(batch.taps.map((t) => t.id));
    const tapIds = [...valid].filter((id) => !conflicting.has(id));
    const rejected: RejectedTap[] = [
      ...[...conflicting].map((id) => ({ id, reason: DUPLICATE_ID_CONFLICT })),
      ...(signer ? [...malformed].filter((id) => !valid.has(id)).map((id) => ({ id, reason: MALFORMED_TAP })) : []),
    ];
    const ack: Ack = AckSchema.parse({ batchId: batch.batchId, tapIds });
    const ackTopic = topics(this.prefix, deviceId).acks;
    let body: string;
    if (signer) {
      const payload: SignedAckPayload = { batchId: batch.batchId, deviceId, at: Date.now(), tapIds, rejected };
      body = JSON.stringify(signFlattenedJws(SignedAckPayloadSchema.parse(payload), signer, { typ: ACK_TYP }));
    } else body = JSON.stringify(ack);
    // Not awaited: the broker's PUBACK for this publish arrives on the same connection, after
    // this handler returns. mqtt.js queues it if the connection is down.
    this.client?.publish(ackTopic, body, { qos: 1 }, (err) => {
      if (err)
        this.log.warn(
          { err: err.message, deviceId, batchId: batch.batchId },
          'ack not delivered to broker; the validator will re-send',
        );
    });
    this.log.info(
      {
        deviceId,
        batchId: batch.batchId,
        taps: batch.taps.length,
        inserted: result.inserted,
        duplicates: result.duplicates,
        ...(rejected.length ? { rejected: rejected.length } : {}),
      },
      'batch settled',
    );
    this.emit('batch', {
      batchId: batch.batchId,
      deviceId,
      topic,
      inserted: result.inserted,
      duplicates: result.duplicates,
      ack,
      rejected,
      signed: signer !== undefined,
    });
  }

  private check(topic: string, payload: Buffer): Outcome {
    const deviceId = deviceOfTopic(this.prefix, topic);
    if (deviceId === undefined || topic !== topics(this.prefix, deviceId).taps)
      return { ok: false, reason: 'topic is not P/gates/D/taps with a valid device id' };
    if (payload.length > this.maxPayloadBytes)
      return { ok: false, reason: 'payload too large', detail: { max: this.maxPayloadBytes } };
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return { ok: false, reason: 'not JSON' };
    }
    const parsed = TapBatchSchema.safeParse(json);
    if (!parsed.success) {
      const partial = this.validTapsOf(json);
      if (partial) return this.checkDevice(partial.batch, deviceId, partial.malformedTaps);
      const raw = json as { batchId?: unknown } | null;
      return {
        ok: false,
        reason: 'not a tap batch',
        detail: {
          batchId: typeof raw === 'object' && raw !== null ? safeId(raw.batchId) : undefined,
          // Paths and codes only: issue messages may quote expected values but never inputs, still keep it minimal.
          issues: parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(root)'}:${i.code}`),
          issueCount: parsed.error.issues.length,
        },
      };
    }
    return this.checkDevice(parsed.data, deviceId);
  }

  /**
   * A batch whose envelope is valid, some of whose taps are not, each with an id: its valid taps
   * and the ids of the others (one bad tap must not hold its batch's other riders back forever).
   * Undefined when the envelope is bad, a bad tap has no usable id, or no tap is valid in a v1
   * set-up (nothing to ack).
   */
  private validTapsOf(
    json: unknown,
  ): { batch: TapBatch; malformedTaps: { id: string; issues: string[] }[] } | undefined {
    const env = TapBatchEnvelopeSchema.safeParse(json);
    if (!env.success) return undefined;
    const taps: TapBatch['taps'] = [];
    const malformedTaps: { id: string; issues: string[] }[] = [];
    for (const raw of env.data.taps) {
      const t = TapSchema.safeParse(raw);
      if (t.success) {
        taps.push(t.data);
        continue;
      }
      const id = TapSchema.shape.id.safeParse((raw as { id?: unknown } | null)?.id);
      if (!id.success) return undefined;
      // Paths and codes only (no input values).
      malformedTaps.push({
        id: id.data,
        issues: t.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}:${i.code}`),
      });
    }
    if (taps.length === 0 && !this.opts.ackSigner) return undefined;
    return { batch: { batchId: env.data.batchId, deviceId: env.data.deviceId, taps }, malformedTaps };
  }

  private checkDevice(batch: TapBatch, deviceId: string, malformedTaps?: { id: string; issues: string[] }[]): Outcome {
    if (batch.deviceId !== deviceId)
      return {
        ok: false,
        reason: 'batch deviceId is not the topic device',
        detail: { batchId: batch.batchId, batchDeviceId: batch.deviceId },
      };
    const stray = batch.taps.filter((t) => t.deviceId !== deviceId);
    if (stray.length)
      return {
        ok: false,
        reason: 'tap deviceId is not the topic device',
        detail: { batchId: batch.batchId, tapIds: stray.slice(0, 10).map((t) => t.id), n: stray.length },
      };
    return { ok: true, batch, deviceId, ...(malformedTaps?.length ? { malformedTaps } : {}) };
  }

  private async rejectBatch(
    topic: string,
    bytes: number,
    reason: string,
    detail: Record<string, unknown> = {},
  ): Promise<void> {
    const deviceId = deviceOfTopic(this.prefix, topic);
    this.c.malformed++;
    try {
      await this.opts.store.recordMalformed(deviceId ?? UNKNOWN_DEVICE);
    } catch (e) {
      this.log.error(errorFields(e), 'could not count a malformed batch');
    }
    this.log.warn(
      { deviceId: deviceId ?? null, bytes, reason, ...detail },
      'malformed batch rejected; not acknowledged',
    );
    this.emit('malformed', { topic, deviceId, bytes, reason });
  }
}
