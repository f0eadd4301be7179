/**
 * The wire contract between validators and the backend (settlement-mqtt-v1): one typed map of
 * topics to payload schemas. Every payload that crosses MQTT is checked with these schemas.
 */
import { z } from 'zod';
import { TAP_FORMATS, type Tap } from '../domain/tap.ts';
import { DEVICE_ID_PATTERN, DIRECTIONS, SERVICE_MODES } from '../domain/vocabulary.ts';

export const DEFAULT_TOPIC_PREFIX = 'faregate/v1';
/** The device-id pattern (src/domain/vocabulary.ts), under the name this module has always exported. */
export const DEVICE_ID = DEVICE_ID_PATTERN;

const hex = z.string().regex(/^[0-9a-f]+$/, 'must be lower-case hex');
/**
 * A ride code's unsigned integer (ts, seq, profile) as a JSON number. The ride code allows any
 * uint, so this takes whole numbers past 2^53 too (zod's `.int()` stops at safe integers): one
 * rider's odd but valid `seq` must not make a whole batch unacceptable, and it is never acked.
 */
const codeUint = z.number().nonnegative().refine(Number.isInteger, 'must be a whole number');

export const TapSchema = z.object({
  id: z.string().min(1).max(64),
  deviceId: z.string().regex(DEVICE_ID),
  at: z.number().int().nonnegative(),
  mode: z.enum(SERVICE_MODES),
  place: z.string().min(1).max(64),
  direction: z.enum(DIRECTIONS),
  sub: hex.min(2).max(64),
  cti: hex.min(2).max(32),
  codeId: hex.length(32),
  ts: codeUint,
  seq: codeUint,
  profile: codeUint,
  fare: z.number().int().nonnegative().optional(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  /** The credential's per-trip cap, minor units (project extension, like `flags`; old backends ignore it). */
  cap: z.number().int().nonnegative().optional(),
  /** The ride-code format that decided (project extension, like `cap`; absent on older taps: FG1). */
  format: z.enum(TAP_FORMATS).optional(),
  /** Local annotations (e.g. `stale_lists`); not in the v1 table, ignored by backends that do not know it. */
  flags: z.array(z.string()).optional(),
});
export type TapMessage = z.infer<typeof TapSchema>;

/** True when A and B are the same type (not merely assignable either way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** The wire's tap is the domain's tap (src/domain/tap.ts): a field changed in one only does not compile. */
const tapMessageIsTheDomainTap: Same<TapMessage, Tap> = true;
void tapMessageIsTheDomainTap;

/**
 * The wire message of a tap: its settlement-mqtt-v1 fields only (a stored tap's local
 * bookkeeping, such as `settled`, stays home); `fare`, `cap`, `format` and `flags` only when present.
 */
export function tapToMessage(t: Tap): TapMessage {
  const m: TapMessage = {
    id: t.id,
    deviceId: t.deviceId,
    at: t.at,
    mode: t.mode,
    place: t.place,
    direction: t.direction,
    sub: t.sub,
    cti: t.cti,
    codeId: t.codeId,
    ts: t.ts,
    seq: t.seq,
    profile: t.profile,
    currency: t.currency,
  };
  if (t.fare !== undefined) m.fare = t.fare;
  if (t.cap !== undefined) m.cap = t.cap;
  if (t.format !== undefined) m.format = t.format;
  if (t.flags !== undefined) m.flags = t.flags;
  return m;
}

/** A tap from a wire message, checked by TapSchema (unknown fields dropped); a ZodError when it is not one. */
export function tapFromMessage(message: unknown): Tap {
  return TapSchema.parse(message);
}

export const TapBatchSchema = z.object({
  batchId: z.string().min(1).max(64),
  deviceId: z.string().regex(DEVICE_ID),
  taps: z.array(TapSchema).min(1).max(10_000),
});
export type TapBatch = z.infer<typeof TapBatchSchema>;

/** A batch's envelope with its taps unread: tells one bad tap from a bad batch (the backend). */
export const TapBatchEnvelopeSchema = TapBatchSchema.extend({ taps: z.array(z.unknown()).min(1).max(10_000) });

export const AckSchema = z.object({
  batchId: z.string().min(1).max(64),
  tapIds: z.array(z.string().min(1).max(64)).max(10_000),
});
export type Ack = z.infer<typeof AckSchema>;

/** Amendment 1 (v1.1): the protected header's `typ` of a signed ack. */
export const ACK_TYP = 'faregate-ack+json';

/** A tap the backend will never settle, and why (e.g. `duplicate_id_conflict`). */
export const RejectedTapSchema = z.object({
  id: z.string().min(1).max(64),
  reason: z.string().min(1).max(64),
});
export type RejectedTap = z.infer<typeof RejectedTapSchema>;

/**
 * Amendment 1 (v1.1): the payload of a signed ack (a flattened JWS, `typ` ACK_TYP). `at` is
 * informational and `rejected` may be empty, so a payload without them is taken (the signature
 * covers what is there); the reference backend always sends both.
 */
export const SignedAckPayloadSchema = z.object({
  batchId: z.string().min(1).max(64),
  deviceId: z.string().regex(DEVICE_ID),
  at: z.number().int().nonnegative().optional(),
  tapIds: z.array(z.string().min(1).max(64)).max(10_000),
  rejected: z.array(RejectedTapSchema).max(10_000).default([]),
});
export type SignedAckPayload = z.infer<typeof SignedAckPayloadSchema>;

export const StatusSchema = z.looseObject({ online: z.boolean() });
export type StatusMessage = z.infer<typeof StatusSchema>;

export const EventSchema = z.looseObject({ at: z.number(), kind: z.string() });
export type EventMessage = z.infer<typeof EventSchema>;

export const MetricsSchema = z.looseObject({ at: z.number() });

/** Topic names for a prefix and device. */
export function topics(prefix: string, deviceId: string) {
  const g = `${prefix}/gates/${deviceId}`;
  return {
    status: `${g}/status`,
    taps: `${g}/taps`,
    acks: `${g}/acks`,
    metrics: `${g}/metrics`,
    events: `${g}/events`,
    cmd: `${g}/cmd`,
    cmdReply: `${g}/cmd/reply`,
    trust: `${prefix}/trust`,
    deny: `${prefix}/deny`,
  } as const;
}

/** Wildcard subscriptions the backend uses. */
export function backendTopics(prefix: string) {
  return {
    allTaps: `${prefix}/gates/+/taps`,
    allStatus: `${prefix}/gates/+/status`,
    acksOf: (deviceId: string) => topics(prefix, deviceId).acks,
  };
}

/** The device id in `P/gates/D/<leaf>`, or undefined. */
export function deviceOfTopic(prefix: string, topic: string): string | undefined {
  const head = `${prefix}/gates/`;
  if (!topic.startsWith(head)) return undefined;
  const d = topic.slice(head.length).split('/')[0];
  return d !== undefined && DEVICE_ID.test(d) ? d : undefined;
}

/**
 * Shared replay memory (docs/replay-sharing.md): every gate of a group (a station, a bus with two
 * doors) announces each code it accepted on `P/groups/G/accepts` (QoS 1, not retained), signed by
 * the gate (a flattened JWS, typ {@link ACCEPT_TYP}, kid = its device id).
 */
export function groupTopics(prefix: string, groupId: string) {
  return { accepts: `${prefix}/groups/${groupId}/accepts` } as const;
}

export const ACCEPT_TYP = 'faregate-accept+json';

/** The signed payload of an accept announcement: no ride code, only what a replay memory holds. */
export const AcceptAnnouncementSchema = z.strictObject({
  deviceId: z.string().regex(DEVICE_ID),
  codeId: hex.length(32),
  sub: hex.min(2).max(64),
  /** Acceptance time, Unix ms (as a tap's `at`). */
  at: z.number().int().nonnegative(),
  /**
   * The ride-code format that accepted it, when not FG1 (a `sub` is compared within one format
   * only); absent = fg1, as from gates before JT/T.
   */
  format: z
    .string()
    .regex(/^[a-z0-9]{1,16}$/)
    .optional(),
});
export type AcceptAnnouncement = z.infer<typeof AcceptAnnouncementSchema>;
