/**
 * A junk line that a terminator ends gets the same answer at the gate as a malformed frame, in
 * every gate mode (normal: scan_again; free pass: the gate opens; out of service: see staff), and
 * never a tap; junk that runs into a code stays silent. A rule test: the ValidatorService in
 * process with a fake scanner link, a real SQLite store and a gate driver that records what it is
 * told (the serial port itself: serialScannerReadsFrames, junkLineAnsweredScanAgainThenCodeAccepted).
 */
import { describe, expect, it } from 'vitest';
import type { ModeName } from '../../src/policy/gateModes.ts';
import { waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { inProcess } from '../service/inProcess.ts';

const JUNK_LINES = {
  overlong: `${'Z'.repeat(3000)}\r`,
  noise: '\x00\x7f\x1b\r',
  'text with noise': 'abc\x00\x01\r\n',
};

describe('a junk line ended by a terminator, in each gate mode', () => {
  it('is answered as a malformed frame would be, and stores no tap', async () => {
    const r = inProcess();
    const { svc, scanner } = r;
    const received = r.gate.signals;
    await svc.start();
    try {
      await waitFor(() => svc.status().scanner.state === 'up', 'scanner up');
      /** Writes `bytes` and returns what the gate was told about them. */
      const answer = async (bytes: string): Promise<string> => {
        const before = received.length;
        scanner.write(bytes);
        await waitFor(() => received.length > before, 'a gate signal', 5000);
        const s = received[before]!;
        return `${s.action} ${s.message}: ${s.text}`;
      };
      const setMode = (name: ModeName, on: boolean) => svc.policy.modes.set(name, on, Date.now(), 'test');

      for (const [mode, expected] of [
        ['normal', 'reject scan_again'],
        ['free_pass', 'open go'],
        ['out_of_service', 'reject see_staff'],
      ] as const) {
        if (mode !== 'normal') setMode(mode, true);
        const malformedFrame = await answer('hello, not a ride code\r');
        expect(malformedFrame.split(':')[0], mode).toBe(expected);
        for (const [kind, junk] of Object.entries(JUNK_LINES))
          expect(await answer(junk), `${mode}: ${kind}`).toBe(malformedFrame);
        if (mode !== 'normal') setMode(mode, false);
      }
      expect(svc.store.counts().taps).toBe(0);

      // Junk that runs into a code: one answer, for the code.
      const rider = makeRider();
      const before = received.length;
      scanner.write(`${'Z'.repeat(3000)}\x00\x00${rider.code()}\r`);
      await waitFor(() => svc.store.counts().taps === 1, 'the tap', 5000);
      await new Promise((r) => setTimeout(r, 200));
      expect(received.slice(before).map((s) => `${s.action} ${s.message}`)).toEqual(['open go']);
      // 3 modes × (overlong; noise, text with noise) + the run before the code (noise inside an overlong run is part of it).
      expect(svc.processor.counters.dropped).toEqual({ overlong: 4, noise: 6 });
    } finally {
      await svc.stop();
    }
  }, 30_000);
});
