/**
 * Settled taps per second on PostgreSQL, against a bare batched insert of the same taps into the
 * same database cluster in the same run (issue 12: target ≥ 0.5 of bare).
 *
 *   bare (C connections)  one transaction per batch, `INSERT ... SELECT FROM unnest(...)` of the
 *                         batch's taps into a table shaped like the store's, nothing else; C
 *                         connections each taking the next batch.
 *   settled (C backends)  C real `faregate backend --db postgres://...` processes in one MQTT 5
 *                         shared group on a real Mosquitto, signed acks; a publisher sends the
 *                         same batches as several devices with a window of unacknowledged
 *                         batches and counts the signed acks (each sent only after the commit).
 *                         Rate = taps acked ÷ time from the first publish to the last ack.
 *
 * Each run gets a fresh database; one cluster with fsync and synchronous_commit on (real
 * durability) for all of them. Ratio = settled ÷ bare with the same number of writers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import mqtt from 'mqtt';
import pg from 'pg';
import { PgStore } from '../../src/backend/pgStore.ts';
import { topics, type TapBatch, type TapMessage } from '../../src/contract/settlement.ts';
import { BackendProcess } from '../backend/backendProcess.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { POSTGRES_AVAILABLE, POSTGRES_MISSING, startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { progress, target, type BenchReport } from './stats.ts';

export interface SettleThroughputOptions {
  taps?: number;
  batchSize?: number;
  devices?: number;
  /** Unacknowledged batches the publisher keeps in flight. */
  window?: number;
  /** `--lanes` of each backend process in the lane runs (the other runs use 1). */
  lanes?: number;
  quiet?: boolean;
}

const DEFAULTS: Required<SettleThroughputOptions> = {
  taps: 40_000,
  batchSize: 100,
  devices: 8,
  window: 32,
  lanes: 4,
  quiet: false,
};

const PREFIX = 'faregate/v1';

function fail(msg: string): never {
  throw new Error(`settleThroughput bench invalid: ${msg}`);
}

function makeBatches(o: Required<SettleThroughputOptions>): TapBatch[] {
  const batches: TapBatch[] = [];
  let n = 0;
  for (let b = 0; n < o.taps; b++) {
    const deviceId = `bench-gate-${b % o.devices}`;
    const taps: TapMessage[] = [];
    for (let i = 0; i < o.batchSize && n < o.taps; i++, n++)
      taps.push({
        id: randomUUID(),
        deviceId,
        at: 1_795_000_000_000 + n * 100,
        mode: 'bus',
        place: 'route-42',
        direction: 'board',
        sub: randomBytes(8).toString('hex'),
        cti: randomBytes(4).toString('hex'),
        codeId: randomBytes(16).toString('hex'),
        ts: 1_795_000_000 + n,
        seq: n,
        profile: 0,
        fare: 200,
        currency: 'CNY',
      });
    batches.push({ batchId: randomUUID(), deviceId, taps });
  }
  return batches;
}

/** C connections insert the batches, one transaction per batch; taps per second. */
async function bare(url: string, batches: TapBatch[], connections: number): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  const sql = `INSERT INTO settled_taps (id, device_id, at, mode, place, direction, sub, cti, code_id, ts, seq, profile,
      fare, currency, flags, tap, batch_id, received_at)
    SELECT u.*, $17::text, $18::bigint FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
      $6::text[], $7::text[], $8::text[], $9::text[], $10::numeric[], $11::numeric[], $12::numeric[], $13::bigint[],
      $14::text[], $15::jsonb[], $16::jsonb[]) AS u`;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      for (let i = next++; i < batches.length; i = next++) {
        const b = batches[i]!;
        const col = <T>(f: (t: TapMessage) => T) => b.taps.map(f);
        await c.query('BEGIN');
        await c.query(sql, [
          col((t) => t.id),
          col((t) => t.deviceId),
          col((t) => t.at),
          col((t) => t.mode),
          col((t) => t.place),
          col((t) => t.direction),
          col((t) => t.sub),
          col((t) => t.cti),
          col((t) => t.codeId),
          col((t) => t.ts),
          col((t) => t.seq),
          col((t) => t.profile),
          col((t) => t.fare ?? null),
          col((t) => t.currency),
          col(() => null),
          col((t) => JSON.stringify(t)),
          b.batchId,
          Date.now(),
        ]);
        await c.query('COMMIT');
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  await Promise.all(clients.map((c) => c.end()));
  return batches.reduce((n, b) => n + b.taps.length, 0) / s;
}

