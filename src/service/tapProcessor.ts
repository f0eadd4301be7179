/**
 * One frame's way through the validator: the credential formats decide the code (src/token), the
 * admission core says what the gate does with it (src/admission), and this commits, remembers,
 * signals and emits. The commit happens before the gate opens and before the code enters the
 * replay memory; if the store cannot take the tap, the gate stays shut (no ride without a record),
 * except during a free pass (an evacuation opens whatever happens).
 */
import {
  admit,
  refusal,
  type Accepted,
  type AdmissionContext,
  type AdmissionSettings,
  type Ignored,
  type ListFreshness,
  type Refused,
  type TokenRead,
} from '../admission/admit.ts';
import type { AdmissionReason } from '../admission/reasons.ts';
import { errorMessage } from '../errors/faregateError.ts';
import type { GateDispatcher } from '../gate/gateDispatcher.ts';
import type { Logger } from '../platform/logger.ts';
import type { GatePolicy } from '../policy/gatePolicy.ts';
import { dropTellsRider } from '../scanner/dropAnswer.ts';
import type { DropEnd, DropReason, ScannerFrame } from '../scanner/types.ts';
import type { Tap, TapStore } from '../store/tapStore.ts';
import { uuidv7 } from '../store/uuidv7.ts';
import { unrecognised, type CredentialPort } from '../token/credentialFormat.ts';
import type { Clock, Decision } from '../token/decision.ts';
import type { DecisionKind, MessageClass } from '../token/reasons.ts';

/** Outcome reasons counted for health and metrics: every reason of src/admission/reasons.ts. */
export type OutcomeReason = AdmissionReason;

export interface Counters {
  accept: number;
  reject: number;
  ignore: number;
  byReason: Partial<Record<OutcomeReason, number>>;
  dropped: Partial<Record<DropReason, number>>;
}

/** What became of one frame (or one answered junk line), for observers. */
export interface Outcome {
  /** What the rider got: `reject` also when an accepted code could not be recorded. */
  decision: DecisionKind;
  /** The one reason (token or service, src/admission/reasons.ts); absent on accept. */
  reason?: OutcomeReason;
  /** The reason's stable number; 0 on accept. */
  reasonNumber: number;
  /** The reason's message class (`go` on accept). During a free pass the gate opened all the same. */
  message: MessageClass;
  /** Unix ms. */
  at: number;
  /** The credential format's decision; absent when the frame was not decoded (out of service). */
  token?: Decision;
  /** The committed tap (accept only). */
  tap?: Tap;
  /** Free pass (evacuation) was on: the gate opened whatever the decision. */
  freePass?: boolean;
  /** For logs: the token's detail, the policy's, or the store's error. */
  detail?: string;
}

export interface TapProcessorDeps {
  /** The ride-code formats (src/token/formats.ts). */
  credentials: CredentialPort;
  store: TapStore;
  gate: GateDispatcher;
  config: AdmissionSettings;
  clock: Clock;
  logger: Logger;
  /** Modes and metro entry memory; none = no modes and no metro rules (token checks and fares only). */
  policy?: GatePolicy;
  /** Observers (status, metrics, later the uploader's wake-up). */
  onOutcome?: (o: Outcome) => void;
  /** Signed lists (src/fleet/listSync.ts): whether they are stale, and under which policy. */
  lists?: { freshness(): ListFreshness };
}

const NO_MODES = { freePass: false, outOfService: false } as const;
const FRESH = (): ListFreshness => 'fresh';

/** The frame being handled, read by admission only when a rule needs the token decision. */
class FrameRead implements TokenRead {
  /** A text frame, or a binary frame (jtt1179-reading §1.1) for the format that reads those. */
  frame: ScannerFrame = '';
  nowSec = 0;
  constructor(private readonly credentials: CredentialPort) {}
  decide(): Decision {
    const f = this.frame;
    return typeof f === 'string'
      ? this.credentials.evaluate(f, this.nowSec)
      : this.credentials.evaluateFrame(f, this.nowSec);
  }
}

export class TapProcessor {
  readonly counters: Counters = { accept: 0, reject: 0, ignore: 0, byReason: {}, dropped: {} };
  private readonly log: Logger;
  /** One context for every frame (settings and modes are live views; only the time changes). */
  private readonly ctx: { -readonly [K in keyof AdmissionContext]: AdmissionContext[K] };
  private readonly frame: FrameRead;

  constructor(private readonly deps: TapProcessorDeps) {
    this.log = deps.logger;
    const lists = deps.lists;
    this.ctx = {
      settings: deps.config,
      modes: deps.policy?.modes ?? NO_MODES,
      entries: deps.policy?.entries,
      lists: lists ? () => lists.freshness() : FRESH,
      nowMs: 0,
    };
    this.frame = new FrameRead(deps.credentials);
  }

  private count(reason: OutcomeReason): void {
    this.counters.byReason[reason] = (this.counters.byReason[reason] ?? 0) + 1;
  }

