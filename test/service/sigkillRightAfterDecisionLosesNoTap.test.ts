/**
 * The tap is on disk before the gate opens: SIGKILL the service in the middle of a stream of
 * riders; every gate-open and every logged accept has its tap in SQLite, and after a restart
 * the replay memory still catches the codes accepted before the kill.
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPtyWriter, sleep, startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { readGateLines } from '../support/gateReader.ts';
import { makeRider } from '../support/riders.ts';
import { busSettings, killAllServices, ServiceProcess } from '../support/serviceProcess.ts';
import { codeIdOfText } from '../support/riders.ts';

afterAll(async () => {
  await killAllServices();
  await stopAllPtyPairs();
});

describe('SIGKILL right after a decision', () => {
  it('loses no accepted tap, and replays are still caught after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-kill-'));
    const scanner = await startPtyPair();
    const gatePty = await startPtyPair();
    const settings = busSettings(scanner.a, join(dir, 'data'), {
      gate: {
        driver: 'serial',
        path: gatePty.a,
        commands: { open: 'OPEN {tapId}', reject: 'REJECT {message}' },
        timeoutMs: 500,
      },
    });
    const gate = readGateLines(gatePty.b);
    let svc = ServiceProcess.start(dir, settings);
    await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up');
    const writer = await openPtyWriter(scanner.b);

    const riders = Array.from({ length: 30 }, () => makeRider());
    const codes = riders.map((r) => r.code());
    // Write the riders one after another without waiting; kill as soon as the 8th accept is logged.
    const writing = (async () => {
      for (const c of codes) {
        await writer.write(c + '\r');
        await sleep(15);
      }
    })();
    await svc.waitForLine(() => svc.decisions().filter((l) => l.decision === 'accept').length >= 8, '8 accepts');
    await svc.kill('SIGKILL');
    await writing;
    const accepted = svc.decisions().filter((l) => l.decision === 'accept');
    expect(accepted.length).toBeGreaterThanOrEqual(8);

    // Every logged accept and every gate-open has its tap in the store.
    await sleep(300);
    const db = new Database(join(dir, 'data', 'faregate.sqlite'), { readonly: true });
    const stored = db.prepare('SELECT id, code_id AS codeId, sub, fare, settled FROM taps').all() as {
      id: string;
      codeId: string;
      sub: string;
      fare: number;
      settled: number;
    }[];
    db.close();
    const storedIds = new Set(stored.map((t) => t.id));
    for (const a of accepted)
      expect(storedIds.has(a.tapId as string), `tap ${String(a.tapId)} of a logged accept`).toBe(true);
    const opened = gate.lines.filter((l) => l.startsWith('OPEN ')).map((l) => l.slice(5));
    expect(opened.length).toBeGreaterThan(0);
    for (const id of opened) expect(storedIds.has(id), `tap ${id} of a gate-open`).toBe(true);
    expect(stored.every((t) => t.settled === 0 && t.fare === 200)).toBe(true);
    expect(new Set(stored.map((t) => t.codeId)).size).toBe(stored.length);

    // Restart on the same store: the replay memory is restored from it.
    svc = ServiceProcess.start(dir, settings);
    const starting = await svc.waitForLine((l) => l.msg === 'validator starting', 'start');
    expect(starting.restoredAccepts).toBe(stored.length);
    await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up again');
    const acceptedCodeIds = new Set(stored.map((t) => t.codeId));
    const replayed = codes.filter((c) => acceptedCodeIds.has(codeIdOfText(c)));
    expect(replayed.length).toBe(stored.length);
    // Past the 3 s duplicate window a re-shown code is a replay, not a duplicate.
    await sleep(3100);
    const before = svc.decisions().length;
    await writer.write(replayed[0]! + '\r');
    await waitFor(() => svc.decisions().length > before, 'replay decision');
    expect(svc.decisions().at(-1)).toMatchObject({
      decision: 'reject',
      reason: 'replay',
      codeId: codeIdOfText(replayed[0]!),
    });
    // A rider whose code was not accepted before the kill still gets in.
    const fresh = makeRider();
    await writer.write(fresh.code() + '\r');
    await waitFor(() => svc.decisions().length > before + 1, 'fresh decision');
    expect(svc.decisions().at(-1)).toMatchObject({ decision: 'accept', sub: fresh.sub });

    await svc.kill('SIGTERM');
    expect((await svc.exited).code).toBe(0);
    await writer.close();
    await gate.close();
  }, 60_000);
});
