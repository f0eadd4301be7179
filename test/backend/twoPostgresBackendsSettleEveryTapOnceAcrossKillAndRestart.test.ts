/**
 * Exactly once on PostgreSQL with the whole chain real: two validator processes (`faregate run`,
 * riders fed through pty scanners) upload over a real Mosquitto to TWO `faregate backend --db
 * postgres://...` processes sharing the batches (MQTT 5 shared subscription; the second with
 * `--lanes 2`), one database.
 *
 * In the middle: a table lock stalls every batch's transaction; backend 1 is SIGKILLed while it
 * is inside one (pg_stat_activity shows its insert waiting), then the lock goes, then PostgreSQL
 * is restarted (`pg_ctl restart -m immediate`, a crash) while taps keep flowing, then backend 1
 * comes back under the same client id. At the end every accepted tap is in the database exactly
 * once (one row per ride, no foreign row), and every validator's backlog is 0.
 */
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { runFaregate } from '../support/cli.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { describeWithPostgres, startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { killAllServices, ServiceProcess } from '../support/serviceProcess.ts';
import {
  acceptedTapIds,
  Feeder,
  readStore,
  report,
  settlementSettings,
  tempDir,
  waitStoreSettled,
  WAIT,
} from '../settlement/harness.ts';
import { BackendProcess, killAllBackends } from './backendProcess.ts';

let cluster: PostgresCluster | undefined;
let broker: Mosquitto | undefined;
afterAll(async () => {
  await killAllServices();
  await killAllBackends();
  await stopAllPtyPairs();
  await broker?.stop();
  await cluster?.destroy();
});

interface Validator {
  deviceId: string;
  dataDir: string;
  svc: ServiceProcess;
  feeder: Feeder;
}

async function count(url: string): Promise<number> {
  const rows = await cluster!.query<{ n: string }>(
    'SELECT count(*) AS n FROM settled_taps',
    [],
    new URL(url).pathname.slice(1),
  );
  return Number(rows[0]!.n);
}

