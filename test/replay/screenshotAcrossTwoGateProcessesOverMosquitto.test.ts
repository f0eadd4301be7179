/**
 * The one real-wire test of shared replay memory: two `faregate run` processes of one group, each
 * with its scanner on a pty, and a real Mosquitto. A ride code accepted at gate 1 and shown at
 * gate 2 a second later is refused `replay` there; during a partition (the broker stopped) gate 1
 * decides alone and queues its announcement, which gate 2 merges once the broker is back; gate 2
 * killed with SIGKILL after it heard gate 1, and restarted on its store, still refuses that code
 * as `replay` (src/store/groupAccepts.ts). The rules (forgeries, stale, self, the duplicate
 * window, the bounded queue) are tested in process.
 */
import Database from 'better-sqlite3';
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
  /** The gate's folder (settings, and its store under data/): a restart uses it again. */
  dir: string;
}

async function startGate(
  deviceId: string,
  keys: ReturnType<typeof groupKeys>,
  url: string,
  dir = tempDir('faregate-group-'),
): Promise<Gate> {
  const pty = await startPtyPair();
  const group = { id: 'station-1', keys: keys.keysFile, signingKey: keys.signingKeyFile(deviceId) };
  const settings = settlementSettings(pty.a, join(dir, 'data'), url, { extra: { deviceId, group } });
  const svc = ServiceProcess.start(dir, settings);
  await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up', WAIT);
  // Subscribed, not only connected: an announcement published before the broker has the
  // group subscription would pass this gate by (it is not retained).
  await svc.waitForLine((l) => l.msg === 'mqtt subscribed', 'mqtt subscribed', WAIT);
  return { svc, scanner: await openPtyWriter(pty.b), dir };
}

/** Whether the gate's store file holds a kept accept of the group for `codeId` (read by another connection). */
function keptInStore(g: Gate, codeId: string): boolean {
  const db = new Database(join(g.dir, 'data', 'faregate.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT 1 FROM group_accepts WHERE code_id = ?').get(codeId) !== undefined;
  } finally {
    db.close();
  }
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

    // SIGKILL: gate 2 heard gate 1's accept (and it reached its store), is killed and restarted
    // on the same store; the screenshot shown there is still a replay.
    const third = makeRider().code();
    const thirdId = codeIdOfText(third);
    await g1.scanner.write(`${third}\r`);
    expect(await g1.svc.waitForLine(decisionOf(thirdId), 'gate 1 decision', WAIT)).toMatchObject({
      decision: 'accept',
    });
    await g2.svc.waitForLine(mergedLine(thirdId), 'gate 2 merges the accept before the kill', WAIT);
    const keptBy = Date.now() + WAIT;
    while (!keptInStore(g2, thirdId)) {
      if (Date.now() > keptBy) throw new Error('gate 2 never kept the merged entry in its store');
      await sleep(20);
    }
    await g2.scanner.close();
    expect(await g2.svc.kill('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
    const g2b = await startGate('gate-2', keys, broker.url, g2.dir);
    const starting = await g2b.svc.waitForLine((l) => l.msg === 'validator starting', 'gate 2 starting', WAIT);
    expect(starting.restoredGroupAccepts).toBeGreaterThanOrEqual(3);
    await g2b.scanner.write(`${third}\r`);
    const d4 = await g2b.svc.waitForLine(decisionOf(thirdId), 'gate 2 decision after the SIGKILL', WAIT);
    expect(d4).toMatchObject({ decision: 'reject', reason: 'replay' });
    await g1.scanner.close();
    await g2b.scanner.close();
  }, 120_000);
});
