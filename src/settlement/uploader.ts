/**
 * Settlement uploader (settlement-mqtt-v1): reads unsettled taps from the store in order,
 * publishes them in batches at QoS 1 on `P/gates/D/taps`, and marks taps settled only when an
 * ack on `P/gates/D/acks` names them. What is not acknowledged is re-sent after a timeout that
 * doubles per attempt (capped). A token bucket caps the upload rate so a week's backlog drains
 * without starving decisions. Nothing here deletes an unsettled tap.
 */
import { AckSchema, tapToMessage, type TapBatch, type TapMessage } from '../contract/settlement.ts';
import type { SettlementConfig } from '../config/schema.ts';
import { FaregateError, errorFields, errorMessage } from '../errors/faregateError.ts';
import type { MqttPort } from '../mqtt/mqttPort.ts';
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
  timeouts: number;
  publishFailures: number;
  lastUploadAt: number | null;
  lastAckAt: number | null;
}

interface InFlight {
  sentAt: number;
  size: number;
}

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
    timeouts: 0,
    publishFailures: 0,
    lastUploadAt: null,
    lastAckAt: null,
  };
  private readonly inFlight = new Map<string, InFlight>();
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
  ) {
    this.burst = cfg.batchSize * cfg.maxInFlight;
    this.tokens = this.burst;
    this.tokensAt = clock.now();
  }

  /** Delay before a tap sent `attempts` times is due again. */
  retryAfter = (attempts: number): number =>
    Math.min(this.cfg.ackTimeoutMs * 2 ** Math.max(0, attempts - 1), this.cfg.maxBackoffMs);

  start(): void {
    this.stopped = false;
    this.link.subscribe(this.link.topics.acks, (_t, payload) => this.onAck(payload));
    this.link.on('connected', () => {
      if (this.stopped) return;
      // Whatever was in flight may be lost with the old connection: make it due again now.
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

  private expire(now: number): void {
    for (const [id, f] of this.inFlight) {
      if (now - f.sentAt >= this.cfg.ackTimeoutMs) {
        this.inFlight.delete(id);
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
      this.tokens -= ids.length;
      this.stats.batchesSent++;
      this.stats.tapsSent += ids.length;
      this.stats.lastUploadAt = now;
      this.link.publish(this.link.topics.taps, batch, { qos: 1 }).catch((e: unknown) => {
        this.stats.publishFailures++;
        this.inFlight.delete(batch.batchId);
        this.log.warn({ batchId: batch.batchId, ...errorFields(e) }, 'batch publish failed: its taps will be re-sent');
      });
      // Let decisions run between batches.
      await new Promise((r) => setImmediate(r));
    }
  }

  private onAck(payload: Buffer): void {
    let ack;
    try {
      const r = AckSchema.safeParse(JSON.parse(payload.toString('utf8')));
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

  /** After stop nothing is published; acks still arriving (the link stops later) settle taps. */
  stop(): void {
    this.stopped = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
  }
}
