/**
 * Health for Docker and a monitor: `/healthz` of an in-process ValidatorService (fake scanner)
 * answers 200 with its status while the scanner is up, still 200 just after an unplug (grace),
 * 503 once the scanner has been gone longer than `health.scannerGraceMs`, and 200 again after
 * the replug; the store rules and the components' contributions. The systemd notify wire is
 * proven by sdNotifyThroughSystemdNotify.test.ts.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.ts';
import { HealthMonitor } from '../../src/health/healthMonitor.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { sleep, waitFor } from '../support/pty.ts';
import { busSettings } from '../support/serviceProcess.ts';
import { freePort, inProcess } from '../service/inProcess.ts';

const GRACE_MS = 1500;

async function healthz(
  port: number,
  path = '/healthz',
): Promise<{ code: number; body: Record<string, unknown> | string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  const text = await res.text();
  try {
    return { code: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { code: res.status, body: text };
  }
}

describe('GET /healthz', () => {
  it('is 200 while the scanner is up, 503 after it is unplugged for longer than the grace period, 200 after the replug', async () => {
    const port = await freePort();
    const r = inProcess({ settings: { health: { httpPort: port, scannerGraceMs: GRACE_MS } } });
    const svc = r.svc;
    try {
      await svc.start();
      await waitFor(() => svc.status().scanner.state === 'up', 'scanner up');
      let res = await healthz(port);
      expect(res.code).toBe(200);
      expect(res.body).toMatchObject({
        healthy: true,
        problems: [],
        deviceId: 'test-bus-1',
        scanner: { state: 'up' },
        store: { taps: 0 },
      });
      expect(res.body).toHaveProperty('alarms');
      expect((await healthz(port, '/nothing')).code).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`, { method: 'HEAD' })).status).toBe(200);

      // Unplug: within the grace period still healthy (a replug or USB reset is not a failure).
      r.scanner.unplug();
      await waitFor(() => svc.status().scanner.state === 'down', 'scanner down');
      const downAt = Date.now();
      res = await healthz(port);
      expect(res.code).toBe(200);
      // Past the grace period: 503 with the reason, and the status still in the body.
      await sleep(Math.max(0, downAt + GRACE_MS + 100 - Date.now()));
      res = await waitFor(
        async () => {
          const x = await healthz(port);
          return x.code === 503 ? x : undefined;
        },
        '503',
        3000,
      );
      expect(res.body).toMatchObject({ healthy: false, deviceId: 'test-bus-1', scanner: { state: 'down' } });
      expect((res.body as { problems: string[] }).problems).toEqual([
        expect.stringMatching(/^scanner down for \d+ s$/),
      ]);

      // Replug: healthy again.
      r.scanner.replug();
      await waitFor(() => svc.status().scanner.state === 'up', 'scanner up again', 5000);
      expect((await healthz(port)).code).toBe(200);
    } finally {
      await svc.stop();
    }
    // Stopped: the endpoint is gone.
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  }, 30_000);

  it('is off unless health.httpPort is set', () => {
    const c = ConfigSchema.parse(busSettings('/dev/null', '/tmp/x'));
    expect(c.health).toEqual({ host: '127.0.0.1', scannerGraceMs: 30_000, sdNotify: true });
  });

  it('reports a store that is not writable and an accepted tap that could not be recorded', () => {
    const clock = { now: () => 1000 };
    const h = new HealthMonitor({
      cfg: { host: '127.0.0.1', scannerGraceMs: 10_000, sdNotify: false },
      clock,
      log: silentLogger,
      status: () => ({}),
      scanner: () => ({ state: 'starting', since: 0 }),
      dataDir: '/nonexistent/faregate',
      storeFile: '/nonexistent/faregate/faregate.sqlite',
    });
    expect(h.check()).toEqual({ healthy: false, problems: ['store not writable: ENOENT'] });
    const ok = new HealthMonitor({
      cfg: { host: '127.0.0.1', scannerGraceMs: 10_000, sdNotify: false },
      clock,
      log: silentLogger,
      status: () => ({}),
      scanner: () => ({ state: 'up', since: 0 }),
      dataDir: tmpdir(),
      storeFile: join(tmpdir(), 'none.sqlite'),
    });
    expect(ok.check().healthy).toBe(true);
    ok.noteOutcome({ decision: 'reject', reason: 'store_unavailable' });
    expect(ok.check()).toEqual({ healthy: false, problems: ['last accepted tap could not be recorded'] });
    ok.noteOutcome({ decision: 'accept', tap: {} });
    expect(ok.check().healthy).toBe(true);
  });

  it('adds the problems a component contributes to the store and scanner checks', () => {
    let contributed = ['gate relay board silent'];
    const h = new HealthMonitor({
      cfg: { host: '127.0.0.1', scannerGraceMs: 10_000, sdNotify: false },
      clock: { now: () => 1000 },
      log: silentLogger,
      status: () => ({}),
      scanner: () => ({ state: 'up', since: 0 }),
      dataDir: tmpdir(),
      storeFile: join(tmpdir(), 'none.sqlite'),
      contributions: () => [{ problems: contributed }, { problems: [] }],
    });
    expect(h.check()).toEqual({ healthy: false, problems: ['gate relay board silent'] });
    contributed = [];
    expect(h.check()).toEqual({ healthy: true, problems: [] });
  });
});
