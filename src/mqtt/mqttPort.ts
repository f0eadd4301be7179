/**
 * What the validator's parts need from an MQTT connection (the uploader, telemetry, list sync,
 * remote commands). MqttLink (src/mqtt/mqttLink.ts) is the real one over mqtt.js; unit tests use
 * the in-memory one (test/support/memoryMqtt.ts), so a rule is tested without a broker.
 */
import type { EventEmitter } from 'node:events';
import type { MessagePort } from 'node:worker_threads';
import type { topics } from '../contract/settlement.ts';

/**
 * Handles one message. With {@link SubscribeOptions.oneAtATime}, the promise it returns (if any)
 * says when it is done with it.
 */
export type MessageHandler = (topic: string, payload: Buffer) => unknown;

/** A size limit on one subscription, applied where the message was read (the MQTT worker thread). */
export interface SubscribeOptions {
  /** A payload over this many bytes is not delivered: `oversized` hears of it instead. */
  maxBytes?: number;
  /** Called (instead of the handler) with the size of a payload over `maxBytes`. */
  oversized?: (topic: string, bytes: number) => void;
  /**
   * A link that reads in a thread of its own (src/mqtt/threadedMqttLink.ts) keeps a payload of
   * at least this many bytes in that thread and calls `held` (instead of the handler) with a
   * handle to it, so that a large document can go from there straight to the thread that parses
   * it: its bytes never pass through the main thread, where decisions are made. A link on the
   * main thread ignores both and calls the handler.
   */
  holdFrom?: number;
  held?: (payload: HeldPayload) => unknown;
  /**
   * A link that reads in a thread of its own delivers this topic's messages one at a time: the
   * next only once the handler's promise for the last one has settled. Messages that arrive in
   * between wait in that thread, the newest replacing an older one (`superseded` hears how many
   * were dropped unread). So a flood on the topic reaches the main thread as one message at a
   * time, never as a burst handled in one go. A link on the main thread delivers every message.
   */
  oneAtATime?: boolean;
  superseded?: (topic: string, count: number) => void;
}

/** A payload kept in the thread that read it (see {@link SubscribeOptions.holdFrom}). */
export interface HeldPayload {
  readonly topic: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /**
   * Sends the bytes (transferred, not copied) as one message on `port`, then closes it; at most
   * once. If the bytes are gone (released, or the link's thread ended), the port is closed with
   * no message.
   */
  sendTo(port: MessagePort): void;
  /** The payload is not wanted (superseded): the thread that holds it frees it. */
  release(): void;
}

export interface MqttLinkEvents {
  connected: [sessionPresent: boolean];
  disconnected: [];
}

export type GateTopics = ReturnType<typeof topics>;

export interface MqttPort extends EventEmitter<MqttLinkEvents> {
  /** This gate's topics (settlement-mqtt-v1 §2). */
  readonly topics: GateTopics;
  readonly connected: boolean;
  /** Connects (and keeps reconnecting). */
  start(): void;
  /** Publishes the clean offline status (with the last figures), then disconnects. Never throws. */
  stop(): Promise<void>;
  /** Subscribes (QoS 1) to an exact topic; the handler must not throw (errors are logged). */
  subscribe(topic: string, handler: MessageHandler, opts?: SubscribeOptions): void;
  /** Publishes; resolves when the broker has it (QoS 1: PUBACK). Rejects when not connected. */
  publish(topic: string, payload: unknown, opts: { qos: 0 | 1; retain?: boolean }): Promise<void>;
  /** Publishes the retained status now. Never throws. */
  publishStatus(): Promise<void>;
}
