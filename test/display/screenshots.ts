/**
 * Screenshots of every passenger display screen at both sizes the gates have (800 × 480,
 * 1024 × 600), in real Chromium: docs/images/display-<screen>-<width>x<height>.png.
 *
 *   npx tsx test/display/screenshots.ts [out folder]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SCREENS } from '../../src/display/screens.ts';
import { packagePath } from '../../src/platform/packageRoot.ts';
import { launchChromium } from '../support/browser.ts';
import { openDisplay, sampleOutcome, screenShown, SIZES, startDisplay, waitForScreen } from './displayFixture.ts';

const out = process.argv[2] ?? packagePath('docs', 'images');
mkdirSync(out, { recursive: true });
const fx = await startDisplay({ sounds: 'off', rejectHoldMs: 30_000, acceptHoldMs: 30_000 });
const browser = await launchChromium();
try {
  for (const { width, height } of SIZES) {
    const page = await openDisplay(browser, fx.display.url, width, height);
    for (const screen of SCREENS) {
      if (screen !== 'idle') fx.display.show(sampleOutcome(screen));
      await waitForScreen(page, screen);
      const file = join(out, `display-${screen}-${width}x${height}.png`);
      await page.screenshot({ path: file });
      console.log(`wrote ${file} (${await screenShown(page)})`);
    }
    await page.close();
  }
} finally {
  await browser.close();
  await fx.stop();
}
