/**
 * JT/T 1179 codes in a real `faregate run` process (dist/), fed over a real pseudo-terminal
 * (socat) as hex and base64 text frames and as a raw binary frame (CR/LF inside), beside FG1 codes. Codes are made by the tests' independent minter
 * (test/jtt/contractMinter.ts). With `jtt.roots`: a JT/T code is accepted, denied by its user
 * account (`sub`) and by its payment account (`cti`) from the one deny file FG1 uses, a JT/T and an
 * FG1 code shown again are replays from the one replay memory, also after a SIGKILL (restored from
 * the store), and the tap rows record which format decided. Without `jtt.roots` a JT/T code is
 * malformed, as before.
 */
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPtyWriter, startPtyPair, stopAllPtyPairs, type PtyWriter } from '../support/pty.ts';
import { codeIdOfText, makeRider } from '../support/riders.ts';
import { busSettings, killAllServices, ServiceProcess, type LogLine } from '../support/serviceProcess.ts';
import { tempDir, WAIT } from '../settlement/harness.ts';
import { code, rootsFile } from '../jtt/jttFixtures.ts';

afterAll(async () => {
  await killAllServices();
  await stopAllPtyPairs();
});

const nowSec = () => Math.floor(Date.now() / 1000);
const DENIED_USER = '31000000000000000666';
const DENIED_PAYMENT = 'PAYDENIED0000001';
const hexOf = (s: string) => Buffer.from(s, 'ascii').toString('hex');

/** A JT/T code of a user account (20 hex digits) and payment account (16 ASCII), made now, as hex text. */
function jttHex(user: string, payment = 'PAY0000000000001', upper = true): string {
  const c = code({ ts: nowSec(), user: Buffer.from(user, 'hex'), payment: Buffer.from(payment, 'ascii') });
  const hex = c.toString('hex');
  return upper ? hex.toUpperCase() : hex;
}

interface Gate {
  svc: ServiceProcess;
  scanner: PtyWriter;
  dir: string;
  data: string;
}

async function startGate(dir: string, extra: Record<string, unknown>): Promise<Gate> {
  const pty = await startPtyPair();
  const data = join(dir, 'data');
  const svc = ServiceProcess.start(dir, busSettings(pty.a, data, extra));
  await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up', WAIT);
  return { svc, scanner: await openPtyWriter(pty.b), dir, data };
}

/** Writes one frame and waits for the decision line that follows it. */
async function show(g: Gate, text: string): Promise<LogLine> {
  const from = g.svc.lines.length;
  await g.scanner.write(`${text}\r`);
  return g.svc.waitForLine((l) => typeof l.decision === 'string', 'a decision', WAIT, from);
}

function tapRows(data: string): { sub: string; code_id: string; format: string | null }[] {
  const db = new Database(join(data, 'faregate.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT sub, code_id, format FROM taps ORDER BY seqno').all() as never;
  } finally {
    db.close();
  }
}

describe('faregate run with jtt.roots', () => {
  it('accepts JT/T and FG1 codes, denies JT/T accounts by sub and cti, refuses replays, also after SIGKILL', async () => {
    const dir = tempDir('faregate-jttrun-');
    const rootsPath = join(dir, 'jtt-roots.json');
    writeFileSync(rootsPath, JSON.stringify(rootsFile()));
    const denyPath = join(dir, 'deny.json');
    writeFileSync(denyPath, JSON.stringify({ sub: [DENIED_USER], cti: [hexOf(DENIED_PAYMENT)] }));
    // A zero duplicate window: the same code shown again at once is a replay, not a duplicate.
    const extra = { jtt: { roots: rootsPath }, deny: { file: denyPath }, token: { duplicateWindow: 0 } };
    const g = await startGate(dir, extra);
    expect(g.svc.lines.find((l) => l.msg === 'validator starting')).toMatchObject({ jttRoots: 1 });

    const rider = '31000000000000000001';
    const jtt = jttHex(rider);
    const accepted = await show(g, jtt);
    expect(accepted).toMatchObject({ decision: 'accept', sub: rider, profile: 0 });
    const jttCodeId = accepted.codeId as string;
    expect(jttCodeId).toMatch(/^[0-9a-f]{32}$/);

    expect(await show(g, jttHex(DENIED_USER))).toMatchObject({ decision: 'reject', reason: 'denied' });
    expect(await show(g, jttHex('31000000000000000002', DENIED_PAYMENT))).toMatchObject({
      decision: 'reject',
      reason: 'denied',
    });

    const fg1Rider = makeRider();
    const fg1 = fg1Rider.code();
    expect(await show(g, fg1)).toMatchObject({ decision: 'accept', codeId: codeIdOfText(fg1) });

    // A scanner in binary mode: the raw payload (CR, LF and 0x00 inside), written in two pieces
    // and ended by CR LF, is a binary frame taken by its length (§1.1); then the same code as
    // base64 text is the same code: a replay.
    const raw = code({
      ts: nowSec(),
      user: Buffer.from('31000000000000000004', 'hex'),
      issuerData: Buffer.from('0d0a000d0a0a0d', 'hex'),
    });
    expect(raw.includes(Buffer.from([0x0d, 0x0a]))).toBe(true);
    const fromBinary = g.svc.lines.length;
    await g.scanner.write(raw.subarray(0, 100));
    await g.scanner.write(Buffer.concat([raw.subarray(100), Buffer.from('\r\n')]));
    const binary = await g.svc.waitForLine((l) => typeof l.decision === 'string', 'a decision', WAIT, fromBinary);
    expect(binary).toMatchObject({ decision: 'accept', sub: '31000000000000000004', format: 'jtt1179' });
    expect(await show(g, raw.toString('base64'))).toMatchObject({
      decision: 'reject',
      reason: 'replay',
      codeId: binary.codeId,
    });

    // The same payload as lower-case hex is the same code: a replay, as is the FG1 code again.
    expect(await show(g, jtt.toLowerCase())).toMatchObject({ decision: 'reject', reason: 'replay', codeId: jttCodeId });
    expect(await show(g, fg1)).toMatchObject({ decision: 'reject', reason: 'replay' });

    expect(tapRows(g.data).map((r) => [r.code_id, r.format])).toEqual([
      [jttCodeId, 'jtt1179'],
      [codeIdOfText(fg1), 'fg1'],
      [binary.codeId, 'jtt1179'],
    ]);
    const taps = await import('../support/cli.ts').then((m) => m.runFaregate(['taps', '--data-dir', g.data]));
    expect(taps.stdout).toMatch(/\bjtt1179\b/);

    // Killed and restarted on its store: both codes are still replays (the one memory is restored).
    await g.scanner.close();
    expect(await g.svc.kill('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
    const g2 = await startGate(dir, extra);
    expect(await show(g2, jtt)).toMatchObject({ decision: 'reject', reason: 'replay' });
    expect(await show(g2, fg1)).toMatchObject({ decision: 'reject', reason: 'replay' });
    expect(await show(g2, jttHex('31000000000000000003'))).toMatchObject({ decision: 'accept' });
    await g2.scanner.close();
    await g2.svc.kill('SIGTERM');
  }, 120_000);

  it('without jtt.roots a JT/T code is malformed and FG1 is decided as before', async () => {
    const dir = tempDir('faregate-jttrun-off-');
    const g = await startGate(dir, {});
    expect(await show(g, jttHex('31000000000000000001'))).toMatchObject({ decision: 'reject', reason: 'malformed' });
    expect(await show(g, makeRider().code())).toMatchObject({ decision: 'accept' });
    await g.scanner.close();
    await g.svc.kill('SIGTERM');
  }, 60_000);
});
