/**
 * The one real-wire proof of signed acks (settlement-mqtt-v1 Amendment 1): an in-process
 * validator on a real Mosquitto with the dev backend keys pinned, the independent backend
 * (written from the contract) receiving its batches. Whoever can publish on `P/gates/D/acks`
 * (here: the backend's connection, as a compromised broker or leaked password would) sends a v1
 * ack naming the real batch and tap ids, and acks signed with another key: the unsettled count
 * does not move and the taps are sent again. Then the backend's genuine signed acks settle each
 * tap exactly once. (Every other forgery is a rule test: forgedAcksChangeNothing.test.ts.)
 */
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.ts';
import { ValidatorService } from '../../src/service/validatorService.ts';
import { IndependentBackend, signAck } from '../support/independentBackend.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { waitFor } from '../support/pty.ts';
import { captureLogger, FakeFeeder, settlementSettings, tempDir, WAIT } from './harness.ts';

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

describe('forged acks over Mosquitto', () => {
  it('a v1 ack and an ack signed with another key settle nothing; the genuine signed acks settle', async () => {
    const deviceId = 'bus-forged-1';
    const backend = await IndependentBackend.start({ url: broker.url, faults: { acking: false } });
    const dataDir = join(tempDir(), 'data');
    const config = ConfigSchema.parse({
      ...settlementSettings('/dev/fake-scanner', dataDir, broker.url, { settlement: { ackTimeoutMs: 1000 } }),
      deviceId,
    });
    const feeder = new FakeFeeder();
    const log = captureLogger();
    const svc = new ValidatorService(config, { logger: log, scannerTransport: () => feeder.scanner });
    try {
      await svc.start();
      await waitFor(() => svc.link!.connected && svc.status().scanner.state === 'up', 'mqtt and scanner up', WAIT);
      await feeder.feed(6, 2);
      await waitFor(() => backend.settled.size === 6, '6 taps at the backend', WAIT);
      const stats = svc.uploader!.stats;
      const ids = [...backend.settled];
      const batchId = backend.settlements[0]!.batchId;
      const sentBefore = stats.tapsSent;

      backend.sendRaw(deviceId, JSON.stringify({ batchId, tapIds: ids }));
      const stranger = { kid: 'ZmctZGV2LWJhY2tlbmQtMQ', alg: 'EdDSA' as const };
      const key = generateKeyPairSync('ed25519').privateKey;
      const body = { batchId, deviceId, at: Date.now(), tapIds: ids, rejected: [] };
      backend.sendRaw(deviceId, signAck(body, { ...stranger, key }));
      await waitFor(() => stats.ackRefused === 2, 'both forged acks refused', WAIT);
      expect(svc.store.counts().unsettled).toBe(6);
      expect(stats.tapsSettled).toBe(0);
      // Not settled, so sent again after the ack timeout.
      await waitFor(() => stats.tapsSent >= sentBefore + 6, 'the taps re-sent', WAIT);

      backend.faults.acking = true;
      await waitFor(() => svc.store.counts().unsettled === 0, 'settled by genuine signed acks', WAIT);
      expect(stats.tapsSettled).toBe(6);
      expect(backend.settled.size).toBe(6);
      expect(svc.store.allTaps().every((t) => t.settled)).toBe(true);
    } finally {
      await svc.stop();
      await backend.stop();
    }
  });
});
