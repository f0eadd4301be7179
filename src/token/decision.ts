/**
 * What a credential format (src/token/credentialFormat.ts) answers about one frame: the common
 * fields every ride-code format yields, whatever its encoding and signatures. The admission core
 * (src/admission), the store and the settlement contract read only these fields.
 */
import { MESSAGE_CLASS, REASONS, type DecisionKind, type MessageClass, type Reason } from './reasons.ts';

/** A clock in Unix milliseconds. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** The id of the credential format that decided (`fg1`, `jtt1179`). */
export type FormatId = string;

/** Everything a gate and a tap record need from one decision. Holds no whole ride code. */
export interface Decision {
  decision: DecisionKind;
  /** Absent on accept. */
  reason?: Reason;
  /** Stable number of the reason (the first check that yields it); 0 on accept. */
  reasonNumber: number;
  message: MessageClass;
  /** Decision time, Unix seconds (may be fractional). */
  at: number;
  /** The format that decided; absent when no format recognised the frame (then `malformed`). */
  format?: FormatId;
  /** The code's own id (hex), unique per code shown: for duplicates, replays and the tap. */
  codeId?: string;
  /** The account (hex): FG1 claim `sub`. Anti-passback and the backend key on it. */
  subHex?: string;
  /** The credential id (hex): FG1 claim `cti`. Deny lists name it. */
  ctiHex?: string;
  /** Fare profile number (src/domain/vocabulary.ts PROFILES). */
  profile?: number;
  /** Per-trip fare cap in minor units, where the credential carries one. */
  cap?: number;
  /** The raw card-type byte, where the format has one (JT/T 1179 field 8). */
  cardType?: number;
  /** Service modes the credential allows (bit set), where it says. */
  modes?: number;
  /** When the code was made, Unix seconds. */
  ts?: number;
  /** The code's sequence number on the rider's phone. */
  seq?: number;
  /** Issuer kid (hex) of the credential. */
  kidHex?: string;
  /** Level-1 signature was not checked again because the credential was cached. */
  credentialCached?: boolean;
  /** For logs on `malformed`: what was wrong (never contains the code). */
  detail?: string;
}

/**
 * The duplicate rule's answer (every format's last checks): the same account within the
 * duplicate window is ignored, not refused. Turns `d` into that answer and returns it.
 */
export function ignoredAsDuplicate(d: Decision): Decision {
  d.decision = 'ignore';
  d.reason = 'duplicate';
  d.reasonNumber = REASONS.duplicate;
  d.message = MESSAGE_CLASS.duplicate;
  return d;
}
