/**
 * A junk line that a terminator ends gets the same answer at the gate as a malformed frame, in
 * every gate mode (normal: scan_again; free pass: the gate opens; out of service: see staff), and
 * never a tap; junk that runs into a code stays silent. In-process ValidatorService over a real
 * pseudo-terminal and a real SQLite store, with a gate driver that records what it is told.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { GateDriver, GateSignal } from '../../src/gate/types.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import type { ModeName } from '../../src/policy/gateModes.ts';
import { ValidatorService } from '../../src/service/validatorService.ts';
import { openPtyWriter, startPtyPair, stopAllPtyPairs, waitFor, type PtyWriter } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { busSettings } from '../support/serviceProcess.ts';

afterAll(stopAllPtyPairs);

class RecordingGate implements GateDriver {
  readonly name = 'recording';
  readonly received: GateSignal[] = [];
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async signal(s: GateSignal): Promise<void> {
    this.received.push(s);
  }
}

const JUNK_LINES = {
  overlong: `${'Z'.repeat(3000)}\r`,
  noise: '\x00\x7f\x1b\r',
  'text with noise': 'abc\x00\x01\r\n',
};

describe('a junk line ended by a terminator, in each gate mode', () => {
  it('is answered as a malformed frame would be, and stores no tap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-junkmodes-'));
    const pty = await startPtyPair();
    const file = join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify(busSettings(pty.a, join(dir, 'data'))));
    const { config } = loadConfig(file, {});
    const gate = new RecordingGate();
    const svc = new ValidatorService(config, { logger: silentLogger, gateDriver: gate });
    await svc.start();
    let writer: PtyWriter | undefined;
    try {
      await waitFor(() => svc.status().scanner.state === 'up', 'scanner up');
      writer = await openPtyWriter(pty.b);
      const w = writer;
      /** Writes `bytes` and returns what the gate was told about them. */
      const answer = async (bytes: string): Promise<string> => {
        const before = gate.received.length;
        await w.write(bytes);
        await waitFor(() => gate.received.length > before, 'a gate signal', 5000);
        const s = gate.received[before]!;
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
        for (const [kind, junk] of Object.entries(JUNK_LINES)) expect(await answer(junk), `${mode}: ${kind}`).toBe(malformedFrame);
        if (mode !== 'normal') setMode(mode, false);
      }
      expect(svc.store.counts().taps).toBe(0);

      // Junk that runs into a code: one answer, for the code.
      const rider = makeRider();
      const before = gate.received.length;
      await w.write(`${'Z'.repeat(3000)}\x00\x00${rider.code()}\r`);
      await waitFor(() => svc.store.counts().taps === 1, 'the tap', 5000);
      await new Promise((r) => setTimeout(r, 200));
      expect(gate.received.slice(before).map((s) => `${s.action} ${s.message}`)).toEqual(['open go']);
      // 3 modes × (overlong; noise, text with noise) + the run before the code (noise inside an overlong run is part of it).
      expect(svc.processor.counters.dropped).toEqual({ overlong: 4, noise: 6 });
    } finally {
      await writer?.close();
      await svc.stop();
    }
  }, 30_000);
});
