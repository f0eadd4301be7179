/**
 * Debian's Chromium (`/usr/bin/chromium`, package `chromium`) driven by playwright-core, kept off
 * the network. Helper F's launcher for the rider page and dashboard tests; helper E writes
 * test/support/browser.ts for the same job at the same time (the lead keeps one when merging).
 * Tests call {@link chromiumMissing} and skip with its message when the browser is absent.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** null when Chromium is there; otherwise the reason to print when skipping. */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM_PATH)) return null;
  return `SKIPPED: no Chromium at ${CHROMIUM_PATH}; install the Debian package "chromium" (apt-get install chromium)`;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
