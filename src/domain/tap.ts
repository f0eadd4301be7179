/**
 * The tap: one accepted ride, the unit of settlement. Defined once here; its other forms are
 * conversions of it, never second definitions:
 * - the stored row of the validator's store (`taps` table): src/store/tapRow.ts, `tapFromRow` /
 *   `tapToRow`, shared by the store (src/store/tapStore.ts) and its reader (src/store/storeReader.ts);
 * - the wire message of settlement-mqtt-v1: src/contract/settlement.ts, `TapSchema` (whose inferred
 *   type is this type, checked at compile time), `tapToMessage` / `tapFromMessage`.
 * Plain types with no dependencies (the hot path and the zod-free `faregate verify` may import it).
 */
import type { Direction, Profile, ServiceMode } from './vocabulary.ts';

/** The ride-code formats a tap records (`format`): FG1 (qr-token-v1) and JT/T 1179 (jtt1179-reading). */
export const TAP_FORMATS = ['fg1', 'jtt1179'] as const;
export type TapFormat = (typeof TAP_FORMATS)[number];

/** A tap as in settlement-mqtt-v1 (`at` in Unix ms), plus local flags. */
export interface Tap {
  /** UUIDv7 made by the validator: the idempotency key of settlement. */
  id: string;
  deviceId: string;
  /** When the gate decided, Unix ms. */
  at: number;
  mode: ServiceMode;
  /** Station or route id. */
  place: string;
  direction: Direction;
  /** The rider's account (hex). */
  sub: string;
  /** The credential id (hex). */
  cti: string;
  /** The ride code's id (hex, 32 digits). */
  codeId: string;
  /** The ride code's time (Unix s) and sequence number. */
  ts: number;
  seq: number;
  profile: Profile;
  /** Fare in the currency's minor unit; absent when priced later (a metro entry). */
  fare?: number;
  /** ISO 4217 code. */
  currency: string;
  /**
   * The credential's per-trip cap (qr-token-v1 claim `cap`), minor units, so the backend can honour
   * it when it prices the journey; absent when the credential has none. A project extension of
   * settlement-mqtt-v1 (docs/spec/settlement-mqtt-v1.md), ignored by backends that do not know it.
   */
  cap?: number;
  /**
   * The ride-code format that decided (docs/spec-notes.md, a project extension of
   * settlement-mqtt-v1 like `cap`, ignored by backends that do not know it); absent on a tap
   * written before it existed, when the validator read FG1 only.
   */
  format?: TapFormat;
  /** Local annotations carried to the backend (TAP_FLAGS, e.g. `stale_lists`); absent when none. */
  flags?: string[];
}

/** A tap in the validator's store, with whether the backend acknowledged it. */
export interface StoredTap extends Tap {
  settled: boolean;
}
