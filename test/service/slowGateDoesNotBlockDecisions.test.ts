/**
 * A slow or failing gate driver must not hold up the next rider: decisions and durable commits
 * go on at full speed while the driver takes its time; the dispatcher times it out.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { GateDriver, GateSignal } from '../../src/gate/types.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { ValidatorService } from '../../src/service/validatorService.ts';
import { openPtyWriter, startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { busSettings } from '../support/serviceProcess.ts';
import { writeFileSync } from 'node:fs';

afterAll(stopAllPtyPairs);

/** A gate board that answers after 2 s, or never, or fails: what a wedged relay board does. */
class WedgedGate implements GateDriver {
  readonly name = 'wedged';
  readonly received: GateSignal[] = [];
  calls = 0;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  signal(s: GateSignal): Promise<void> {
    this.calls++;
    this.received.push(s);
    if (this.calls % 3 === 0) return Promise.reject(new Error('relay board error'));
    return new Promise((resolve) => setTimeout(resolve, this.calls % 3 === 1 ? 2000 : 60_000).unref());
  }
}

describe('a slow or failing gate driver', () => {
  it('does not block decisions or commits for the next riders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-slowgate-'));
    const pty = await startPtyPair();
    const file = join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify(busSettings(pty.a, join(dir, 'data'), { gate: { driver: 'console', timeoutMs: 300 } })));
    const { config } = loadConfig(file, {});
    const gate = new WedgedGate();
    const svc = new ValidatorService(config, { logger: silentLogger, gateDriver: gate });
    const committedAt: number[] = [];
    svc.onOutcome((o) => {
      if (o.tap) committedAt.push(Date.now());
    });
    await svc.start();
    await waitFor(() => svc.status().scanner.state === 'up', 'scanner up');
    const writer = await openPtyWriter(pty.b);
    const riders = Array.from({ length: 6 }, () => makeRider());
    const t0 = Date.now();
    for (const r of riders) await writer.write(r.code() + '\r');
    await waitFor(() => committedAt.length === 6, 'six commits', 5000);
    // All six were decided and on disk well before the gate finished even its first signal (2 s).
    expect(Math.max(...committedAt) - t0).toBeLessThan(1500);
    expect(svc.store.counts().taps).toBe(6);
    await waitFor(() => gate.calls >= 3, 'gate calls', 5000);
    await waitFor(() => svc.gate.stats.timedOut + svc.gate.stats.failed >= 2, 'timeouts', 5000);
    expect(svc.gate.stats.timedOut).toBeGreaterThanOrEqual(1);
    await writer.close();
    await svc.stop();
  }, 30_000);
});
