/**
 * The passenger display for the browser tests, the screenshots and the latency bench: a real
 * DisplayServer on 127.0.0.1 (a free port) with the shipped texts and sounds, one sample
 * outcome per screen (as the tap processor emits them), and a page in Debian Chromium.
 */
import type { Browser, Page } from 'playwright-core';
import { DisplaySchema, type DisplayConfig } from '../../src/config/schema.ts';
import { DisplayServer, type GateModes } from '../../src/display/displayServer.ts';
import type { DisplayedOutcome, OutcomeScreen } from '../../src/display/screens.ts';
import { silentLogger } from '../../src/platform/logger.ts';

/** One outcome per outcome screen, shaped as the tap processor's Outcome. */
export function sampleOutcome(screen: OutcomeScreen, at = Date.now()): DisplayedOutcome {
  const reject = (reason: string, message: string): DisplayedOutcome => ({ decision: 'reject', reason, message, at });
  switch (screen) {
    case 'go':
      // A senior who rides free: "老年 · 免费 / Senior · free".
      return { decision: 'accept', message: 'go', at, tap: { profile: 3, fare: 0, currency: 'CNY' } };
    case 'free_pass':
      return { decision: 'accept', message: 'go', at, freePass: true, tap: { profile: 0, fare: 0, currency: 'CNY' } };
    case 'refresh_code':
      return reject('code_expired', 'refresh_code');
    case 'scan_again':
      return reject('malformed', 'scan_again');
    case 'renew_in_app':
      return reject('credential_expired', 'renew_in_app');
    case 'invalid_code':
      return reject('bad_code_signature', 'invalid_code');
    case 'see_staff':
      return reject('denied', 'see_staff');
    case 'not_valid_here':
      return reject('mode_not_allowed', 'not_valid_here');
    case 'anti_passback':
      return reject('anti_passback', 'see_staff');
    case 'out_of_service':
      return reject('out_of_service', 'see_staff');
  }
}

export interface DisplayFixture {
  display: DisplayServer;
  cfg: DisplayConfig;
  modes: GateModes;
  stop(): Promise<void>;
}

export async function startDisplay(settings: Record<string, unknown> = {}): Promise<DisplayFixture> {
  const cfg = DisplaySchema.parse({ enabled: true, port: 0, ...settings });
  const modes: GateModes = { freePass: false, outOfService: false };
  const r = DisplayServer.create({ cfg, modes: () => modes, log: silentLogger, modePollMs: 50 });
  if (!r.display) throw new Error(r.problems.join('; '));
  const display = r.display;
  await display.start();
  return { display, cfg, modes, stop: () => display.stop() };
}

/** A page at that size showing the display, connected and idle. */
export async function openDisplay(browser: Browser, url: string, width: number, height: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  await page.goto(url);
  await page.waitForFunction('window.faregateDisplay && window.faregateDisplay.ready');
  return page;
}

/** The screen the page shows now (main[data-screen]). */
export function screenShown(page: Page): Promise<string | undefined> {
  return page.evaluate<string | undefined>('document.getElementById("screen").dataset.screen');
}

/** Waits until the page shows that screen. */
export async function waitForScreen(page: Page, screen: string, timeoutMs = 5000): Promise<void> {
  await page.waitForFunction(`document.getElementById("screen").dataset.screen === ${JSON.stringify(screen)}`, null, {
    timeout: timeoutMs,
    polling: 'raf',
  });
}

export const SIZES = [
  { width: 800, height: 480 },
  { width: 1024, height: 600 },
] as const;
