/**
 * FG1 and JT/T riders mixed, end to end: the simulator writes to a real socat pty, a real
 * `faregate run` (its own process, the real serialport code) reads it with `jtt.roots` and
 * `deny.file` set to the files the simulator wrote, and every decision it logs is, frame for
 * frame, the decision, reason and codeId the simulator announced, for both formats.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScannerSimulator, type SentEvent } from '../../firmware-sim/simulator.ts';
import type { JttEncoding } from '../../firmware-sim/jttRiders.ts';
import { busSettings, killAllServices, ServiceProcess } from '../support/serviceProcess.ts';

let sim: ScannerSimulator | undefined;
let dir: string | undefined;

afterEach(async () => {
  await killAllServices();
  await sim?.stop();
  sim = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function mixedRun(
  encodings: JttEncoding[],
  count: number,
): Promise<{ sent: SentEvent[]; logged: Record<string, unknown>[] }> {
  dir = mkdtempSync(join(tmpdir(), 'faregate-sim-mixed-'));
  sim = new ScannerSimulator({
    seed: `mixed-${encodings.join('-')}`,
    riders: 12,
    mix: 'valid=40,replayed=10,expired=10,forged=12,denied=10,wrong-mode=5,duplicate=8',
    count,
    rate: 8,
    aim: true,
    output: { kind: 'pty' },
    jtt: { share: 0.5, encodings, dir: join(dir, 'jtt') },
  });
  const sent: SentEvent[] = [];
  sim.on('sent', (e) => sent.push(e));
  const path = await sim.open();
  const files = sim.jttFiles!;
  const service = ServiceProcess.start(
    dir,
    busSettings(path, join(dir, 'data'), { deny: { file: files.deny }, jtt: { roots: files.roots } }),
  );
  await sim.start(); // waits until the service has opened the port
  await sim.finished();
  const logged = await service.waitForDecisions(count, 20_000);
  return { sent, logged };
}

function mismatches(sent: SentEvent[], logged: Record<string, unknown>[]): string[] {
  return sent.flatMap((e, i) => {
    const l = logged[i];
    const label = `#${e.n} ${e.format ?? '-'}/${e.encoding ?? ''} ${e.scenario}/${e.variant ?? ''}`;
    if (!l) return [`${label}: no decision logged`];
    const bad: string[] = [];
    if (l.decision !== e.expect.decision || (l.reason ?? undefined) !== e.expect.reason)
      bad.push(
        `${label}: expected ${e.expect.decision} ${e.expect.reason ?? ''}, got ${JSON.stringify([l.decision, l.reason])}`,
      );
    if (e.sub !== undefined && l.sub !== e.sub) bad.push(`${label}: sub ${JSON.stringify(l.sub)} ≠ ${e.sub}`);
    if (e.codeId !== undefined && l.codeId !== e.codeId)
      bad.push(`${label}: codeId ${JSON.stringify(l.codeId)} ≠ ${e.codeId}`);
    return bad;
  });
}

describe('FG1 and JT/T riders through a running faregate run over a pty', () => {
  it('hex JT/T codes beside FG1 codes: every decision the service logs is the one announced', async () => {
    const { sent, logged } = await mixedRun(['hex'], 40);
    expect(mismatches(sent, logged)).toEqual([]);
    expect(logged).toHaveLength(sent.length);
    expect(sent.filter((e) => e.format === 'jtt1179').length).toBeGreaterThan(8);
    expect(sent.filter((e) => e.format === 'fg1').length).toBeGreaterThan(8);
    expect(logged.filter((l) => l.decision === 'accept').length).toBeGreaterThan(5);
  }, 60_000);

  it('binary JT/T frames (CR/LF bytes inside) and hex text beside FG1 codes: the real framer and service decide each as announced', async () => {
    const { sent, logged } = await mixedRun(['binary', 'hex'], 40);
    expect(mismatches(sent, logged)).toEqual([]);
    expect(logged).toHaveLength(sent.length);
    const binary = sent.filter((e) => e.encoding === 'binary');
    expect(binary.length).toBeGreaterThan(4);
    expect(binary.some((e) => e.data.subarray(3, -1).some((b) => b === 0x0d || b === 0x0a))).toBe(true);
  }, 60_000);
});
