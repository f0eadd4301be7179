/**
 * ListSync in process: the in-memory broker, real files in a temp dir, a clock the test moves.
 * Lists are applied in order and persisted; forged, unknown-root, rolled-back, out-of-order,
 * malformed and misplaced documents are refused (event, status, nothing changes); the persisted
 * lists are in force after a restart without a broker; staleness raises and clears the alarm and
 * drives the stale policy; events raised offline go out on reconnect.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListsConfig } from '../../src/config/schema.ts';
import { EventOutbox } from '../../src/fleet/events.ts';
import { ListSync } from '../../src/fleet/listSync.ts';
import { rootKeysFromJson } from '../../src/lists/signedList.ts';
import { RideCodeValidator } from '../../src/token/validator.ts';
import { captureLogger } from '../support/captureLogger.ts';
import { MemoryBroker, MemoryMqttLink } from '../support/memoryMqtt.ts';
import { waitFor } from '../support/pty.ts';
import {
  denyDelta,
  denySnapshot,
  devIssuerPublic,
  makeIssuer,
  makeRoot,
  nowSec,
  signed,
  trustSnapshot,
  type Root,
} from './support.ts';

const DAY = 86_400;
const syncs: ListSync[] = [];
afterEach(async () => {
  for (const s of syncs.splice(0)) await s.stop();
});

interface Gate {
  dir: string;
  sync: ListSync;
  validator: RideCodeValidator;
  link: MemoryMqttLink | undefined;
  broker: MemoryBroker;
  log: ReturnType<typeof captureLogger>;
  clock: { offsetMs: number; now(): number };
  statusChanges: () => number;
  events(): Record<string, unknown>[];
}

async function gate(o: {
  root: Root;
  dir?: string;
  broker?: MemoryBroker | null;
  policy?: ListsConfig['stalePolicy'];
  bootstrapAgeSec?: number;
}): Promise<Gate> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'faregate-listsync-'));
  const broker = o.broker === null ? new MemoryBroker() : (o.broker ?? new MemoryBroker());
  const link = o.broker === null ? undefined : new MemoryMqttLink(broker, 'gate-1');
  const validator = new RideCodeValidator();
  const log = captureLogger();
  const clock = { offsetMs: 0, now: () => Date.now() + clock.offsetMs };
  const issued = nowSec() - (o.bootstrapAgeSec ?? 0);
  let changes = 0;
  const rootJwks = { keys: [o.root.jwk] };
  const sync = new ListSync({
    cfg: { rootKeys: '', maxAgeSeconds: { trust: DAY, deny: DAY }, stalePolicy: o.policy ?? 'accept_and_flag' },
    dataDir: dir,
    validator,
    roots: rootKeysFromJson(rootJwks),
    rootJwks,
    bootstrapIssuedAt: { trust: issued, deny: issued },
    link,
    events: new EventOutbox(link),
    statusChanged: () => void changes++,
    clock,
    logger: log,
  });
  syncs.push(sync);
  await sync.start();
  link?.connect();
  return {
    dir,
    sync,
    validator,
    link,
    broker,
    log,
    clock,
    statusChanges: () => changes,
    events: () => (link ? (broker.messages(link.topics.events) as Record<string, unknown>[]) : []),
  };
}

/** Publishes as the backend; waits until the gate has handled it. */
async function publish(g: Gate, type: 'trust' | 'deny', doc: string, retain = true): Promise<void> {
  const s = g.sync.status()[type];
  const before = s.applied + s.refused;
  g.broker.inject(`faregate/v1/${type}`, doc, { retain });
  await g.sync.idle();
  await waitFor(
    () => {
      const n = g.sync.status()[type];
      return n.applied + n.refused > before || undefined;
    },
    `${type} handled`,
    3000,
    1,
  ).catch(() => undefined); // a duplicate is neither
  await g.sync.idle();
}

