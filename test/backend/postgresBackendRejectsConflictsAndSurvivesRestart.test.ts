/**
 * The settlement backend on a real PostgreSQL and a real Mosquitto, with signed acks: a tap id
 * the database already holds with different content is `rejected` (`duplicate_id_conflict`,
 * settlement-mqtt-v1 Amendment 1) while the rest of the batch settles; repeats inside a batch and
 * counters past 2^53 settle; every field is kept as a column and in the jsonb tap. A PostgreSQL
 * restart in the middle: a batch that cannot commit gets no ack (the process does not crash), and
 * the same batch re-sent after the database is back is settled once; the same when the database
 * crash-restarts while a batch is inside its transaction (the connection's error is heard).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { PgStore, PgTapReader } from '../../src/backend/pgStore.ts';
import { SettlementBackend } from '../../src/backend/settlementBackend.ts';
import { ALG_EDDSA } from '../../src/token/cose.ts';
import { devAckKey } from '../support/independentBackend.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { waitFor } from '../support/pty.ts';
import { describeWithPostgres, startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { FakeGate, makeBatch, makeTap, sleep, until } from './fakeGate.ts';

describeWithPostgres('the settlement backend on PostgreSQL', () => {
  let cluster: PostgresCluster;
  let broker: Mosquitto;
  let store: PgStore;
  let backend: SettlementBackend;
  let gate: FakeGate;
  beforeAll(async () => {
    [cluster, broker] = await Promise.all([startPostgres(), startMosquitto()]);
    store = await new PgStore({ url: cluster.url, connectTimeoutMs: 2000 }).open();
    const k = devAckKey();
    backend = new SettlementBackend({
      url: broker.url,
      store,
      clientId: `pg-backend-${randomUUID()}`,
      ackSigner: { alg: ALG_EDDSA, kid: k.kid, privateKey: k.key },
      reconnectPeriodMs: 200,
    });
    await backend.start();
    gate = await FakeGate.connect(broker.url);
  }, 60_000);
  afterAll(async () => {
    await gate?.close();
    await backend?.stop({ endSession: true });
    await store?.close();
    await broker?.stop();
    await cluster?.destroy();
  });

  it('rejects an id held with different content and settles the rest of the batch', async () => {
    const first = makeBatch('gate-p1', [makeTap('gate-p1', { flags: ['stale_lists'] }), makeTap('gate-p1')]);
    await gate.publish('gate-p1', first);
    const a1 = await gate.waitForAck(first.batchId);
    expect(a1.signed).toMatchObject({ deviceId: 'gate-p1', rejected: [] });
    expect(a1.signed?.tapIds).toEqual(first.taps.map((t) => t.id));

    // Another fare under a held id (a conflict), a new tap twice, the second copy with another
    // fare (the first copy is stored, so it is settled, not also rejected), a plain re-send whose
    // flags changed (flags are not compared), a counter past 2^53.
    const changed = { ...first.taps[1]!, fare: first.taps[1]!.fare! + 1 };
    const fresh = makeTap('gate-p1', { seq: 2 ** 60, profile: 2 ** 53 + 2 });
    const resent = { ...first.taps[0]!, flags: [] };
    const second = makeBatch('gate-p1', [changed, fresh, resent, { ...fresh, fare: fresh.fare! + 1 }]);
    await gate.publish('gate-p1', second);
    const a2 = await gate.waitForAck(second.batchId);
    expect(a2.signed?.rejected).toEqual([{ id: changed.id, reason: 'duplicate_id_conflict' }]);
    expect(a2.signed?.tapIds).toEqual([fresh.id, resent.id]);
    expect(backend.counters).toMatchObject({ tapsInserted: 3, duplicates: 3, conflicts: 2, storeErrors: 0 });

    // The first content is kept; every field is a column and the whole tap is the jsonb.
    const rows = await cluster.query<{ fare: string; seq: string; profile: string; tap: unknown }>(
      'SELECT fare, seq::text AS seq, profile::text AS profile, tap FROM settled_taps WHERE id = ANY($1) ORDER BY at',
      [[changed.id, fresh.id]],
    );
    expect(rows.map((r) => Number(r.fare))).toEqual([first.taps[1]!.fare, fresh.fare]);
    expect(rows[1]).toMatchObject({ seq: String(2n ** 60n), profile: String(2n ** 53n + 2n), tap: fresh });
    const taps = await new PgTapReader(store).taps({ from: first.taps[0]!.at, to: fresh.at + 1 });
    expect(taps).toEqual([first.taps[0], first.taps[1], fresh]);
    expect(await store.devices()).toEqual([
      expect.objectContaining({ deviceId: 'gate-p1', batches: 2, taps: 3, duplicates: 3, conflicts: 2 }),
    ]);
    const report = await store.report();
    expect(report.totals).toEqual({ taps: 3, priced: 3, fareTotals: { CNY: 600 } });
  });

  it('a batch arriving while PostgreSQL is down gets no ack; re-sent after the restart, it settles once', async () => {
    const before = backend.counters;
    await cluster.stopServer('immediate');
    const batch = makeBatch('gate-p2', 5);
    await gate.publish('gate-p2', batch);
    await until(() => backend.counters.storeErrors > before.storeErrors, 15_000, 'a store error');
    await sleep(300);
    expect(gate.acksOf(batch.batchId)).toEqual([]);
    expect(backend.connected).toBe(true);

    await cluster.startServer();
    // The validator re-sends what was not acked (here: the same batch, twice over).
    await gate.publish('gate-p2', batch);
    await gate.waitForAck(batch.batchId, 15_000);
    await gate.publish('gate-p2', batch);
    await until(() => gate.acksOf(batch.batchId).length === 2, 10_000, 'the second ack');
    expect(gate.acksOf(batch.batchId).map((a) => a.signed?.tapIds)).toEqual([
      batch.taps.map((t) => t.id),
      batch.taps.map((t) => t.id),
    ]);
    const held = await cluster.query<{ n: string }>('SELECT count(*) AS n FROM settled_taps WHERE device_id = $1', [
      'gate-p2',
    ]);
    expect(Number(held[0]!.n)).toBe(5);
  }, 60_000);

  it('a crash-restart while a batch is in its transaction: no ack, no crash; re-sent, it settles once', async () => {
    const before = backend.counters;
    // Hold the batch inside its transaction (its taps inserted, the counters waiting on a lock).
    const locker = new pg.Client({ connectionString: cluster.url });
    locker.on('error', () => {}); // the restart ends this connection too
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE device_counters IN EXCLUSIVE MODE');
    const batch = makeBatch('gate-p3', 4);
    await gate.publish('gate-p3', batch);
    const waiting = async () =>
      Number(
        (
          await cluster.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'faregate-backend' " +
              "AND wait_event_type = 'Lock'",
          )
        )[0]!.n,
      ) > 0;
    await waitFor(waiting, 'the batch waiting inside its transaction', 15_000, 50);
    await cluster.restart('immediate');
    await until(() => backend.counters.storeErrors > before.storeErrors, 15_000, 'a store error');
    await sleep(300);
    expect(gate.acksOf(batch.batchId)).toEqual([]);
    expect(backend.connected).toBe(true);

    await gate.publish('gate-p3', batch);
    const ack = await gate.waitForAck(batch.batchId, 15_000);
    expect(ack.signed?.tapIds).toEqual(batch.taps.map((t) => t.id));
    const held = await cluster.query<{ n: string }>('SELECT count(*) AS n FROM settled_taps WHERE device_id = $1', [
      'gate-p3',
    ]);
    expect(Number(held[0]!.n)).toBe(4);
    await locker.end().catch(() => undefined);
  }, 60_000);
});
