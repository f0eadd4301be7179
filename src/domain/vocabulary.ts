/**
 * The validator's words, each defined once (issue 10): device id, service mode, direction, fare
 * profile, gate mode. Plain constants with no dependencies, so the ride-code hot path and the
 * zod-free `faregate verify` start can import them; zod schemas are built from them at the
 * boundaries (src/config/schema.ts, src/contract/settlement.ts, src/fleet/commandTypes.ts).
 */

/** A validator's name in the fleet: in MQTT topics and on every tap. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** What {@link DEVICE_ID_PATTERN} allows, in words (for error messages). */
export const DEVICE_ID_RULE = '1..64 of A-Z a-z 0-9 _ -';

export function isDeviceId(s: string): boolean {
  return DEVICE_ID_PATTERN.test(s);
}

/** Where a validator stands: on a bus (flat fares) or at a metro station gate (entry/exit). */
export const SERVICE_MODES = ['bus', 'metro'] as const;
export type ServiceMode = (typeof SERVICE_MODES)[number];

/** Which way a rider passes: a bus reader has `board`; a metro gate has `in` (entry) or `out` (exit). */
export const DIRECTIONS = ['board', 'in', 'out'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** The directions each service mode allows. */
export const DIRECTIONS_OF: Readonly<Record<ServiceMode, readonly Direction[]>> = {
  bus: ['board'],
  metro: ['in', 'out'],
};

/**
 * Fare profiles by number, as a credential carries them (qr-token-v1 claim `profile`): index 0
 * is adult. A number past the end is a profile this validator does not name (it pays adult).
 */
export const PROFILES = ['adult', 'child', 'student', 'senior', 'disabled', 'staff'] as const;
export type ProfileName = (typeof PROFILES)[number];
/** A credential's profile number (any unsigned integer; see {@link PROFILES}). */
export type Profile = number;

export function profileName(profile: Profile): ProfileName | undefined {
  return PROFILES[profile];
}

/**
 * Operating modes a signed remote command switches, persisted in the store: `free_pass`
 * (evacuation: every frame opens) and `out_of_service` (every frame is turned away).
 */
export const GATE_MODES = ['free_pass', 'out_of_service'] as const;
export type GateMode = (typeof GATE_MODES)[number];

/** Flags a tap can carry to the backend (local annotations, settlement-mqtt-v1 `flags`). */
export const TAP_FLAGS = {
  /** Recorded during a free pass: not charged. */
  freePass: 'free_pass',
  /** A metro exit with no entry of the account in this store within the journey window. */
  noEntry: 'no_entry',
  /** Accepted while the signed lists were stale (lists policy `flag`). */
  staleLists: 'stale_lists',
} as const;
export type TapFlag = (typeof TAP_FLAGS)[keyof typeof TAP_FLAGS];
