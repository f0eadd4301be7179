/**
 * The broker goes away and comes back without its database (sessions, queued messages and retained
 * messages gone). Taps accepted while it was down are settled once it is back; the validator
 * publishes its retained `{"online": true, …}` status again; and when the validator is SIGKILLed
 * the broker publishes its will, so a fresh client reads a retained `{"online": false}`.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IndependentBackend } from '../support/independentBackend.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { killAllServices, ServiceProcess } from '../support/serviceProcess.ts';
import {
  acceptedTapIds,
  DEVICE,
  expectExactlyOnce,
  Feeder,
  readRetained,
  readStore,
  report,
  settlementSettings,
  STATUS_TOPIC,
  tempDir,
  waitRetained,
  waitStoreSettled,
  WAIT,
} from './harness.ts';

let broker: Mosquitto | undefined;
let backend: IndependentBackend | undefined;
afterAll(async () => {
  await killAllServices();
  await stopAllPtyPairs();
  await backend?.stop();
  await broker?.stop();
});

describe('broker restarted without persistence', () => {
  it.each([4, 5] as const)(
    'MQTT %i: loses no tap accepted while it was down, and the status topic tells online / offline',
    async (v) => {
      const t0 = Date.now();
      await backend?.stop();
      await broker?.stop();
      broker = await startMosquitto();
      backend = await IndependentBackend.start({ url: broker.url, protocolVersion: v });
      const dir = tempDir();
      const dataDir = join(dir, 'data');
      const scanner = await startPtyPair();
      const svc = ServiceProcess.start(dir, settlementSettings(scanner.a, dataDir, broker.url, { protocolVersion: v }));
      await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up', WAIT);
      await svc.waitForLine((l) => l.msg === 'mqtt connected', 'mqtt connected', WAIT);
      const online1 = await waitRetained(broker.url, STATUS_TOPIC, (m) => m.online === true, 'online status', WAIT);
      expect(online1).toMatchObject({ online: true, deviceId: DEVICE, mode: 'bus', place: 'route-7' });
      const feeder = await Feeder.open(scanner.b);

      // 10 taps with the broker up: settled.
      await feeder.feed(10);
      await waitFor(() => acceptedTapIds(svc.decisions()).length >= 10, '10 accepts', WAIT);
      await waitStoreSettled(dataDir, 10, WAIT);

      // Broker down: 25 more riders pass the gate; their taps wait in the store.
      await broker.kill('SIGTERM');
      await svc.waitForLine((l) => l.msg === 'mqtt disconnected', 'mqtt disconnected', WAIT);
      await feeder.feed(25);
      await waitFor(() => acceptedTapIds(svc.decisions()).length >= 35, '35 accepts', WAIT);
      const whileDown = readStore(dataDir);
      expect(whileDown.length).toBe(35);
      expect(whileDown.filter((r) => r.settled === 0).length).toBe(25);
      await new Promise((r) => setTimeout(r, 1000)); // a few reconnect attempts fail meanwhile

      // Back without its database: no session, no retained status, no subscription of the validator.
      expect(svc.lines.filter((l) => l.msg === 'mqtt connected').length).toBe(1);
      await broker.restart({ keepPersistence: false });
      await svc.waitForLine(
        (l) => l.msg === 'mqtt connected' && l.sessionPresent === false,
        'mqtt connected again',
        WAIT,
        svc.lines.findIndex((l) => l.msg === 'mqtt disconnected'),
      );
      const rows = await waitStoreSettled(dataDir, 35, WAIT);
      await backend.waitSettled(
        rows.map((r) => r.id),
        WAIT,
      );
      const r = expectExactlyOnce(readStore(dataDir), backend, acceptedTapIds(svc.decisions()));
      expect(r.accepted).toBe(35);

      // The retained status was lost with the database and is back: online again.
      const online2 = await waitRetained(
        broker.url,
        STATUS_TOPIC,
        (m) => m.online === true,
        'online status after the broker restart',
        WAIT,
      );
      expect(online2).toMatchObject({ online: true, deviceId: DEVICE });
      expect(online2.at as number).toBeGreaterThan(online1.at as number);

      // SIGKILL: no clean goodbye; the broker publishes the will, retained.
      await svc.kill('SIGKILL');
      const offline = await waitRetained(
        broker.url,
        STATUS_TOPIC,
        (m) => m.online === false,
        'will (online false) after SIGKILL',
        WAIT,
      );
      expect(offline).toEqual({ online: false, deviceId: DEVICE });
      // And it stays the retained status for later readers.
      expect(await readRetained(broker.url, STATUS_TOPIC)).toEqual({ online: false, deviceId: DEVICE });

      report(`brokerRestartedWithoutPersistence MQTT ${v}`, { ...r, acceptedWhileBrokerDown: 25, ms: Date.now() - t0 });
      await feeder.close();
      await scanner.stop();
    },
    120_000,
  );
});
