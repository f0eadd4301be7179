/**
 * JT/T codes share the group's replay memory (src/fleet/replayShare.ts merges into the one memory
 * FG1 and JT/T use): two real `faregate run` processes of one group with `jtt.roots`, each with
 * its scanner on a pty, and a real Mosquitto. A JT/T code accepted at gate 1 and shown at gate 2
 * is a replay there, as an FG1 code is.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { openPtyWriter, startPtyPair, stopAllPtyPairs, type PtyWriter } from '../support/pty.ts';
import { codeIdOfText, makeRider } from '../support/riders.ts';
import { killAllServices, ServiceProcess, type LogLine } from '../support/serviceProcess.ts';
import { settlementSettings, tempDir, WAIT } from '../settlement/harness.ts';
import { groupKeys } from '../replay/groupHarness.ts';
import { code, rootsFile } from '../jtt/jttFixtures.ts';

let broker: Mosquitto | undefined;
afterAll(async () => {
  await killAllServices();
  await stopAllPtyPairs();
  await broker?.stop();
});

interface Gate {
  svc: ServiceProcess;
  scanner: PtyWriter;
}

async function startGate(deviceId: string, keys: ReturnType<typeof groupKeys>, url: string, roots: string) {
  const dir = tempDir('faregate-jtt-group-');
  const pty = await startPtyPair();
  const group = { id: 'station-1', keys: keys.keysFile, signingKey: keys.signingKeyFile(deviceId) };
  const settings = settlementSettings(pty.a, join(dir, 'data'), url, { extra: { deviceId, group, jtt: { roots } } });
  const svc = ServiceProcess.start(dir, settings);
  await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up', WAIT);
  // Subscribed, not only connected: an announcement published before the broker has the
  // group subscription would pass this gate by (it is not retained).
  await svc.waitForLine((l) => l.msg === 'mqtt subscribed', 'mqtt subscribed', WAIT);
  return { svc, scanner: await openPtyWriter(pty.b) } satisfies Gate;
}

async function show(g: Gate, text: string): Promise<LogLine> {
  const from = g.svc.lines.length;
  await g.scanner.write(`${text}\r`);
  return g.svc.waitForLine((l) => typeof l.decision === 'string', 'a decision', WAIT, from);
}

const merged = (codeId: string) => (l: LogLine) => l.msg === 'accept of the group merged' && l.codeId === codeId;

describe('a JT/T screenshot at the next gate of the group', () => {
  it('is a replay at gate 2 once gate 1 accepted it, as an FG1 code is', async () => {
    broker = await startMosquitto();
    const keys = groupKeys(['gate-1', 'gate-2']);
    const roots = join(keys.dir, 'jtt-roots.json');
    writeFileSync(roots, JSON.stringify(rootsFile()));
    const g1 = await startGate('gate-1', keys, broker.url, roots);
    const g2 = await startGate('gate-2', keys, broker.url, roots);

    const jtt = code({ ts: Math.floor(Date.now() / 1000) }).toString('hex');
    const a1 = await show(g1, jtt);
    expect(a1).toMatchObject({ decision: 'accept', sub: '31000000000000000001' });
    await g2.svc.waitForLine(merged(a1.codeId as string), 'gate 2 merges the JT/T accept', WAIT);
    expect(await show(g2, jtt)).toMatchObject({ decision: 'reject', reason: 'replay', codeId: a1.codeId });

    const fg1 = makeRider().code();
    expect(await show(g1, fg1)).toMatchObject({ decision: 'accept' });
    await g2.svc.waitForLine(merged(codeIdOfText(fg1)), 'gate 2 merges the FG1 accept', WAIT);
    expect(await show(g2, fg1)).toMatchObject({ decision: 'reject', reason: 'replay' });
    for (const g of [g1, g2]) {
      await g.scanner.close();
      await g.svc.kill('SIGTERM');
    }
  }, 120_000);
});
