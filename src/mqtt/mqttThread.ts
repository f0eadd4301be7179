/**
 * The messages between the main thread and the MQTT worker thread (src/mqtt/mqttWorker.ts,
 * src/mqtt/threadedMqttLink.ts). The worker owns the connection: it receives and parses every
 * MQTT packet, so the bytes of a flood or of a 20 MB list are read, parsed and allocated there,
 * and reach the main thread as a transferred buffer (no copy, no fresh pages touched here).
 */
import type { MessagePort } from 'node:worker_threads';
import type { MqttConfig } from '../config/schema.ts';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Given to the worker at spawn. */
export interface MqttWorkerData {
  cfg: MqttConfig;
  deviceId: string;
  /** Topics subscribed before the start (the link subscribes them at connect), with their size limit. */
  topics: Subscription[];
  /** The status fields beyond `online` until a `stop` brings the last ones (the main thread publishes the status). */
  statusFields: Record<string, unknown>;
}

/** A subscription's limits, applied in the worker: over `maxBytes` dropped, from `holdFrom` bytes held there. */
export interface Subscription {
  topic: string;
  maxBytes?: number;
  holdFrom?: number;
  /** Deliver one message at a time, the next after `next`; the newest waits, older ones are dropped. */
  oneAtATime?: boolean;
}

export type ToWorker =
  | ({ op: 'subscribe' } & Subscription)
  /** Sends held payload `id` on `port` (transferred with this message), then closes the port. */
  | { op: 'send'; id: number; port: MessagePort }
  /** Frees held payload `id`. */
  | { op: 'release'; id: number }
  /** The main thread is done with the last message of a `oneAtATime` topic: send the next. */
  | { op: 'next'; topic: string }
  | { op: 'publish'; id: number; topic: string; text: string; qos: 0 | 1; retain: boolean }
  /** Publishes the clean offline status with these fields, disconnects, then answers `stopped`. */
  | { op: 'stop'; statusFields: Record<string, unknown> };

export type FromWorker =
  | { ev: 'connected'; sessionPresent: boolean }
  | { ev: 'disconnected' }
  /** `superseded`: messages of a oneAtATime topic dropped unread since the last delivery. */
  | { ev: 'message'; topic: string; payload: Uint8Array; superseded?: number }
  /** A payload over the subscription's maxBytes: dropped in the worker, only its size crosses. */
  | { ev: 'oversized'; topic: string; bytes: number }
  /** A payload of at least the subscription's holdFrom bytes, kept in the worker as `id`. */
  | { ev: 'held'; topic: string; id: number; bytes: number; superseded?: number }
  | { ev: 'published'; id: number; error?: { code?: string; message: string } }
  | { ev: 'log'; level: LogLevel; obj: Record<string, unknown>; msg?: string }
  | { ev: 'stopped' };
