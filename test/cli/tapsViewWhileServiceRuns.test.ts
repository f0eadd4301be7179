/**
 * `faregate taps` and `faregate events` read a running gate's store (read-only, WAL) while the
 * service keeps accepting riders: every rider still gets in, each view is consistent and
 * newest first, no ride code appears in any output, and a missing store is exit 2 without a
 * file being created.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFaregate } from '../support/cli.ts';
import { openPtyWriter, sleep, startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { busSettings, killAllServices, ServiceProcess } from '../support/serviceProcess.ts';

afterAll(async () => {
  await killAllServices();
  await stopAllPtyPairs();
});

interface TapsDoc {
  store: string;
  counts: { total: number; unsettled: number; settled: number; rejected: number };
  taps: { id: string; at: number; sub: string; codeId: string; fare: number | null; settled: boolean }[];
}

describe('taps and events while the service runs', () => {
  it('reads consistent, newest-first views while riders keep being accepted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-taps-'));
    const dataDir = join(dir, 'data');
    const scanner = await startPtyPair();
    const svc = ServiceProcess.start(dir, busSettings(scanner.a, dataDir));
    await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up');
    const writer = await openPtyWriter(scanner.b);

    const riders = Array.from({ length: 40 }, () => makeRider());
    const codes = riders.map((r) => r.code());
    let written = 0;
    const writing = (async () => {
      for (const c of codes) {
        await writer.write(c + '\r');
        written++;
        await sleep(80);
      }
    })();

    // Read while the writer is busy: each view is a snapshot (counts match the rows it holds).
    const views: TapsDoc[] = [];
    await waitFor(() => svc.decisions().length >= 3, 'first decisions', 15_000);
    while (written < codes.length) {
      const r = await runFaregate(['taps', '--data-dir', dataDir, '--json', '--limit', '1000']);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as TapsDoc;
      expect(doc.taps.length).toBe(doc.counts.total);
      expect(doc.counts.unsettled + doc.counts.settled).toBe(doc.counts.total);
      const ats = doc.taps.map((t) => t.at);
      expect([...ats].sort((a, b) => b - a)).toEqual(ats);
      views.push(doc);
    }
    await writing;
    await svc.waitForDecisions(codes.length, 15_000);
    // The writer was never blocked: every rider got in.
    expect(svc.decisions().map((d) => d.decision)).toEqual(codes.map(() => 'accept'));
    // At least one view was read mid-stream, and the views only grow.
    expect(views.some((v) => v.counts.total < codes.length)).toBe(true);
    const totals = views.map((v) => v.counts.total);
    expect([...totals].sort((a, b) => a - b)).toEqual(totals);

    // A rejected code shows in events (flushed within about a second) and in the taps counts.
    await writer.write(riders[0]!.code(Math.floor(Date.now() / 1000) - 3600) + '\r');
    await svc.waitForDecisions(codes.length + 1);
    const events = await waitFor(
      async () => {
        const r = await runFaregate(['events', '--data-dir', dataDir, '--json']);
        const doc = JSON.parse(r.stdout) as { events: { kind: string; what: string; sub?: string }[] };
        return doc.events.length > 0 ? doc : undefined;
      },
      'the reject event',
      10_000,
    );
    expect(events.events[0]).toMatchObject({ kind: 'reject', what: 'code_expired', sub: riders[0]!.sub });

    // The human views: aligned tables with ids, no ride code.
    const table = await runFaregate(['taps', '--data-dir', dataDir, '--limit', '5']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `${join(dataDir, 'faregate.sqlite')}: 40 taps, 40 unsettled, 0 settled; 1 rejected (faregate events)`,
    );
    expect(lines[2]).toMatch(/^time \(UTC\)\s+tap id\s+sub\s+profile\s+fare\s+cur\s+where\s+settled/);
    expect(lines).toHaveLength(4 + 5);
    const newest = riders.at(-1)!.sub;
    expect(lines[4]).toContain(newest);
    expect(lines[4]).toMatch(/\s200\s+CNY\s+bus route-7 board\s+no/);
    const header = lines[2]!;
    for (const l of lines.slice(4)) expect(l.indexOf(' CNY ')).toBe(header.indexOf('cur') - 1);
    const unsettled = await runFaregate(['taps', '--data-dir', dataDir, '--unsettled', '--json', '--limit', '3']);
    expect((JSON.parse(unsettled.stdout) as TapsDoc).taps.map((t) => t.settled)).toEqual([false, false, false]);
    const ev = await runFaregate(['events', '--data-dir', dataDir]);
    expect(ev.code, ev.stderr).toBe(0);
    expect(ev.stdout).toMatch(/modes: /);
    expect(ev.stdout).toMatch(new RegExp(`reject\\s+code_expired\\s+${riders[0]!.sub}`));
    for (const out of [table.stdout, unsettled.stdout, ev.stdout, ...views.map((v) => JSON.stringify(v))])
      for (const c of codes) expect(out).not.toContain(c.slice(4, 40));

    // After a clean stop the views still work and leave no file next to the store.
    await svc.kill('SIGTERM');
    const before = readdirSync(dataDir).sort();
    const stopped = await runFaregate(['taps', '--data-dir', dataDir, '--json', '--limit', '1']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect((JSON.parse(stopped.stdout) as TapsDoc).counts).toEqual({
      total: 40,
      unsettled: 40,
      settled: 0,
      rejected: 1,
      backendRejected: 0,
    });
    expect((await runFaregate(['events', '--data-dir', dataDir])).code).toBe(0);
    expect(readdirSync(dataDir).sort()).toEqual(before);
    expect(before).not.toContain('faregate.sqlite-shm');
  }, 90_000);

  it('a dir without a store: exit 2 "no store in DIR", and nothing is created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-taps-'));
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    for (const [cmd, d] of [
      ['taps', join(dir, 'missing')],
      ['events', join(dir, 'missing')],
      ['taps', empty],
      ['events', empty],
    ] as const) {
      const r = await runFaregate([cmd, '--data-dir', d]);
      expect(r).toEqual({
        code: 2,
        stdout: '',
        stderr: `faregate ${cmd}: no store in ${d} (no faregate.sqlite there)\n`,
      });
    }
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    expect(readdirSync(empty)).toEqual([]);
  });
});
