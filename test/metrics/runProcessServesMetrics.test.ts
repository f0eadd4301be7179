/**
 * `faregate run` as a real process (compiled dist/, a socat pseudo-terminal as its scanner,
 * FAREGATE_HEALTH__HTTP_PORT as the Docker image sets it): `GET /metrics` parses as Prometheus
 * text, `faregate_build_info` carries the package version, and a ride code and a garbage line
 * written to the scanner move the accept and reject counters and the latency histogram.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';
import { freePort } from '../support/mosquitto.ts';
import { openPtyWriter, startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { busSettings, killAllServices, ServiceProcess } from '../support/serviceProcess.ts';
import { parsePromText, sampleValue } from './promText.ts';

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

afterAll(async () => {
  await killAllServices();
  await stopAllPtyPairs();
});

describe('faregate run serves /metrics', () => {
  it('on its health port, with counters and the latency histogram that follow the frames it reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-metrics-run-'));
    const scanner = await startPtyPair();
    const port = await freePort();
    const svc = ServiceProcess.start(dir, busSettings(scanner.a, join(dir, 'data')), {
      FAREGATE_HEALTH__HTTP_PORT: String(port),
    });
    const writer = await openPtyWriter(scanner.b);
    try {
      await svc.waitForLine((l) => l.msg === 'health endpoint listening', 'health endpoint listening');
      const scrape = async () => {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(res.status).toBe(200);
        return parsePromText(await res.text());
      };
      await waitFor(async () => sampleValue(await scrape(), 'faregate_scanner_connected') === 1, 'scanner up');
      let fams = await scrape();
      expect(sampleValue(fams, 'faregate_build_info', { version: VERSION })).toBe(1);

      await writer.write(`${makeRider().code()}\r`);
      await writer.write('NOT A RIDE CODE\r');
      await svc.waitForDecisions(2);
      fams = await scrape();
      expect(sampleValue(fams, 'faregate_decisions_total', { outcome: 'accept', reason: 'none' })).toBe(1);
      expect(sampleValue(fams, 'faregate_decisions_total', { outcome: 'reject', reason: 'malformed' })).toBe(1);
      const count = sampleValue(
        fams,
        'faregate_decision_duration_seconds',
        {},
        'faregate_decision_duration_seconds_count',
      );
      expect(count).toBe(2);
      expect(sampleValue(fams, 'faregate_store_taps')).toBe(1);
    } finally {
      await writer.close();
      await svc.kill('SIGTERM');
    }
  }, 30_000);
});
