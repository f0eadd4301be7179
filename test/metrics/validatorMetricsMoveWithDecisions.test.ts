/**
 * `GET /metrics` on the validator's health port (the real HTTP server of a ValidatorService run
 * in process, a fake scanner and the memory broker with a backend that acks): the exposition
 * parses as Prometheus text (strict parser, test/metrics/promText.ts), every family has HELP and
 * TYPE and a `faregate_` name, and the figures move with what the gate does: accepts and a reject
 * with its reason, a duplicate read as `ignore`, the latency histogram counting each decision, the
 * backlog and the uploads once the backend has acked.
 */
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.ts';
import { waitFor } from '../support/pty.ts';
import { freePort, inProcess } from '../service/inProcess.ts';
import { parsePromText, sampleValue, type PromFamily } from './promText.ts';

async function scrape(port: number): Promise<{ type: string; fams: Map<string, PromFamily> }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return { type: res.headers.get('content-type') ?? '', fams: parsePromText(await res.text()) };
}

describe('GET /metrics of a running validator', () => {
  it('is Prometheus text whose decision counters, latency histogram, backlog and uploads follow the taps', async () => {
    const port = await freePort();
    const r = inProcess({ mqtt: true, settings: { health: { httpPort: port } } });
    const svc = r.svc;
    try {
      await svc.start();
      await waitFor(() => svc.status().scanner.state === 'up', 'scanner up');

      const first0 = await scrape(port);
      const type = first0.type;
      let fams = first0.fams;
      expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
      for (const f of fams.values()) {
        expect(f.name).toMatch(/^faregate_/);
        expect(f.help.length).toBeGreaterThan(10);
      }
      expect(fams.get('faregate_decisions_total')?.type).toBe('counter');
      expect(fams.get('faregate_decision_duration_seconds')?.type).toBe('histogram');
      expect(sampleValue(fams, 'faregate_decisions_total', { outcome: 'accept', reason: 'none' })).toBe(0);
      expect(sampleValue(fams, 'faregate_scanner_connected')).toBe(1);
      expect(sampleValue(fams, 'faregate_build_info', { device_id: 'test-bus-1' })).toBe(1);
      expect(sampleValue(fams, 'faregate_store_size_bytes')).toBeGreaterThan(0);
      expect(
        sampleValue(fams, 'faregate_decision_duration_seconds', {}, 'faregate_decision_duration_seconds_count'),
      ).toBe(0);
      const les = fams
        .get('faregate_decision_duration_seconds')!
        .samples.filter((s) => s.name.endsWith('_bucket'))
        .map((s) => s.labels.le);
      expect(les).toEqual(['0.0005', '0.001', '0.002', '0.005', '0.01', '0.02', '0.05', '0.1', '0.2', '0.3', '+Inf']);

      // Two accepts, one expired code (a reject with its reason), the first code again (a replay).
      const nowSec = Math.floor(r.clock.now() / 1000);
      const [first] = r.ride(2);
      await waitFor(() => svc.status().decisions.accept === 2, 'two accepts');
      r.scanner.feed(r.riders[0]!.code(nowSec - 3600));
      r.scanner.feed(first!);
      await waitFor(() => svc.status().decisions.reject + svc.status().decisions.ignore === 2, 'two turned away');
      const byReason = svc.status().decisions.byReason;

      ({ fams } = await scrape(port));
      expect(sampleValue(fams, 'faregate_decisions_total', { outcome: 'accept', reason: 'none' })).toBe(2);
      const turnedAway = fams.get('faregate_decisions_total')!.samples.filter((s) => s.labels.outcome !== 'accept');
      expect(turnedAway.map((s) => [s.labels.reason, s.value]).sort()).toEqual(
        Object.entries(byReason)
          .map(([k, v]) => [k, v])
          .sort(),
      );
      expect(sampleValue(fams, 'faregate_decisions_total', { outcome: 'reject', reason: 'code_expired' })).toBe(1);
      for (const s of turnedAway) expect(s.labels.outcome).toBe(s.labels.reason === 'duplicate' ? 'ignore' : 'reject');
      const count = (f: Map<string, PromFamily>) =>
        sampleValue(f, 'faregate_decision_duration_seconds', {}, 'faregate_decision_duration_seconds_count');
      expect(count(fams)).toBe(4);
      expect(
        sampleValue(fams, 'faregate_decision_duration_seconds', {}, 'faregate_decision_duration_seconds_sum'),
      ).toBeGreaterThan(0);
      expect(sampleValue(fams, 'faregate_scanner_frames_total')).toBe(4);

      // The backend acks: the uploads count up and the backlog empties.
      await waitFor(() => svc.status().store.unsettled === 0, 'taps settled');
      ({ fams } = await scrape(port));
      expect(sampleValue(fams, 'faregate_upload_batches_sent_total')).toBeGreaterThanOrEqual(1);
      expect(sampleValue(fams, 'faregate_upload_acks_total')).toBeGreaterThanOrEqual(1);
      expect(sampleValue(fams, 'faregate_upload_taps_settled_total')).toBe(2);
      expect(sampleValue(fams, 'faregate_upload_acks_refused_total')).toBe(0);
      expect(sampleValue(fams, 'faregate_backlog_unsettled_taps')).toBe(0);
      expect(sampleValue(fams, 'faregate_backlog_oldest_unsettled_age_seconds')).toBe(0);
      expect(sampleValue(fams, 'faregate_mqtt_connected')).toBe(1);
      expect(count(fams)).toBe(4);

      // A junk line the scanner ends with a terminator is answered as malformed: counted and timed.
      r.scanner.write('HELLO WORLD\r');
      await waitFor(() => (svc.status().decisions.byReason.malformed ?? 0) === 1, 'junk answered');
      ({ fams } = await scrape(port));
      expect(sampleValue(fams, 'faregate_decisions_total', { outcome: 'reject', reason: 'malformed' })).toBe(1);
      expect(count(fams)).toBe(5);

      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
      expect((await fetch(`http://127.0.0.1:${port}/nothing`)).status).toBe(404);
    } finally {
      await svc.stop();
    }
  });

  it('leaves the parts that are not configured out: no upload or MQTT samples without an mqtt section', async () => {
    const port = await freePort();
    const r = inProcess({ settings: { health: { httpPort: port } } });
    expect(ConfigSchema.parse(r.config).mqtt).toBeUndefined();
    try {
      await r.svc.start();
      const { fams } = await scrape(port);
      expect(fams.get('faregate_upload_batches_sent_total')?.samples).toEqual([]);
      expect(fams.get('faregate_mqtt_connected')?.samples).toEqual([]);
      expect(fams.get('faregate_group_announced_total')?.samples).toEqual([]);
      expect(sampleValue(fams, 'faregate_list_entries', { list: 'trust' })).toBeGreaterThan(0);
    } finally {
      await r.svc.stop();
    }
  });
});
