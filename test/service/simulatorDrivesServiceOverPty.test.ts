/**
 * End to end with real parts: firmware-sim → socat pseudo-terminal → serialport → decision →
 * SQLite → gate driver on a second pseudo-terminal. Every scenario class is decided as the
 * simulator labelled it; the scanner being unplugged mid-stream is recovered without a restart.
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScannerSimulator, type SentEvent } from '../../firmware-sim/simulator.ts';
import { readGateLines } from '../support/gateReader.ts';
import { startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { busSettings, killAllServices, ServiceProcess, type LogLine } from '../support/serviceProcess.ts';

const sims: ScannerSimulator[] = [];
afterAll(async () => {
  await Promise.all(sims.map((s) => s.stop()));
  await killAllServices();
  await stopAllPtyPairs();
});

/** Pairs each labelled frame with the service's decision on the same codeId, in order. */
function checkLabels(sent: SentEvent[], decisions: LogLine[]): { accepted: number; garbage: number } {
  const byCode = new Map<string, LogLine[]>();
  for (const d of decisions)
    if (typeof d.codeId === 'string') byCode.set(d.codeId, [...(byCode.get(d.codeId) ?? []), d]);
  let accepted = 0;
  let garbage = 0;
  for (const e of sent) {
    if (e.scenario === 'garbage') {
      garbage++;
      continue;
    }
    const got = byCode.get(e.codeId!)?.shift();
    expect(got, `frame #${e.n} (${e.scenario}) got no decision`).toBeDefined();
    expect({ n: e.n, scenario: e.scenario, decision: got!.decision, reason: got!.reason }).toEqual({
      n: e.n,
      scenario: e.scenario,
      decision: e.expect.decision,
      reason: e.expect.reason,
    });
    if (e.expect.decision === 'accept') accepted++;
  }
  return { accepted, garbage };
}

async function runScenario(o: {
  unplug?: { every: number; forMs: number };
  count: number;
  seed: string;
  rate: number;
}) {
  const dir = mkdtempSync(join(tmpdir(), 'faregate-e2e-'));
  const gatePty = await startPtyPair();
  const sim = new ScannerSimulator({
    output: { kind: 'pty' },
    seed: o.seed,
    count: o.count,
    rate: o.rate,
    riders: 60,
    mix: 'valid=40,expired=8,forged=8,replayed=10,denied=8,wrong-mode=8,garbage=8,duplicate=10',
    suffix: 'crlf',
    aim: true,
    split: true,
    ...(o.unplug ? { unplug: o.unplug } : {}),
  });
  sims.push(sim);
  const sent: SentEvent[] = [];
  sim.on('sent', (e) => sent.push(e));
  const port = await sim.open();
  const settings = busSettings(port, join(dir, 'data'), {
    gate: {
      driver: 'serial',
      path: gatePty.a,
      commands: { open: 'OPEN {tapId}', reject: 'REJECT {message}' },
      timeoutMs: 500,
    },
  });
  const gate = readGateLines(gatePty.b);
  const svc = ServiceProcess.start(dir, settings);
  await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up');
  await sim.start();
  await sim.finished();
  const expectedCoded = () => sent.filter((e) => e.scenario !== 'garbage').length;
  await waitFor(
    () => svc.decisions().filter((d) => typeof d.codeId === 'string').length >= expectedCoded(),
    'all coded frames decided',
    20_000,
  );
  const { accepted, garbage } = checkLabels(sent, svc.decisions());
  // Garbage was rejected as malformed (or dropped as noise), never accepted.
  const malformed = svc.decisions().filter((d) => d.reason === 'malformed');
  expect(malformed.length).toBeGreaterThanOrEqual(garbage);
  await svc.kill('SIGTERM');
  expect((await svc.exited).code).toBe(0);
  // Every accept is a committed tap, and the gate opened for exactly those taps.
  const db = new Database(join(dir, 'data', 'faregate.sqlite'), { readonly: true });
  const taps = db.prepare('SELECT id, fare, profile FROM taps').all() as {
    id: string;
    fare: number;
    profile: number;
  }[];
  db.close();
  expect(taps.length).toBe(accepted);
  await waitFor(() => gate.lines.filter((l) => l.startsWith('OPEN ')).length >= accepted, 'gate opens');
  expect(new Set(gate.lines.filter((l) => l.startsWith('OPEN ')).map((l) => l.slice(5)))).toEqual(
    new Set(taps.map((t) => t.id)),
  );
  expect(gate.lines.some((l) => l.startsWith('REJECT '))).toBe(true);
  await gate.close();
  return { sent, svc, accepted };
}

describe('simulator → pseudo-terminal → service → SQLite → gate', () => {
  it('decides every scenario class as labelled (AIM prefix, CRLF, split writes)', async () => {
    const { sent, accepted } = await runScenario({ count: 80, rate: 12, seed: 'e2e-classes' });
    const kinds = new Set(sent.map((e) => e.scenario));
    for (const k of ['valid', 'expired', 'forged', 'replayed', 'denied', 'wrong-mode', 'garbage', 'duplicate'])
      expect(kinds).toContain(k);
    expect(accepted).toBeGreaterThan(10);
  }, 60_000);

  it('recovers from the scanner being unplugged mid-stream without a restart', async () => {
    const { svc } = await runScenario({ count: 30, rate: 25, seed: 'e2e-unplug', unplug: { every: 10, forMs: 1500 } });
    const states = svc.lines
      .filter((l) => l.component === 'scanner-input' && (l.msg === 'scanner up' || l.msg === 'scanner down'))
      .map((l) => l.msg);
    expect(states.filter((s) => s === 'scanner down').length).toBeGreaterThanOrEqual(2);
    expect(states.at(-1)).toBe('scanner up');
  }, 60_000);
});
