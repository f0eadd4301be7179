/**
 * The one process-level policy test: the metro entry memory survives a hard restart of the real
 * service process (`faregate run`, SIGKILL), because it is rebuilt from the tap store at start.
 * The rules themselves are in-process table tests (test/admission, test/policy/antiPassback.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { killAllServices } from '../support/serviceProcess.ts';
import { Harness } from '../commands/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start({
    mqtt: false,
    settings: {
      mode: 'metro',
      place: 'station-12',
      direction: 'in',
      fare: { currency: 'CNY' },
      // Duplicate window 1 s, so the same rider just after the restart reaches the anti-passback check.
      token: { duplicateWindow: 1 },
      policy: { antiPassbackSeconds: 600 },
    },
  });
});
afterAll(async () => {
  await h?.stop();
  await killAllServices();
});

describe('metro entry memory', () => {
  it('is rebuilt from the tap store after a SIGKILL: a re-entry is still refused', async () => {
    const alice = makeRider({ modes: 2 });
    const bob = makeRider();
    expect(await h.scan(alice.code())).toMatchObject({ decision: 'accept', sub: alice.sub });
    expect(await h.scan(bob.code())).toMatchObject({ decision: 'accept', sub: bob.sub });
    await h.restartService('SIGKILL');
    const restored = await h.svc.waitForLine((l) => l.msg === 'metro entries restored', 'entries restored');
    expect(restored.entriesRemembered).toBe(2);
    await sleep(1100);
    const again = await h.scanAndGate(bob.code());
    expect(again.decision).toMatchObject({ decision: 'reject', reason: 'anti_passback', sub: bob.sub });
    expect(again.gate).toMatchObject({ action: 'reject', message: 'see_staff' });
    expect(await h.scan(makeRider().code())).toMatchObject({ decision: 'accept' });
    expect(h.taps().length).toBe(3);
  }, 60_000);
});
