/**
 * The passenger display in real Chromium (Debian's, driven by playwright-core): each outcome
 * brings its own screen and words within the latency target, plays its family's tone and the
 * spoken prompts in both languages, fits 800 × 480 and 1024 × 600 without scrolling or clipping,
 * and passes axe-core at both sizes. Skipped, with the reason printed, when Chromium is absent.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENS, TONE_OF, type OutcomeScreen } from '../../src/display/screens.ts';
import { loadDisplayTexts } from '../../src/display/texts.ts';
import { shippedDisplayFolder } from '../../src/display/displayServer.ts';
import { CHROMIUM_MISSING, launchChromium } from '../support/browser.ts';
import {
  openDisplay,
  sampleOutcome,
  SIZES,
  startDisplay,
  waitForScreen,
  type DisplayFixture,
} from './displayFixture.ts';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const OUTCOME_SCREENS = SCREENS.filter((s): s is OutcomeScreen => s !== 'idle');
const { texts } = loadDisplayTexts(shippedDisplayFolder(), ['zh-CN', 'en']);
const LATENCY_TARGET_MS = 50;
/** No screen may take longer than this, however busy the machine (a rider would notice). */
const HARD_CEILING_MS = 500;

interface Recorded {
  shown: { screen: string; text: string; latencyMs?: number }[];
  planned: { screen: string; srcs: string[] }[];
  sounds: { screen: string; src: string; error?: string }[];
}
const soundsOf = (screen: OutcomeScreen) => [
  `sounds/tone-${TONE_OF[screen]}.wav`,
  `sounds/${screen}.zh-CN.wav`,
  `sounds/${screen}.en.wav`,
];
const recorded = (page: Page) => page.evaluate<Recorded>('window.faregateDisplay');

/** Elements of the screen that reach past the window or whose text does not fit its box. */
const OVERFLOW = `(() => {
  const out = [];
  const d = document.documentElement;
  if (d.scrollHeight > innerHeight || d.scrollWidth > innerWidth) out.push('page scrolls');
  for (const e of document.querySelectorAll('#screen, #screen *')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5 || r.top < -0.5 || r.left < -0.5)
      out.push(e.tagName + ' ' + e.className + ' reaches past the window');
    if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible')
      out.push(e.tagName + ' ' + e.className + ' clips its text');
  }
  return out;
})()`;

async function axeViolations(page: Page): Promise<string[]> {
  if ((await page.evaluate('typeof window.axe')) === 'undefined') await page.addScriptTag({ content: AXE });
  const r = await page.evaluate<{ id: string; help: string; nodes: unknown[] }[]>(
    'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ' +
      '({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.html) })))',
  );
  return r.map((v) => `${v.id}: ${v.help} ${JSON.stringify(v.nodes)}`);
}

describe.skipIf(!!CHROMIUM_MISSING)('the passenger display in Chromium', () => {
  let browser: Browser;
  let fx: DisplayFixture;

  beforeAll(async () => {
    fx = await startDisplay({ sounds: 'speech', rejectHoldMs: 10_000, acceptHoldMs: 10_000 });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await fx?.stop();
  });

  for (const { width, height } of SIZES) {
    const title =
      `shows each outcome's screen, words and sound, fast (median ≤ ${2 * LATENCY_TARGET_MS} ms) ` +
      `at ${width}x${height}`;
    it(
      title,
      async () => {
        const page = await openDisplay(browser, fx.display.url, width, height);
        const latencies: number[] = [];
        expect(await axeViolations(page), 'idle screen').toEqual([]);
        expect(await page.evaluate(OVERFLOW), 'idle screen').toEqual([]);
        for (const [i, screen] of OUTCOME_SCREENS.entries()) {
          fx.display.show(sampleOutcome(screen));
          await waitForScreen(page, screen);
          await page.waitForFunction(`window.faregateDisplay.shown.at(-1).latencyMs !== undefined`);
          const rec = await recorded(page);
          const last = rec.shown.at(-1)!;
          expect(last.screen).toBe(screen);
          expect(last.text).toContain(texts['zh-CN']!.screens[screen].title);
          expect(last.text).toContain(texts.en!.screens[screen].title);
          expect(last.latencyMs!, screen).toBeLessThan(HARD_CEILING_MS);
          latencies.push(last.latencyMs!);
          if (screen === 'go') expect(last.text).toContain('老年 · 免费 / Senior · free');
          else expect(last.text).not.toContain('Senior');
          // The family's tone first, then the spoken prompt in each language (the page's audio element plays them).
          await page.waitForFunction(
            `window.faregateDisplay.sounds.some((s) => s.screen === ${JSON.stringify(screen)})`,
          );
          const r2 = await recorded(page);
          expect(r2.planned.at(-1)).toEqual({ screen, srcs: soundsOf(screen) });
          expect(r2.sounds.filter((s) => s.screen === screen)[0]).toMatchObject({ src: soundsOf(screen)[0] });
          expect(await page.evaluate(OVERFLOW), screen).toEqual([]);
          expect(await axeViolations(page), screen).toEqual([]);
          expect(rec.shown.filter((s) => s.screen !== 'idle')).toHaveLength(i + 1);
        }
        // The target (p99 ≤ 50 ms) is the bench's (test/bench/displayLatency.bench.ts, alone on the machine).
        // Here, beside the rest of the suite and other Chromiums on shared cores, the median must stay
        // within twice the target and no screen may pass the ceiling.
        latencies.sort((a, b) => a - b);
        const median = latencies[Math.floor(latencies.length / 2)]!;
        expect(median, latencies.join(', ')).toBeLessThanOrEqual(2 * LATENCY_TARGET_MS);
        await page.close();
      },
      120_000,
    );
  }

  it('plays the tone, then the Chinese and the English prompt to their end, with no playback error', async () => {
    const page = await openDisplay(browser, fx.display.url, 800, 480);
    fx.display.show(sampleOutcome('see_staff'));
    await page.waitForFunction('window.faregateDisplay.sounds.filter((s) => s.ended).length === 3', null, {
      timeout: 15_000,
    });
    const rec = await recorded(page);
    expect(rec.sounds.map((s) => s.src)).toEqual(soundsOf('see_staff'));
    expect(rec.sounds.filter((s) => s.error)).toEqual([]);
    await page.close();
  }, 30_000);

  it('serves every sound the page plays (the tones made in code, the shipped speech files)', async () => {
    for (const screen of OUTCOME_SCREENS) {
      for (const f of [`tone-${TONE_OF[screen]}.wav`, `${screen}.zh-CN.wav`, `${screen}.en.wav`]) {
        const r = await fetch(new URL(`sounds/${f}`, fx.display.url));
        expect(r.status, f).toBe(200);
        expect(r.headers.get('content-type')).toBe('audio/wav');
        expect(
          Buffer.from(await r.arrayBuffer())
            .subarray(0, 4)
            .toString('latin1'),
        ).toBe('RIFF');
      }
    }
    expect((await fetch(new URL('sounds/..%2Fpage.ts', fx.display.url))).status).toBe(404);
  });
});

if (CHROMIUM_MISSING) it.skip(CHROMIUM_MISSING, () => {});