/** Publishes every batch with a window of unacknowledged ones; taps acked per second. */
async function settled(brokerUrl: string, batches: TapBatch[], window: number): Promise<number> {
  const client = await mqtt.connectAsync(brokerUrl, { protocolVersion: 5, clientId: `bench-pub-${randomUUID()}` });
  const pending = new Map<string, number>();
  let acked = 0;
  let next = 0;
  let finish!: () => void;
  let abort!: (e: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    abort = reject;
  });
  const send = () => {
    while (pending.size < window && next < batches.length) {
      const b = batches[next++]!;
      pending.set(b.batchId, b.taps.length);
      void client.publishAsync(topics(PREFIX, b.deviceId).taps, JSON.stringify(b), { qos: 1 });
    }
  };
  client.on('message', (_topic, payload) => {
    try {
      onAck(payload);
    } catch (e) {
      abort(e as Error);
    }
  });
  const onAck = (payload: Buffer) => {
    const jws = JSON.parse(payload.toString('utf8')) as { payload?: string };
    if (typeof jws.payload !== 'string') fail('an unsigned ack');
    const p = JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as {
      batchId: string;
      tapIds: string[];
    };
    const n = pending.get(p.batchId);
    if (n === undefined) return; // a second ack of a batch (a re-delivery): counted once
    if (p.tapIds.length !== n) fail(`ack of ${p.batchId} names ${p.tapIds.length} of ${n} taps`);
    pending.delete(p.batchId);
    acked += n;
    if (next >= batches.length && pending.size === 0) finish();
    else send();
  };
  await client.subscribeAsync(`${PREFIX}/gates/+/acks`, { qos: 1 });
  const t0 = performance.now();
  send();
  const timeout = setTimeout(() => abort(new Error(`timed out with ${pending.size} batches unacked`)), 300_000);
  try {
    await done;
  } finally {
    clearTimeout(timeout);
  }
  const s = (performance.now() - t0) / 1000;
  await client.endAsync();
  return acked / s;
}

async function freshDb(cluster: PostgresCluster, name: string): Promise<string> {
  const url = await cluster.createDatabase(name);
  await (await new PgStore({ url }).open()).close(); // the store's schema
  return url;
}

async function count(cluster: PostgresCluster, db: string): Promise<number> {
  return Number((await cluster.query<{ n: string }>('SELECT count(*) AS n FROM settled_taps', [], db))[0]!.n);
}

