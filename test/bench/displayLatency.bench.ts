/**
 * Decision → passenger display painted, in real Chromium (Debian's, headless, via playwright-core):
 * an in-process ValidatorService with `display.enabled` (real tap processor, store, display
 * server on 127.0.0.1, sounds on) and its page at 800 × 480. Frames are fed to the service's
 * scanner every `intervalMs`, alternating a fresh rider's code (accept, "go") and a junk read
 * ("scan again"), so every outcome changes the screen.
 *
 *   latency = (performance.timeOrigin + performance.now() in the page, after the next animation
 *             frame once the screen is drawn) − the outcome's decision time `at` (Unix ms, in the
 *             SSE event; the service's clock is the wall clock)
 *
 * Both clocks are the machine's wall clock. Target (issue 13): p99 ≤ 50 ms.
 */
import os from 'node:os';
import { launchChromium } from '../support/browser.ts';
import { makeRider } from '../support/riders.ts';
import { inProcess, type InProcess } from '../service/inProcess.ts';
import { openDisplay } from '../display/displayFixture.ts';
import { progress, Samples, summarize, target, type BenchReport } from './stats.ts';
import { sleep } from './benchSupport.ts';

export interface DisplayLatencyOptions {
  outcomes?: number;
  warmup?: number;
  intervalMs?: number;
  quiet?: boolean;
}

const DEFAULTS: Required<DisplayLatencyOptions> = { outcomes: 300, warmup: 10, intervalMs: 120, quiet: false };
const TARGET_MS = 50;

export async function displayLatencyBench(opts: DisplayLatencyOptions = {}): Promise<BenchReport> {
  const o = { ...DEFAULTS, ...opts };
  const started = Date.now();
  const total = o.warmup + o.outcomes;
  let ip: InProcess | undefined;
  const browser = await launchChromium();
  try {
    ip = inProcess({
      settings: { display: { enabled: true, port: 0, sounds: 'speech' }, log: { level: 'warn', format: 'json' } },
    });
    await ip.svc.start();
    const page = await openDisplay(browser, ip.svc.display!.url, 800, 480);
    progress(o.quiet, `displayLatency: ${total} outcomes every ${o.intervalMs} ms ...`);
    const riders = Array.from({ length: Math.ceil(total / 2) }, () => makeRider());
    for (let i = 0; i < total; i++) {
      ip.scanner.feed(i % 2 === 0 ? riders[i / 2]!.code(Math.floor(Date.now() / 1000)) : 'NOT-A-RIDE-CODE');
      await sleep(o.intervalMs);
    }
    await page.waitForFunction(`window.faregateDisplay.latencies.length >= ${total}`, null, { timeout: 10_000 });
    const shown = await page.evaluate<{ screen: string; latencyMs?: number; arrivedMs: number }[]>(
      'window.faregateDisplay.shown.filter((s) => s.screen !== "idle")',
    );
    const c = ip.svc.processor.counters;
    if (c.accept !== Math.ceil(total / 2)) throw new Error(`displayLatency bench invalid: ${c.accept} accepts`);
    const samples = new Samples(o.outcomes);
    const arrived = new Samples(o.outcomes);
    for (const s of shown.slice(o.warmup)) {
      samples.push((s.latencyMs ?? Number.NaN) * 1e6);
      arrived.push(s.arrivedMs * 1e6);
    }
    const sum = summarize(samples);
    const arr = summarize(arrived);
    const ms = (us: number) => us / 1000;
    const elapsed = (Date.now() - started) / 1000;
    return {
      name: 'displayLatency',
      title: 'Decision → passenger display painted in Chromium (SSE, 800 × 480)',
      tables: [
        {
          title: `Latency per outcome (ms), ${sum.n} outcomes every ${o.intervalMs} ms, accepts and scan-again alternating`,
          columns: ['span', 'n', 'p50', 'p90', 'p99', 'max', 'mean'],
          rows: [
            [
              'decision → screen painted',
              sum.n,
              ms(sum.p50Us),
              ms(sum.p90Us),
              ms(sum.p99Us),
              ms(sum.maxUs),
              ms(sum.meanUs),
            ],
            [
              'decision → event in the page (commit, gate, SSE)',
              arr.n,
              ms(arr.p50Us),
              ms(arr.p90Us),
              ms(arr.p99Us),
              ms(arr.maxUs),
              ms(arr.meanUs),
            ],
          ],
        },
      ],
      targets: [target('display p99', `decision → painted p99 (ms) / ${TARGET_MS} ms`, ms(sum.p99Us) / TARGET_MS, 1)],
      notes: [
        `${o.warmup} warm-up outcomes discarded; sounds on (tone + zh-CN + en prompts, Web Audio).`,
        `Chromium ${browser.version()} headless (--disable-gpu); the page's latency: performance.timeOrigin + performance.now() after requestAnimationFrame and one task, minus the outcome's at.`,
        `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, load average ${os.loadavg()[0]!.toFixed(2)} (shared); node ${process.version}; bench took ${elapsed.toFixed(1)} s.`,
      ],
      data: {
        options: o,
        elapsedSeconds: elapsed,
        latencyMs: { p50: ms(sum.p50Us), p90: ms(sum.p90Us), p99: ms(sum.p99Us), max: ms(sum.maxUs) },
      },
    };
  } finally {
    await browser.close();
    await ip?.svc.stop().catch(() => undefined);
  }
}
