/**
 * One frame's way through the validator: decide → (accepted) commit the tap durably → tell the
 * gate. The commit happens before the gate opens and before the code enters the replay
 * memory; if the store cannot take the tap, the gate stays shut (no ride without a record).
 */
import type { Config } from '../config/schema.ts';
import { fareFor } from '../fare/fare.ts';
import type { GateDispatcher } from '../gate/gateDispatcher.ts';
import type { Logger } from '../platform/logger.ts';
import type { DropReason } from '../scanner/types.ts';
import type { TapStore, Tap } from '../store/tapStore.ts';
import { uuidv7 } from '../store/uuidv7.ts';
import { MESSAGE_CLASS, MESSAGE_TEXT, type Reason } from '../token/reasons.ts';
import type { Clock, Decision, RideCodeValidator } from '../token/validator.ts';

/** Outcome kinds counted for health and metrics. */
export type OutcomeReason = Reason | 'store_unavailable';

export interface Counters {
  accept: number;
  reject: number;
  ignore: number;
  byReason: Partial<Record<OutcomeReason, number>>;
  dropped: Partial<Record<DropReason, number>>;
}

export interface Outcome {
  decision: Decision;
  tap?: Tap;
  /** Set when an accepted code could not be recorded (the rider is turned away). */
  storeError?: string;
}

export interface TapProcessorDeps {
  validator: RideCodeValidator;
  store: TapStore;
  gate: GateDispatcher;
  config: Pick<Config, 'deviceId' | 'mode' | 'place' | 'direction' | 'fare'>;
  clock: Clock;
  logger: Logger;
  /** Observers (status, metrics, later the uploader's wake-up). */
  onOutcome?: (o: Outcome) => void;
}

export class TapProcessor {
  readonly counters: Counters = { accept: 0, reject: 0, ignore: 0, byReason: {}, dropped: {} };
  private readonly log: Logger;

  constructor(private readonly deps: TapProcessorDeps) {
    this.log = deps.logger;
  }

  private count(reason: OutcomeReason): void {
    this.counters.byReason[reason] = (this.counters.byReason[reason] ?? 0) + 1;
  }

  /** Handles one cleaned frame. Synchronous: the tap is on disk when this returns. */
  handleFrame(text: string): Outcome {
    const { validator, store, gate, config, clock } = this.deps;
    const nowMs = clock.now();
    const d = validator.evaluate(text, nowMs / 1000);
    const outcome: Outcome = { decision: d };
    if (d.decision === 'accept') {
      const tap: Tap = {
        id: uuidv7(nowMs),
        deviceId: config.deviceId,
        at: Math.floor(nowMs),
        mode: config.mode,
        place: config.place,
        direction: config.direction,
        sub: d.subHex!,
        cti: d.ctiHex!,
        codeId: d.codeId!,
        ts: d.ts!,
        seq: d.seq!,
        profile: d.profile!,
        currency: config.fare.currency,
      };
      const fare = fareFor(config.fare, config.mode, config.direction, d.profile!, d.cap);
      if (fare !== undefined) tap.fare = fare;
      try {
        store.recordTap(tap);
      } catch (e) {
        outcome.storeError = (e as Error).message;
        this.counters.reject++;
        this.count('store_unavailable');
        this.log.error({ err: outcome.storeError, codeId: d.codeId }, 'accepted code could not be recorded: gate stays shut');
        store.recordEvent({ at: tap.at, kind: 'store_error', reason: 'store_unavailable', codeId: d.codeId! });
        gate.signal({ action: 'reject', message: 'see_staff', text: MESSAGE_TEXT.see_staff });
        this.deps.onOutcome?.(outcome);
        return outcome;
      }
      validator.remember(d);
      outcome.tap = tap;
      this.counters.accept++;
      gate.signal({ action: 'open', message: 'go', text: MESSAGE_TEXT.go, tapId: tap.id, ...(fare !== undefined ? { fare } : {}) });
      this.log.info(
        { decision: 'accept', tapId: tap.id, codeId: d.codeId, sub: d.subHex, profile: d.profile, fare, cached: d.credentialCached },
        'accept',
      );
    } else {
      const reason = d.reason!;
      this.counters[d.decision]++;
      this.count(reason);
      const ev = { at: Math.floor(nowMs), kind: d.decision, reason } as const;
      store.recordEvent({ ...ev, ...(d.codeId ? { codeId: d.codeId } : {}), ...(d.subHex ? { sub: d.subHex } : {}) });
      if (d.decision === 'reject') gate.signal({ action: 'reject', message: MESSAGE_CLASS[reason], text: MESSAGE_TEXT[MESSAGE_CLASS[reason]] });
      const fields = { decision: d.decision, reason, codeId: d.codeId, sub: d.subHex, ...(d.detail ? { detail: d.detail } : {}) };
      if (d.decision === 'ignore') this.log.debug(fields, d.decision);
      else this.log.info(fields, d.decision);
    }
    this.deps.onOutcome?.(outcome);
    return outcome;
  }

  /** Scanner input that was not a frame: counted as malformed, kept as an event. */
  handleDropped(reason: DropReason, length: number): void {
    this.counters.reject++;
    this.count('malformed');
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
    this.deps.store.recordEvent({ at: Math.floor(this.deps.clock.now()), kind: 'dropped', reason: `malformed:${reason}` });
    this.log.info({ decision: 'reject', reason: 'malformed', dropped: reason, length }, 'reject');
  }
}