export async function settleThroughputBench(opts: SettleThroughputOptions = {}): Promise<BenchReport> {
  const o: Required<SettleThroughputOptions> = { ...DEFAULTS, ...opts };
  if (!POSTGRES_AVAILABLE) throw new Error(POSTGRES_MISSING);
  const started = Date.now();
  let cluster: PostgresCluster | undefined;
  let broker: Mosquitto | undefined;
  const backends: BackendProcess[] = [];
  try {
    [cluster, broker] = await Promise.all([startPostgres(), startMosquitto()]);
    const rates: Record<string, number> = {};
    for (const writers of [1, 2]) {
      progress(o.quiet, `settleThroughput: bare insert, ${writers} connection(s), ${o.taps} taps`);
      const bareDb = `bare_${writers}`;
      rates[`bare${writers}`] = await bare(await freshDb(cluster, bareDb), makeBatches(o), writers);
      if ((await count(cluster, bareDb)) !== o.taps) fail('bare insert lost taps');

      for (const lanes of [1, o.lanes]) {
        const settleDb = `settled_${writers}_${lanes}`;
        const url = await freshDb(cluster, settleDb);
        const group = `bench-${writers}-${lanes}`;
        for (let i = 0; i < writers; i++)
          backends.push(
            await BackendProcess.start({
              mqtt: broker.url,
              db: url,
              clientId: `bench-backend-${writers}-${lanes}-${i}`,
              sharedGroup: group,
              lanes,
            }),
          );
        progress(o.quiet, `settleThroughput: ${writers} backend process(es) × ${lanes} lane(s), ${o.taps} taps`);
        rates[`settled${writers}x${lanes}`] = await settled(broker.url, makeBatches(o), o.window);
        if ((await count(cluster, settleDb)) !== o.taps) fail('settled taps missing from the database');
        for (const b of backends.splice(0)) await b.kill('SIGTERM');
      }
    }
    const r = (k: string) => rates[k]!;
    const ratio1 = r(`settled1x${o.lanes}`) / r('bare1');
    const ratio2 = r(`settled2x${o.lanes}`) / r('bare2');
    const elapsed = (Date.now() - started) / 1000;
    return {
      name: 'settleThroughput',
      title: 'Settled taps per second on PostgreSQL (acked after commit) vs a bare batched insert',
      tables: [
        {
          title: `${o.taps} taps in batches of ${o.batchSize} from ${o.devices} devices, fsync on`,
          columns: ['writers', 'bare insert (taps/s)', 'settled (taps/s)', 'settled ÷ bare'],
          rows: [
            ['1 connection / 1 backend, 1 lane', r('bare1'), r('settled1x1'), r('settled1x1') / r('bare1')],
            [`1 connection / 1 backend, ${o.lanes} lanes`, r('bare1'), r(`settled1x${o.lanes}`), ratio1],
            ['2 connections / 2 backends, 1 lane each', r('bare2'), r('settled2x1'), r('settled2x1') / r('bare2')],
            [`2 connections / 2 backends, ${o.lanes} lanes each`, r('bare2'), r(`settled2x${o.lanes}`), ratio2],
          ],
        },
      ],
      targets: [
        target(
          `bare ÷ settled, 1 backend × ${o.lanes} lanes (settled ≥ 0.5 of bare)`,
          'bare taps/s ÷ settled taps/s',
          1 / ratio1,
          2,
        ),
        target(
          `bare ÷ settled, 2 backends × ${o.lanes} lanes (settled ≥ 0.5 of bare)`,
          'bare taps/s ÷ settled taps/s',
          1 / ratio2,
          2,
        ),
      ],
      notes: [
        'Settled: real `faregate backend` processes (MQTT 5 shared subscription, EdDSA-signed acks), a real ' +
          `Mosquitto and PostgreSQL on loopback; the publisher keeps ${o.window} batches unacked and counts acks.`,
        'A lane is one MQTT session of the shared group (`--lanes`); each stores its batches in turn, ' +
          'PUBACK after commit.',
        'Bare: the same taps, one transaction per batch, plain multi-row insert (no conflict check, counters, MQTT).',
        'PostgreSQL 15 cluster of test/support/postgres.ts: fsync=on, synchronous_commit=on, defaults otherwise.',
        `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ` +
          `load average ${os.loadavg()[0]!.toFixed(2)} (shared); node ${process.version}; ` +
          `bench took ${elapsed.toFixed(1)} s.`,
      ],
      data: { options: o, elapsedSeconds: elapsed, rates, ratio1, ratio2 },
    };
  } finally {
    for (const b of backends) await b.kill('SIGKILL').catch(() => undefined);
    await broker?.stop().catch(() => undefined);
    await cluster?.destroy().catch(() => undefined);
  }
}
