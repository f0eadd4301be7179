/**
 * The wire contract between validators and the backend (settlement-mqtt-v1): one typed map of
 * topics to payload schemas. Every payload that crosses MQTT is checked with these schemas.
 */
import { z } from 'zod';

export const DEFAULT_TOPIC_PREFIX = 'faregate/v1';
export const DEVICE_ID = /^[A-Za-z0-9_-]{1,64}$/;

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
  mode: z.enum(['bus', 'metro']),
  place: z.string().min(1).max(64),
  direction: z.enum(['board', 'in', 'out']),
  sub: hex.min(2).max(64),
  cti: hex.min(2).max(32),
  codeId: hex.length(32),
  ts: codeUint,
  seq: codeUint,
  profile: codeUint,
  fare: z.number().int().nonnegative().optional(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  /** Local annotations (e.g. `stale_lists`); not in the v1 table, ignored by backends that do not know it. */
  flags: z.array(z.string()).optional(),
});
export type TapMessage = z.infer<typeof TapSchema>;

export const TapBatchSchema = z.object({
  batchId: z.string().min(1).max(64),
  deviceId: z.string().regex(DEVICE_ID),
  taps: z.array(TapSchema).min(1).max(10_000),
});
export type TapBatch = z.infer<typeof TapBatchSchema>;

export const AckSchema = z.object({
  batchId: z.string().min(1).max(64),
  tapIds: z.array(z.string().min(1).max(64)).max(10_000),
});
export type Ack = z.infer<typeof AckSchema>;

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
