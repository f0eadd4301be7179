/**
 * One frame's way through the validator: decide → (accepted) commit the tap durably → tell the
 * gate. The commit happens before the gate opens and before the code enters the replay
 * memory; if the store cannot take the tap, the gate stays shut (no ride without a record).
 */
import type { Config } from '../config/schema.ts';
import { fareFor } from '../fare/fare.ts';
import type { GateDispatcher } from '../gate/gateDispatcher.ts';
import type { Logger } from '../platform/logger.ts';
import { dropTellsRider } from '../scanner/dropAnswer.ts';
import type { DropEnd, DropReason } from '../scanner/types.ts';
import type { TapStore, Tap } from '../store/tapStore.ts';
import { uuidv7 } from '../store/uuidv7.ts';
import { MESSAGE_CLASS, MESSAGE_TEXT, REASONS, type Reason } from '../token/reasons.ts';
import type { Clock, Decision, RideCodeValidator } from '../token/validator.ts';
import { FLAG_FREE_PASS, POLICY_SIGNAL, type GatePolicy, type PolicyReason } from '../policy/gatePolicy.ts';

/** Outcome kinds counted for health and metrics. */
export type OutcomeReason = Reason | 'store_unavailable' | PolicyReason | 'lists_stale';

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
  /** A refusal by the gate policy (src/policy), not by the token checks: `decision.reason` is then absent. */
  policyReason?: PolicyReason;
  /** Free pass (evacuation) was on: the gate opened whatever the decision. */
  freePass?: boolean;
  /** An accepted code turned away by the signed-lists policy (stale lists, policy `reject`). */
  listsReason?: 'lists_stale';
}

