/**
 * Lists older than `lists.maxAgeSeconds` are stale, on a whole in-process gate (TCP scanner, no
 * broker): the status says so, the `lists_stale` alarm is raised (and cleared by a fresh list),
 * and the policy applies to taps: accept_and_flag marks accepted taps `stale_lists` (in the
 * store too); reject turns them away ('lists_stale', see staff) and records nothing. The alarm's
 * events and the policy rules themselves are tested in listSyncInProcess.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { makeRider } from '../support/riders.ts';
import { denySnapshot, feed, makeRoot, nowSec, startGate, type TestGate } from './support.ts';

const gates: TestGate[] = [];
afterAll(async () => {
  for (const g of gates) await g.stop().catch(() => undefined);
});

const TWO_DAYS = 2 * 86_400;

for (const policy of ['accept_and_flag', 'reject'] as const) {
  describe(`stale lists, policy ${policy}`, () => {
    it('status, alarm and taps follow the age of the lists', async () => {
      const root = makeRoot();
      const gate = await startGate({ root, lists: { stalePolicy: policy }, extra: { token: { duplicateWindow: 0 } } });
      gates.push(gate);
      const rider = makeRider();
      // Fresh bootstrap files: not stale.
      expect(gate.svc.status().lists?.deny.stale).toBe(false);
      const fresh = await gate.tap(rider.code());
      expect(fresh).toMatchObject({ decision: 'accept' });
      expect(fresh.flags).toBeUndefined();

      // A deny list issued two days ago (max age 1 day): stale.
      await feed(gate, 'deny', denySnapshot(root, 1, { sub: [] }, nowSec() - TWO_DAYS));
      expect(gate.svc.status().lists?.deny).toMatchObject({ version: 1, stale: true, maxAgeSec: 86_400 });
      expect(gate.svc.status().lists?.deny.ageSec).toBeGreaterThanOrEqual(TWO_DAYS);
      expect(gate.svc.status().lists?.trust.stale).toBe(false);
      expect(gate.svc.listSync?.alarms).toEqual(['lists_stale']);
      const tapsBefore = gate.svc.store.counts().taps;
      const tap = await gate.tap(rider.code());
      if (policy === 'accept_and_flag') {
        expect(tap).toMatchObject({ decision: 'accept', flags: ['stale_lists'] });
        expect(gate.svc.store.allTaps().at(-1)?.flags).toEqual(['stale_lists']);
      } else {
        expect(tap).toMatchObject({ decision: 'reject', reason: 'lists_stale' });
        expect(gate.svc.processor.counters.byReason.lists_stale).toBe(1);
        expect(gate.svc.store.counts().taps).toBe(tapsBefore); // turned away: nothing to charge
      }

      // A fresh list: the alarm clears, taps are normal again.
      await feed(gate, 'deny', denySnapshot(root, 2, { sub: [] }));
      expect(gate.svc.status().lists?.deny.stale).toBe(false);
      expect(gate.svc.listSync?.alarms).toEqual([]);
      const after = await gate.tap(rider.code());
      expect(after).toMatchObject({ decision: 'accept' });
      expect(after.flags).toBeUndefined();
    });
  });
}