describeWithPostgres('two backends on PostgreSQL', () => {
  it('settle every tap exactly once across a SIGKILL mid-batch and a database restart', async () => {
    const t0 = Date.now();
    [cluster, broker] = await Promise.all([startPostgres(), startMosquitto()]);
    const db = cluster.url;
    const group = 'pg-settle';
    const be = (id: string, lanes = 1) =>
      BackendProcess.start({ mqtt: broker!.url, db, clientId: id, sharedGroup: group, lanes });
    let one = await be('pg-backend-1');
    // Backend 2 runs two lanes (two MQTT sessions of the group): up to two batches committing at once.
    const two = await be('pg-backend-2', 2);

    const validators: Validator[] = [];
    for (const deviceId of ['pg-bus-1', 'pg-bus-2']) {
      const dir = tempDir();
      const dataDir = join(dir, 'data');
      const scanner = await startPtyPair();
      const settings = settlementSettings(scanner.a, dataDir, broker.url, {
        protocolVersion: 5,
        settlement: { batchSize: 10 },
        extra: { deviceId },
      });
      const svc = ServiceProcess.start(dir, settings);
      await svc.waitForLine((l) => l.msg === 'scanner up', `${deviceId} scanner up`, WAIT);
      await svc.waitForLine((l) => l.msg === 'mqtt connected', `${deviceId} mqtt connected`, WAIT);
      validators.push({ deviceId, dataDir, svc, feeder: await Feeder.open(scanner.b) });
    }
    const feedAll = (n: number) => Promise.all(validators.map((v) => v.feeder.feed(n, 10)));

    // 1. Both backends settle part of the stream.
    await feedAll(40);
    await waitFor(async () => (await count(db)) >= 60, '60 taps in PostgreSQL', WAIT, 50);
    expect(one.count('batch settled') + two.count('batch settled')).toBeGreaterThan(0);

    // 2. Stall every batch's transaction behind a lock, keep feeding, and SIGKILL backend 1 while
    //    it is inside one (its taps inserted, not committed).
    const locker = new pg.Client({ connectionString: db });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE device_counters IN EXCLUSIVE MODE');
    const feeding = feedAll(30);
    const waitingIn = async (app: string) =>
      Number(
        (
          await locker.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
            [app],
          )
        ).rows[0]!.n,
      );
    await waitFor(async () => (await waitingIn('pg-backend-1')) > 0, 'backend 1 inside a batch', WAIT, 20);
    const settledByOneAtKill = one.count('batch settled');
    await one.kill('SIGKILL');
    await locker.query('ROLLBACK');
    await locker.end();
    await feeding;

    // 3. PostgreSQL crashes and restarts while taps keep flowing (backend 2 gets errors, sends no acks).
    const restarting = (async () => {
      await new Promise((r) => setTimeout(r, 300));
      await cluster.restart('immediate');
    })();
    await feedAll(40);
    await restarting;

    // 4. Backend 1 returns under the same client id (its broker session held its share); more taps.
    one = await be('pg-backend-1');
    await feedAll(20);

    // The end: every validator's backlog is 0, and the database holds each accepted tap once.
    const all: string[] = [];
    for (const v of validators) {
      const accepted = acceptedTapIds(v.svc.decisions());
      expect(accepted.length, `${v.deviceId} accepted riders`).toBeGreaterThanOrEqual(120);
      const rows = await waitStoreSettled(v.dataDir, accepted.length, 3 * WAIT);
      expect(
        rows.filter((r) => r.settled !== 1),
        `${v.deviceId} backlog`,
      ).toEqual([]);
      const ids = new Set(rows.map((r) => r.id));
      expect(
        accepted.filter((id) => !ids.has(id)),
        `${v.deviceId} logged accepts missing from its store`,
      ).toEqual([]);
      all.push(...rows.map((r) => r.id));
    }
    const held = await cluster.query<{ id: string; code_id: string; device_id: string }>(
      'SELECT id, code_id, device_id FROM settled_taps ORDER BY id COLLATE "C"',
    );
    expect(held.map((r) => r.id)).toEqual([...all].sort());
    expect(new Set(held.map((r) => r.code_id)).size, 'one row per ride').toBe(held.length);
    for (const v of validators)
      expect(held.filter((r) => r.device_id === v.deviceId)).toHaveLength(readStore(v.dataDir).length);
    const counters = await cluster.query<{ taps: string; conflicts: string }>(
      'SELECT sum(taps) AS taps, sum(conflicts) AS conflicts FROM device_counters',
    );
    expect(Number(counters[0]!.taps), 'counters count each tap once').toBe(held.length);
    expect(Number(counters[0]!.conflicts)).toBe(0);

    // The operator's report reads the same database and prices every settled tap as a journey
    // (buses: one tap, one journey, the validator's flat fare).
    const priced = await runFaregate(['backend', 'report', '--db', db, '--json']);
    expect(priced.code, priced.stderr).toBe(0);
    const fares = await cluster.query<{ s: string }>(
      "SELECT coalesce(sum((tap->>'fare')::bigint), 0) AS s FROM settled_taps",
    );
    const doc = JSON.parse(priced.stdout) as { totals: { journeys: number; taps: number; gross: number } };
    expect(doc.totals.taps).toBe(held.length);
    expect(doc.totals.journeys).toBe(held.length);
    expect(doc.totals.gross).toBe(Number(fares[0]!.s));

    const storeErrors = [one, two].reduce((n, p) => n + p.count('could not store batch; not acknowledged'), 0);
    report('twoPostgresBackends', {
      taps: held.length,
      settledByBackend1BeforeKill: settledByOneAtKill,
      batchesBackend2: two.count('batch settled'),
      batchesBackend1AfterReturn: one.count('batch settled'),
      storeErrorsAfterKill: storeErrors,
      ms: Date.now() - t0,
    });
    expect(two.alive, 'backend 2 survived the database restart').toBe(true);
    expect(two.stderr).toBe('');
    for (const v of validators) {
      await v.svc.kill('SIGTERM');
      await v.feeder.close();
    }
  }, 240_000);
});
