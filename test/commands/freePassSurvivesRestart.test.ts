/**
 * An evacuation survives a reboot: free pass switched on by a signed command stays on after the
 * service is killed (SIGKILL, like a power cut) and started again — in the retained status and
 * at the gate — until a command lifts it; lifted, it stays lifted across a restart too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { killAllServices } from '../support/serviceProcess.ts';
import { Harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h?.stop();
  await killAllServices();
});

describe('free pass across restarts', () => {
  it('stays on after a SIGKILL and restart until lifted, then stays off', async () => {
    expect(await h.send('free_pass', { on: true }, { id: 'evacuate-station' })).toMatchObject({
      ok: true,
      result: { on: true, changed: true },
    });
    await h.svc.kill('SIGKILL');
    const statusesBefore = h.statuses.length;
    await h.startService();

    // Restored from the store: in the log, in the retained status, in the status reply.
    await h.svc.waitForLine((l) => l.msg === 'modes restored from the store', 'modes restored');
    await waitFor(
      () => h.statuses.slice(statusesBefore).find((s) => s.online === true && s.freePass === true),
      'retained status with free pass after restart',
    );
    const st = (await h.send('status')).result!.status as any;
    expect(st.policy.modes.free_pass).toMatchObject({ on: true, by: 'evacuate-station' });

    const invalid = await h.scanAndGate('SCANNED-A-BOARDING-PASS');
    expect(invalid.gate.action).toBe('open');
    const valid = await h.scanAndGate(makeRider().code());
    expect(valid.decision).toMatchObject({ decision: 'accept', fare: 0, flags: ['free_pass'] });
    expect(valid.gate.action).toBe('open');
    expect(h.taps()).toEqual([expect.objectContaining({ id: valid.decision.tapId, fare: 0, flags: '["free_pass"]' })]);

    expect(await h.send('free_pass', { on: false }, { id: 'all-clear' })).toMatchObject({
      ok: true,
      result: { on: false, changed: true },
    });
    await h.restartService();
    const after = (await h.send('status')).result!.status as any;
    expect(after.policy.modes.free_pass).toMatchObject({ on: false, by: 'all-clear' });
    await waitFor(() => h.lastStatus()?.freePass === false, 'retained status without free pass');
    expect((await h.scanAndGate('SCANNED-A-BOARDING-PASS')).gate.action).toBe('reject');
    expect(await h.scan(makeRider().code())).toMatchObject({ decision: 'accept', fare: 200 });
  }, 60_000);
});
