/**
 * Settlement uploader (settlement-mqtt-v1): reads unsettled taps from the store in order,
 * publishes them in batches at QoS 1 on `P/gates/D/taps`, and marks taps settled only when an
 * ack on `P/gates/D/acks` names them. What is not acknowledged is re-sent after a timeout that
 * doubles per attempt (capped). A token bucket caps the upload rate so a week's backlog drains
 * without starving decisions. Nothing here deletes an unsettled tap.
 *
 * Signed acks (settlement-mqtt-v1 Amendment 1): with the backend's public keys pinned
 * (`settlement.backendKeys`), an ack is taken only when it is a flattened JWS that verifies under
 * the pinned key its `kid` names (that key's `alg`, `typ` faregate-ack+json, no `crit`), names
 * this device, names a batch this uploader sent and still remembers (waiting for its ack, or timed
 * out within the last REMEMBER_TIMEOUTS ack timeouts), and names only taps of that batch. An id
 * repeated within `tapIds`, or within `rejected`, counts once (the first `rejected` reason is
 * kept); an id in both `tapIds` and `rejected` contradicts itself and refuses the ack. Anything
 * else changes nothing: it is counted (`ackRefused`) and logged (without tap ids). `rejected`
 * taps are marked rejected in the store (kept, never re-sent, never settled). Without keys (only
 * with `settlement.acceptUnsignedAcks`) v1 acks are taken as before.
 */
import {
  ACK_TYP,
  AckSchema,
  SignedAckPayloadSchema,
  tapToMessage,
  type TapBatch,
  type TapMessage,
} from '../contract/settlement.ts';
import type { SettlementConfig } from '../config/schema.ts';
import { FaregateError, errorFields, errorMessage } from '../errors/faregateError.ts';
import type { MqttPort } from '../mqtt/mqttPort.ts';
import { verifyFlattenedJws, type JwsKeySet } from '../lists/jws.ts';
import type { Logger } from '../platform/logger.ts';
import type { Component } from '../platform/component.ts';
import type { StoredTap, TapStore } from '../store/tapStore.ts';
import { uuidv7 } from '../store/uuidv7.ts';
import type { Clock } from '../token/validator.ts';

export interface UploaderStats {
  batchesSent: number;
  tapsSent: number;
  acks: number;
  tapsSettled: number;
  /** Ack ids that named taps already settled or unknown (duplicated acks). */
  ackIdsIgnored: number;
  malformedAcks: number;
  /**
   * Acks refused (unsigned, bad signature, other device, unknown batch, ids outside the batch, an
   * id both settled and rejected): nothing changed.
   */
  ackRefused: number;
  /** Taps the backend rejected in signed acks (marked rejected, never re-sent). */
  tapsRejected: number;
  /** `signed`: only acks signed by a pinned backend key; `unsigned`: v1 acks taken (acceptUnsignedAcks). */
  ackMode: 'signed' | 'unsigned';
  timeouts: number;
  publishFailures: number;
  lastUploadAt: number | null;
  lastAckAt: number | null;
}

interface InFlight {
  sentAt: number;
  size: number;
}

/**
 * A batch sent and remembered for its ack: its tap ids, those no genuine ack has named yet, and
 * when it is forgotten (Infinity while waiting).
 */
interface SentBatch {
  ids: ReadonlySet<string>;
  open: Set<string>;
  forgetAt: number;
}

/** A batch that timed out is still remembered this many ack timeouts (a genuine late ack settles it). */
export const REMEMBER_TIMEOUTS = 4;
/** Most batches remembered after their timeout (the oldest are forgotten first). */
const MAX_REMEMBERED = 1024;

export interface AckOptions {
  /** The backend's pinned public keys: only signed acks are taken. Absent: v1 acks are taken. */
  backendKeys?: JwsKeySet;
}

/** Why a signed-ack validator refused an ack (logged and counted; nothing changed). */
export type AckRefusal =
  | 'unsigned_or_malformed'
  | 'wrong_typ'
  | 'unsupported_alg'
  | 'unknown_kid'
  | 'alg_mismatch'
  | 'key_not_valid'
  | 'bad_signature'
  | 'bad_payload'
  | 'other_device'
  | 'unknown_batch'
  | 'finished_batch'
  | 'id_not_in_batch'
  | 'settled_and_rejected';

