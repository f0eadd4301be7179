import { describe, expect, it } from 'vitest';
import { ACCEPT_TYP } from '../../src/contract/settlement.ts';
import { keySetFromJson, signFlattenedJws, type JwsSigner } from '../../src/lists/jws.ts';
import { ReplayShare } from '../../src/fleet/replayShare.ts';
import { generateKeyPair, type KeyPair } from '../../src/mint/keys.ts';
import { ALG_EDDSA } from '../../src/token/cose.ts';
import { ReplayMemory, riderKey } from '../../src/token/replayMemory.ts';
import { captureLogger } from '../support/captureLogger.ts';
import { MemoryBroker, MemoryMqttLink } from '../support/memoryMqtt.ts';
import { publicJwkOf } from './groupHarness.ts';

const CODE = 'ab'.repeat(16);
const SUB = '0123456789abcdef';

function setup() {
  const pairs = new Map<string, KeyPair>([
    ['gate-1', generateKeyPair(ALG_EDDSA)],
    ['gate-2', generateKeyPair(ALG_EDDSA)],
  ]);
  const keys = keySetFromJson({ keys: [...pairs].map(([d, p]) => publicJwkOf(d, p)) });
  const signer = (kid: string, pair = pairs.get(kid)!): JwsSigner => ({
    alg: pair.alg,
    kid,
    privateKey: pair.privateKey,
  });
  const replay = new ReplayMemory(3660, 3, 1000);
  const broker = new MemoryBroker();
  const link = new MemoryMqttLink(broker, 'gate-2');
  const nowMs = Date.now();
  const share = new ReplayShare({
    groupId: 'station-1',
    deviceId: 'gate-2',
    topicPrefix: 'faregate/v1',
    keys,
    signer: signer('gate-2'),
    link,
    replay,
    now: () => nowMs,
    skewSec: 30,
    maxQueued: 100,
    log: captureLogger(),
  });
  const announcement = (o: Record<string, unknown> = {}) => ({
    deviceId: 'gate-1',
    codeId: CODE,
    sub: SUB,
    at: nowMs,
    ...o,
  });
  const signed = (payload: unknown, s: JwsSigner = signer('gate-1'), typ: string = ACCEPT_TYP) =>
    Buffer.from(JSON.stringify(signFlattenedJws(payload, s, { typ })));
  return { share, replay, signer, announcement, signed, nowMs, link, broker };
}

describe('accept announcements are verified before they enter the replay memory', () => {
  it('a genuine announcement of a gate of the group is merged: the code is then a replay here', async () => {
    const t = setup();
    expect(await t.share.receive(t.signed(t.announcement()))).toBe('merged');
    expect(t.replay.recall(CODE, SUB, t.nowMs / 1000 + 1)).toBe('replay');
    expect(await t.share.receive(t.signed(t.announcement()))).toBe('known');
    expect(t.share.stats).toMatchObject({ merged: 1, known: 1, refused: {} });
  });

  it('a JT/T accept names its format: its account is another rider than the same FG1 sub', async () => {
    const t = setup();
    const other = 'cd'.repeat(16);
    expect(await t.share.receive(t.signed(t.announcement({ format: 'jtt1179' })))).toBe('merged');
    const now = t.nowMs / 1000 + 1;
    expect(t.replay.recall(CODE, riderKey('jtt1179', SUB), now)).toBe('replay');
    // Within the duplicate window: the JT/T rider is held, the FG1 rider of the same sub is not.
    expect(t.replay.recall(other, riderKey('jtt1179', SUB), now)).toBe('duplicate');
    expect(t.replay.recall(other, riderKey('fg1', SUB), now)).toBeUndefined();
    expect(await t.share.receive(t.signed(t.announcement({ codeId: other, format: 'JT/T' })))).toBe('malformed');
    // This gate's own JT/T accept goes out with its format; an FG1 accept without one.
    t.share.start();
    t.link.start();
    t.share.announce(other, SUB, t.nowMs, 'jtt1179');
    t.share.announce('ef'.repeat(16), SUB, t.nowMs, 'fg1');
    await new Promise((r) => setTimeout(r, 50));
    const sent = t.broker.messages(t.share.topic).map((m) => {
      const p = (m as { payload: string }).payload;
      return JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    });
    expect(sent.map((a) => a.format)).toEqual(['jtt1179', undefined]);
    t.share.stop();
  });

  it('forgeries change nothing: unsigned, a key not of the group, another typ, a kid of another device', async () => {
    const t = setup();
    const stranger = generateKeyPair(ALG_EDDSA);
    const results = [
      await t.share.receive(Buffer.from(JSON.stringify(t.announcement()))),
      await t.share.receive(t.signed(t.announcement(), t.signer('gate-1', stranger))),
      await t.share.receive(t.signed(t.announcement(), t.signer('gate-9', stranger))),
      await t.share.receive(t.signed(t.announcement(), t.signer('gate-1'), 'faregate-cmd+json')),
      await t.share.receive(t.signed(t.announcement({ deviceId: 'gate-3' }))),
      await t.share.receive(t.signed({ ...t.announcement(), extra: 1 })),
      await t.share.receive(Buffer.from('not json')),
      await t.share.receive(Buffer.alloc(4096, 0x20)),
    ];
    expect(results).toEqual([
      'malformed',
      'bad_signature',
      'unknown_kid',
      'wrong_typ',
      'not_its_device',
      'malformed',
      'malformed',
      'malformed',
    ]);
    expect(t.replay.size).toBe(0);
    expect(t.replay.recall(CODE, SUB, t.nowMs / 1000)).toBeUndefined();
  });

  it('entries older than the replay retention, or in the future beyond the skew, are refused', async () => {
    const t = setup();
    expect(await t.share.receive(t.signed(t.announcement({ at: t.nowMs - 3661_000 })))).toBe('stale');
    expect(await t.share.receive(t.signed(t.announcement({ at: t.nowMs + 31_000 })))).toBe('future');
    expect(t.replay.size).toBe(0);
    // Within the skew, and late but within the retention (a partition healed): merged.
    expect(await t.share.receive(t.signed(t.announcement({ at: t.nowMs + 20_000 })))).toBe('merged');
    const late = t.announcement({ codeId: 'cd'.repeat(16), at: t.nowMs - 3000_000 });
    expect(await t.share.receive(t.signed(late))).toBe('merged');
    expect(t.share.stats.refused).toEqual({ stale: 1, future: 1 });
  });

  it('its own announcements, heard back from the broker, are neither merged nor counted as refused', async () => {
    const t = setup();
    expect(await t.share.receive(t.signed(t.announcement({ deviceId: 'gate-2' }), t.signer('gate-2')))).toBe('self');
    expect(t.replay.size).toBe(0);
    expect(t.share.stats.refused).toEqual({});
  });

  it('announcements of another group are on another topic: never heard', async () => {
    const t = setup();
    t.share.start();
    t.link.start();
    t.broker.inject('faregate/v1/groups/station-9/accepts', JSON.parse(t.signed(t.announcement()).toString()));
    await new Promise((r) => setTimeout(r, 20));
    expect(t.replay.size).toBe(0);
    t.broker.inject(t.share.topic, JSON.parse(t.signed(t.announcement()).toString()));
    await new Promise((r) => setTimeout(r, 20));
    expect(t.replay.size).toBe(1);
    t.share.stop();
  });
});
