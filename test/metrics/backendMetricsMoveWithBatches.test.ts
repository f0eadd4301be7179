/**
 * `faregate backend --metrics-port 0` as a real process on a real Mosquitto: `GET /metrics` on
 * loopback parses as Prometheus text (strict parser) and its figures move with what a gate sends:
 * a batch stored and acked (signed), the same batch again (duplicates), a tap id re-sent with
 * other content (a conflict, rejected in the signed ack), and a malformed batch (never acked),
 * with the insert latency histogram counting each stored batch. A taken port exits 1 with one line.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAREGATE_BIN, jsonLines, REPO_ROOT, runFaregate } from '../support/cli.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { DEV_BACKEND_ACK_KEY } from '../support/serviceProcess.ts';
import { FakeGate, makeBatch, makeTap, tempDir, until } from '../backend/fakeGate.ts';
import { parsePromText, sampleValue, type PromFamily } from './promText.ts';

async function scrape(port: number): Promise<Map<string, PromFamily>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePromText(await res.text());
}

describe('faregate backend --metrics-port', () => {
  let broker: Mosquitto;
  const tmp = tempDir();
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
    tmp.cleanup();
  });

  it('serves /metrics on loopback whose batch, tap, ack and insert figures follow the batches', async () => {
    const child = spawn(
      process.execPath,
      [
        FAREGATE_BIN,
        'backend',
        '--mqtt',
        broker.url,
        '--db',
        `${tmp.dir}/metrics.db`,
        '--client-id',
        'metrics-backend',
        '--ack-key',
        DEV_BACKEND_ACK_KEY,
        '--metrics-port',
        '0',
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const gate = await FakeGate.connect(broker.url);
    try {
      await until(() => stdout.includes('"subscribed"'), 25_000, `backend to subscribe; stderr: ${stderr}`);
      const listening = jsonLines(stdout).find((l) => l.msg === 'metrics endpoint listening');
      expect(listening).toMatchObject({ host: '127.0.0.1' });
      const port = listening!.port as number;

      let fams = await scrape(port);
      for (const f of fams.values()) {
        expect(f.name).toMatch(/^faregate_backend_/);
        expect(f.help.length).toBeGreaterThan(10);
      }
      expect(sampleValue(fams, 'faregate_backend_connected')).toBe(1);
      expect(sampleValue(fams, 'faregate_backend_batches_total')).toBe(0);
      expect(fams.get('faregate_backend_insert_duration_seconds')?.type).toBe('histogram');

      const batch = makeBatch('gate-m', 3);
      await gate.publish('gate-m', batch);
      await gate.waitForAck(batch.batchId);
      fams = await scrape(port);
      expect(sampleValue(fams, 'faregate_backend_batches_total')).toBe(1);
      expect(sampleValue(fams, 'faregate_backend_taps_inserted_total')).toBe(3);
      expect(sampleValue(fams, 'faregate_backend_acks_sent_total', { kind: 'signed' })).toBe(1);
      expect(sampleValue(fams, 'faregate_backend_acks_sent_total', { kind: 'unsigned' })).toBe(0);
      const inserts = (f: Map<string, PromFamily>) =>
        sampleValue(
          f,
          'faregate_backend_insert_duration_seconds',
          {},
          'faregate_backend_insert_duration_seconds_count',
        );
      expect(inserts(fams)).toBe(1);

      // The same batch again, then one tap id with other content, then a batch that is not JSON.
      await gate.publish('gate-m', batch);
      await until(() => gate.acks.filter((a) => a.ack.batchId === batch.batchId).length === 2, 5000, 'second ack');
      const clash = makeBatch('gate-m', [{ ...makeTap('gate-m'), id: batch.taps[0]!.id }]);
      await gate.publish('gate-m', clash);
      await gate.waitForAck(clash.batchId);
      await gate.publish('gate-m', 'not json');
      await until(() => stdout.includes('malformed batch rejected'), 5000, 'malformed batch');

      fams = await scrape(port);
      expect(sampleValue(fams, 'faregate_backend_batches_total')).toBe(3);
      expect(sampleValue(fams, 'faregate_backend_taps_inserted_total')).toBe(3);
      expect(sampleValue(fams, 'faregate_backend_tap_duplicates_total')).toBe(4);
      expect(sampleValue(fams, 'faregate_backend_tap_conflicts_total')).toBe(1);
      expect(sampleValue(fams, 'faregate_backend_taps_rejected_total')).toBe(1);
      expect(sampleValue(fams, 'faregate_backend_malformed_batches_total')).toBe(1);
      expect(sampleValue(fams, 'faregate_backend_malformed_taps_total')).toBe(0);
      expect(sampleValue(fams, 'faregate_backend_acks_sent_total', { kind: 'signed' })).toBe(3);

      // A bad tap beside a good one: the good one settles, the bad one is rejected.
      const mixed = makeBatch('gate-m', [makeTap('gate-m')]);
      await gate.publish('gate-m', JSON.stringify({ ...mixed, taps: [...mixed.taps, { id: 'bad-1', mode: 'ferry' }] }));
      await gate.waitForAck(mixed.batchId);
      fams = await scrape(port);
      expect(sampleValue(fams, 'faregate_backend_malformed_taps_total')).toBe(1);
      expect(sampleValue(fams, 'faregate_backend_taps_rejected_total')).toBe(2);
      expect(sampleValue(fams, 'faregate_backend_malformed_batches_total')).toBe(1);
      expect(inserts(fams)).toBe(4);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      await gate.close();
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  }, 60_000);

  it('exits 1 with one line naming the address when the metrics port is taken', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await runFaregate([
        'backend',
        '--mqtt',
        broker.url,
        '--db',
        `${tmp.dir}/taken.db`,
        '--metrics-port',
        String(port),
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`--metrics-port ${port}: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
    } finally {
      taken.close();
    }
  }, 30_000);

  it('refuses a metrics port that is not a port number', async () => {
    const r = await runFaregate([
      'backend',
      '--mqtt',
      broker.url,
      '--db',
      `${tmp.dir}/bad.db`,
      '--metrics-port',
      '70000',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--metrics-port');
    expect(r.stderr).toContain('must be a port number');
  });
});
