/**
 * The simulator's labels are true: every frame it writes to a real socat pty, read back on the
 * service side with serialport and decided by the real validator core (dev trust and deny lists),
 * gets exactly the decision and reason the simulator announced.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SerialPort } from 'serialport';
import type { Mode, ValidationParams } from '../../src/token/params.ts';
import { ScannerSimulator, type SimulatorOptions } from '../../firmware-sim/simulator.ts';
import type { ScenarioKind } from '../../firmware-sim/scenarios.ts';
import { closeReader, devValidator, openReader, Recorder, Splitter, waitUntil } from './simHarness.ts';

let sim: ScannerSimulator | undefined;
let reader: SerialPort | undefined;

afterEach(async () => {
  await closeReader(reader);
  await sim?.stop();
  sim = undefined;
  reader = undefined;
});

async function runOverPty(
  o: SimulatorOptions & { count: number },
  v: { mode?: Mode; params?: Partial<ValidationParams>; delimiter?: string } = {},
): Promise<Recorder> {
  sim = new ScannerSimulator({ seed: 'scenarios-test', riders: 30, ...o, output: { kind: 'pty' } });
  const rec = new Recorder(sim, devValidator(v.mode ?? o.mode ?? 'bus', v.params));
  const path = await sim.open();
  const split = new Splitter(rec.onFrame, Buffer.from(v.delimiter ?? '\r'));
  reader = await openReader(path, (d) => split.push(d));
  await sim.start();
  await sim.finished();
  await waitUntil(() => rec.received.length >= rec.announced.length, 5000, 'all frames on the service side');
  return rec;
}

const SINGLE: Array<{ kind: ScenarioKind; reasons: string[] }> = [
  { kind: 'valid', reasons: ['accept'] },
  { kind: 'expired', reasons: ['code_expired'] },
  { kind: 'forged', reasons: ['bad_code_signature', 'unknown_key'] },
  { kind: 'denied', reasons: ['denied'] },
  { kind: 'wrong-mode', reasons: ['mode_not_allowed'] },
  { kind: 'garbage', reasons: ['malformed'] },
  { kind: 'duplicate', reasons: ['accept', 'duplicate'] },
];

describe('firmware-sim scenarios over a pty, decided by RideCodeValidator', () => {
  it.each(SINGLE)('$kind: every frame decides as labelled', async ({ kind, reasons }) => {
    const rec = await runOverPty({ mix: `${kind}=1`, count: 12, rate: 40 });
    expect(rec.mismatches()).toEqual([]);
    const sent = rec.sentFrames;
    expect(sent).toHaveLength(12);
    expect(sent.some((e) => e.scenario === kind)).toBe(true);
    const seen = new Set(rec.received.map((r) => r.decision.reason ?? r.decision.decision));
    expect([...seen].sort()).toEqual([...reasons].sort());
    // The CLI may print these; they never hold the code itself.
    for (const e of sent) {
      if (e.sub) expect(e.sub).toMatch(/^[0-9a-f]+$/);
      if (e.codeId) expect(e.codeId).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it('garbage covers printable text, FG1:-looking junk and raw bytes (the latter flagged droppable)', async () => {
    const rec = await runOverPty({ mix: 'garbage', count: 20, rate: 50 });
    expect(rec.mismatches()).toEqual([]);
    const variants = new Set(rec.sentFrames.map((e) => e.variant));
    expect(variants).toEqual(new Set(['printable', 'fg1-junk', 'bytes']));
    for (const e of rec.sentFrames) expect(e.expect.droppable === true).toBe(e.variant === 'bytes');
  });

  it('replayed: a code accepted more than the duplicate window ago is rejected as replay (falls back to valid before that)', async () => {
    // Shorter windows on both sides keep the test quick; the labels follow the parameters.
    const rec = await runOverPty(
      { mix: 'valid=1,replayed=1', count: 40, rate: 12, duplicateWindowSec: 1, marginMs: 400 },
      { params: { duplicateWindow: 1 } },
    );
    expect(rec.mismatches()).toEqual([]);
    const sent = rec.sentFrames;
    expect(sent.filter((e) => e.scenario === 'replayed').length).toBeGreaterThan(3);
    expect(sent.filter((e) => e.requested === 'replayed' && e.scenario === 'valid').length).toBeGreaterThan(0);
    expect(rec.received.filter((r) => r.decision.reason === 'replay').length).toBe(
      sent.filter((e) => e.scenario === 'replayed').length,
    );
  });

  it('every kind mixed at the spec defaults (3 s window), metro mode, with AIM prefix, CRLF, split writes and noise bursts', async () => {
    const rec = await runOverPty(
      {
        mix: 'valid=40,replayed=20,expired=5,forged=5,denied=5,wrong-mode=5,garbage=10,duplicate=10',
        count: 80,
        rate: 16,
        mode: 'metro',
        aim: true,
        suffix: 'crlf',
        split: true,
        noise: 0.1,
      },
      { mode: 'metro', delimiter: '\r\n' },
    );
    expect(rec.mismatches()).toEqual([]);
    const sent = rec.sentFrames;
    expect(sent).toHaveLength(80);
    expect(sent.some((e) => e.scenario === 'replayed')).toBe(true);
    expect(
      sent.every((e) => e.data.subarray(0, 3).toString() === ']Q1' && e.data.subarray(-2).toString() === '\r\n'),
    ).toBe(true);
    expect(sent.some((e) => e.chunks > 1)).toBe(true);
    expect(rec.announced.some((a) => a.kind === 'noise')).toBe(true);
    expect(new Set(sent.map((e) => e.scenario))).toEqual(
      new Set(['valid', 'replayed', 'expired', 'forged', 'denied', 'wrong-mode', 'garbage', 'duplicate']),
    );
  });

  it('the same seed gives the same riders and the same scenario sequence', async () => {
    const a = new ScannerSimulator({ seed: 'repro', riders: 8, output: { kind: 'tcp', port: 0 } });
    const b = new ScannerSimulator({ seed: 'repro', riders: 8, output: { kind: 'tcp', port: 0 } });
    expect(
      a.population.riders.map((r) => [
        r.subHex,
        r.ctiHex,
        r.alg,
        r.profile,
        r.modes,
        Buffer.from(r.credential).toString('hex'),
      ]),
    ).toEqual(
      b.population.riders.map((r) => [
        r.subHex,
        r.ctiHex,
        r.alg,
        r.profile,
        r.modes,
        Buffer.from(r.credential).toString('hex'),
      ]),
    );
    const kinds = (s: ScannerSimulator) => Array.from({ length: 30 }, () => s.scenarios.pickKind());
    expect(kinds(a)).toEqual(kinds(b));
    expect(new Set(a.population.riders.map((r) => r.alg)).size).toBe(2);
  });
});
