/**
 * Admission: what this gate does with one frame, as one pure function. It takes the credential
 * format's decision (src/token) and the gate's context (settings, modes, the rider's entry memory,
 * list freshness, the time) and returns one {@link Admission}: accept with the tap to commit, a
 * refusal with exactly one reason, or ignore (a duplicate read). No I/O, no clock, no mutation:
 * src/service/tapProcessor.ts commits, remembers, signals and emits what this decides.
 *
 * The rules, in order (the first that applies decides):
 * 1. free pass (evacuation): the gate opens for every frame; valid codes are taps with fare 0 and
 *    flag `free_pass`, invalid ones are refusals that still open. Takes precedence over 2.
 * 2. out of service: every frame is refused `out_of_service`, without being decoded.
 * 3. the token decision: its reason refuses (or ignores, `duplicate`).
 * 4. metro `in`: anti-passback (the same account entered here within the window; entries made
 *    during a free pass do not count; window 0 disables it). Metro `out`: an exit with no entry in
 *    this store within `policy.maxJourneySeconds` is accepted, flagged `no_entry`.
 * 5. stale signed lists: refused `lists_stale` (policy `reject`) or flagged `stale_lists`.
 * Fares (src/fare/fare.ts): by profile with the credential's cap; none on metro entries.
 */
import type { Config } from '../config/schema.ts';
import type { Tap } from '../domain/tap.ts';
import { TAP_FLAGS, type TapFlag } from '../domain/vocabulary.ts';
import { fareFor } from '../fare/fare.ts';
import type { GateSignal } from '../gate/types.ts';
import type { Decision } from '../token/decision.ts';
import { MESSAGE_TEXT, type MessageClass } from '../token/reasons.ts';
import { REASON_TABLE, type AdmissionReason } from './reasons.ts';

/** The settings admission reads (live: a reload changes them in place). */
export type AdmissionSettings = Pick<Config, 'deviceId' | 'mode' | 'place' | 'direction' | 'fare' | 'policy'>;

/** The gate's operating modes (src/policy/gateModes.ts), read-only. */
export interface GateModeView {
  readonly freePass: boolean;
  readonly outOfService: boolean;
}

/** The last metro entry of an account at this station, as this gate's store saw it. */
export interface EntryRecord {
  /** Entry time, Unix ms. */
  at: number;
  /** The entry was made while free pass (evacuation) was on. */
  freePass: boolean;
}

/** The rider's entry memory (src/policy/entryMemory.ts), read-only. */
export interface EntryLookup {
  last(account: string): EntryRecord | undefined;
}

/** The signed lists: fresh, or stale under policy `accept_and_flag` / `reject`. */
export type ListFreshness = 'fresh' | 'stale_flag' | 'stale_reject';

export interface AdmissionContext {
  readonly settings: AdmissionSettings;
  readonly modes: GateModeView;
  /** Absent: no metro rules (token checks, fares and lists only). */
  readonly entries?: EntryLookup | undefined;
  /** Asked only for a code that would be accepted outside free pass. */
  lists(): ListFreshness;
  /** Unix ms. */
  readonly nowMs: number;
}

/**
 * The token decision, read lazily: out of service turns a frame away without decoding it
 * (docs/remote-commands.md), so admission asks for the decision only when a rule needs it.
 */
export interface TokenRead {
  decide(): Decision;
}

/** A tap as admission drafts it: the domain's tap (src/domain/tap.ts) but the id the commit gives it. */
export type TapDraft = Omit<Tap, 'id' | 'flags'> & { flags?: TapFlag[] };

export interface Accepted {
  readonly kind: 'accept';
  readonly token: Decision;
  /** The tap to commit (fare and flags in it). */
  readonly tap: TapDraft;
  /** The gate opens (the commit adds the tap id and the fare). */
  readonly signal: GateSignal;
  readonly freePass: boolean;
}

export interface Refused {
  readonly kind: 'reject';
  readonly reason: AdmissionReason;
  /** The reason's stable number (src/admission/reasons.ts), never 0. */
  readonly reasonNumber: number;
  /** The reason's message class. */
  readonly message: MessageClass;
  /** What the gate is told: the reason's text, or open during a free pass. */
  readonly signal: GateSignal;
  readonly freePass: boolean;
  /** For logs: what was wrong (never the code). */
  readonly detail?: string;
  /** Absent when the frame was not decoded (out of service). */
  readonly token?: Decision;
}

export interface Ignored {
  readonly kind: 'ignore';
  readonly reason: 'duplicate';
  readonly reasonNumber: number;
  readonly message: MessageClass;
  readonly token: Decision;
  readonly freePass: boolean;
}

