/**
 * Forged, unknown-root, rolled-back, out-of-order, malformed and misplaced lists are refused:
 * an event `list_refused` with the reason, the status says so, and the lists in force do not change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { client, denyDelta, denySnapshot, makeRoot, publishList, signed, startGate, watchEvents, nowSec, type TestGate } from './support.ts';

let broker: Mosquitto;
let gate: TestGate | undefined;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await gate?.stop();
  await broker?.stop();
});

describe('bad signed lists', () => {
  it('are refused with an event and leave the lists unchanged', async () => {
    const root = makeRoot('root-a');
    const stranger = makeRoot('root-b');
    const impostor = makeRoot('root-a'); // same kid, another key
    const deviceId = 'gate-refuse-1';
    gate = await startGate({ root, mqttUrl: broker.url, deviceId, extra: { token: { duplicateWindow: 0 } } });
    const events = await watchEvents(broker.url, deviceId);
    const backend = await client(broker.url);
    const denied = makeRider();
    const other = makeRider();
    await publishList(backend, 'faregate/v1/deny', denySnapshot(root, 5, { sub: [denied.sub] }));
    await waitFor(() => gate!.svc.status().lists?.deny.version === 5, 'v5 applied', 3000);

    const good = JSON.parse(denySnapshot(root, 6, { sub: [] })) as Record<string, string>;
    const forgedPayload = Buffer.from(JSON.stringify({ type: 'deny', version: 6, issuedAt: nowSec(), kind: 'snapshot', sub: ['abcd'], cti: [] })).toString('base64url');
    const cases: [string, string, string][] = [
      ['bad_signature', 'deny', JSON.stringify({ ...good, payload: forgedPayload })],
      ['bad_signature', 'deny', denySnapshot(impostor, 7, { sub: [] })],
      ['unknown_root_kid', 'deny', denySnapshot(stranger, 7, { sub: [] })],
      ['rollback', 'deny', denySnapshot(root, 4, { sub: [] })],
      ['rollback', 'deny', denySnapshot(root, 5, { sub: [] })],
      ['missing_base', 'deny', denyDelta(root, 8, 7, {}, { sub: [denied.sub] })],
      ['malformed', 'deny', signed(root, { type: 'deny', version: 9, issuedAt: nowSec(), kind: 'snapshot', sub: ['not-hex'] })],
      ['malformed', 'deny', signed(root, { type: 'deny', version: 9, issuedAt: 'today', kind: 'snapshot', sub: [] })],
      ['malformed', 'deny', '{"protected": "x"'],
      ['wrong_type', 'trust', denySnapshot(root, 9, { sub: [] })],
    ];
    for (const [reason, topic, doc] of cases) {
      const n = events.events.length;
      const list = topic as 'trust' | 'deny';
      const refusedBefore = gate.svc.status().lists![list].refused;
      // Not retained: the retained snapshot stays what new gates start from.
      await publishList(backend, `faregate/v1/${topic}`, doc, false);
      await waitFor(() => gate!.svc.status().lists![list].refused === refusedBefore + 1, `${reason} refused (case ${cases.findIndex((c) => c[2] === doc)}; status ${JSON.stringify(gate!.svc.status().lists)})`, 3000, 5);
      const ev = await waitFor(() => events.events.slice(n).find((e) => e.kind === 'list_refused'), `event for ${reason}`, 3000, 5);
      expect(ev).toMatchObject({ kind: 'list_refused', list, reason });
      expect(gate.svc.status().lists![list].lastRefused).toMatchObject({ reason, source: 'mqtt' });
      // Unchanged: still v5, still denying the same rider.
      expect(gate.svc.status().lists?.deny).toMatchObject({ version: 5, entries: 1 });
      expect(gate.svc.status().lists?.trust).toMatchObject({ version: 0, source: 'file' });
    }
    expect(await gate.tap(denied.code())).toMatchObject({ decision: 'reject', reason: 'denied' });
    expect(await gate.tap(other.code())).toMatchObject({ decision: 'accept' });
    // The delta with a missing base left the gate waiting for the next snapshot, and it says so.
    expect(gate.svc.status().lists?.deny.waitingForSnapshot).toBe(true);
    expect(events.events.find((e) => e.reason === 'missing_base')).toMatchObject({ waitingForSnapshot: true, version: 8, heldVersion: 5, listKind: 'delta' });
    // The retained snapshot is still v5 (a duplicate: not refused again); the next snapshot ends the wait.
    await publishList(backend, 'faregate/v1/deny', denySnapshot(root, 10, { sub: [other.sub] }));
    await waitFor(() => gate!.svc.status().lists?.deny.version === 10, 'v10 applied', 3000);
    expect(gate.svc.status().lists?.deny.waitingForSnapshot).toBe(false);
    expect(await gate.tap(denied.code())).toMatchObject({ decision: 'accept' });
    expect(await gate.tap(other.code())).toMatchObject({ decision: 'reject', reason: 'denied' });
    await events.close();
    await backend.endAsync();
  });
});
