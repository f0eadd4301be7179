/**
 * The uploader's rules, without a broker: a real SQLite store in a temp dir, the in-memory MQTT
 * link and a fake backend, a clock the test sets. Batches in order, settled only by an ack that
 * names them, re-sent after a timeout that doubles per attempt (capped), a token bucket on the
 * rate, everything in flight due again after a reconnect, nothing sent after stop.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SettlementSchema } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { TapUploader } from '../../src/settlement/uploader.ts';
import { TapStore, type Tap } from '../../src/store/tapStore.ts';
import { MemoryBroker, MemoryMqttLink } from '../support/memoryMqtt.ts';
import { waitFor } from '../support/pty.ts';
import { MemoryBackend } from '../service/inProcess.ts';

const DEVICE = 'gate-upl-1';
let open: { store: TapStore; up: TapUploader }[] = [];
afterEach(() => {
  for (const o of open) {
    o.up.stop();
    o.store.close();
  }
  open = [];
});

function tap(at: number): Tap {
  return {
    id: randomUUID(),
    deviceId: DEVICE,
    at,
    mode: 'bus',
    place: 'route-7',
    direction: 'board',
    sub: 'ab'.repeat(8),
    cti: 'cd'.repeat(8),
    codeId: randomUUID().replace(/-/g, ''),
    ts: Math.floor(at / 1000),
    seq: 1,
    profile: 0,
    fare: 200,
    currency: 'CNY',
  };
}

function setup(settlement: Record<string, unknown> = {}) {
  const cfg = SettlementSchema.parse({ lingerMs: 1, ackTimeoutMs: 1000, maxBackoffMs: 4000, ...settlement });
  const store = new TapStore({
    file: join(mkdtempSync(join(tmpdir(), 'faregate-upl-')), 'taps.sqlite'),
    synchronous: 'NORMAL',
    logger: silentLogger,
  });
  store.open();
  const clock = {
    t: 1_800_000_000_000,
    now() {
      return this.t;
    },
  };
  const broker = new MemoryBroker();
  const link = new MemoryMqttLink(broker, DEVICE);
  const backend = new MemoryBackend(broker, link);
  const up = new TapUploader(store, link, cfg, DEVICE, clock, silentLogger);
  open.push({ store, up });
  const add = (n: number) => {
    for (let i = 0; i < n; i++) store.recordTap(tap(clock.t + i));
  };
  return { cfg, store, clock, broker, link, backend, up, add };
}

describe('TapUploader', () => {
  it('sends committed taps in order in batches of batchSize and settles only what an ack names', async () => {
    const { store, link, backend, up, add, broker } = setup({ batchSize: 4 });
    backend.faults.acking = false;
    add(10);
    link.start();
    up.start();
    up.kick();
    await waitFor(() => backend.batches === 3, 'three batches');
    const sizes = (broker.messages(link.topics.taps) as { taps: unknown[] }[]).map((b) => b.taps.length);
    expect(sizes).toEqual([4, 4, 2]);
    expect(store.counts().unsettled).toBe(10);
    // An ack naming two of the ids (and one unknown) settles those two only.
    const ids = [...backend.settled].slice(0, 2);
    broker.inject(link.topics.acks, { batchId: 'partial', tapIds: [...ids, randomUUID()] });
    expect(store.counts().unsettled).toBe(8);
    expect(up.stats).toMatchObject({ acks: 1, tapsSettled: 2, ackIdsIgnored: 1 });
  });

  it('re-sends what is not acked after ackTimeoutMs, the wait doubling per attempt up to maxBackoffMs', async () => {
    const { clock, link, backend, up, add, store } = setup();
    expect([1, 2, 3, 4, 5].map(up.retryAfter)).toEqual([1000, 2000, 4000, 4000, 4000]);
    backend.faults.acking = false;
    add(1);
    link.start();
    up.start();
    up.kick();
    await waitFor(() => backend.batches === 1, 'first send');
    // Not due again before the timeout ...
    clock.t += 999;
    up.kick();
    await new Promise((r) => setTimeout(r, 50));
    expect(backend.batches).toBe(1);
    // ... due after it; then after twice as long.
    clock.t += 1;
    up.kick();
    await waitFor(() => backend.batches === 2, 'second send');
    clock.t += 1999;
    up.kick();
    await new Promise((r) => setTimeout(r, 50));
    expect(backend.batches).toBe(2);
    clock.t += 1;
    up.kick();
    await waitFor(() => backend.batches === 3, 'third send');
    expect(up.stats.timeouts).toBe(2);
    // Acks flow: settled once, nothing more is sent.
    backend.faults.acking = true;
    clock.t += 4000;
    up.kick();
    await waitFor(() => store.counts().unsettled === 0, 'settled');
    const sent = backend.batches;
    clock.t += 60_000;
    up.kick();
    await new Promise((r) => setTimeout(r, 50));
    expect(backend.batches).toBe(sent);
  });

  it('sends what the token bucket allows: a burst of batchSize × maxInFlight, then maxTapsPerSecond', async () => {
    const { clock, link, backend, up, add } = setup({ batchSize: 5, maxInFlight: 2, maxTapsPerSecond: 10 });
    add(40);
    link.start();
    up.start();
    up.kick();
    await waitFor(() => backend.settled.size === 10, 'the burst');
    await new Promise((r) => setTimeout(r, 100));
    expect(backend.settled.size).toBe(10);
    clock.t += 1000; // 10 more tokens
    up.kick();
    await waitFor(() => backend.settled.size === 20, 'one second of rate');
    await new Promise((r) => setTimeout(r, 100));
    expect(backend.settled.size).toBe(20);
  });

  it('makes everything in flight due again when the link reconnects', async () => {
    const { link, backend, up, add, store } = setup();
    backend.faults.acking = false;
    add(3);
    link.start();
    up.start();
    up.kick();
    await waitFor(() => backend.batches === 1, 'sent');
    link.disconnect();
    backend.faults.acking = true;
    link.connect(false);
    // No clock change: the reconnect alone makes them due.
    await waitFor(() => store.counts().unsettled === 0, 'settled after the reconnect');
    expect(backend.batches).toBe(2);
  });

  it('sends nothing after stop, even when a tap is committed and the link reconnects', async () => {
    const { link, backend, up, add } = setup();
    link.start();
    up.start();
    up.stop();
    add(2);
    up.notify();
    link.disconnect();
    link.connect(false);
    await new Promise((r) => setTimeout(r, 400));
    expect(backend.batches).toBe(0);
  });
});
