/**
 * SIGTERM while a tap batch waits for its PUBACK and the broker is gone (killed) or frozen
 * (SIGSTOP, socket open, nothing answers): the real `faregate run` process still stops cleanly
 * (exit 0, store closed, "validator stopped") within seconds, and the batch it gave up on is
 * re-sent by the next start: every tap is settled once.
 *
 * Regression: MqttLink.stop() awaited mqtt.js `end(false)`, which waits for every in-flight QoS 1
 * PUBACK and then for the broker to close the socket. With the broker gone Node exited with code 13
 * (unsettled top-level await) before the store was closed; with it frozen, SIGTERM hung.
 * Regression: a status or batch published after the link had ended logged `mqtt error "write
 * after end"`; the parts that publish now stop before the link, and the link refuses late writes.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IndependentBackend } from '../support/independentBackend.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { killAllServices, ServiceProcess } from '../support/serviceProcess.ts';
import {
  acceptedTapIds,
  expectExactlyOnce,
  Feeder,
  readStore,
  report,
  settlementSettings,
  tempDir,
  WAIT,
  waitStoreSettled,
} from './harness.ts';

const brokers: Mosquitto[] = [];
const backends: IndependentBackend[] = [];
afterAll(async () => {
  await killAllServices();
  await stopAllPtyPairs();
  for (const b of backends) await b.stop();
  for (const b of brokers) {
    if (b.pid !== undefined) process.kill(b.pid, 'SIGCONT');
    await b.stop();
  }
});

describe('validator stops cleanly with the broker gone mid-upload', () => {
  it.each(['killed', 'frozen'] as const)(
    'broker %s',
    async (how) => {
      const t0 = Date.now();
      const broker = await startMosquitto();
      brokers.push(broker);
      const backend = await IndependentBackend.start({ url: broker.url });
      backends.push(backend);
      const dir = tempDir();
      const dataDir = join(dir, 'data');
      const scanner = await startPtyPair();
      const settings = settlementSettings(scanner.a, dataDir, broker.url);
      const svc = ServiceProcess.start(dir, settings);
      await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up', WAIT);
      await svc.waitForLine((l) => l.msg === 'mqtt connected', 'mqtt connected', WAIT);
      const feeder = await Feeder.open(scanner.b);
      await feeder.feed(5);
      await waitStoreSettled(dataDir, 5, WAIT);

      // The broker stops answering; the next riders' batch is published and never acknowledged.
      const pid = broker.pid!;
      process.kill(pid, 'SIGSTOP');
      await feeder.feed(5);
      await waitFor(() => acceptedTapIds(svc.decisions()).length >= 10, '10 accepts', WAIT);
      await svc.waitForLine((l) => l.msg === 'no ack for batch: its taps will be re-sent', 'a batch without ack', WAIT);
      if (how === 'killed') {
        process.kill(pid, 'SIGKILL');
        await svc.waitForLine((l) => l.msg === 'mqtt disconnected', 'mqtt disconnected', WAIT);
      }

      const tStop = Date.now();
      void svc.kill('SIGTERM');
      const exit = await Promise.race([svc.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
      const stopMs = Date.now() - tStop;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(svc.lines.at(-1)?.msg).toBe('validator stopped');
      expect(stopMs).toBeLessThan(10_000);
      expect(readStore(dataDir).filter((r) => r.settled === 0).length).toBe(5);
      // Nothing wrote to the connection after the link ended (mqtt.js: "write after end").
      const stopLines = svc.lines.slice(svc.lines.findIndex((l) => l.msg === 'stopping'));
      expect(stopLines.filter((l) => l.msg === 'mqtt error' || /after end/.test(JSON.stringify(l.err ?? '')))).toEqual(
        [],
      );

      // The broker comes back (restarted, or thawed); the next start re-sends what was dropped.
      if (how === 'killed') await broker.restart({ keepPersistence: true });
      else process.kill(pid, 'SIGCONT');
      const svc2 = ServiceProcess.start(dir, settings);
      await svc2.waitForLine((l) => l.msg === 'mqtt connected', 'mqtt connected after restart', WAIT);
      const rows = await waitStoreSettled(dataDir, 10, WAIT);
      await backend.waitSettled(
        rows.map((r) => r.id),
        WAIT,
      );
      await new Promise((r) => setTimeout(r, 300));
      const r = expectExactlyOnce(readStore(dataDir), backend, acceptedTapIds(svc.decisions()));
      expect(r.accepted).toBe(10);
      await svc2.kill('SIGTERM');
      expect((await svc2.exited).code).toBe(0);
      const stop2 = svc2.lines.slice(svc2.lines.findIndex((l) => l.msg === 'stopping'));
      expect(stop2.filter((l) => l.msg === 'mqtt error' || /after end/.test(JSON.stringify(l.err ?? '')))).toEqual([]);
      report(`validatorStopsCleanly broker ${how}`, { ...r, unsettledAtStop: 5, stopMs, ms: Date.now() - t0 });
      await feeder.close();
    },
    120_000,
  );
});