export interface TapProcessorDeps {
  validator: RideCodeValidator;
  store: TapStore;
  gate: GateDispatcher;
  config: Pick<Config, 'deviceId' | 'mode' | 'place' | 'direction' | 'fare'>;
  clock: Clock;
  logger: Logger;
  /** Modes and metro rules (free pass, out of service, anti-passback, exit matching); none = token checks only. */
  policy?: GatePolicy;
  /** Observers (status, metrics, later the uploader's wake-up). */
  onOutcome?: (o: Outcome) => void;
  /** Signed lists (src/fleet/listSync.ts): flags for accepted taps, or a refusal while the lists are stale. */
  lists?: { tapFlags(): string[] | undefined; refusal(): 'lists_stale' | undefined };
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
    const policy = this.deps.policy;
    const freePass = policy?.freePass ?? false;
    if (!freePass && policy?.outOfService) return this.refuse({ decision: 'reject', reasonNumber: 0, message: 'see_staff', at: nowMs / 1000 }, 'out_of_service', nowMs);
    const d = validator.evaluate(text, nowMs / 1000);
    const outcome: Outcome = { decision: d };
    if (freePass) outcome.freePass = true;
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
      // Free pass: recorded as such, not charged.
      const fare = freePass ? 0 : fareFor(config.fare, config.mode, config.direction, d.profile!, d.cap);
      if (fare !== undefined) tap.fare = fare;
      if (freePass) tap.flags = [FLAG_FREE_PASS];
      else if (policy) {
        const adm = policy.admit(tap);
        if (!adm.ok) return this.refuse(d, adm.reason, nowMs, adm.detail);
        if (adm.flags.length) tap.flags = adm.flags;
      }
      if (!freePass && this.deps.lists) {
        const refusal = this.deps.lists.refusal();
        if (refusal) return this.refuseForLists(d, refusal, nowMs);
        const lf = this.deps.lists.tapFlags();
        if (lf) tap.flags = [...(tap.flags ?? []), ...lf];
      }
      try {
        store.recordTap(tap);
      } catch (e) {
        outcome.storeError = (e as Error).message;
        this.counters.reject++;
        this.count('store_unavailable');
        this.log.error({ err: outcome.storeError, codeId: d.codeId }, 'accepted code could not be recorded: gate stays shut');
        store.recordEvent({ at: tap.at, kind: 'store_error', reason: 'store_unavailable', codeId: d.codeId! });
        // In an evacuation the gate opens even without a record.
        gate.signal(freePass ? { action: 'open', message: 'go', text: MESSAGE_TEXT.go } : { action: 'reject', message: 'see_staff', text: MESSAGE_TEXT.see_staff });
        this.deps.onOutcome?.(outcome);
        return outcome;
      }
      validator.remember(d);
      policy?.committed(tap);
      outcome.tap = tap;
      this.counters.accept++;
      gate.signal({ action: 'open', message: 'go', text: MESSAGE_TEXT.go, tapId: tap.id, ...(fare !== undefined ? { fare } : {}) });
      this.log.info(
        { decision: 'accept', tapId: tap.id, codeId: d.codeId, sub: d.subHex, profile: d.profile, fare, cached: d.credentialCached, ...(tap.flags ? { flags: tap.flags } : {}) },
        'accept',
      );
    } else {
      const reason = d.reason!;
      this.counters[d.decision]++;
      this.count(reason);
      const ev = { at: Math.floor(nowMs), kind: d.decision, reason } as const;
      store.recordEvent({ ...ev, ...(d.codeId ? { codeId: d.codeId } : {}), ...(d.subHex ? { sub: d.subHex } : {}) });
      if (d.decision === 'reject')
        gate.signal(freePass ? { action: 'open', message: 'go', text: MESSAGE_TEXT.go } : { action: 'reject', message: MESSAGE_CLASS[reason], text: MESSAGE_TEXT[MESSAGE_CLASS[reason]] });
      const fields = { decision: d.decision, reason, codeId: d.codeId, sub: d.subHex, ...(d.detail ? { detail: d.detail } : {}), ...(freePass ? { freePass: true } : {}) };
      if (d.decision === 'ignore') this.log.debug(fields, d.decision);
      else this.log.info(fields, d.decision);
    }
    this.deps.onOutcome?.(outcome);
    return outcome;
  }

  /** A refusal by the gate policy: counted, kept as an event, the gate says why; nothing is committed. */
  private refuse(d: Decision, reason: PolicyReason, nowMs: number, detail?: string): Outcome {
    const sig = POLICY_SIGNAL[reason];
    d.decision = 'reject';
    d.message = sig.message;
    const outcome: Outcome = { decision: d, policyReason: reason };
    this.counters.reject++;
    this.count(reason);
    this.deps.store.recordEvent({ at: Math.floor(nowMs), kind: 'reject', reason, ...(d.codeId ? { codeId: d.codeId } : {}), ...(d.subHex ? { sub: d.subHex } : {}) });
    this.deps.gate.signal({ action: 'reject', message: sig.message, text: sig.text });
    this.log.info({ decision: 'reject', reason, codeId: d.codeId, sub: d.subHex, ...(detail ? { detail } : {}) }, 'reject');
    this.deps.onOutcome?.(outcome);
    return outcome;
  }

  /** An accepted code turned away because the signed lists are stale (policy `reject`): see staff. */
  private refuseForLists(d: Decision, reason: 'lists_stale', nowMs: number): Outcome {
    d.decision = 'reject';
    d.message = 'see_staff';
    const outcome: Outcome = { decision: d, listsReason: reason };
    this.counters.reject++;
    this.count(reason);
    this.deps.store.recordEvent({ at: Math.floor(nowMs), kind: 'reject', reason, ...(d.codeId ? { codeId: d.codeId } : {}), ...(d.subHex ? { sub: d.subHex } : {}) });
    this.deps.gate.signal({ action: 'reject', message: 'see_staff', text: MESSAGE_TEXT.see_staff });
    this.log.info({ decision: 'reject', reason, codeId: d.codeId, sub: d.subHex }, 'reject');
    this.deps.onOutcome?.(outcome);
    return outcome;
  }

  /**
   * Scanner input that was not a frame: counted as malformed, kept as an event. A junk line the
   * rider made (src/scanner/dropAnswer.ts) is answered like a malformed frame, `scan_again`
   * (reason 1), so the rider tries again; it stores no tap. Other drops stay silent.
   */
  handleDropped(reason: DropReason, length: number, endedBy: DropEnd): Outcome | undefined {
    const { clock, store, gate } = this.deps;
    const nowMs = clock.now();
    this.counters.reject++;
    this.count('malformed');
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
    store.recordEvent({ at: Math.floor(nowMs), kind: 'dropped', reason: `malformed:${reason}` });
    if (!dropTellsRider(reason, endedBy)) {
      this.log.info({ decision: 'reject', reason: 'malformed', dropped: reason, length, endedBy, answered: false }, 'reject');
      return undefined;
    }
    const d: Decision = { decision: 'reject', reason: 'malformed', reasonNumber: REASONS.malformed, message: MESSAGE_CLASS.malformed, at: nowMs / 1000, detail: `scanner input dropped: ${reason}` };
    const policy = this.deps.policy;
    const outcome: Outcome = { decision: d };
    // The same answer a malformed frame gets: free pass opens, out of service says see staff.
    if (policy?.freePass) {
      outcome.freePass = true;
      gate.signal({ action: 'open', message: 'go', text: MESSAGE_TEXT.go });
    } else if (policy?.outOfService) {
      d.message = POLICY_SIGNAL.out_of_service.message;
      outcome.policyReason = 'out_of_service';
      gate.signal({ action: 'reject', message: d.message, text: POLICY_SIGNAL.out_of_service.text });
    } else gate.signal({ action: 'reject', message: d.message, text: MESSAGE_TEXT[d.message] });
    this.log.info({ decision: 'reject', reason: 'malformed', dropped: reason, length, endedBy, answered: true, ...(outcome.freePass ? { freePass: true } : {}) }, 'reject');
    this.deps.onOutcome?.(outcome);
    return outcome;
  }
}
