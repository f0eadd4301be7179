/**
 * `faregate dashboard` (the real process) against a real Mosquitto with two real validators, in
 * Debian's Chromium: both gates show ONLINE; after rides the decisions-per-minute charts (per
 * gate and per place) have points; the gate whose backlog passes its alarm threshold (no backend
 * settles its taps) shows the alarm marked ⚠ and its row as needing attention; a signed command
 * goes through the confirmation step and the gate answers it; the gate killed with SIGKILL shows
 * OFFLINE (its will). Filters narrow the table.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations } from '../support/axe.ts';
import { CHROMIUM_MISSING, launchChromium } from '../support/browser.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { sleep, stopAllPtyPairs } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { killAllServices } from '../support/serviceProcess.ts';
import {
  operatorKeyFiles,
  startDashboard,
  startGate,
  tempDir,
  type DashboardProcess,
  type TestGate,
} from './dashboardHarness.ts';

const missing = CHROMIUM_MISSING ?? null;
if (missing) console.warn(`dashboardShowsLiveFleetInChromium: ${missing}`);

const row = (page: Page, id: string) => page.locator(`tr[data-gate="${id}"]`);

describe.skipIf(missing !== null)('the fleet dashboard in Chromium', () => {
  let broker: Mosquitto;
  let dashboard: DashboardProcess;
  let browser: Browser;
  let a: TestGate;
  let b: TestGate;

  beforeAll(async () => {
    const dir = tempDir();
    broker = await startMosquitto();
    const op = operatorKeyFiles(dir);
    a = await startGate(dir, broker.url, 'dash-a', 'route-7');
    b = await startGate(dir, broker.url, 'dash-b', 'route-9', {
      settlement: {
        lingerMs: 50,
        ackTimeoutMs: 500,
        maxBackoffMs: 2000,
        metricsIntervalMs: 1000,
        alarms: { unsettledCount: 1 },
      },
      commands: { operatorKeys: op.publicSetFile },
    });
    dashboard = await startDashboard([
      '--mqtt',
      broker.url,
      '--http',
      '0',
      '--sample',
      '1',
      '--operator-key',
      op.privateFile,
    ]);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
    await killAllServices();
    await stopAllPtyPairs();
    await broker?.stop();
  });

  it(
    'shows gates online, charts, an alarm, a confirmed command and a gate going offline',
    { timeout: 120_000 },
    async () => {
      expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(dashboard.stdout()).toContain('signed commands enabled');
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      await page.goto(dashboard.url);
      await expect.poll(() => row(page, 'dash-a').getAttribute('data-online'), { timeout: 20_000 }).toBe('true');
      await expect.poll(() => row(page, 'dash-b').getAttribute('data-online'), { timeout: 20_000 }).toBe('true');
      expect(await row(page, 'dash-a').textContent()).toContain('● ONLINE');

      // Rides at both gates for a few seconds: metrics every second give rates, sampled every second.
      for (let i = 0; i < 4; i++) {
        await a.scanner.write(`${makeRider().code()}\r`);
        await b.scanner.write(`${makeRider().code()}\r`);
        await sleep(700);
      }
      await a.svc.waitForDecisions(4, 20_000);
      await b.svc.waitForDecisions(4, 20_000);
      const points = (key: string) => page.locator(`figure[data-chart="${key}"]`).getAttribute('data-points');
      for (const key of ['gate:dash-a', 'gate:dash-b', 'place:route-7', 'place:route-9'])
        await expect.poll(async () => Number(await points(key)), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
      await expect
        .poll(() => page.locator('figure[data-chart="gate:dash-a"] svg').getAttribute('aria-label'), {
          timeout: 20_000,
        })
        .toMatch(/latest [1-9]/);

      // No backend settles the taps: gate B's backlog passes its threshold of 1.
      await expect
        .poll(() => row(page, 'dash-b').locator('td.alarms').textContent(), { timeout: 20_000 })
        .toContain('⚠ backlog_count');
      expect(await row(page, 'dash-b').getAttribute('class')).toContain('attention');
      expect(await row(page, 'dash-b').locator('th').textContent()).toMatch(/^⚠ dash-b/);

      // Filters: attention only keeps gate B (A has a backlog of its own but a default threshold).
      await page.check('#attention');
      await expect.poll(() => page.locator('#gates tr[data-gate]').count()).toBe(1);
      await page.uncheck('#attention');
      await page.fill('#q', 'route-7');
      await expect.poll(() => page.locator('#gates tr[data-gate]').count()).toBe(1);
      expect(await page.locator('#gates tr[data-gate]').getAttribute('data-gate')).toBe('dash-a');
      await page.fill('#q', '');
      // With rows, an alarm and charts on it, the page passes axe-core's WCAG 2.1 A/AA rules.
      expect(await axeViolations(page)).toEqual([]);
      if (process.env.SCREENSHOTS_DIR)
        await page.screenshot({ path: `${process.env.SCREENSHOTS_DIR}/dashboard-fleet.png`, fullPage: true });

      // A signed command: prepared, shown for confirmation, sent only on "Yes", answered by the gate.
      await page.selectOption('#cmdgate', 'dash-b');
      await page.selectOption('#cmdname', 'status');
      await page.click('#prepare');
      await expect.poll(() => page.locator('#confirmtext').textContent()).toContain('Send status {} to dash-b');
      expect(b.svc.lines.some((l) => /command/i.test(String(l.msg)))).toBe(false);
      if (process.env.SCREENSHOTS_DIR)
        await page.locator('main').screenshot({ path: `${process.env.SCREENSHOTS_DIR}/dashboard-confirm.png` });
      await page.click('#send');
      await expect.poll(() => page.locator('#cmdresult').textContent(), { timeout: 20_000 }).toBe('✓ Done by dash-b.');

      // Gate A killed: the broker publishes its will, the page shows it offline.
      await a.svc.kill('SIGKILL');
      await expect.poll(() => row(page, 'dash-a').getAttribute('data-online'), { timeout: 20_000 }).toBe('false');
      expect(await row(page, 'dash-a').textContent()).toContain('✕ OFFLINE');
      expect(await row(page, 'dash-a').getAttribute('class')).toContain('attention');
      await expect.poll(() => page.locator('#summary').textContent()).toContain('1 online, 1 offline');
      if (process.env.SCREENSHOTS_DIR)
        await page.screenshot({ path: `${process.env.SCREENSHOTS_DIR}/dashboard-offline.png`, fullPage: true });
      await page.close();
    },
  );
});
