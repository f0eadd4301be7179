/**
 * Receives signed lists from the broker: `P/trust` and `P/deny` (retained, QoS 1). With a kept
 * session the broker does not resend retained messages on reconnect, so a type with no signed
 * list held (or waiting for a snapshot after a delta with a missing base) is subscribed again.
 */
import type { ListType } from '../lists/signedList.ts';
import type { MqttPort, SubscribeOptions } from '../mqtt/mqttPort.ts';

export class ListSubscription {
  private readonly handlers: Record<ListType, (topic: string, payload: Buffer) => void>;
  private readonly limits: Record<ListType, SubscribeOptions | undefined>;

  constructor(
    private readonly link: MqttPort,
    receive: (type: ListType, payload: Buffer) => void,
    /** Whether a type needs its retained document again (none held, or waiting for a snapshot). */
    private readonly wants: (type: ListType) => boolean,
    /**
     * `lists.maxBytes`: a document over its type's limit is dropped where it was read (the MQTT
     * worker thread); only its size reaches `oversized`.
     */
    maxBytes?: Record<ListType, number>,
    oversized?: (type: ListType, bytes: number) => void,
  ) {
    this.handlers = { trust: (_t, p) => receive('trust', p), deny: (_t, p) => receive('deny', p) };
    const limit = (t: ListType): SubscribeOptions | undefined =>
      maxBytes ? { maxBytes: maxBytes[t], oversized: (_topic, bytes) => oversized?.(t, bytes) } : undefined;
    this.limits = { trust: limit('trust'), deny: limit('deny') };
  }

  start(): void {
    const link = this.link;
    link.subscribe(link.topics.trust, this.handlers.trust, this.limits.trust);
    link.subscribe(link.topics.deny, this.handlers.deny, this.limits.deny);
    link.on('connected', (sessionPresent) => {
      if (sessionPresent) for (const t of ['trust', 'deny'] as const) if (this.wants(t)) this.resubscribe(t);
    });
  }

  /** Asks the broker for the retained document of a type again (when connected). */
  resubscribe(t: ListType): void {
    const link = this.link;
    if (link.connected)
      link.subscribe(t === 'trust' ? link.topics.trust : link.topics.deny, this.handlers[t], this.limits[t]);
  }
}
