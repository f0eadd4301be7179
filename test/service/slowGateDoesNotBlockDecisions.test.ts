/**
 * A slow or failing gate driver must not hold up the next rider: decisions and durable commits
 * go on at full speed while the driver takes its time; the dispatcher times it out. In process:
 * a fake scanner link, a real SQLite store, a wedged gate driver.
 */
import { describe, expect, it } from 'vitest';
import type { GateDriver, GateSignal } from '../../src/gate/types.ts';
import { waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { inProcess } from './inProcess.ts';

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
    const gate = new WedgedGate();
    const r = inProcess({ settings: { gate: { driver: 'console', timeoutMs: 300 } }, gateDriver: gate });
    const svc = r.svc;
    const committedAt: number[] = [];
    svc.onOutcome((o) => {
      if (o.tap) committedAt.push(Date.now());
    });
    await svc.start();
    await waitFor(() => svc.status().scanner.state === 'up', 'scanner up');
    const riders = Array.from({ length: 6 }, () => makeRider());
    const t0 = Date.now();
    for (const rider of riders) r.scanner.feed(rider.code());
    await waitFor(() => committedAt.length === 6, 'six commits', 5000);
    // All six were decided and on disk well before the gate finished even its first signal (2 s).
    expect(Math.max(...committedAt) - t0).toBeLessThan(1500);
    expect(svc.store.counts().taps).toBe(6);
    await waitFor(() => gate.calls >= 3, 'gate calls', 5000);
    await waitFor(() => svc.gate.stats.timedOut + svc.gate.stats.failed >= 2, 'timeouts', 5000);
    expect(svc.gate.stats.timedOut).toBeGreaterThanOrEqual(1);
    await svc.stop();
  }, 30_000);
});