export type Admission = Accepted | Refused | Ignored;

/** The gate opens (free pass, and every accept before its tap id is known). */
export const OPEN_SIGNAL: GateSignal = Object.freeze({ action: 'open', message: 'go', text: MESSAGE_TEXT.go });

/** The gate's answer to each refusal reason, built once. */
const REFUSAL_SIGNAL = Object.fromEntries(
  Object.entries(REASON_TABLE).map(([r, i]) => {
    const signal: GateSignal = { action: 'reject', message: i.message, text: i.text };
    return [r, Object.freeze(signal)];
  }),
) as Record<AdmissionReason, GateSignal>;

const FREE_PASS_FLAGS: readonly TapFlag[] = [TAP_FLAGS.freePass];

/** The one refusal shape: the reason's number, message class and the gate's answer. */
export function refusal(reason: AdmissionReason, freePass: boolean, token?: Decision, detail?: string): Refused {
  const info = REASON_TABLE[reason];
  const r: { -readonly [K in keyof Refused]: Refused[K] } = {
    kind: 'reject',
    reason,
    reasonNumber: info.number,
    message: info.message,
    signal: freePass ? OPEN_SIGNAL : REFUSAL_SIGNAL[reason],
    freePass,
  };
  if (detail !== undefined) r.detail = detail;
  if (token !== undefined) r.token = token;
  return r;
}

/** Every frame while out of service (outside a free pass): one answer, built once. */
const OUT_OF_SERVICE: Refused = Object.freeze(refusal('out_of_service', false));

/** What the gate does with one frame. */
export function admit(read: TokenRead, ctx: AdmissionContext): Admission {
  const freePass = ctx.modes.freePass;
  if (!freePass && ctx.modes.outOfService) return OUT_OF_SERVICE;
  const d = read.decide();
  if (d.decision === 'ignore') {
    const info = REASON_TABLE.duplicate;
    const { number: reasonNumber, message } = info;
    return { kind: 'ignore', reason: 'duplicate', reasonNumber, message, token: d, freePass };
  }
  if (d.decision === 'reject') return refusal(d.reason ?? 'malformed', freePass, d, d.detail);

  const c = ctx.settings;
  const tap: TapDraft = {
    deviceId: c.deviceId,
    at: Math.floor(ctx.nowMs),
    mode: c.mode,
    place: c.place,
    direction: c.direction,
    sub: d.subHex!,
    cti: d.ctiHex!,
    codeId: d.codeId!,
    ts: d.ts!,
    // A JT/T 1179 code has no sequence number: its taps carry 0 (docs/spec-notes.md).
    seq: d.seq ?? 0,
    profile: d.profile!,
    currency: c.fare.currency,
  };
  // Which format decided (fg1, jtt1179), as the tap records it.
  if (d.format === 'fg1' || d.format === 'jtt1179') tap.format = d.format;
  if (freePass) {
    // Recorded as such, not charged.
    tap.fare = 0;
    tap.flags = [...FREE_PASS_FLAGS];
    return { kind: 'accept', token: d, tap, signal: OPEN_SIGNAL, freePass };
  }
  const fare = fareFor(c.fare, c.mode, c.direction, tap.profile, d.cap);
  if (fare !== undefined) tap.fare = fare;
  // The backend prices metro journeys: it needs the credential's per-trip cap too.
  if (d.cap !== undefined) tap.cap = d.cap;
  let flags: TapFlag[] | undefined;
  if (c.mode === 'metro' && ctx.entries) {
    const last = ctx.entries.last(tap.sub);
    if (c.direction === 'in') {
      const w = c.policy.antiPassbackSeconds * 1000;
      if (w > 0 && last && !last.freePass && tap.at - last.at < w && tap.at >= last.at) {
        const ago = Math.round((tap.at - last.at) / 1000);
        const detail = `entered here ${ago} s ago (window ${c.policy.antiPassbackSeconds} s)`;
        return refusal('anti_passback', false, d, detail);
      }
    } else if (c.direction === 'out') {
      const matched = last !== undefined && tap.at - last.at <= c.policy.maxJourneySeconds * 1000;
      if (!matched) flags = [TAP_FLAGS.noEntry];
    }
  }
  const lists = ctx.lists();
  if (lists === 'stale_reject') return refusal('lists_stale', false, d);
  if (lists === 'stale_flag') (flags ??= []).push(TAP_FLAGS.staleLists);
  if (flags) tap.flags = flags;
  return { kind: 'accept', token: d, tap, signal: OPEN_SIGNAL, freePass };
}
