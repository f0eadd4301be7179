/**
 * The one real-wire test of shared replay memory: two `faregate run` processes of one group, each
 * with its scanner on a pty, and a real Mosquitto. A ride code accepted at gate 1 and shown at
 * gate 2 a second later is refused `replay` there; during a partition (the broker stopped) gate 1
 * decides alone and queues its announcement, which gate 2 merges once the broker is back. The
 * rules (forgeries, stale, self, the duplicate window, the bounded queue) are tested in process.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { openPtyWriter, sleep, startPtyPair, stopAllPtyPairs, type PtyWriter } from '../support/pty.ts';
import { codeIdOfText, makeRider } from '../support/riders.ts';
import { killAllServices, ServiceProcess, type LogLine } from '../support/serviceProcess.ts';
import { settlementSettings, tempDir, WAIT } from '../settlement/harness.ts';
import { groupKeys } from './groupHarness.ts';

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

async function startGate(deviceId: string, keys: ReturnType<typeof groupKeys>, url: string): Promise<Gate> {
  const dir = tempDir('faregate-group-');
  const pty = await startPtyPair();
  const group = { id: 'station-1', keys: keys.keysFile, signingKey: keys.signingKeyFile(deviceId) };
  const settings = settlementSettings(pty.a, join(dir, 'data'), url, { extra: { deviceId, group } });
  const svc = ServiceProcess.start(dir, settings);
  await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up', WAIT);
  await svc.waitForLine((l) => l.msg === 'mqtt connected', 'mqtt connected', WAIT);
  return { svc, scanner: await openPtyWriter(pty.b) };
}

const decisionOf = (codeId: string) => (l: LogLine) => typeof l.decision === 'string' && l.codeId === codeId;
const mergedLine = (codeId: string) => (l: LogLine) => l.msg === 'accept of the group merged' && l.codeId === codeId;

describe('screenshot at the next gate, two gate processes and a real broker', () => {
  it('gate 2 refuses replay a second after gate 1 accepted, online and after a partition heals', async () => {
    broker = await startMosquitto();
    const keys = groupKeys(['gate-1', 'gate-2']);
    const g1 = await startGate('gate-1', keys, broker.url);
    const g2 = await startGate('gate-2', keys, broker.url);

    // Online: accepted at gate 1, the screenshot at gate 2 a second later is a replay.
    const code = makeRider().code();
    const id = codeIdOfText(code);
    await g1.scanner.write(`${code}\r`);
    expect(await g1.svc.waitForLine(decisionOf(id), 'gate 1 decision', WAIT)).toMatchObject({ decision: 'accept' });
    await g2.svc.waitForLine(mergedLine(id), 'gate 2 merges the accept', WAIT);
    await sleep(1000);
    await g2.scanner.write(`${code}\r`);
    const d2 = await g2.svc.waitForLine(decisionOf(id), 'gate 2 decision', WAIT);
    expect(d2).toMatchObject({ decision: 'reject', reason: 'replay' });

    // Partition: the broker is down; gate 1 decides alone and queues the announcement.
    await broker.kill('SIGTERM');
    await g1.svc.waitForLine((l) => l.msg === 'mqtt disconnected', 'gate 1 offline', WAIT);
    await g2.svc.waitForLine((l) => l.msg === 'mqtt disconnected', 'gate 2 offline', WAIT);
    const later = makeRider().code();
    const laterId = codeIdOfText(later);
    await g1.scanner.write(`${later}\r`);
    const offline = await g1.svc.waitForLine(decisionOf(laterId), 'gate 1 decision offline', WAIT);
    expect(offline).toMatchObject({ decision: 'accept' });
    expect(g2.svc.lines.some(mergedLine(laterId))).toBe(false);

    // Healed: gate 2 merges what it missed; the code is then a replay at gate 2.
    await broker.restart({ keepPersistence: true });
    await g2.svc.waitForLine(mergedLine(laterId), 'gate 2 merges the missed accept', WAIT);
    await g2.scanner.write(`${later}\r`);
    const d3 = await g2.svc.waitForLine(decisionOf(laterId), 'gate 2 decision after the partition', WAIT);
    expect(d3).toMatchObject({ decision: 'reject', reason: 'replay' });
    await g1.scanner.close();
    await g2.scanner.close();
  }, 120_000);
});