  /**
   * Handles one cleaned frame, text or binary (both take the same admission path). Synchronous:
   * the tap is on disk when this returns.
   */
  handleFrame(frame: ScannerFrame): Outcome {
    const nowMs = this.deps.clock.now();
    this.ctx.nowMs = nowMs;
    this.frame.frame = frame;
    this.frame.nowSec = nowMs / 1000;
    const a = admit(this.frame, this.ctx);
    this.frame.frame = '';
    switch (a.kind) {
      case 'accept':
        return this.commit(a, nowMs);
      case 'reject':
      case 'ignore':
        return this.turnAway(a, nowMs);
    }
  }

  /** Commits the tap, then remembers it and opens the gate; a store failure turns the rider away. */
  private commit(a: Accepted, nowMs: number): Outcome {
    const { store, gate } = this.deps;
    const d = a.token;
    const tap: Tap = { id: uuidv7(nowMs), ...a.tap };
    try {
      store.recordTap(tap);
    } catch (e) {
      const err = errorMessage(e);
      const r = refusal('store_unavailable', a.freePass, d, err);
      this.counters.reject++;
      this.count(r.reason);
      this.log.error({ err, codeId: d.codeId }, 'accepted code could not be recorded: gate stays shut');
      store.recordEvent({ at: tap.at, kind: 'store_error', reason: r.reason, codeId: tap.codeId });
      // In an evacuation the gate opens even without a record (the refusal's signal says so).
      gate.signal(r.signal);
      return this.emit(this.outcomeOf(r, nowMs));
    }
    this.deps.credentials.remember(d);
    this.deps.policy?.committed(tap);
    this.counters.accept++;
    const fare = tap.fare;
    gate.signal({ ...a.signal, tapId: tap.id, ...(fare !== undefined ? { fare } : {}) });
    this.log.info(
      {
        decision: 'accept',
        tapId: tap.id,
        ...(d.format ? { format: d.format } : {}),
        codeId: d.codeId,
        sub: d.subHex,
        profile: d.profile,
        fare,
        cached: d.credentialCached,
        ...(tap.flags ? { flags: tap.flags } : {}),
      },
      'accept',
    );
    const o: Outcome = { decision: 'accept', reasonNumber: 0, message: 'go', at: Math.floor(nowMs), token: d, tap };
    if (a.freePass) o.freePass = true;
    return this.emit(o);
  }

  /** The one refusal path (token, policy, lists, mode) and the silent duplicate: counted, kept as an event. */
  private turnAway(a: Refused | Ignored, nowMs: number): Outcome {
    const d = a.token;
    const reason = a.reason;
    this.counters[a.kind]++;
    this.count(reason);
    const codeId = d?.codeId;
    const sub = d?.subHex;
    const at = Math.floor(nowMs);
    this.deps.store.recordEvent({ at, kind: a.kind, reason, ...(codeId ? { codeId } : {}), ...(sub ? { sub } : {}) });
    if (a.kind === 'reject') this.deps.gate.signal(a.signal);
    const detail = a.kind === 'reject' ? a.detail : undefined;
    const freePass = a.freePass ? { freePass: true } : {};
    const fields = { decision: a.kind, reason, codeId, sub, ...(detail ? { detail } : {}), ...freePass };
    if (a.kind === 'ignore') this.log.debug(fields, a.kind);
    else this.log.info(fields, a.kind);
    return this.emit(this.outcomeOf(a, nowMs));
  }

  private outcomeOf(a: Refused | Ignored, nowMs: number): Outcome {
    const { kind: decision, reason, reasonNumber, message } = a;
    const o: Outcome = { decision, reason, reasonNumber, message, at: Math.floor(nowMs) };
    if (a.token) o.token = a.token;
    if (a.freePass) o.freePass = true;
    if (a.kind === 'reject' && a.detail !== undefined) o.detail = a.detail;
    return o;
  }

  private emit(o: Outcome): Outcome {
    this.deps.onOutcome?.(o);
    return o;
  }

  /**
   * Scanner input that was not a frame: counted as malformed, kept as an event. A junk line the
   * rider made (src/scanner/dropAnswer.ts) is admitted as a malformed decision, so its answer
   * follows the same mode rules as a malformed frame (`scan_again`, reason 1; free pass opens;
   * out of service says see staff); it stores no tap. Other drops stay silent.
   */
  handleDropped(reason: DropReason, length: number, endedBy: DropEnd): Outcome | undefined {
    const { clock, store, gate } = this.deps;
    const nowMs = clock.now();
    this.counters.reject++;
    this.count('malformed');
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
    store.recordEvent({ at: Math.floor(nowMs), kind: 'dropped', reason: `malformed:${reason}` });
    const logged = { decision: 'reject', reason: 'malformed', dropped: reason, length, endedBy };
    if (!dropTellsRider(reason, endedBy)) {
      this.log.info({ ...logged, answered: false }, 'reject');
      return undefined;
    }
    const junk = unrecognised(nowMs / 1000, `scanner input dropped: ${reason}`);
    this.ctx.nowMs = nowMs;
    const a = admit({ decide: () => junk }, this.ctx);
    if (a.kind !== 'reject') throw new Error(`a malformed decision was admitted as ${a.kind}`);
    gate.signal(a.signal);
    this.log.info({ ...logged, answered: true, ...(a.freePass ? { freePass: true } : {}) }, 'reject');
    return this.emit(this.outcomeOf(a, nowMs));
  }
}
