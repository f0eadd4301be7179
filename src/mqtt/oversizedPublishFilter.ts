/**
 * Skips an oversized PUBLISH in the bytes from the broker, before mqtt.js reads it.
 *
 * mqtt.js (mqtt-packet) gathers a whole packet and copies its payload into a buffer of its own
 * before anyone can look at its size: a flood of messages just over `lists.maxBytes` cost the
 * MQTT thread a copy and a fresh allocation of every byte (a third of its time in the flood
 * bench) and the garbage collection after. This filter sits between the socket and mqtt.js's
 * parser. It reads each packet's fixed header and, for a PUBLISH, the topic and where the
 * payload starts; a PUBLISH of QoS 0 or 1 whose payload is over its topic's limit is skipped as
 * it streams past (never held), acknowledged here for QoS 1 (the broker must not send it again)
 * and reported with its size. Every other byte passes unchanged, as views of the chunks read.
 * What it cannot read as MQTT (a malformed length) it passes on untouched from there, and
 * mqtt.js reports it; QoS 2 (gates subscribe at QoS 1) is left to the link's own check.
 */
import { Transform, type TransformCallback } from 'node:stream';

export interface OversizedPublishFilterOptions {
  protocolVersion: 4 | 5;
  /** The payload limit in bytes of a topic, or undefined (no limit here). */
  limitOf: (topic: string) => number | undefined;
  /** A PUBLISH was skipped: its topic and payload size. */
  dropped: (topic: string, payloadBytes: number) => void;
  /** Writes a packet to the broker (the PUBACK of a skipped QoS 1 publish). */
  send: (packet: Buffer) => void;
}

const PUBLISH = 3;

type Step =
  | { need: number }
  | { pass: number }
  | { skip: number; topic: string; payload: number; ack?: Buffer }
  | { through: true };

/**
 * What to do with the packet whose first bytes are `p`: read more (`need`: the header's length
 * so far), pass or skip its `total` bytes, or give up reading MQTT (`through`).
 */
function step(p: Buffer, v5: boolean, limitOf: (topic: string) => number | undefined): Step {
  if (p.length < 2) return { need: 2 };
  let remaining = 0;
  let i = 1;
  for (let mult = 1; ; mult *= 128, i++) {
    if (i > 4) return { through: true };
    if (p.length <= i) return { need: i + 1 };
    const b = p[i]!;
    remaining += (b & 0x7f) * mult;
    if (!(b & 0x80)) break;
  }
  const fixed = i + 1;
  const total = fixed + remaining;
  const pass = { pass: total };
  const type = p[0]! >> 4;
  const qos = (p[0]! >> 1) & 3;
  if (type !== PUBLISH || qos > 1) return pass;
  const need = (n: number): Step => (n > total ? pass : { need: n });
  if (p.length < fixed + 2) return need(fixed + 2);
  const topicLen = p.readUInt16BE(fixed);
  if (topicLen === 0) return pass;
  let at = fixed + 2 + topicLen + (qos ? 2 : 0);
  if (p.length < at) return need(at);
  if (v5) {
    let props = 0;
    let j = 0;
    for (let mult = 1; ; mult *= 128, j++) {
      if (j > 3) return pass;
      if (p.length <= at + j) return need(at + j + 1);
      const b = p[at + j]!;
      props += (b & 0x7f) * mult;
      if (!(b & 0x80)) break;
    }
    at += j + 1 + props;
  }
  if (at > total) return pass;
  const topic = p.toString('utf8', fixed + 2, fixed + 2 + topicLen);
  const limit = limitOf(topic);
  const payload = total - at;
  if (limit === undefined || payload <= limit) return pass;
  const idAt = fixed + 2 + topicLen;
  const ack = qos === 1 ? Buffer.from([0x40, 0x02, p[idAt]!, p[idAt + 1]!]) : undefined;
  return { skip: total, topic, payload, ...(ack ? { ack } : {}) };
}

export class OversizedPublishFilter extends Transform {
  /** The current packet's first bytes, while its header is read (at most ~64 KiB: a topic). */
  private head: Buffer = Buffer.alloc(0);
  private mode: 'header' | 'pass' | 'skip' | 'through' = 'header';
  /** Bytes of the current packet still to pass or skip. */
  private left = 0;
  /** Packets skipped so far. */
  skipped = 0;

  constructor(private readonly o: OversizedPublishFilterOptions) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    for (;;) {
      if (this.mode === 'header') {
        // A header gathered to the end of a chunk may already decide (a whole PINGRESP): decide it.
        if (at === chunk.length && !this.head.length) break;
        const s = step(this.head, this.o.protocolVersion === 5, this.o.limitOf);
        if ('need' in s) {
          if (at === chunk.length) break;
          const n = Math.min(s.need - this.head.length, chunk.length - at);
          const piece = chunk.subarray(at, at + n);
          this.head = this.head.length ? Buffer.concat([this.head, piece]) : Buffer.from(piece);
          at += n;
          continue;
        }
        this.decide(s);
        continue;
      }
      if (at === chunk.length) break;
      if (this.mode === 'through') {
        this.push(at ? chunk.subarray(at) : chunk);
        break;
      }
      const n = Math.min(this.left, chunk.length - at);
      if (this.mode === 'pass') this.push(n === chunk.length ? chunk : chunk.subarray(at, at + n));
      at += n;
      this.left -= n;
      if (this.left === 0) this.mode = 'header';
    }
    done();
  }

  /** Acts on a decided header: its bytes go on with the packet, or are dropped with it. */
  private decide(s: Exclude<Step, { need: number }>): void {
    const head = this.head;
    this.head = Buffer.alloc(0);
    if ('through' in s) {
      if (head.length) this.push(head);
      this.mode = 'through';
      return;
    }
    if ('pass' in s) {
      if (head.length) this.push(head);
      this.left = s.pass - head.length;
      this.mode = this.left ? 'pass' : 'header';
      return;
    }
    this.skipped++;
    this.left = s.skip - head.length;
    this.mode = this.left ? 'skip' : 'header';
    try {
      if (s.ack) this.o.send(s.ack);
      this.o.dropped(s.topic, s.payload);
    } catch {
      // the owner reports its own failures; the bytes still flow
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.head.length) this.push(this.head);
    this.head = Buffer.alloc(0);
    done();
  }
}
