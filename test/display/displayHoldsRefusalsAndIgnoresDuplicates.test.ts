/**
 * How long screens stay, in real Chromium: a refusal stays `rejectHoldMs` and then the idle
 * screen returns; a silent `ignore` (a second read of a code just accepted) changes nothing on
 * the screen; a new outcome replaces a held one at once; the gate's modes (out of service, free
 * pass) become the idle screen; the fare is hidden with `showFare: false`.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_MISSING, launchChromium } from '../support/browser.ts';
import { openDisplay, sampleOutcome, startDisplay, waitForScreen, type DisplayFixture } from './displayFixture.ts';

const REJECT_HOLD_MS = 1500;

describe.skipIf(!!CHROMIUM_MISSING)('passenger display timing and modes', () => {
  let browser: Browser;
  let fx: DisplayFixture;
  beforeAll(async () => {
    fx = await startDisplay({ sounds: 'off', rejectHoldMs: REJECT_HOLD_MS, acceptHoldMs: 3000 });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await fx?.stop();
  });

  it('holds a refusal for rejectHoldMs, then returns to the idle screen', async () => {
    const page = await openDisplay(browser, fx.display.url, 800, 480);
    fx.display.show(sampleOutcome('invalid_code'));
    await waitForScreen(page, 'invalid_code');
    await waitForScreen(page, 'idle', REJECT_HOLD_MS + 5000);
    // Timed in the page (the test's own calls are slow on a busy machine): shown, then idle, nothing between.
    const shown =
      await page.evaluate<{ screen: string; at: number; shownAt?: number }[]>('window.faregateDisplay.shown');
    const i = shown.findIndex((s) => s.screen === 'invalid_code');
    expect(shown.slice(i + 1).map((s) => s.screen)).toEqual(['idle']);
    const held = shown[i + 1]!.at - shown[i]!.shownAt!;
    expect(held).toBeGreaterThanOrEqual(REJECT_HOLD_MS - 20);
    expect(held).toBeLessThan(REJECT_HOLD_MS + 1000);
    await page.close();
  }, 30_000);

  it('changes nothing on an ignore: the accept screen stays as it was and nothing is pushed', async () => {
    const page = await openDisplay(browser, fx.display.url, 800, 480);
    fx.display.show(sampleOutcome('go'));
    await waitForScreen(page, 'go');
    const before = await page.evaluate<[string, number]>(
      '[document.getElementById("screen").innerText, window.faregateDisplay.shown.length]',
    );
    const pushed = fx.display.pushed;
    expect(fx.display.show({ decision: 'ignore', reason: 'duplicate', message: 'silent', at: Date.now() })).toBe(
      undefined,
    );
    expect(fx.display.pushed).toBe(pushed);
    await new Promise((r) => setTimeout(r, 200));
    const after = await page.evaluate<[string, number]>(
      '[document.getElementById("screen").innerText, window.faregateDisplay.shown.length]',
    );
    expect(after).toEqual(before);
    await page.close();
  }, 30_000);

  it('replaces a held refusal at once when the next rider taps', async () => {
    const page = await openDisplay(browser, fx.display.url, 800, 480);
    fx.display.show(sampleOutcome('see_staff'));
    await waitForScreen(page, 'see_staff');
    fx.display.show(sampleOutcome('go'));
    await waitForScreen(page, 'go', 5000);
    const shown = await page.evaluate<{ screen: string }[]>('window.faregateDisplay.shown');
    const i = shown.findIndex((s) => s.screen === 'see_staff');
    expect(shown.slice(i).map((s) => s.screen)).toEqual(['see_staff', 'go']);
    await page.close();
  }, 30_000);

  it('shows out of service and free pass as the idle screen while the gate is in that mode', async () => {
    const page = await openDisplay(browser, fx.display.url, 1024, 600);
    fx.modes.outOfService = true;
    await waitForScreen(page, 'out_of_service', 3000);
    fx.modes.outOfService = false;
    fx.modes.freePass = true;
    await waitForScreen(page, 'free_pass', 3000);
    fx.modes.freePass = false;
    await waitForScreen(page, 'idle', 3000);
    await page.close();
  }, 30_000);
});

describe.skipIf(!!CHROMIUM_MISSING)('passenger display with showFare false', () => {
  it('shows the concession name without the fare', async () => {
    const fx = await startDisplay({ sounds: 'off', showFare: false });
    const browser = await launchChromium();
    try {
      const page = await openDisplay(browser, fx.display.url, 800, 480);
      fx.display.show(sampleOutcome('go'));
      await waitForScreen(page, 'go');
      const label = await page.evaluate<string>('document.querySelector("[data-role=concession]").innerText');
      expect(label).toBe('老年 / Senior');
      fx.display.show({
        decision: 'accept',
        message: 'go',
        at: Date.now(),
        tap: { profile: 0, fare: 200, currency: 'CNY' },
      });
      await page.waitForFunction('!document.querySelector("[data-role=concession]")');
    } finally {
      await browser.close();
      await fx.stop();
    }
  }, 60_000);
});

if (CHROMIUM_MISSING) it.skip(CHROMIUM_MISSING, () => {});
