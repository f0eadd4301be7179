/**
 * A tap the backend rejects in a signed ack (settlement-mqtt-v1 Amendment 1): kept in the store,
 * marked rejected with its reason, never sent again, never counted as settled nor unsettled,
 * counted in the status backlog and raised as the `taps_rejected` alarm (one alarm path: log,
 * event, status), shown by the store view of `faregate taps`; the rest of its batch settles.
 * And the settings side: with `mqtt`, no backend keys and no acceptUnsignedAcks, the service
 * refuses to start naming the setting; acceptUnsignedAcks is logged and shown in the status.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tapsCommand } from '../../src/cli/commands/taps.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { generateKeyPair, privateJwk } from '../../src/mint/keys.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { ALG_EDDSA } from '../../src/token/cose.ts';
import { StartupError, ValidatorService } from '../../src/service/validatorService.ts';
import { StoreReader } from '../../src/store/storeReader.ts';
import { devAckKey, signAck } from '../support/independentBackend.ts';
import { waitFor } from '../support/pty.ts';
import { busSettings } from '../support/serviceProcess.ts';
import { inProcess, type InProcess } from '../service/inProcess.ts';
import { tempDir } from './harness.ts';

let r: InProcess | undefined;
afterEach(async () => {
  await r?.svc.stop();
  r = undefined;
});

describe('a rejected tap', () => {
  it('is kept, marked, never re-sent, counted and alarmed; the rest of its batch settles', async () => {
    r = inProcess({ mqtt: true, settings: { settlement: { batchSize: 10 } } });
    const { svc, backend, clock } = r;
    await svc.start();
    // The backend will reject the first tap committed.
    let first: string | undefined;
    svc.onOutcome((o) => {
      if (o.tap && !first) backend!.reject.add((first = o.tap.id));
    });
    r.ride(4);
    await waitFor(() => svc.uploader!.stats.acks >= 1 && svc.store.counts().unsettled === 0, 'acked');
    const stats = svc.uploader!.stats;
    expect(stats.tapsSettled).toBe(3);
    expect(stats.tapsRejected).toBe(1);
    expect(svc.store.rejected).toBe(1);
    const taps = svc.store.allTaps();
    expect(taps).toHaveLength(4);
    expect(taps.filter((t) => t.settled).map((t) => t.id)).not.toContain(first);

    // Counted in the backlog and alarmed through the one alarm path.
    svc.telemetry.check();
    const status = svc.status();
    expect(status.backlog).toMatchObject({ unsettled: 0, rejected: 1 });
    expect(status.alarms.map((a) => a.alarm)).toContain('taps_rejected');
    const events = r.broker.messages(r.link!.topics.events) as { kind: string; alarm?: string }[];
    expect(events.some((e) => e.alarm === 'taps_rejected')).toBe(true);

    // Never sent again, whatever the time.
    const receipts = backend!.receipts.get(first!);
    clock.advance(3_600_000);
    r.ride(1);
    await waitFor(() => svc.store.counts().taps === 5 && svc.store.counts().unsettled === 0, 'the next rider settled');
    expect(backend!.receipts.get(first!)).toBe(receipts);

    // Kept through a purge of settled taps (the retention has not passed), and shown by the store view.
    expect(svc.store.purgeSettled(clock.now() - 86_400_000, 0)).toBe(0);
    const reader = StoreReader.open(r.dataDir);
    const view = reader.taps({ limit: 10, unsettledOnly: false });
    reader.close();
    expect(view.counts).toMatchObject({ total: 5, unsettled: 0, settled: 4, backendRejected: 1 });
    expect(view.taps.find((t) => t.id === first)).toMatchObject({
      state: 'rejected',
      settled: false,
      rejectedReason: 'test',
    });
    // `faregate taps` (the command, in process): the count and the row.
    const out: string[] = [];
    const io = {
      stdin: (async function* () {})(),
      writeLine: async (l: string) => void out.push(l),
      error: () => undefined,
    };
    expect(await tapsCommand(['--data-dir', r.dataDir], io)).toBe(0);
    expect(out[0]).toMatch(/: 5 taps, 0 unsettled, 4 settled, 1 rejected by the backend; 0 rejected/);
    expect(out.find((l) => l.includes(first!))).toMatch(/REJECTED test/);
  });
});

describe('ack settings', () => {
  it('a validator with mqtt and no backendKeys refuses to start, naming the setting', () => {
    const dir = tempDir();
    const settings = busSettings('/dev/null', join(dir, 'data'), {
      mqtt: { url: 'mqtt://127.0.0.1:1' },
    });
    // The test helper pins the dev keys for every validator with mqtt: take them out again.
    delete (settings.settlement as Record<string, unknown>).backendKeys;
    const config = ConfigSchema.parse(settings);
    expect(config.settlement.backendKeys).toBeUndefined();
    let err: unknown;
    try {
      new ValidatorService(config, { logger: silentLogger });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).problems.join('\n')).toMatch(/^settlement\.backendKeys: required with mqtt/m);
    expect((err as StartupError).code).toBe('STARTUP_REFUSED');
  });

  it('a backendKeys file holding a private key is refused', () => {
    const dir = tempDir();
    const file = join(dir, 'backend-keys.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...privateJwk(generateKeyPair(ALG_EDDSA)), kid: 'b1' }] }));
    const config = ConfigSchema.parse(
      busSettings('/dev/null', join(dir, 'data'), {
        mqtt: { url: 'mqtt://127.0.0.1:1' },
        settlement: { backendKeys: file },
      }),
    );
    expect(() => new ValidatorService(config, { logger: silentLogger })).toThrow(
      /settlement\.backendKeys: .*private key/,
    );
  });

  it('acceptUnsignedAcks takes v1 acks, says so at start (warn) and in the status', async () => {
    r = inProcess({ mqtt: true, settings: { settlement: { acceptUnsignedAcks: true } } });
    await r.svc.start();
    const warn = r.log.lines.find((l) => l.level === 'warn' && l.acceptUnsignedAcks === true);
    expect(warn?.msg).toMatch(/unsigned acks are taken/);
    expect(r.svc.status().upload?.ackMode).toBe('unsigned');
    // The retained status says so too (what a monitor reads).
    await waitFor(() => r!.broker.retained.has(r!.link!.topics.status), 'a retained status');
    expect(r.broker.retainedJson(r.link!.topics.status)).toMatchObject({ upload: { ackMode: 'unsigned' } });
    r.ride(2);
    await waitFor(
      () => r!.svc.store.counts().taps === 2 && r!.svc.store.counts().unsettled === 0,
      'settled by v1 acks',
    );
    // A signed ack cannot be checked without backend keys: ignored, and the log names the setting.
    r.broker.inject(r.link!.topics.acks, signAck({ batchId: 'b', tapIds: [] }, devAckKey()));
    await waitFor(() => r!.log.lines.some((l) => /^signed ack ignored/.test(String(l.msg))), 'the signed ack ignored');
    expect(r.log.lines.find((l) => /^signed ack ignored/.test(String(l.msg)))?.msg).toMatch(/settlement\.backendKeys/);
  });
});
