/**
 * End to end with real parts: a junk line from the scanner is answered `scan_again` at the gate
 * and a valid code right after junk (within staleFrameMs) is accepted, not swallowed.
 * The test writes the scanner side of a socat pseudo-terminal; the spawned compiled `faregate run`
 * reads it with the real serialport code, stores taps in a real SQLite file and drives a serial
 * gate on a second pseudo-terminal, whose command lines the test reads.
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_FILE } from '../../src/service/validatorService.ts';
import { readGateLines } from '../support/gateReader.ts';
import { openPtyWriter, sleep, startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { codeIdOfText, makeRider } from '../support/riders.ts';
import { busSettings, killAllServices, ServiceProcess } from '../support/serviceProcess.ts';

const STALE_MS = 2000;

afterAll(async () => {
  await killAllServices();
  await stopAllPtyPairs();
});

describe('junk from the scanner, then a valid code within staleFrameMs', () => {
  it('answers the terminated junk line scan_again, accepts the codes, stores only their taps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-junk-'));
    const scannerPty = await startPtyPair();
    const gatePty = await startPtyPair();
    const settings = busSettings(scannerPty.a, join(dir, 'data'), {
      scanner: {
        path: scannerPty.a,
        reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
        framing: { staleFrameMs: STALE_MS },
      },
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
    const scanner = await openPtyWriter(scannerPty.b);
    const first = makeRider();
    const second = makeRider();
    const codeA = first.code();
    const codeB = second.code();

    // 1. An overlong junk line ended by CR, then a code 300 ms later: scan_again, then go.
    await scanner.write(`${'Z'.repeat(5000)}\r`);
    await sleep(300);
    await scanner.write(`${codeA}\r\n`);
    await waitFor(() => gate.lines.length >= 2, 'two gate answers', 10_000);

    // 2. Junk with no terminator, a pause well inside staleFrameMs, then a code: the code is
    //    framed at its start (before: it was skipped with the junk and the rider heard nothing).
    await scanner.write(`]Q1${'Z'.repeat(3000)}`);
    await sleep(STALE_MS / 4);
    await scanner.write(`]Q1${codeB}\r`);
    await waitFor(() => gate.lines.length >= 3, 'three gate answers', 10_000);
    // Nothing else trails in: the unterminated junk stays silent.
    await sleep(STALE_MS + 300);

    expect(gate.lines.map((l) => l.replace(/^OPEN \S+$/, 'OPEN'))).toEqual(['REJECT scan_again', 'OPEN', 'OPEN']);
    const decisions = svc.decisions();
    const accepted = decisions.filter((d) => d.decision === 'accept').map((d) => d.codeId);
    expect(accepted).toEqual([codeIdOfText(codeA), codeIdOfText(codeB)]);
    const drops = decisions
      .filter((d) => d.dropped !== undefined)
      .map((d) => [d.reason, d.dropped, d.endedBy, d.answered]);
    expect(drops).toEqual([
      ['malformed', 'overlong', 'terminator', true],
      ['malformed', 'overlong', 'next_frame', false],
    ]);

    await svc.kill('SIGTERM');
    await gate.close();
    await scanner.close();
    const db = new Database(join(dir, 'data', STORE_FILE), { readonly: true });
    try {
      const taps = db.prepare('SELECT code_id AS codeId FROM taps ORDER BY at').all() as { codeId: string }[];
      expect(taps.map((t) => t.codeId)).toEqual(accepted);
      const events = db.prepare("SELECT reason FROM events WHERE kind = 'dropped' ORDER BY at").all() as {
        reason: string;
      }[];
      expect(events.map((e) => e.reason)).toEqual(['malformed:overlong', 'malformed:overlong']);
    } finally {
      db.close();
    }
    // The logs never carry a whole ride code.
    const logText = svc.lines.map((l) => JSON.stringify(l)).join('\n');
    expect(logText).not.toContain(codeA.slice(4, 60));
    expect(logText).not.toContain(codeB.slice(4, 60));
  }, 40_000);
});
