/**
 * A deny list large enough for the list worker goes from the MQTT thread, where it was read, to
 * the list worker, which verifies it and writes it to the gate's list files itself: its bytes
 * never pass through the main thread (`route: 'held'`). Over a real Mosquitto with a whole
 * in-process gate: the snapshot is in force and on disk byte for byte, a small delta after it is
 * persisted by the main thread as before, the next large snapshot ends the deltas, and a restart
 * without the broker has the lists. And the rule behind it (in-process): a held document that is
 * superseded before it is read is released, so the MQTT thread frees it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListApplier } from '../../src/fleet/listApplier.ts';
import { rootKeysFromJson } from '../../src/lists/signedList.ts';
import type { HeldPayload } from '../../src/mqtt/mqttPort.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { RideCodeValidator } from '../../src/token/validator.ts';
import { freePort, startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import {
  client,
  denyDelta,
  denySnapshot,
  makeRoot,
  publishList,
  randomIds,
  startGate,
  type TestGate,
} from './support.ts';

let broker: Mosquitto;
const gates: TestGate[] = [];
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  for (const g of gates) await g.stop().catch(() => undefined);
  await broker?.stop();
});

describe('a large deny list from the broker', () => {
  it('goes from the MQTT thread to the list worker, which persists it; the main thread never holds it', async () => {
    const root = makeRoot();
    const denied = makeRider();
    const later = makeRider();
    const g = await startGate({ root, mqttUrl: broker.url, deviceId: 'gate-held-1' });
    gates.push(g);
    const sync = g.svc.listSync!;
    const deny = () => g.svc.status().lists?.deny;
    const files = join(g.dir, 'data', 'lists');
    const backend = await client(broker.url);

    const big1 = denySnapshot(root, 1, { sub: [denied.sub, ...randomIds(20_000)] });
    expect(Buffer.byteLength(big1)).toBeGreaterThan(256 * 1024);
    await publishList(backend, 'faregate/v1/deny', big1);
    await waitFor(() => deny()?.version === 1, 'snapshot 1 in force', 15_000);
    expect(sync.lastJob).toMatchObject({ via: 'worker', route: 'held' });
    expect(deny()).toMatchObject({ entries: 20_001, source: 'signed' });
    expect(readFileSync(join(files, 'deny.jws.json'), 'utf8')).toBe(big1);
    expect(await g.tap(denied.code())).toMatchObject({ decision: 'reject', reason: 'denied' });

    // A small delta: its bytes pass through the main thread (under the MQTT thread's holdFrom),
    // but it too is verified, and persisted, in the list worker.
    const delta = denyDelta(root, 2, 1, { sub: [later.sub] });
    await publishList(backend, 'faregate/v1/deny', delta, false);
    await waitFor(() => deny()?.version === 2, 'delta 2 in force', 15_000);
    await sync.idle();
    expect(sync.lastJob).toMatchObject({ via: 'worker', route: 'main' });
    expect(readFileSync(join(files, 'deny.delta.2.jws.json'), 'utf8')).toBe(delta);

    // The next large snapshot ends the deltas; the worker wrote it, the main thread removed them.
    const big3 = denySnapshot(root, 3, { sub: [later.sub, ...randomIds(30_000)] });
    await publishList(backend, 'faregate/v1/deny', big3);
    await waitFor(() => deny()?.version === 3, 'snapshot 3 in force', 15_000);
    expect(sync.lastJob).toMatchObject({ via: 'worker', route: 'held' });
    await waitFor(() => !readdirSync(files).some((f) => f.startsWith('deny.delta.')), 'deltas removed', 5000);
    expect(readFileSync(join(files, 'deny.jws.json'), 'utf8')).toBe(big3);
    await backend.endAsync();
    await g.stop();

    // Offline restart: the list the worker wrote is read back and verified again.
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const extra = { mqtt: { url: dead, reconnectPeriodMs: 200 } };
    const g2 = await startGate({ root, dir: g.dir, deviceId: 'gate-held-1', extra });
    gates.push(g2);
    expect(g2.svc.status().lists?.deny).toMatchObject({ version: 3, source: 'signed', entries: 30_001 });
    expect(await g2.tap(later.code())).toMatchObject({ decision: 'reject', reason: 'denied' });
    await g2.stop();
  });
});

describe('held documents waiting for the list worker', () => {
  it('an older one superseded before it was read is released; only the newest is read', async () => {
    const root = makeRoot();
    const applier = new ListApplier({
      validator: new RideCodeValidator({ params: { mode: 'bus' } }),
      roots: rootKeysFromJson({ keys: [root.jwk] }),
      rootJwks: { keys: [root.jwk] },
      bootstrapIssuedAt: { trust: null, deny: null },
      events: { event: () => undefined },
      clock: { now: () => Date.now() },
      logger: silentLogger,
      applied: async () => undefined,
      refused: () => undefined,
    });
    const log: string[] = [];
    const heldDoc = (name: string, doc: string): HeldPayload => {
      const bytes = Buffer.from(doc);
      return {
        topic: 'faregate/v1/deny',
        bytes: bytes.length,
        sendTo: (port: MessagePort) => {
          log.push(`sent ${name}`);
          port.postMessage(new Uint8Array(bytes));
          port.close();
        },
        release: () => log.push(`released ${name}`),
      };
    };
    const docs = [1, 2, 3].map((v) => denySnapshot(root, v, { sub: randomIds(5000) }));
    const first = applier.receive('deny', heldDoc('v1', docs[0]!), 'mqtt');
    const second = applier.receive('deny', heldDoc('v2', docs[1]!), 'mqtt');
    const third = applier.receive('deny', heldDoc('v3', docs[2]!), 'mqtt');
    expect(await second).toEqual({ outcome: 'superseded' });
    expect(await first).toMatchObject({ outcome: 'applied', via: 'worker', route: 'held' });
    expect(await third).toMatchObject({ outcome: 'applied', via: 'worker', route: 'held' });
    expect(log).toEqual(['sent v1', 'released v2', 'sent v3']);
    expect(applier.held.deny).toMatchObject({ version: 3, superseded: 1 });

    // A held document whose bytes are gone (its thread ended) is refused as an error, not a hang.
    const lost: HeldPayload = {
      topic: 'faregate/v1/deny',
      bytes: 100_000,
      sendTo: (port: MessagePort) => port.close(),
      release: () => undefined,
    };
    expect(await applier.receive('deny', lost, 'mqtt')).toMatchObject({ outcome: 'refused', reason: 'error' });
    await applier.close();
  });
});
