/**
 * ListSync under a flood, in process (the in-memory broker, real files in a temp dir, a clock the
 * test moves): an oversized message is refused before anything parses it and reported once, not
 * once per message; while a document is verified only the newest arrival waits (older waiting
 * ones are superseded unread); a real deny update behind 1,000 garbage and oversized messages is
 * in force; after a delta, a restart's retained base snapshot is expected (no refusal, no event,
 * no warning); a genuine rollback is still refused; trust documents are verified in the list
 * worker (a forged 1 MiB one is refused there). The real-broker flood: denyBehindAFlood.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventOutbox } from '../../src/fleet/events.ts';
import { REFUSAL_REPORT_BURST, REFUSAL_REPORT_WINDOW_MS } from '../../src/fleet/listApplier.ts';
import { ListSync } from '../../src/fleet/listSync.ts';
import { rootKeysFromJson } from '../../src/lists/signedList.ts';
import { generateKeyPair, publicJwk } from '../../src/mint/keys.ts';
import { ALG_EDDSA } from '../../src/token/cose.ts';
import { RideCodeValidator } from '../../src/token/validator.ts';
import { captureLogger } from '../support/captureLogger.ts';
import { MemoryBroker, MemoryMqttLink } from '../support/memoryMqtt.ts';
import { waitFor } from '../support/pty.ts';
import { denyDelta, denySnapshot, nowSec, makeRoot, randomIds, signed, trustSnapshot, type Root } from './support.ts';

const DAY = 86_400;
const DENY = 'faregate/v1/deny';
const syncs: ListSync[] = [];
afterEach(async () => {
  for (const s of syncs.splice(0)) await s.stop();
});

async function gate(o: {
  root: Root;
  dir?: string;
  broker?: MemoryBroker;
  maxBytes?: { trust: number; deny: number };
}) {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'faregate-listflood-'));
  const broker = o.broker ?? new MemoryBroker();
  const link = new MemoryMqttLink(broker, 'gate-1');
  const validator = new RideCodeValidator();
  const log = captureLogger();
  const clock = { offsetMs: 0, now: () => Date.now() + clock.offsetMs };
  const rootJwks = { keys: [o.root.jwk] };
  const sync = new ListSync({
    cfg: {
      rootKeys: '',
      maxAgeSeconds: { trust: DAY, deny: DAY },
      maxBytes: o.maxBytes ?? { trust: 1 << 20, deny: 64 << 20 },
      stalePolicy: 'accept_and_flag',
    },
    dataDir: dir,
    validator,
    roots: rootKeysFromJson(rootJwks),
    rootJwks,
    bootstrapIssuedAt: { trust: nowSec(), deny: nowSec() },
    link,
    events: new EventOutbox(link),
    clock,
    logger: log,
  });
  syncs.push(sync);
  await sync.start();
  link.connect();
  const events = () => broker.messages(link.topics.events) as Record<string, unknown>[];
  const refusedEvents = () => events().filter((e) => e.kind === 'list_refused');
  const stop = async () => {
    await sync.stop();
    syncs.splice(syncs.indexOf(sync), 1);
  };
  return { dir, broker, sync, validator, log, clock, events, refusedEvents, stop };
}

describe('signed lists under a flood', () => {
  it('an oversized message is refused unparsed, counted, and reported per window, not per message', async () => {
    const root = makeRoot();
    const g = await gate({ root, maxBytes: { trust: 2048, deny: 4096 } });
    // Valid JSON and signed: had it been parsed it would apply; over the limit it is refused as oversized.
    const big = denySnapshot(root, 1, { sub: randomIds(400) });
    expect(big.length).toBeGreaterThan(4096);
    for (let i = 0; i < 50; i++) g.broker.inject(DENY, big, { retain: false });
    await g.sync.idle();
    expect(g.sync.status().deny).toMatchObject({ version: 0, refused: 50, oversized: 50, applied: 0 });
    expect(g.sync.status().deny.lastRefused).toMatchObject({ reason: 'oversized', source: 'mqtt' });
    expect(g.refusedEvents()).toHaveLength(REFUSAL_REPORT_BURST);
    expect(g.refusedEvents()[0]).toMatchObject({
      list: 'deny',
      reason: 'oversized',
      bytes: big.length,
      maxBytes: 4096,
    });
    expect(g.log.lines.filter((l) => l.msg === 'signed list refused')).toHaveLength(REFUSAL_REPORT_BURST);
    // After the window the next one is reported again, with how many were not.
    g.clock.offsetMs = REFUSAL_REPORT_WINDOW_MS + 1;
    g.broker.inject(DENY, big, { retain: false });
    await g.sync.idle();
    expect(g.refusedEvents().at(-1)).toMatchObject({ reason: 'oversized', suppressed: 50 - REFUSAL_REPORT_BURST });
    // Under the limit the same document applies.
    const small = denySnapshot(root, 1, { sub: ['aa01'] });
    g.broker.inject(DENY, small);
    await g.sync.idle();
    expect(g.sync.status().deny).toMatchObject({ version: 1, applied: 1 });
  });

  it('while one document is verified, the newest arrival replaces an older waiting one', async () => {
    const root = makeRoot();
    const g = await gate({ root });
    const docs = [1, 2, 3].map((v) => Buffer.from(denySnapshot(root, v, { sub: [`0${v}`] })));
    const results = await Promise.all(docs.map((d) => g.sync.receive('deny', d, 'mqtt')));
    expect(results.map((r) => r.outcome)).toEqual(['applied', 'superseded', 'applied']);
    expect(g.sync.status().deny).toMatchObject({ version: 3, applied: 2, superseded: 1, refused: 0 });
    expect(g.validator.denyList.denies('03', '')).toBe(true);
    expect(g.refusedEvents()).toEqual([]);
  });

  it('a deny update behind 1,000 garbage and oversized messages is in force, most dropped unread', async () => {
    const root = makeRoot();
    const g = await gate({ root, maxBytes: { trust: 1 << 20, deny: 1 << 20 } });
    g.broker.inject(DENY, denySnapshot(root, 1, { sub: ['aa01'] }));
    await g.sync.idle();
    const oversized = Buffer.alloc((1 << 20) + 1, 0x7b);
    for (let i = 0; i < 1000; i++)
      g.broker.inject(DENY, i % 10 === 0 ? oversized : `{"protected":"garbage-${i}"`, { retain: false });
    const t0 = performance.now();
    g.broker.inject(DENY, denyDelta(root, 2, 1, { sub: ['bb02'] }), { retain: false });
    await g.sync.idle();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(g.validator.denyList.denies('bb02', '')).toBe(true);
    const s = g.sync.status().deny;
    expect(s).toMatchObject({ version: 2, oversized: 100 });
    // Nearly every garbage message was dropped unread: at most one waits at a time.
    expect(s.superseded).toBeGreaterThan(800);
    expect(s.refused + s.superseded).toBe(1000);
    expect(g.refusedEvents().length).toBeLessThanOrEqual(2 * REFUSAL_REPORT_BURST);
  });

  it('after a delta, a restart gets the retained base snapshot: no refusal, no event, no warning', async () => {
    const root = makeRoot();
    const broker = new MemoryBroker();
    const first = await gate({ root, broker });
    broker.inject(DENY, denySnapshot(root, 5, { sub: ['aa01'] }), { retain: true }); // as docs/signed-lists.md says
    await first.sync.idle();
    broker.inject(DENY, denyDelta(root, 6, 5, { sub: ['bb02'] }), { retain: false });
    await first.sync.idle();
    expect(first.sync.status().deny).toMatchObject({ version: 6, refused: 0 });
    await first.stop();

    const again = await gate({ root, broker, dir: first.dir });
    // The retained v5 arrives on subscribing and is recognised as the held chain's base.
    const base = (l: Record<string, unknown>) => l.msg === 'signed list already held' && l.version === 5;
    await waitFor(() => again.log.lines.some(base) || undefined, 'retained base snapshot handled', 3000, 1);
    await again.sync.idle();
    expect(again.sync.status().deny).toMatchObject({ version: 6, refused: 0, entries: 2 });
    expect(again.sync.status().deny.lastRefused).toBeUndefined();
    expect(again.refusedEvents()).toEqual([]);
    expect(again.log.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
    expect(again.validator.denyList.denies('bb02', '')).toBe(true);
  });

  it('a genuine rollback is still refused: an older snapshot not the chain base, an older delta', async () => {
    const root = makeRoot();
    const broker = new MemoryBroker();
    const g = await gate({ root, broker });
    const v3 = denySnapshot(root, 3, { sub: ['aa01'] });
    await g.sync.receive('deny', Buffer.from(denySnapshot(root, 2, { sub: [] })), 'mqtt');
    await g.sync.receive('deny', Buffer.from(v3), 'mqtt');
    await g.sync.receive('deny', Buffer.from(denyDelta(root, 4, 3, { sub: ['bb02'] })), 'mqtt');
    expect(g.sync.status().deny).toMatchObject({ version: 4, refused: 0 });
    // The base itself: expected.
    expect((await g.sync.receive('deny', Buffer.from(v3), 'mqtt')).outcome).toBe('duplicate');
    const rollbacks = [
      denySnapshot(root, 2, { sub: [] }), // older than the base
      denySnapshot(root, 3, { sub: [] }), // the base's version, other content
      denyDelta(root, 3, 2, { sub: [] }), // an older delta
    ];
    for (const d of rollbacks)
      expect(await g.sync.receive('deny', Buffer.from(d), 'mqtt')).toMatchObject({
        outcome: 'refused',
        reason: 'rollback',
      });
    expect(g.sync.status().deny).toMatchObject({ version: 4, refused: 3 });
    expect(g.refusedEvents().map((e) => [e.reason, e.version, e.heldVersion])).toEqual([
      ['rollback', 2, 4],
      ['rollback', 3, 4],
      ['rollback', 3, 4],
    ]);
    expect(g.validator.denyList.denies('aa01', '') && g.validator.denyList.denies('bb02', '')).toBe(true);
  });
});

describe('trust lists are verified in the list worker', () => {
  const TRUST = 'faregate/v1/trust';
  const issuerJwk = () => publicJwk(generateKeyPair(ALG_EDDSA));

  it('a forged trust list of nearly 1 MiB is refused there; a genuine one applies, its keys imported here', async () => {
    const root = makeRoot();
    const g = await gate({ root });
    // Signed, then the signature altered: parsing it and hashing its payload is the forger's price.
    const env = JSON.parse(trustSnapshot(root, 2, [issuerJwk()])) as Record<string, string>;
    const pad = 'x'.repeat(700_000);
    const forgedPayload = JSON.parse(
      signed(root, { type: 'trust', version: 3, issuedAt: nowSec(), kind: 'snapshot', keys: [], pad }),
    );
    const sig = forgedPayload.signature as string;
    const forged = JSON.stringify({ ...forgedPayload, signature: (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1) });
    expect(forged.length).toBeGreaterThan(900_000);
    expect(forged.length).toBeLessThan(1 << 20);
    const r = await g.sync.receive('trust', Buffer.from(forged), 'mqtt');
    expect(r).toMatchObject({ outcome: 'refused', reason: 'bad_signature' });
    expect(g.validator.trustList.size).toBe(0);
    const ok = await g.sync.receive('trust', Buffer.from(JSON.stringify(env)), 'mqtt');
    expect(ok).toMatchObject({ outcome: 'applied', via: 'worker' });
    expect(g.validator.trustList.size).toBe(1);
    expect(g.sync.status().trust).toMatchObject({ version: 2, refused: 1, applied: 1 });
  });

  it('a signed trust list whose key node:crypto cannot import is refused as malformed, the held list kept', async () => {
    const root = makeRoot();
    const g = await gate({ root });
    await g.sync.receive('trust', Buffer.from(trustSnapshot(root, 1, [issuerJwk()])), 'mqtt');
    // A P-256 point that is not on the curve: the JWK's shape is right, only the import fails.
    const offCurve = { ...issuerJwk(), kty: 'EC', crv: 'P-256', alg: 'ES256', x: 'A'.repeat(43), y: 'A'.repeat(43) };
    const r = await g.sync.receive('trust', Buffer.from(trustSnapshot(root, 2, [offCurve])), 'mqtt');
    expect(r).toMatchObject({ outcome: 'refused', reason: 'malformed' });
    expect(r.outcome === 'refused' && r.detail).toMatch(/keys\.0: key cannot be imported/);
    expect(g.sync.status().trust).toMatchObject({ version: 1, refused: 1 });
    expect(g.validator.trustList.size).toBe(1);
  });

  it('a trust and a deny document arriving at once both apply, and the next one is verified too', async () => {
    const root = makeRoot();
    const g = await gate({ root });
    g.broker.inject(TRUST, trustSnapshot(root, 1, [issuerJwk(), issuerJwk()]));
    g.broker.inject(DENY, denySnapshot(root, 1, { sub: randomIds(5000) }));
    await g.sync.idle();
    expect(g.sync.status().trust).toMatchObject({ version: 1, applied: 1, refused: 0 });
    expect(g.sync.status().deny).toMatchObject({ version: 1, applied: 1, refused: 0, entries: 5000 });
    expect(g.validator.trustList.size).toBe(2);
    // The kept worker serves the next document.
    await g.sync.receive('trust', Buffer.from(trustSnapshot(root, 2, [issuerJwk()])), 'mqtt');
    expect(g.validator.trustList.size).toBe(1);
  });
});