/** Whether a parsed message has the shape of a flattened JWS (a signed ack, Amendment 1). */
const isFlattenedJws = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  ['protected', 'payload', 'signature'].every((k) => typeof (v as Record<string, unknown>)[k] === 'string');

/** The wire form of a stored tap (the contract's one conversion). */
export const toTapMessage = (t: StoredTap): TapMessage => tapToMessage(t);

export class TapUploader implements Component {
  readonly name = 'uploader';
  readonly stats: UploaderStats = {
    batchesSent: 0,
    tapsSent: 0,
    acks: 0,
    tapsSettled: 0,
    ackIdsIgnored: 0,
    malformedAcks: 0,
    ackRefused: 0,
    tapsRejected: 0,
    ackMode: 'unsigned',
    timeouts: 0,
    publishFailures: 0,
    lastUploadAt: null,
    lastAckAt: null,
  };
  private readonly inFlight = new Map<string, InFlight>();
  /** Batches sent whose ack is still taken (signed mode): waiting, or timed out recently. */
  private readonly sent = new Map<string, SentBatch>();
  /** Batches whose every tap a genuine ack named (bounded): a later ack for one is a replay or a duplicate. */
  private readonly finished = new Set<string>();
  private readonly keys: JwsKeySet | undefined;
  private tokens: number;
  private tokensAt: number;
  private pumping = false;
  private again = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly burst: number;

  constructor(
    private readonly store: TapStore,
    private readonly link: MqttPort,
    private readonly cfg: SettlementConfig,
    private readonly deviceId: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    acks: AckOptions = {},
  ) {
    this.keys = acks.backendKeys;
    this.stats.ackMode = this.keys ? 'signed' : 'unsigned';
    this.burst = cfg.batchSize * cfg.maxInFlight;
    this.tokens = this.burst;
    this.tokensAt = clock.now();
  }

  /** Delay before a tap sent `attempts` times is due again. */
  retryAfter = (attempts: number): number =>
    Math.min(this.cfg.ackTimeoutMs * 2 ** Math.max(0, attempts - 1), this.cfg.maxBackoffMs);

  start(): void {
    this.stopped = false;
    if (!this.keys)
      this.log.warn(
        { acceptUnsignedAcks: true },
        'unsigned acks are taken (settlement.acceptUnsignedAcks): ' +
          'anyone who can publish on the acks topic can mark taps settled',
      );
    this.link.subscribe(this.link.topics.acks, (_t, payload) => {
      if (this.keys) void this.onSignedAck(payload, this.keys);
      else this.onAck(payload);
    });
    this.link.on('connected', () => {
      if (this.stopped) return;
      // Whatever was in flight may be lost with the old connection: make it due again now.
      const now = this.clock.now();
      for (const id of this.inFlight.keys()) this.forgetLater(id, now);
      this.inFlight.clear();
      this.store.makeAllDue();
      this.kick();
    });
    this.tickTimer = setInterval(() => this.kick(), 250);
    this.tickTimer.unref();
  }

