/**
 * The filter between the socket and mqtt.js (src/mqtt/oversizedPublishFilter.ts), on streams of
 * real MQTT packets (mqtt-packet's own encoder) cut into chunks every way: what passes is
 * byte for byte the stream without the oversized publishes, which are acknowledged (QoS 1) and
 * reported with their payload size.
 */
import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { OversizedPublishFilter } from '../../src/mqtt/oversizedPublishFilter.ts';

const LIMIT = 1000;
const LIMITED = 'faregate/v1/deny';

function encode(p: Packet, protocolVersion: 4 | 5): Buffer {
  return mqttPacket.generate(p, { protocolVersion });
}

function publish(topic: string, bytes: number, qos: 0 | 1 | 2, id: number, extra: object = {}): Packet {
  return {
    cmd: 'publish',
    topic,
    payload: Buffer.alloc(bytes, 0x61 + (id % 26)),
    qos,
    retain: id % 2 === 0,
    dup: false,
    ...(qos ? { messageId: id } : {}),
    ...extra,
  };
}

interface Case {
  packet: Buffer;
  dropped?: { topic: string; payload: number; ack?: Buffer };
}

function stream(v: 4 | 5): Case[] {
  const props =
    v === 5 ? { properties: { userProperties: { via: 'x'.repeat(300) }, contentType: 'application/json' } } : {};
  const cases: Case[] = [
    { packet: encode({ cmd: 'connack', returnCode: 0, reasonCode: 0, sessionPresent: false }, v) },
    { packet: encode(publish(LIMITED, 10, 1, 1), v) },
    { packet: encode(publish(LIMITED, LIMIT, 1, 2), v) },
    {
      packet: encode(publish(LIMITED, LIMIT + 1, 1, 3), v),
      dropped: { topic: LIMITED, payload: LIMIT + 1, ack: Buffer.from([0x40, 2, 0, 3]) },
    },
    { packet: encode({ cmd: 'pingresp' }, v) },
    { packet: encode(publish(LIMITED, 200_000, 0, 4), v), dropped: { topic: LIMITED, payload: 200_000 } },
    { packet: encode(publish('faregate/v1/gates/g/acks', 5000, 1, 5), v) },
    // QoS 2 is left to the link's own check.
    { packet: encode(publish(LIMITED, 5000, 2, 6), v) },
    { packet: encode({ cmd: 'puback', messageId: 7 }, v) },
    {
      packet: encode(publish(LIMITED, 70_000, 1, 300, props), v),
      dropped: { topic: LIMITED, payload: 70_000, ack: Buffer.from([0x40, 2, 1, 44]) },
    },
    { packet: encode(publish(LIMITED, 0, 0, 8), v) },
    { packet: encode(publish(LIMITED, 900, 1, 9, props), v) },
  ];
  return cases;
}

function run(v: 4 | 5, cases: Case[], cut: (whole: Buffer) => Buffer[]) {
  const out: Buffer[] = [];
  const dropped: { topic: string; payload: number }[] = [];
  const sent: Buffer[] = [];
  const f = new OversizedPublishFilter({
    protocolVersion: v,
    limitOf: (t) => (t === LIMITED ? LIMIT : undefined),
    dropped: (topic, payload) => dropped.push({ topic, payload }),
    send: (b) => sent.push(b),
  });
  f.on('data', (b: Buffer) => out.push(b));
  for (const c of cut(Buffer.concat(cases.map((c) => c.packet)))) f.write(c);
  return { out: Buffer.concat(out), dropped, sent, f };
}

const expected = (cases: Case[]) => Buffer.concat(cases.filter((c) => !c.dropped).map((c) => c.packet));

function randomCuts(seed: number) {
  let x = seed;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return (whole: Buffer) => {
    const parts: Buffer[] = [];
    for (let at = 0; at < whole.length;) {
      const n = Math.min(whole.length - at, 1 + Math.floor(rnd() ** 3 * 90_000));
      parts.push(whole.subarray(at, at + n));
      at += n;
    }
    return parts;
  };
}

describe.each([4, 5] as const)('MQTT %s: oversized publishes skipped before mqtt.js', (v) => {
  it('whole stream in one chunk: everything else passes byte for byte, the oversized are acked and reported', () => {
    const cases = stream(v);
    const r = run(v, cases, (w) => [w]);
    expect(r.out.equals(expected(cases))).toBe(true);
    const drops = cases.filter((c) => c.dropped).map((c) => c.dropped!);
    expect(r.dropped).toEqual(drops.map(({ topic, payload }) => ({ topic, payload })));
    expect(r.sent).toEqual(drops.filter((d) => d.ack).map((d) => d.ack));
    expect(r.f.skipped).toBe(3);
  });

  it('one byte at a time, and 300 random chunkings: the same bytes and reports', () => {
    const cases = stream(v);
    const want = expected(cases);
    const one = run(v, cases, (w) => [...w].map((b) => Buffer.from([b])));
    expect(one.out.equals(want)).toBe(true);
    expect(one.dropped).toHaveLength(3);
    for (let seed = 1; seed <= 300; seed++) {
      const r = run(v, cases, randomCuts(seed));
      if (!r.out.equals(want)) throw new Error(`chunking ${seed}: the bytes differ`);
      expect(r.dropped).toHaveLength(3);
      expect(r.sent).toHaveLength(2);
    }
  });

  it('what passes parses back into the same packets with mqtt-packet', () => {
    const cases = stream(v);
    const r = run(v, cases, randomCuts(7));
    const parser = mqttPacket.parser({ protocolVersion: v });
    const got: Packet[] = [];
    parser.on('packet', (p: Packet) => got.push(p));
    parser.on('error', (e: Error) => {
      throw e;
    });
    parser.parse(r.out);
    expect(got.map((p) => p.cmd)).toEqual([
      'connack',
      'publish',
      'publish',
      'pingresp',
      'publish',
      'publish',
      'puback',
      'publish',
      'publish',
    ]);
    const sizes = got.filter((p) => p.cmd === 'publish').map((p) => (p as { payload: Buffer }).payload.length);
    expect(sizes).toEqual([10, LIMIT, 5000, 5000, 0, 900]);
  });

  it('a PINGRESP or PUBACK alone in its chunk goes on at once (not held for the next bytes)', () => {
    const f = new OversizedPublishFilter({
      protocolVersion: v,
      limitOf: () => LIMIT,
      dropped: () => {},
      send: () => {},
    });
    const out: Buffer[] = [];
    f.on('data', (b: Buffer) => out.push(b));
    f.write(encode({ cmd: 'pingresp' }, v));
    f.write(encode({ cmd: 'puback', messageId: 9 }, v));
    const headerOnly = encode(publish(LIMITED, 0, 1, 10), v);
    f.write(headerOnly);
    expect(
      Buffer.concat(out).equals(
        Buffer.concat([encode({ cmd: 'pingresp' }, v), encode({ cmd: 'puback', messageId: 9 }, v), headerOnly]),
      ),
    ).toBe(true);
  });

  it('bytes that are not MQTT (a length of five bytes) pass through untouched from there', () => {
    const good = encode(publish(LIMITED, 10, 1, 1), v);
    const bad = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3]);
    const big = encode(publish(LIMITED, LIMIT + 5, 1, 2), v);
    const r = run(v, [{ packet: good }, { packet: bad }, { packet: big }], randomCuts(3));
    expect(r.out.equals(Buffer.concat([good, bad, big]))).toBe(true);
    expect(r.dropped).toEqual([]);
  });
});
