/**
 * An account denied on the backend side is rejected on a gate within a second (snapshot, then
 * deltas that add and remove); an entry with exp stops denying after exp.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { client, denyDelta, denySnapshot, makeRoot, nowSec, publishList, startGate, type TestGate } from './support.ts';

let broker: Mosquitto;
let gate: TestGate | undefined;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await gate?.stop();
  await broker?.stop();
});

describe('deny list over MQTT', () => {
  it('denies within 1 s; deltas add and remove; exp ends a denial', async () => {
    const root = makeRoot();
    const backend = await client(broker.url);
    // The retained snapshot is there before the gate starts: it gets it on subscribing.
    await publishList(backend, 'faregate/v1/deny', denySnapshot(root, 1, { sub: [], cti: ['00ff'] }));
    gate = await startGate({ root, mqttUrl: broker.url, extra: { token: { duplicateWindow: 0 } } });
    await waitFor(() => gate!.svc.status().lists?.deny.version === 1, 'retained deny snapshot applied', 3000);
    const alice = makeRider();
    const bob = makeRider();
    expect(await gate.tap(alice.code())).toMatchObject({ decision: 'accept' });

    // Alice is denied (delta, QoS 1, not retained): rejected within a second of the publish.
    const t0 = Date.now();
    await publishList(backend, 'faregate/v1/deny', denyDelta(root, 2, 1, { sub: [alice.sub.toUpperCase()] }), false);
    await waitFor(() => gate!.svc.status().lists?.deny.version === 2, 'delta v2 applied', 2000, 5);
    expect(await gate.tap(alice.code())).toMatchObject({ decision: 'reject', reason: 'denied' });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await gate.tap(bob.code())).toMatchObject({ decision: 'accept' });

    // A new snapshot (retained) that lists Bob for 2 s and still Alice.
    const exp = nowSec() + 2;
    await publishList(backend, 'faregate/v1/deny', denySnapshot(root, 3, { sub: [alice.sub, { id: bob.sub, exp }] }));
    await waitFor(() => gate!.svc.status().lists?.deny.version === 3, 'snapshot v3 applied', 2000, 5);
    expect(gate.svc.status().lists?.deny).toMatchObject({ entries: 2, waitingForSnapshot: false, stale: false });
    expect(await gate.tap(bob.code())).toMatchObject({ decision: 'reject', reason: 'denied' });
    // Alice removed by a delta.
    await publishList(backend, 'faregate/v1/deny', denyDelta(root, 4, 3, {}, { sub: [alice.sub] }), false);
    await waitFor(() => gate!.svc.status().lists?.deny.version === 4, 'delta v4 applied', 2000, 5);
    expect(await gate.tap(alice.code())).toMatchObject({ decision: 'accept' });
    // Bob's entry expires.
    await new Promise((r) => setTimeout(r, (exp + 1 - Date.now() / 1000) * 1000));
    expect(await gate.tap(bob.code())).toMatchObject({ decision: 'accept' });
    // The status the backend sees carries versions and ages.
    expect(gate.svc.status().lists?.deny).toMatchObject({ version: 4, source: 'signed', applied: 4, refused: 0 });
    await backend.endAsync();
  });
});