  /** A tap was committed: send it after the linger time, with whatever else arrives meanwhile. */
  notify(): void {
    if (this.lingerTimer || this.stopped) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      this.kick();
    }, this.cfg.lingerMs);
  }

  get inFlightBatches(): number {
    return this.inFlight.size;
  }

  private refill(now: number): void {
    const rate = this.cfg.maxTapsPerSecond;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.tokensAt) / 1000) * rate);
    this.tokensAt = now;
  }

  /** A batch no longer waited for is still taken for a few ack timeouts, then forgotten. */
  private forgetLater(id: string, now: number): void {
    const b = this.sent.get(id);
    if (b && b.forgetAt === Infinity) b.forgetAt = now + REMEMBER_TIMEOUTS * this.cfg.ackTimeoutMs;
  }

  private expire(now: number): void {
    for (const [id, b] of this.sent) if (b.forgetAt <= now) this.sent.delete(id);
    // Bounded: the oldest timed-out batches go first (insertion order is send order).
    if (this.sent.size > MAX_REMEMBERED + this.cfg.maxInFlight)
      for (const [id, b] of this.sent) {
        if (this.sent.size <= MAX_REMEMBERED + this.cfg.maxInFlight) break;
        if (b.forgetAt !== Infinity) this.sent.delete(id);
      }
    for (const [id, f] of this.inFlight) {
      if (now - f.sentAt >= this.cfg.ackTimeoutMs) {
        this.inFlight.delete(id);
        this.forgetLater(id, now);
        this.stats.timeouts++;
        this.log.warn(
          { batchId: id, taps: f.size, waitedMs: now - f.sentAt },
          'no ack for batch: its taps will be re-sent',
        );
      }
    }
  }

  /** Runs the send loop unless it is running; re-runs once if asked meanwhile. */
  kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async pump(): Promise<void> {
    while (!this.stopped && this.link.connected) {
      const now = this.clock.now();
      this.expire(now);
      if (this.inFlight.size >= this.cfg.maxInFlight) return;
      this.refill(now);
      const room = Math.min(this.cfg.batchSize, Math.floor(this.tokens));
      if (room < 1) return;
      let due: StoredTap[];
      try {
        due = this.store.dueForUpload(now, room);
      } catch (e) {
        this.log.error(errorFields(e), 'cannot read taps to upload');
        return;
      }
      if (due.length === 0) return;
      const batch: TapBatch = { batchId: uuidv7(now), deviceId: this.deviceId, taps: due.map(toTapMessage) };
      const ids = due.map((t) => t.id);
      this.store.markSent(ids, now, this.retryAfter);
      this.inFlight.set(batch.batchId, { sentAt: now, size: ids.length });
      if (this.keys) this.sent.set(batch.batchId, { ids: new Set(ids), open: new Set(ids), forgetAt: Infinity });
      this.tokens -= ids.length;
      this.stats.batchesSent++;
      this.stats.tapsSent += ids.length;
      this.stats.lastUploadAt = now;
      this.link.publish(this.link.topics.taps, batch, { qos: 1 }).catch((e: unknown) => {
        this.stats.publishFailures++;
        this.inFlight.delete(batch.batchId);
        this.sent.delete(batch.batchId);
        this.log.warn({ batchId: batch.batchId, ...errorFields(e) }, 'batch publish failed: its taps will be re-sent');
      });
      // Let decisions run between batches.
      await new Promise((r) => setImmediate(r));
    }
  }

  private onAck(payload: Buffer): void {
    let ack;
    try {
      const json: unknown = JSON.parse(payload.toString('utf8'));
      if (isFlattenedJws(json)) {
        // A backend that signs, a validator that pins no key to check it with: say which setting.
        this.stats.malformedAcks++;
        this.log.warn(
          { bytes: payload.length },
          'signed ack ignored: no backend keys to verify it (set settlement.backendKeys); taking only v1 acks',
        );
        return;
      }
      const r = AckSchema.safeParse(json);
      if (!r.success)
        throw new FaregateError(
          'ACK_MALFORMED',
          r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        );
      ack = r.data;
    } catch (e) {
      this.stats.malformedAcks++;
      this.log.warn({ bytes: payload.length, err: errorMessage(e).slice(0, 200) }, 'malformed ack ignored');
      return;
    }
    const now = this.clock.now();
    let settled = 0;
    try {
      settled = this.store.markSettled(ack.tapIds, now);
    } catch (e) {
      this.log.error(errorFields(e), 'cannot mark taps settled (they will be re-sent and acked again)');
      return;
    }
    this.inFlight.delete(ack.batchId);
    this.stats.acks++;
    this.stats.tapsSettled += settled;
    this.stats.ackIdsIgnored += ack.tapIds.length - settled;
    this.stats.lastAckAt = now;
    this.log.debug({ batchId: ack.batchId, settled, named: ack.tapIds.length }, 'ack');
    this.kick();
  }

  /** Refuses an ack: counted and logged (no tap ids), nothing changed. */
  private refuse(reason: AckRefusal, detail: string, batchId?: unknown): void {
    this.stats.ackRefused++;
    const id = typeof batchId === 'string' ? { batchId: batchId.slice(0, 64) } : {};
    this.log.warn({ reason, ...id, detail: detail.slice(0, 200) }, 'ack refused: nothing settled');
  }

  /** A signed ack (Amendment 1): every rule, else refused whole. */
  private async onSignedAck(payload: Buffer, keys: JwsKeySet): Promise<void> {
    const v = await verifyFlattenedJws(payload, keys, { typ: ACK_TYP, nowSec: Math.floor(this.clock.now() / 1000) });
    if (!v.ok) {
      this.refuse(v.error === 'malformed' ? 'unsigned_or_malformed' : v.error, v.detail);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(v.payload.toString('utf8'));
    } catch {
      this.refuse('bad_payload', 'payload is not JSON');
      return;
    }
    const r = SignedAckPayloadSchema.safeParse(json);
    if (!r.success) {
      const why = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      this.refuse('bad_payload', why, (json as { batchId?: unknown } | null)?.batchId);
      return;
    }
    const ack = r.data;
    if (ack.deviceId !== this.deviceId) {
      this.refuse('other_device', `ack names device ${ack.deviceId}`, ack.batchId);
      return;
    }
    const now = this.clock.now();
    const batch = this.sent.get(ack.batchId);
    if (!batch || batch.forgetAt <= now) {
      if (this.finished.has(ack.batchId)) this.refuse('finished_batch', 'batch already settled', ack.batchId);
      else this.refuse('unknown_batch', 'not a batch this validator sent and remembers', ack.batchId);
      return;
    }
    // An id repeated within tapIds, or within rejected, counts once (the first reason kept).
    const tapIds = [...new Set(ack.tapIds)];
    const toReject = new Map<string, { id: string; reason: string }>();
    for (const t of ack.rejected) if (!toReject.has(t.id)) toReject.set(t.id, t);
    const named = [...tapIds, ...toReject.keys()];
    const outside = named.filter((id) => !batch.ids.has(id)).length;
    if (outside > 0) {
      this.refuse('id_not_in_batch', `${outside} id(s) not in the batch`, ack.batchId);
      return;
    }
    const both = tapIds.filter((id) => toReject.has(id)).length;
    if (both > 0) {
      this.refuse('settled_and_rejected', `${both} id(s) both in tapIds and in rejected`, ack.batchId);
      return;
    }
    let settled = 0;
    let rejected = 0;
    try {
      this.store.database.transaction(() => {
        settled = this.store.markSettled(tapIds, now);
        rejected = this.store.markRejected([...toReject.values()], now);
      })();
    } catch (e) {
      this.log.error(errorFields(e), 'cannot mark taps settled (they will be re-sent and acked again)');
      return;
    }
    // A batch is finished once genuine acks have named each of its taps; until then (an empty
    // ack, or a backend that acks a batch in parts) it is remembered like one that timed out, so
    // the rest of it is still taken (its taps are re-sent when due meanwhile).
    for (const id of named) batch.open.delete(id);
    if (batch.open.size === 0) {
      this.sent.delete(ack.batchId);
      this.finished.add(ack.batchId);
      if (this.finished.size > MAX_REMEMBERED) this.finished.delete(this.finished.values().next().value!);
    } else this.forgetLater(ack.batchId, now);
    this.inFlight.delete(ack.batchId);
    this.stats.acks++;
    this.stats.tapsSettled += settled;
    this.stats.tapsRejected += rejected;
    this.stats.ackIdsIgnored += named.length - settled - rejected;
    this.stats.lastAckAt = now;
    if (rejected > 0) {
      const reasons = [...new Set([...toReject.values()].map((t) => t.reason))].slice(0, 8);
      this.log.warn({ batchId: ack.batchId, rejected, reasons }, 'the backend rejected taps: kept, not sent again');
    }
    this.log.debug({ batchId: ack.batchId, settled, rejected, named: named.length }, 'signed ack');
    this.kick();
  }

  /** After stop nothing is published; acks still arriving (the link stops later) settle taps. */
  stop(): void {
    this.stopped = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
  }
}
