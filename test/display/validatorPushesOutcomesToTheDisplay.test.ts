/**
 * The whole validator with `display.enabled`: its tap processor's outcomes reach the page in
 * Chromium (a senior's accept with "老年 · 免费 / Senior · free", a junk read as "scan again", a
 * second read of the same code changes nothing), the page address is logged, and texts that
 * cannot be used stop the start with the file named.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartupError } from '../../src/service/validatorService.ts';
import { makeRider } from '../support/riders.ts';
import { CHROMIUM_MISSING, launchChromium } from '../support/browser.ts';
import { inProcess, type InProcess } from '../service/inProcess.ts';
import { openDisplay, screenShown, waitForScreen } from './displayFixture.ts';

describe.skipIf(!!CHROMIUM_MISSING)('the validator pushes its outcomes to the passenger display', () => {
  let browser: Browser;
  let ip: InProcess;
  beforeAll(async () => {
    ip = inProcess({ settings: { display: { enabled: true, port: 0, sounds: 'off', acceptHoldMs: 5000 } } });
    await ip.svc.start();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ip?.svc.stop();
  });

  it('shows a senior accept, ignores the second read of the same code, and asks to scan again after junk', async () => {
    const url = ip.svc.display!.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(ip.log.lines.some((l) => l.msg === 'passenger display served' && l.url === url)).toBe(true);
    const page = await openDisplay(browser, url, 800, 480);
    const senior = makeRider({ profile: 3 });
    const code = senior.code(Math.floor(ip.clock.now() / 1000));
    ip.scanner.feed(code);
    await waitForScreen(page, 'go');
    expect(await page.evaluate<string>('document.getElementById("screen").innerText')).toContain(
      '老年 · 免费 / Senior · free',
    );
    expect(ip.gate.signals.at(-1)).toMatchObject({ action: 'open' });
    const shown = await page.evaluate<number>('window.faregateDisplay.shown.length');
    ip.scanner.feed(code);
    await new Promise((r) => setTimeout(r, 300));
    expect(ip.svc.processor.counters.ignore).toBe(1);
    expect(await page.evaluate<number>('window.faregateDisplay.shown.length')).toBe(shown);
    expect(await screenShown(page)).toBe('go');
    ip.scanner.feed('NOT-A-RIDE-CODE');
    await waitForScreen(page, 'scan_again');
    await page.close();
  }, 60_000);
});

describe('display texts that cannot be used', () => {
  it('stop the validator before it starts, naming the missing texts file', () => {
    expect(() => inProcess({ settings: { display: { enabled: true, port: 0, language: ['zh-CN', 'fr'] } } })).toThrow(
      StartupError,
    );
    try {
      inProcess({ settings: { display: { enabled: true, port: 0, language: ['zh-CN', 'fr'] } } });
    } catch (e) {
      expect((e as StartupError).problems).toEqual([
        expect.stringMatching(/^display\.language: fr has no texts file \(.*texts\.fr\.json\)$/),
      ]);
    }
  });
});

if (CHROMIUM_MISSING) it.skip(CHROMIUM_MISSING, () => {});
