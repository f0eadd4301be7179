/**
 * `faregate backend --mqtt URL --db FILE` as a real process: settles and acks batches, logs JSON
 * lines (stdout is not a TTY), and stops cleanly with exit 0 on SIGTERM. On MQTT 5 it runs with
 * `--ack-key` (the TEST-ONLY dev key): its acks are signed and verify under the pinned key set.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendStore } from '../../src/backend/backendStore.ts';
import { ACK_TYP } from '../../src/contract/settlement.ts';
import { loadKeySetFile, verifyFlattenedJws } from '../../src/lists/jws.ts';
import { FAREGATE_BIN, jsonLines, REPO_ROOT } from '../support/cli.ts';
import { DEV_BACKEND_ACK_KEY, DEV_BACKEND_KEYS } from '../support/serviceProcess.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { FakeGate, makeBatch, tempDir, until } from './fakeGate.ts';

describe('faregate backend command', () => {
  let broker: Mosquitto;
  const tmp = tempDir();
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
    tmp.cleanup();
  });

  it.each(['4', '5'])(
    'MQTT %s: settles a batch, acks it, and exits 0 on SIGTERM',
    async (protocol) => {
      const db = `${tmp.dir}/cli-${protocol}.db`;
      const child = spawn(
        process.execPath,
        [
          FAREGATE_BIN,
          'backend',
          '--mqtt',
          broker.url,
          '--db',
          db,
          '--protocol',
          protocol,
          '--client-id',
          `cli-${protocol}`,
          ...(protocol === '5' ? ['--ack-key', DEV_BACKEND_ACK_KEY] : []),
        ],
        {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const gate = await FakeGate.connect(broker.url);
      try {
        await until(
          () => stdout.includes('"subscribed"'),
          10_000,
          `backend to subscribe; stdout: ${stdout} stderr: ${stderr}`,
        );
        const batch = makeBatch('gate-cli', 3);
        await gate.publish('gate-cli', batch);
        const ack = await gate.waitForAck(batch.batchId);
        expect(ack.ack.tapIds).toEqual(batch.taps.map((t) => t.id));
        expect(ack.signed !== undefined).toBe(protocol === '5');
        if (protocol === '5') {
          const v = await verifyFlattenedJws(ack.raw, loadKeySetFile(DEV_BACKEND_KEYS), { typ: ACK_TYP });
          expect(v.ok).toBe(true);
          expect(ack.signed).toMatchObject({ deviceId: 'gate-cli', rejected: [] });
        }
      } finally {
        await gate.close();
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
      const logs = jsonLines(stdout);
      expect(logs.map((l) => l.msg)).toEqual(
        expect.arrayContaining([
          'settlement backend starting',
          'subscribed',
          'batch settled',
          'stopping',
          'backend stopped',
        ]),
      );
      expect(logs.find((l) => l.msg === 'subscribed')?.filter).toBe(
        protocol === '5' ? '$share/faregate-backend/faregate/v1/gates/+/taps' : 'faregate/v1/gates/+/taps',
      );
      const store = new BackendStore({ file: db, readonly: true }).open();
      expect(store.count()).toBe(3);
      store.close();
    },
    30_000,
  );
});
