/**
 * Health for systemd and Docker.
 * - /healthz, for real: an in-process ValidatorService reading a pty scanner answers 200 with its
 *   status while the scanner is up, still 200 just after an unplug (grace), 503 once the scanner
 *   has been gone longer than `health.scannerGraceMs`, and 200 again after the replug.
 * - sd_notify through the real systemd-notify binary, to a datagram socket played by socat
 *   (`--no-block`: socat is not systemd and does not answer systemd-notify's barrier).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.ts';
import { HealthMonitor } from '../../src/health/healthMonitor.ts';
import { SdNotifier } from '../../src/health/sdNotify.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { ValidatorService } from '../../src/service/validatorService.ts';
import { freePort } from '../support/mosquitto.ts';
import { SOCAT, sleep, startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { busSettings } from '../support/serviceProcess.ts';

afterAll(stopAllPtyPairs);

const GRACE_MS = 1500;

async function healthz(port: number, path = '/healthz'): Promise<{ code: number; body: Record<string, unknown> | string }> {
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
    const dir = mkdtempSync(join(tmpdir(), 'faregate-health-'));
    const pty = await startPtyPair();
    const port = await freePort();
    const config = ConfigSchema.parse(busSettings(pty.a, join(dir, 'data'), { health: { httpPort: port, scannerGraceMs: GRACE_MS } }));
    const svc = new ValidatorService(config, { logger: silentLogger });
    try {
      await svc.start();
      await waitFor(() => svc.status().scanner.state === 'up', 'scanner up');
      let r = await healthz(port);
      expect(r.code).toBe(200);
      expect(r.body).toMatchObject({ healthy: true, problems: [], deviceId: 'test-bus-1', scanner: { state: 'up' }, store: { taps: 0 } });
      expect(r.body).toHaveProperty('alarms');
      expect((await healthz(port, '/metrics')).code).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`, { method: 'HEAD' })).status).toBe(200);

      // Unplug: within the grace period still healthy (a replug or USB reset is not a failure).
      await pty.stop();
      await waitFor(() => svc.status().scanner.state === 'down', 'scanner down');
      const downAt = Date.now();
      r = await healthz(port);
      expect(r.code).toBe(200);
      // Past the grace period: 503 with the reason, and the status still in the body.
      await sleep(Math.max(0, downAt + GRACE_MS + 100 - Date.now()));
      r = await waitFor(async () => {
        const x = await healthz(port);
        return x.code === 503 ? x : undefined;
      }, '503', 3000);
      expect(r.body).toMatchObject({ healthy: false, deviceId: 'test-bus-1', scanner: { state: 'down' } });
      expect((r.body as { problems: string[] }).problems).toEqual([expect.stringMatching(/^scanner down for \d+ s$/)]);

      // Replug under the same name: healthy again.
      await startPtyPair({ dir: pty.dir });
      await waitFor(() => svc.status().scanner.state === 'up', 'scanner up again', 5000);
      expect((await healthz(port)).code).toBe(200);
    } finally {
      await svc.stop();
      rmSync(dir, { recursive: true, force: true });
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
});

describe('sd_notify', () => {
  it('sends READY=1 on start, WATCHDOG=1 at half of WATCHDOG_USEC, on through a scanner unplug but not while the store fails, STOPPING=1 on stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-notify-'));
    const sock = join(dir, 'notify');
    const out = join(dir, 'received');
    // socat prints each datagram; systemd-notify separates assignments with \n.
    const socat = spawn('sh', ['-c', `exec ${SOCAT} -u UNIX-RECV:${sock} - > ${out}`], { stdio: 'ignore' });
    try {
      await waitFor(() => {
        try {
          readFileSync(sock);
        } catch (e) {
          return (e as NodeJS.ErrnoException).code === 'ENXIO';
        }
        return false;
      }, 'socat socket', 3000);
      let scanner = { state: 'up', since: 0 };
      const clock = { now: () => Date.now() };
      const notifier = new SdNotifier({ env: { ...process.env, NOTIFY_SOCKET: sock, WATCHDOG_USEC: '600000' }, options: ['--no-block'], log: silentLogger });
      expect(notifier.watchdogMs()).toBe(600);
      const h = new HealthMonitor({
        cfg: { host: '127.0.0.1', scannerGraceMs: 0, sdNotify: true },
        clock,
        log: silentLogger,
        status: () => ({}),
        scanner: () => scanner,
        dataDir: dir,
        storeFile: join(dir, 'x.sqlite'),
        notifier,
      });
      await h.start();
      await waitFor(() => readFileSync(out, 'utf8').split('WATCHDOG=1').length - 1 >= 2, 'two watchdog pings', 3000);
      // An unplugged scanner is reported, but a restart would not fix it: the pings go on.
      scanner = { state: 'down', since: 0 };
      const pingsBeforeUnplug = readFileSync(out, 'utf8').split('WATCHDOG=1').length - 1;
      await waitFor(() => readFileSync(out, 'utf8').includes('STATUS=degraded: scanner down'), 'degraded status', 3000);
      await waitFor(() => readFileSync(out, 'utf8').split('WATCHDOG=1').length - 1 >= pingsBeforeUnplug + 2, 'pings while unplugged', 3000);
      // A store that cannot take taps stops the pings, so systemd restarts the service.
      scanner = { state: 'up', since: 0 };
      h.noteOutcome({ decision: 'reject', reason: 'store_unavailable' });
      await sleep(400);
      const pingsWhenUnhealthy = readFileSync(out, 'utf8').split('WATCHDOG=1').length - 1;
      await sleep(1000);
      const text = readFileSync(out, 'utf8');
      expect(text.split('WATCHDOG=1').length - 1).toBe(pingsWhenUnhealthy);
      expect(text).toContain('STATUS=unhealthy: last accepted tap could not be recorded');
      await h.stop();
      await waitFor(() => readFileSync(out, 'utf8').includes('STOPPING=1'), 'STOPPING=1', 3000);
      expect(readFileSync(out, 'utf8').startsWith('READY=1\nSTATUS=healthy')).toBe(true);
    } finally {
      socat.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  it('does nothing without NOTIFY_SOCKET, and skips quietly when systemd-notify is missing', async () => {
    expect(await new SdNotifier({ env: {}, log: silentLogger }).notify('READY=1')).toBe(false);
    const n = new SdNotifier({ env: { NOTIFY_SOCKET: '/run/none' }, binary: 'no-such-systemd-notify-binary', log: silentLogger });
    expect(n.enabled).toBe(true);
    expect(await n.notify('READY=1')).toBe(false);
    expect(n.enabled).toBe(false);
    expect(new SdNotifier({ env: { WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, log: silentLogger }).watchdogMs(2)).toBeUndefined();
  });
});
