/**
 * sd_notify through the real systemd-notify binary, to a datagram socket played by socat
 * (`--no-block`: socat is not systemd and does not answer systemd-notify's barrier). This proves
 * the notify wire; the health rules themselves are tested in process (healthzEndpoint.test.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HealthMonitor } from '../../src/health/healthMonitor.ts';
import { SdNotifier } from '../../src/health/sdNotify.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { SOCAT, sleep, waitFor } from '../support/pty.ts';

describe('sd_notify', () => {
  it('sends READY=1 on start, WATCHDOG=1 at half of WATCHDOG_USEC, on through a scanner unplug but not while the store fails, STOPPING=1 on stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-notify-'));
    const sock = join(dir, 'notify');
    const out = join(dir, 'received');
    // socat prints each datagram; systemd-notify separates assignments with \n.
    const socat = spawn('sh', ['-c', `exec ${SOCAT} -u UNIX-RECV:${sock} - > ${out}`], { stdio: 'ignore' });
    try {
      await waitFor(
        () => {
          try {
            readFileSync(sock);
          } catch (e) {
            return (e as NodeJS.ErrnoException).code === 'ENXIO';
          }
          return false;
        },
        'socat socket',
        3000,
      );
      let scanner = { state: 'up', since: 0 };
      const clock = { now: () => Date.now() };
      const notifier = new SdNotifier({
        env: { ...process.env, NOTIFY_SOCKET: sock, WATCHDOG_USEC: '600000' },
        options: ['--no-block'],
        log: silentLogger,
      });
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
      await waitFor(
        () => readFileSync(out, 'utf8').split('WATCHDOG=1').length - 1 >= pingsBeforeUnplug + 2,
        'pings while unplugged',
        3000,
      );
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
    const n = new SdNotifier({
      env: { NOTIFY_SOCKET: '/run/none' },
      binary: 'no-such-systemd-notify-binary',
      log: silentLogger,
    });
    expect(n.enabled).toBe(true);
    expect(await n.notify('READY=1')).toBe(false);
    expect(n.enabled).toBe(false);
    expect(
      new SdNotifier({ env: { WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, log: silentLogger }).watchdogMs(2),
    ).toBeUndefined();
  });
});
