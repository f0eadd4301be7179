/**
 * Happy path on MQTT 3.1.1 (protocolVersion 4) and MQTT 5, with the validator and the
 * independent backend on either version: every accepted tap is settled once; the retained status
 * says online; a clean stop publishes `{"online": false}`; and after a restart on the same data dir
 * (the broker resumes the validator's persistent session, so no new subscription is made) taps
 * are still acknowledged. Validators run in-process with a fake scanner link and a real Mosquitto.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.ts';
import { ValidatorService } from '../../src/service/validatorService.ts';
import { IndependentBackend } from '../support/independentBackend.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { waitFor } from '../support/pty.ts';
import {
  acceptedTapIds,
  captureLogger,
  expectExactlyOnce,
  FakeFeeder,
  PREFIX,
  readStore,
  report,
  settlementSettings,
  tempDir,
  waitRetained,
  waitStoreSettled,
  WAIT,
} from './harness.ts';

let broker: Mosquitto;
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await broker?.stop();
});

const cases = [
  { validator: 4, backend: 4 },
  { validator: 5, backend: 5 },
  { validator: 4, backend: 5 },
  { validator: 5, backend: 4 },
] as const;

describe('both protocol versions', () => {
  it.each(cases)(
    'validator MQTT $validator, backend MQTT $backend',
    async ({ validator: v, backend: bv }) => {
      const t0 = Date.now();
      const deviceId = `bus-v${v}-b${bv}`;
      const statusTopic = `${PREFIX}/gates/${deviceId}/status`;
      const backend = await IndependentBackend.start({ url: broker.url, protocolVersion: bv });
      cleanups.push(() => backend.stop());
      const dir = tempDir();
      const dataDir = join(dir, 'data');
      const config = ConfigSchema.parse({
        ...settlementSettings('/dev/fake-scanner', dataDir, broker.url, { protocolVersion: v }),
        deviceId,
      });
      const feeder = new FakeFeeder();

      const run = async (riders: number, expectSessionPresent: boolean) => {
        const log = captureLogger();
        const svc = new ValidatorService(config, { logger: log, scannerTransport: () => feeder.scanner });
        cleanups.push(() => svc.stop());
        await svc.start();
        await waitFor(() => svc.link!.connected && svc.status().scanner.state === 'up', 'mqtt and scanner up', WAIT);
        expect(log.lines.find((l) => l.msg === 'mqtt connected')).toMatchObject({
          protocolVersion: v,
          sessionPresent: expectSessionPresent,
        });
        const status = await waitRetained(
          broker.url,
          statusTopic,
          (m) => m.online === true && (m.at as number) >= t0,
          'online status',
          WAIT,
        );
        expect(status).toMatchObject({ online: true, deviceId });
        const before = svc.processor.counters.accept;
        await feeder.feed(riders, 10);
        await waitFor(() => svc.processor.counters.accept >= before + riders, `${riders} accepts`, WAIT);
        const acceptIds = acceptedTapIds(log.lines);
        await waitStoreSettled(dataDir, acceptIds.length, WAIT);
        await svc.stop();
        const offline = await waitRetained(
          broker.url,
          statusTopic,
          (m) => m.online === false,
          'offline status after a clean stop',
          WAIT,
        );
        // The clean goodbye (with `at`), not the will: the link sent DISCONNECT.
        expect(offline).toMatchObject({ online: false, deviceId });
        expect(typeof offline.at).toBe('number');
        return acceptIds;
      };

      const first = await run(15, false);
      const second = await run(5, true);
      await backend.waitSettled([...first, ...second], WAIT);
      const r = expectExactlyOnce(readStore(dataDir), backend, [...first, ...second]);
      expect(r.accepted).toBe(20);
      report(`bothProtocolVersions v${v}/backend v${bv}`, { ...r, ms: Date.now() - t0 });
    },
    120_000,
  );
});
