/**
 * The one real-broker flood: through Mosquitto, a deny update published behind 1,000 garbage and
 * oversized messages on `P/deny` is in force on a gate, which refused the oversized ones unparsed,
 * dropped most garbage unread (only the newest arrival waits) and reported the flood in a handful
 * of events, not one per message. (The rules: listsUnderAFloodInProcess.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import {
  client,
  denyDelta,
  denySnapshot,
  makeRoot,
  publishList,
  startGate,
  watchEvents,
  type TestGate,
} from './support.ts';

const MAX_DENY = 64 * 1024;
let broker: Mosquitto;
let gate: TestGate | undefined;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await gate?.stop();
  await broker?.stop();
});

describe('deny list behind a flood, over Mosquitto', () => {
  it('a deny delta published behind 1,000 garbage and oversized messages is in force', async () => {
    const root = makeRoot();
    const backend = await client(broker.url);
    await publishList(backend, 'faregate/v1/deny', denySnapshot(root, 1, { sub: [] }));
    const deviceId = 'gate-flood-1';
    gate = await startGate({
      root,
      mqttUrl: broker.url,
      deviceId,
      lists: { maxBytes: { trust: 1 << 20, deny: MAX_DENY } },
      extra: { token: { duplicateWindow: 0 } },
    });
    await waitFor(() => gate!.svc.status().lists?.deny.version === 1, 'retained deny snapshot applied', 3000);
    const events = await watchEvents(broker.url, deviceId);
    const alice = makeRider();
    expect(await gate.tap(alice.code())).toMatchObject({ decision: 'accept' });

    const oversized = Buffer.alloc(MAX_DENY + 1, 0x7b);
    const flood = Array.from({ length: 1000 }, (_, i) =>
      backend.publishAsync('faregate/v1/deny', i % 10 === 0 ? oversized : `{"protected":"x${i}"`, { qos: 1 }),
    );
    const real = publishList(backend, 'faregate/v1/deny', denyDelta(root, 2, 1, { sub: [alice.sub] }), false);
    await Promise.all([...flood, real]);
    await waitFor(() => gate!.svc.status().lists?.deny.version === 2, 'delta v2 applied', 5000, 5);
    expect(await gate.tap(alice.code())).toMatchObject({ decision: 'reject', reason: 'denied' });
    const deny = gate.svc.status().lists!.deny;
    expect(deny).toMatchObject({ version: 2, oversized: 100 });
    expect(deny.refused + deny.superseded).toBe(1000);
    await new Promise((r) => setTimeout(r, 300));
    const refusedEvents = events.events.filter((e) => e.kind === 'list_refused');
    expect(refusedEvents.length).toBeGreaterThan(0);
    expect(refusedEvents.length).toBeLessThanOrEqual(10); // oversized and malformed: 5 of each at most
    await events.close();
    await backend.endAsync();
  });
});