describe('ListSync', () => {
  it('applies snapshots and deltas in order, in force at once, and persists them', async () => {
    const root = makeRoot();
    const g = await gate({ root });
    const issuer = makeIssuer();
    await publish(g, 'trust', trustSnapshot(root, 3, [devIssuerPublic(), issuer.jwk()]));
    expect(g.validator.trustList.size).toBe(2);
    await publish(g, 'deny', denySnapshot(root, 1, { sub: ['aa01'], cti: ['cc'] }));
    expect(g.validator.denyList.denies('aa01', 'x')).toBe(true);
    await publish(g, 'deny', denyDelta(root, 2, 1, { sub: ['BB02'] }, { sub: ['aa01'] }), false);
    expect([g.validator.denyList.denies('aa01', 'x'), g.validator.denyList.denies('bb02', 'x')]).toEqual([false, true]);
    expect(g.sync.status().deny).toMatchObject({ version: 2, source: 'signed', applied: 2, refused: 0, entries: 2 });
    expect(g.sync.status().trust).toMatchObject({ version: 3, kid: root.signer.kid, entries: 2 });
    expect(g.statusChanges()).toBeGreaterThanOrEqual(3);
    expect(g.log.lines.filter((l) => l.msg === 'signed list applied').map((l) => [l.list, l.version])).toEqual([
      ['trust', 3],
      ['deny', 1],
      ['deny', 2],
    ]);
    const dir = join(g.dir, 'lists');
    expect(readdirSync(dir).sort()).toEqual(['deny.delta.2.jws.json', 'deny.jws.json', 'trust.jws.json']);
    // A new deny snapshot replaces the snapshot and ends the deltas on disk.
    await publish(g, 'deny', denySnapshot(root, 5, { sub: [] }));
    expect(readdirSync(dir).sort()).toEqual(['deny.jws.json', 'trust.jws.json']);
  });

  it('refuses forged, unknown-root, rolled-back, out-of-order, malformed and misplaced lists; nothing changes', async () => {
    const root = makeRoot('root-a');
    const g = await gate({ root });
    await publish(g, 'deny', denySnapshot(root, 5, { sub: ['dd01'] }));
    const good = JSON.parse(denySnapshot(root, 6, { sub: [] })) as Record<string, string>;
    const forged = Buffer.from(
      JSON.stringify({ type: 'deny', version: 6, issuedAt: nowSec(), kind: 'snapshot', sub: [] }),
    );
    const cases: [string, 'trust' | 'deny', string][] = [
      ['bad_signature', 'deny', JSON.stringify({ ...good, payload: forged.toString('base64url') })],
      ['bad_signature', 'deny', denySnapshot(makeRoot('root-a'), 7, { sub: [] })], // same kid, another key
      ['unknown_root_kid', 'deny', denySnapshot(makeRoot('root-b'), 7, { sub: [] })],
      ['rollback', 'deny', denySnapshot(root, 4, { sub: [] })],
      ['rollback', 'deny', denySnapshot(root, 5, { sub: [] })],
      ['missing_base', 'deny', denyDelta(root, 8, 7, {}, { sub: ['dd01'] })],
      [
        'malformed',
        'deny',
        signed(root, { type: 'deny', version: 9, issuedAt: nowSec(), kind: 'snapshot', sub: ['not-hex'] }),
      ],
      ['malformed', 'deny', signed(root, { type: 'deny', version: 9, issuedAt: 'today', kind: 'snapshot', sub: [] })],
      ['malformed', 'deny', '{"protected": "x"'],
      [
        'malformed',
        'trust',
        signed(root, { type: 'trust', version: 1, issuedAt: nowSec(), kind: 'snapshot', keys: [{ kty: 'OKP' }] }),
      ],
      ['wrong_type', 'trust', denySnapshot(root, 9, { sub: [] })],
    ];
    for (const [reason, list, doc] of cases) {
      const n = g.events().length;
      await publish(g, list, doc, false);
      expect(g.events().slice(n)).toEqual([
        expect.objectContaining({ kind: 'list_refused', list, reason, source: 'mqtt' }),
      ]);
      expect(g.sync.status()[list].lastRefused).toMatchObject({ reason, source: 'mqtt' });
      expect(g.sync.status().deny).toMatchObject({ version: 5, entries: 1 });
      expect(g.sync.status().trust).toMatchObject({ version: 0, source: 'file' });
      expect(g.validator.denyList.denies('dd01', '')).toBe(true);
    }
    expect(g.sync.status().deny.refused).toBe(9);
    expect(g.events().find((e) => e.reason === 'missing_base')).toMatchObject({
      waitingForSnapshot: true,
      version: 8,
      heldVersion: 5,
      listKind: 'delta',
    });
    expect(g.log.lines.filter((l) => l.msg === 'signed list refused').length).toBe(cases.length);
    // Waiting for a snapshot: the retained v5 came again on resubscribe (a duplicate, not refused); v10 ends the wait.
    expect(g.sync.status().deny.waitingForSnapshot).toBe(true);
    await publish(g, 'deny', denySnapshot(root, 10, { sub: ['ee02'] }));
    expect(g.sync.status().deny).toMatchObject({ version: 10, waitingForSnapshot: false, refused: 9 });
    expect([g.validator.denyList.denies('dd01', ''), g.validator.denyList.denies('ee02', '')]).toEqual([false, true]);
  });

  it('restores the persisted lists at start without a broker; a tampered file is refused at load', async () => {
    const root = makeRoot();
    const first = await gate({ root });
    const dir = first.dir;
    await publish(first, 'trust', trustSnapshot(root, 3, [devIssuerPublic(), makeIssuer().jwk()]));
    await publish(first, 'deny', denySnapshot(root, 1, { sub: ['aa01'] }));
    await publish(first, 'deny', denyDelta(root, 2, 1, { sub: ['bb02'] }), false);
    await first.sync.stop();
    syncs.splice(syncs.indexOf(first.sync), 1);

    const offline = await gate({ root, dir, broker: null });
    expect(offline.sync.status().trust).toMatchObject({ version: 3, source: 'signed', entries: 2 });
    expect(offline.sync.status().deny).toMatchObject({ version: 2, source: 'signed', entries: 2 });
    expect(offline.validator.denyList.denies('bb02', '')).toBe(true);
    await offline.sync.stop();
    syncs.splice(syncs.indexOf(offline.sync), 1);

    const file = join(dir, 'lists', 'deny.jws.json');
    const env = JSON.parse(readFileSync(file, 'utf8')) as { payload: string };
    const payload = JSON.parse(Buffer.from(env.payload, 'base64url').toString()) as { sub: string[] };
    payload.sub = [];
    writeFileSync(
      file,
      JSON.stringify({ ...env, payload: Buffer.from(JSON.stringify(payload)).toString('base64url') }),
    );
    const tampered = await gate({ root, dir, broker: null });
    const deny = tampered.sync.status().deny;
    // The snapshot is refused for its signature; the delta then has no base.
    expect(deny).toMatchObject({
      version: 0,
      source: 'file',
      refused: 2,
      lastRefused: { source: 'disk', reason: 'missing_base' },
    });
    expect(tampered.log.lines.find((l) => l.msg === 'signed list refused')).toMatchObject({
      reason: 'bad_signature',
      source: 'disk',
      file: 'deny.jws.json',
    });
    expect(tampered.sync.status().trust).toMatchObject({ version: 3 });
  });

  for (const policy of ['accept_and_flag', 'reject'] as const) {
    it(`staleness (${policy}): the alarm is raised, re-raised and cleared; the policy applies`, async () => {
      const root = makeRoot();
      const g = await gate({ root, policy });
      expect(g.sync.staleLists()).toEqual([]);
      expect([g.sync.tapFlags(), g.sync.refusal(), g.sync.alarms]).toEqual([undefined, undefined, []]);
      // Two days later with no new list: both lists are stale.
      g.clock.offsetMs = 2 * DAY * 1000;
      g.sync.checkStale();
      expect(g.sync.status().deny).toMatchObject({ stale: true, maxAgeSec: DAY });
      expect(g.sync.alarms).toEqual(['lists_stale']);
      const raised = g.events().filter((e) => e.kind === 'alarm' && e.state === 'raised');
      expect(raised).toEqual([expect.objectContaining({ alarm: 'lists_stale', lists: ['trust', 'deny'], policy })]);
      if (policy === 'accept_and_flag')
        expect([g.sync.tapFlags(), g.sync.refusal()]).toEqual([['stale_lists'], undefined]);
      else expect([g.sync.tapFlags(), g.sync.refusal()]).toEqual([undefined, 'lists_stale']);
      g.sync.checkStale(); // no change: not announced again
      expect(g.events().filter((e) => e.kind === 'alarm').length).toBe(1);
      // A fresh deny list: only trust is stale, announced again.
      const now = Math.floor(g.clock.now() / 1000);
      await publish(g, 'deny', denySnapshot(root, 1, { sub: [] }, now));
      expect(
        g
          .events()
          .filter((e) => e.state === 'raised')
          .at(-1),
      ).toMatchObject({ lists: ['trust'] });
      await publish(g, 'trust', trustSnapshot(root, 1, [devIssuerPublic()], now));
      expect(
        g
          .events()
          .filter((e) => e.kind === 'alarm')
          .at(-1),
      ).toMatchObject({ state: 'cleared', alarm: 'lists_stale' });
      expect([g.sync.tapFlags(), g.sync.refusal(), g.sync.alarms]).toEqual([undefined, undefined, []]);
      expect(g.log.lines.filter((l) => l.alarm === 'lists_stale').map((l) => l.msg)).toEqual([
        'alarm raised',
        'alarm raised',
        'alarm cleared',
      ]);
    });
  }

  it('a list issued long ago is stale as soon as it is applied', async () => {
    const root = makeRoot();
    const g = await gate({ root, policy: 'reject' });
    await publish(g, 'deny', denySnapshot(root, 1, { sub: [] }, nowSec() - 2 * DAY));
    expect(g.sync.status().deny).toMatchObject({ version: 1, stale: true });
    expect(g.sync.status().deny.ageSec).toBeGreaterThanOrEqual(2 * DAY);
    expect(g.sync.refusal()).toBe('lists_stale');
  });

  it('events raised while offline go out on reconnect', async () => {
    const root = makeRoot();
    const g = await gate({ root });
    g.link!.disconnect();
    await g.sync.receive('deny', Buffer.from(denySnapshot(makeRoot(), 1, { sub: [] })), 'mqtt');
    g.clock.offsetMs = 2 * DAY * 1000;
    g.sync.checkStale();
    expect(g.events()).toEqual([]);
    g.link!.connect();
    expect(g.events().map((e) => [e.kind, e.reason ?? e.state])).toEqual([
      ['list_refused', 'unknown_root_kid'],
      ['alarm', 'raised'],
    ]);
  });
});
