/**
 * Receives signed lists from the broker: `P/trust` and `P/deny` (retained, QoS 1). With a kept
 * session the broker does not resend retained messages on reconnect, so a type with no signed
 * list held (or waiting for a snapshot after a delta with a missing base) is subscribed again.
 * When the link reads in a thread of its own: a type's documents come one at a time (the next
 * once `receive` is done with the last; the newest waits there, older ones are dropped unread
 * and counted `superseded`), and a deny document large enough for the list worker stays in that
 * thread and reaches `receive` as a handle: the list worker takes its bytes from there.
 */
import type { ListType } from '../lists/signedList.ts';
import { WORKER_MIN_BYTES } from '../lists/signedListJob.ts';
import type { HeldPayload, MessageHandler, MqttPort, SubscribeOptions } from '../mqtt/mqttPort.ts';

export class ListSubscription {
  private readonly handlers: Record<ListType, MessageHandler>;
  private readonly limits: Record<ListType, SubscribeOptions>;

  constructor(
    private readonly link: MqttPort,
    /** Handles a document; its promise settles when the document is done with (the next may come). */
    receive: (type: ListType, payload: Buffer | HeldPayload) => Promise<unknown>,
    /** Whether a type needs its retained document again (none held, or waiting for a snapshot). */
    private readonly wants: (type: ListType) => boolean,
    /**
     * `lists.maxBytes`: a document over its type's limit is dropped where it was read (the MQTT
     * worker thread); only its size reaches `oversized`.
     */
    maxBytes?: Record<ListType, number>,
    oversized?: (type: ListType, bytes: number) => void,
    /** Documents the MQTT thread dropped unread: newer ones of the type arrived while one was handled. */
    superseded?: (type: ListType, count: number) => void,
  ) {
    this.handlers = { trust: (_t, p) => receive('trust', p), deny: (_t, p) => receive('deny', p) };
    // One document of a type at a time reaches this thread; the newest waits in the MQTT thread.
    const limit = (t: ListType): SubscribeOptions => ({
      ...(maxBytes
        ? { maxBytes: maxBytes[t], oversized: (_topic: string, bytes: number) => oversized?.(t, bytes) }
        : {}),
      oneAtATime: true,
      superseded: (_topic, count) => superseded?.(t, count),
    });
    this.limits = {
      trust: limit('trust'),
      // Deny lists from this size are verified in the list worker: their bytes go there directly.
      deny: { ...limit('deny'), holdFrom: WORKER_MIN_BYTES, held: (p) => receive('deny', p) },
    };
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
