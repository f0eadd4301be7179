/**
 * Lists older than `lists.maxAgeSeconds` are stale: the status says so, the `lists_stale` alarm
 * is raised (and cleared by a fresh list), and the policy applies to taps: accept_and_flag marks
 * accepted taps `stale_lists`; reject turns them away ('lists_stale', see staff).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { client, denySnapshot, makeRoot, nowSec, publishList, startGate, type TestGate } from './support.ts';

let broker: Mosquitto;
const gates: TestGate[] = [];
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  for (const g of gates) await g.stop().catch(() => undefined);
  await broker?.stop();
});

const TWO_DAYS = 2 * 86_400;

for (const policy of ['accept_and_flag', 'reject'] as const) {
  describe(`stale lists, policy ${policy}`, () => {
    it('status, alarm and taps follow the age of the lists', async () => {
      const root = makeRoot();
      const deviceId = `gate-stale-${policy}`;
      const topic = `stale-${policy}/v1`;
      const gate = await startGate({
        root,
        mqttUrl: broker.url,
        deviceId,
        lists: { stalePolicy: policy },
        extra: { token: { duplicateWindow: 0 }, mqtt: { url: broker.url, reconnectPeriodMs: 200, topicPrefix: topic } },
      });
      gates.push(gate);
      await waitFor(() => gate.svc.link?.connected, 'connected', 5000);
      const events = await (async () => {
        const c = await client(broker.url);
        const evs: Record<string, unknown>[] = [];
        c.on('message', (_t, p) => evs.push(JSON.parse(p.toString()) as Record<string, unknown>));
        await c.subscribeAsync(`${topic}/gates/${deviceId}/events`, { qos: 1 });
        return { events: evs, close: () => c.endAsync() };
      })();
      const backend = await client(broker.url);
      const rider = makeRider();
      // Fresh bootstrap files: not stale.
      expect(gate.svc.status().lists?.deny.stale).toBe(false);
      const fresh = await gate.tap(rider.code());
      expect(fresh).toMatchObject({ decision: 'accept' });
      expect(fresh.flags).toBeUndefined();

      // A deny list issued two days ago (max age 1 day): stale.
      await publishList(backend, `${topic}/deny`, denySnapshot(root, 1, { sub: [] }, nowSec() - TWO_DAYS));
      await waitFor(() => gate.svc.status().lists?.deny.version === 1, 'old list applied', 3000);
      expect(gate.svc.status().lists?.deny).toMatchObject({ stale: true, maxAgeSec: 86_400 });
      expect(gate.svc.status().lists?.deny.ageSec).toBeGreaterThanOrEqual(TWO_DAYS);
      expect(gate.svc.status().lists?.trust.stale).toBe(false);
      const raised = await waitFor(() => events.events.find((e) => e.alarm === 'lists_stale' && e.state === 'raised'), 'alarm raised', 3000);
      expect(raised).toMatchObject({ kind: 'alarm', lists: ['deny'], policy });
      const tapsBefore = gate.svc.store.counts().taps;
      const tap = await gate.tap(rider.code());
      if (policy === 'accept_and_flag') {
        expect(tap).toMatchObject({ decision: 'accept', flags: ['stale_lists'] });
        const stored = gate.svc.store.allTaps().at(-1);
        expect(stored?.flags).toEqual(['stale_lists']);
      } else {
        expect(tap).toMatchObject({ decision: 'reject', reason: 'lists_stale' });
        expect(gate.svc.processor.counters.byReason.lists_stale).toBe(1);
        expect(gate.svc.gate.stats).toBeDefined();
        expect(gate.svc.store.counts().taps).toBe(tapsBefore); // turned away: nothing to charge
      }

      // A fresh list: the alarm clears, taps are normal again.
      await publishList(backend, `${topic}/deny`, denySnapshot(root, 2, { sub: [] }));
      await waitFor(() => gate.svc.status().lists?.deny.version === 2, 'fresh list applied', 3000);
      expect(gate.svc.status().lists?.deny.stale).toBe(false);
      await waitFor(() => events.events.find((e) => e.alarm === 'lists_stale' && e.state === 'cleared'), 'alarm cleared', 3000);
      const after = await gate.tap(rider.code());
      expect(after).toMatchObject({ decision: 'accept' });
      expect(after.flags).toBeUndefined();
      await events.close();
      await backend.endAsync();
    });
  });
}
