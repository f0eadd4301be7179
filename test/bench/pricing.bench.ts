/**
 * The fare engine's throughput: journeys priced per second over synthetic taps (default one
 * million: 50,000 accounts over a week, mixed bus rides and metro journeys with some missing
 * exits and exits without entry, shuffled as a store returns them), priced by
 * config/fares.example.yaml (zones, a station pair, transfers, concessions, a daily cap).
 * One warm-up run on a tenth of the taps, then `rounds` timed runs of `priceTaps` on the whole
 * set; the figure is the median. No target in issue 12: the figure is reported.
 */
import { exampleFareFilePath, loadFareFile } from '../../src/fare/loadFareFile.ts';
import { priceTaps, type PricingTap } from '../../src/pricing/priceTaps.ts';
import { hrnow, maybeGc, progress, type BenchReport } from './stats.ts';

export interface PricingBenchOptions {
  taps?: number;
  accounts?: number;
  days?: number;
  rounds?: number;
  quiet?: boolean;
}

const DEFAULTS: Required<PricingBenchOptions> = { taps: 1_000_000, accounts: 50_000, days: 7, rounds: 3, quiet: false };

/** A small deterministic PRNG (mulberry32), so every run prices the same taps. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATIONS = ['st-1', 'st-2', 'st-3', 'st-4'];
const ROUTES = ['518', '7', '42', '101'];

/** `n` taps of `accounts` riders over `days` from 2026-12-01 (Asia/Shanghai), in shuffled order. */
export function syntheticTaps(n: number, accounts: number, days: number, seed = 12): PricingTap[] {
  const rnd = prng(seed);
  const start = Date.UTC(2026, 10, 30, 22, 0); // 1 Dec 06:00 +08
  const span = days * 86_400_000 - 18 * 3_600_000;
  const taps: PricingTap[] = [];
  let id = 0;
  const push = (t: Omit<PricingTap, 'id' | 'currency'>) => {
    taps.push({ ...t, id: `t${(id++).toString(36).padStart(8, '0')}`, currency: 'CNY' });
  };
  while (taps.length < n) {
    const sub = `acct${Math.floor(rnd() * accounts).toString(16)}`;
    const profile = rnd() < 0.8 ? 0 : Math.floor(rnd() * 6);
    const at = start + Math.floor(rnd() * span);
    const r = rnd();
    if (r < 0.45) {
      const place = ROUTES[Math.floor(rnd() * ROUTES.length)]!;
      push({ deviceId: `bus-${place}`, at, mode: 'bus', place, direction: 'board', sub, profile, fare: 200 });
    } else {
      const from = STATIONS[Math.floor(rnd() * STATIONS.length)]!;
      const to = STATIONS[Math.floor(rnd() * STATIONS.length)]!;
      const entry = r < 0.97; // 3 %: an exit without entry
      const exit = r > 0.47; // some entries never exit
      if (entry) push({ deviceId: `${from}-g1`, at, mode: 'metro', place: from, direction: 'in', sub, profile });
      if (exit) {
        const out = at + 5 * 60_000 + Math.floor(rnd() * 50 * 60_000);
        push({ deviceId: `${to}-g2`, at: out, mode: 'metro', place: to, direction: 'out', sub, profile });
      }
    }
  }
  taps.length = n;
  for (let i = taps.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [taps[i], taps[j]] = [taps[j]!, taps[i]!];
  }
  return taps;
}

export function pricingBench(opts: PricingBenchOptions = {}): Promise<BenchReport> {
  const o: Required<PricingBenchOptions> = { ...DEFAULTS, ...opts };
  const fares = loadFareFile(exampleFareFilePath());
  progress(
    o.quiet,
    `pricing: ${o.taps.toLocaleString('en-US')} synthetic taps, ${o.accounts} accounts, ${o.days} days ...`,
  );
  const taps = syntheticTaps(o.taps, o.accounts, o.days);
  priceTaps(taps.slice(0, Math.max(1, Math.floor(o.taps / 10))), fares); // warm-up
  const runs: { ms: number; journeys: number }[] = [];
  let flags: Record<string, number> = {};
  for (let i = 0; i < o.rounds; i++) {
    maybeGc();
    const t0 = hrnow();
    const r = priceTaps(taps, fares);
    const ms = Number(hrnow() - t0) / 1e6;
    runs.push({ ms, journeys: r.journeys.length });
    flags = r.flags;
    progress(o.quiet, `pricing: round ${i + 1}: ${r.journeys.length} journeys in ${ms.toFixed(0)} ms`);
  }
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const journeysPerSecond = median.journeys / (median.ms / 1000);
  const tapsPerSecond = o.taps / (median.ms / 1000);
  return Promise.resolve({
    name: 'pricing',
    title: `Fare engine: priceTaps over ${o.taps.toLocaleString('en-US')} taps (${o.accounts} accounts, ${o.days} d)`,
    tables: [
      {
        title: 'median of the timed runs',
        columns: ['taps', 'journeys', 'ms', 'journeys/s', 'taps/s'],
        rows: [[o.taps, median.journeys, median.ms, Math.round(journeysPerSecond), Math.round(tapsPerSecond)]],
      },
    ],
    targets: [],
    notes: [
      `runs (ms): ${runs.map((r) => r.ms.toFixed(0)).join(', ')}; one process, one core`,
      `flags: ${Object.entries(flags)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    ],
    data: {
      taps: o.taps,
      accounts: o.accounts,
      days: o.days,
      journeys: median.journeys,
      ms: median.ms,
      journeysPerSecond,
      tapsPerSecond,
    },
  });
}
