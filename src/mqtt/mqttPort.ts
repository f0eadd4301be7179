/**
 * What the validator's parts need from an MQTT connection (the uploader, telemetry, list sync,
 * remote commands). MqttLink (src/mqtt/mqttLink.ts) is the real one over mqtt.js; unit tests use
 * the in-memory one (test/support/memoryMqtt.ts), so a rule is tested without a broker.
 */
import type { EventEmitter } from 'node:events';
import type { topics } from '../contract/settlement.ts';

export type MessageHandler = (topic: string, payload: Buffer) => void;

/** A size limit on one subscription, applied where the message was read (the MQTT worker thread). */
export interface SubscribeOptions {
  /** A payload over this many bytes is not delivered: `oversized` hears of it instead. */
  maxBytes?: number;
  /** Called (instead of the handler) with the size of a payload over `maxBytes`. */
  oversized?: (topic: string, bytes: number) => void;
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
