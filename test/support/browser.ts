/**
 * Debian's Chromium (`apt-get install chromium`, /usr/bin/chromium) driven by playwright-core, for
 * the browser tests. Never a downloaded browser (`npx playwright install` is not used): the flags
 * below keep it off the network (no background fetches, no component or sync updates).
 *
 * `CHROMIUM_MISSING` is the skip reason when the binary is absent: use it as
 * `describe.skipIf(!!CHROMIUM_MISSING)` and print it, so a missing browser is said, never a silent pass.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

// CHROMIUM_BIN, not FAREGATE_…: variables named FAREGATE_* are read as settings by `faregate run`.
export const CHROMIUM_PATH = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // The display speaks without a click (as the kiosk unit in docs/display.md starts it).
  '--autoplay-policy=no-user-gesture-required',
];

/** Why the browser tests are skipped, or undefined when Chromium is there. */
export const CHROMIUM_MISSING: string | undefined = existsSync(CHROMIUM_PATH)
  ? undefined
  : `browser tests skipped: ${CHROMIUM_PATH} is missing (install the Debian package "chromium": apt-get install chromium)`;

if (CHROMIUM_MISSING) console.warn(CHROMIUM_MISSING);

/** Launches headless Debian Chromium; throws with the skip reason when it is missing. */
export async function launchChromium(extra: LaunchOptions = {}): Promise<Browser> {
  if (CHROMIUM_MISSING) throw new Error(CHROMIUM_MISSING);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS, headless: true, ...extra });
}
