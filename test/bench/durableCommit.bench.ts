/**
 * Decision + durable commit through the real TapProcessor (src/service/tapProcessor.ts), with a
 * real TapStore (SQLite, WAL) in a temp dir, for `synchronous` NORMAL and FULL, against the bare
 * hot path (RideCodeValidator.evaluate + remember, no store) on the same codes, in one run.
 *
 * - One list of ride codes from the test-only dev issuer (config/dev): rider k % N, code i made
 *   for synthetic time T0 + i × 10 ms. Each scenario has its own validator (same trust and deny
 *   lists as the service), its own replay memory and its own synthetic clock, and walks the list
 *   from the start, so the three see the same codes at the same synthetic times. N riders × 10 ms
 *   exceeds the 3 s duplicate window: every decision is an accept (checked; the bench throws
 *   otherwise), and every credential was verified once beforehand (cached path, as in
 *   hotPath's "cached" scenario).
 * - Blocks interleaved round by round (order rotated) so machine noise hits all alike. A timed
 *   call is one handleFrame (decide → INSERT committed → remember → gate.signal) or, for the
 *   bare path, one evaluate + remember. The gate is a GateDispatcher over a no-op driver; the
 *   bench yields to the event loop every 8 calls so the dispatcher drains as it would between
 *   riders.
 * - Target (issue): p99 of decision + commit with NORMAL ≤ 1 ms, absolute (printed as a fraction
 *   of the 1 ms budget). FULL waits for fsync on every commit: reported, no target.
 */
import os from 'node:os';
import { join } from 'node:path';
import { GateDispatcher } from '../../src/gate/gateDispatcher.ts';
import { loadListFiles } from '../../src/lists/loadListFiles.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { TapProcessor } from '../../src/service/tapProcessor.ts';
import { TapStore } from '../../src/store/tapStore.ts';
import { credentialRouter } from '../../src/token/formats.ts';
import { RideCodeValidator } from '../../src/token/validator.ts';
import { DEV_DENY, DEV_TRUST } from '../support/serviceProcess.ts';
import { benchConfig, benchTempDir, ManualClock, NoopGate, removeTempDir, RiderPool } from './benchSupport.ts';
import {
  GcRecorder,
  hrnow,
  perfNow,
  progress,
  Samples,
  summarize,
  target,
  yieldToLoop,
  type BenchReport,
  type Summary,
  type Table,
} from './stats.ts';

export interface DurableCommitOptions {
  rounds?: number;
  warmupRounds?: number;
  barePerRound?: number;
  normalPerRound?: number;
  fullPerRound?: number;
  riders?: number;
  quiet?: boolean;
}

const DEFAULTS: Required<DurableCommitOptions> = {
  rounds: 12,
  warmupRounds: 1,
  barePerRound: 500,
  normalPerRound: 500,
  fullPerRound: 80,
  riders: 500,
  quiet: false,
};

/** Target (issue text): p99 of decision + durable commit with synchronous=NORMAL ≤ 1 ms. */
export const TARGET_NORMAL_P99_US = 1000;

/** Synthetic time between decisions. */
const STEP_MS = 10;

type ScenarioName = 'bare' | 'normal' | 'full';
const SCENARIOS: readonly ScenarioName[] = ['bare', 'normal', 'full'];

function fail(msg: string): never {
  throw new Error(`durableCommit bench invalid: ${msg}`);
}

interface Scenario {
  name: ScenarioName;
  perRound: number;
  next: number;
  run(text: string, nowMs: number, i: number): void;
  close(): void;
}

export async function durableCommitBench(opts: DurableCommitOptions = {}): Promise<BenchReport> {
  const o: Required<DurableCommitOptions> = { ...DEFAULTS, ...opts };
  const started = Date.now();
  const dw = new RideCodeValidator().params.duplicateWindow;
  if (o.riders * STEP_MS <= dw * 1000)
    fail(`riders=${o.riders} re-sees a rider within the ${dw} s duplicate window at ${STEP_MS} ms per decision`);
  const totalRounds = o.warmupRounds + o.rounds;
  const perRound: Record<ScenarioName, number> = {
    bare: o.barePerRound,
    normal: o.normalPerRound,
    full: o.fullPerRound,
  };
  const nCodes = totalRounds * Math.max(o.barePerRound, o.normalPerRound, o.fullPerRound);

  progress(o.quiet, `durableCommit: ${o.riders} riders, ${nCodes} codes ...`);
  const pool = new RiderPool(o.riders);
  const T0 = Date.now();
  const warmTexts = pool.riders.map((r) => r.code(Math.floor(T0 / 1000)));
  const texts: string[] = [];
  const times: number[] = [];
  for (let i = 0; i < nCodes; i++) {
    const at = T0 + (i + 1) * STEP_MS;
    texts.push(pool.riders[i % pool.size]!.code(Math.floor(at / 1000)));
    times.push(at);
  }

  const lists = loadListFiles(DEV_TRUST, DEV_DENY);
  if (lists.problems.length) fail(lists.problems.join('; '));
  const dir = await benchTempDir('commit');
  const config = benchConfig('/dev/null', dir);
  const newValidator = (clock: ManualClock): RideCodeValidator => {
    const v = new RideCodeValidator({
      trust: lists.trust!,
      ...(lists.deny ? { deny: lists.deny } : {}),
      params: { ...config.token, mode: config.mode },
      clock,
    });
    // Verify every credential once, without remembering anything (cached path from here on).
    for (const t of warmTexts) {
      const d = v.evaluate(t, T0 / 1000);
      if (d.decision !== 'accept') fail(`warm-up: ${d.decision}/${d.reason ?? ''} ${d.detail ?? ''}`);
    }
    return v;
  };

  const scenarios: Scenario[] = [];
  /** The block being measured (the scenarios push into it). */
  let cur = new Samples();
  const stores: TapStore[] = [];
  try {
    {
      const clock = new ManualClock(T0);
      const v = newValidator(clock);
      scenarios.push({
        name: 'bare',
        perRound: perRound.bare,
        next: 0,
        run: (text, nowMs, i) => {
          const t0 = hrnow();
          const d = v.evaluate(text, nowMs / 1000);
          if (d.decision === 'accept') v.remember(d);
          const t1 = hrnow();
          cur.pushSpan(t0, t1);
          if (d.decision !== 'accept') fail(`bare #${i}: ${d.decision}/${d.reason ?? ''}`);
          if (d.credentialCached !== true) fail(`bare #${i}: credential not cached`);
        },
        close: () => {},
      });
    }
    for (const [name, sync] of [
      ['normal', 'NORMAL'],
      ['full', 'FULL'],
    ] as const) {
      const clock = new ManualClock(T0);
      const v = newValidator(clock);
      const store = new TapStore({ file: join(dir, `${name}.sqlite`), synchronous: sync, logger: silentLogger });
      store.open();
      stores.push(store);
      const gate = new GateDispatcher(new NoopGate(), { timeoutMs: config.gate.timeoutMs }, silentLogger);
      await gate.start();
      const credentials = credentialRouter({ fg1: v });
      const p = new TapProcessor({ credentials, store, gate, config, clock, logger: silentLogger });
      scenarios.push({
        name,
        perRound: perRound[name],
        next: 0,
        run: (text, nowMs, i) => {
          clock.ms = nowMs;
          const t0 = hrnow();
          const out = p.handleFrame(text);
          const t1 = hrnow();
          cur.pushSpan(t0, t1);
          if (!out.tap) fail(`${name} #${i}: ${out.decision}/${out.reason ?? ''}${out.detail ? ` ${out.detail}` : ''}`);
          if (out.token?.credentialCached !== true) fail(`${name} #${i}: credential not cached`);
        },
        close: () => store.close(),
      });
    }

    // samples[scenario] per measured round
    const samples = new Map<ScenarioName, Samples[]>(SCENARIOS.map((s) => [s, []]));
    const spans = new Map<ScenarioName, [number, number][]>(SCENARIOS.map((s) => [s, []]));
    const gc = new GcRecorder().start();
    progress(
      o.quiet,
      `durableCommit: ${o.warmupRounds}+${o.rounds} rounds (bare ${o.barePerRound}, NORMAL ${o.normalPerRound}, FULL ${o.fullPerRound} per round) ...`,
    );
    for (let round = 0; round < totalRounds; round++) {
      await yieldToLoop();
      for (let k = 0; k < scenarios.length; k++) {
        const s = scenarios[(k + round) % scenarios.length]!;
        cur = new Samples(s.perRound);
        const a = perfNow();
        for (let j = 0; j < s.perRound; j++) {
          const i = s.next++;
          s.run(texts[i]!, times[i]!, i);
          if ((j & 7) === 7) await yieldToLoop();
        }
        const b = perfNow();
        if (round >= o.warmupRounds) {
          samples.get(s.name)!.push(cur);
          spans.get(s.name)!.push([a, b]);
        }
      }
    }
    await yieldToLoop();
    await gc.stop();

    const merged = (n: ScenarioName): Samples => {
      const all = new Samples();
      for (const r of samples.get(n)!) all.append(r);
      return all;
    };
    const sum = Object.fromEntries(SCENARIOS.map((n) => [n, summarize(merged(n))])) as Record<ScenarioName, Summary>;
    const gcIn = Object.fromEntries(SCENARIOS.map((n) => [n, gc.within(spans.get(n)!)])) as Record<
      ScenarioName,
      ReturnType<GcRecorder['within']>
    >;
    const perRoundNormalP99 = samples
      .get('normal')!
      .map((s) => summarize(s).p99Us)
      .sort((a, b) => a - b);
    const counts = stores.map((s) => s.counts().taps);

    const label: Record<ScenarioName, string> = {
      bare: 'bare hot path (evaluate + remember, no store)',
      normal: 'decide + commit, synchronous=NORMAL',
      full: 'decide + commit, synchronous=FULL (fsync)',
    };
    const latency: Table = {
      title: 'Per-call latency (µs): one handleFrame (or evaluate + remember for the bare path)',
      columns: ['scenario', 'n', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'calls/s'],
      rows: SCENARIOS.map((n) => {
        const m = sum[n];
        return [label[n], m.n, m.p50Us, m.p90Us, m.p99Us, m.p999Us, m.maxUs, m.meanUs, Math.round(m.perSecond)];
      }),
    };
    const ratios = {
      normalP50OverBareP50: sum.normal.p50Us / sum.bare.p50Us,
      normalP99OverBareP99: sum.normal.p99Us / sum.bare.p99Us,
      normalP99OverBareP50: sum.normal.p99Us / sum.bare.p50Us,
      fullP50OverBareP50: sum.full.p50Us / sum.bare.p50Us,
      fullP99OverBareP99: sum.full.p99Us / sum.bare.p99Us,
      normalCommitP50Us: sum.normal.p50Us - sum.bare.p50Us,
      fullCommitP50Us: sum.full.p50Us - sum.bare.p50Us,
    };
    const ratioTable: Table = {
      title: 'Ratios to the bare hot path (same run)',
      columns: ['ratio', 'value'],
      rows: [
        ['NORMAL p50 / bare p50', ratios.normalP50OverBareP50.toFixed(2)],
        ['NORMAL p99 / bare p99', ratios.normalP99OverBareP99.toFixed(2)],
        ['NORMAL p99 / bare p50', ratios.normalP99OverBareP50.toFixed(2)],
        ['FULL p50 / bare p50', ratios.fullP50OverBareP50.toFixed(2)],
        ['FULL p99 / bare p99', ratios.fullP99OverBareP99.toFixed(2)],
        ['commit cost NORMAL, p50 − bare p50 (µs)', ratios.normalCommitP50Us.toFixed(1)],
        ['commit cost FULL, p50 − bare p50 (µs)', ratios.fullCommitP50Us.toFixed(1)],
        [
          'NORMAL p99 per round min..median..max (µs)',
          `${perRoundNormalP99[0]!.toFixed(0)}..${perRoundNormalP99[Math.floor(perRoundNormalP99.length / 2)]!.toFixed(0)}..${perRoundNormalP99[perRoundNormalP99.length - 1]!.toFixed(0)}`,
        ],
      ],
    };
    const gcTable: Table = {
      title: 'GC pauses that started during the measured blocks (perf_hooks)',
      columns: ['scenario', 'calls', 'pauses', 'total ms', 'max ms'],
      rows: SCENARIOS.map((n) => [n, sum[n].n, gcIn[n].count, gcIn[n].totalMs.toFixed(1), gcIn[n].maxMs.toFixed(2)]),
    };

    const elapsed = (Date.now() - started) / 1000;
    const notes = [
      `rounds: ${o.warmupRounds} warm-up (discarded) + ${o.rounds} measured; per round: ${o.barePerRound} bare, ${o.normalPerRound} NORMAL, ${o.fullPerRound} FULL; block order rotated each round.`,
      `${o.riders} riders (dev issuer, EdDSA), synthetic clock +${STEP_MS} ms per decision, every decision checked to be an accept on a cached credential; taps committed: NORMAL ${counts[0]}, FULL ${counts[1]}.`,
      "stores are WAL files in a temp dir on this machine's disk. A tap commit writes ~6.5 WAL pages (row + 4 indexes + sqlite_sequence), so SQLite's auto-checkpoint (every 4000 pages here, inside the commit that crosses it, with two fsyncs) lands in ~1 commit in 600: it sets p99.9 (part of the real path; the service also checkpoints between riders).",
      'the target is absolute (issue: p99 ≤ 1 ms); it is printed as p99 / 1 ms so that PASS means ≤ 1×.',
      `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, load average ${os.loadavg()[0]!.toFixed(2)} (shared); node ${process.version}; bench took ${elapsed.toFixed(1)} s.`,
    ];
    return {
      name: 'durableCommit',
      title: 'Durable commit: TapProcessor.handleFrame with TapStore NORMAL / FULL vs the bare hot path',
      tables: [latency, ratioTable, gcTable],
      targets: [
        target(
          'NORMAL decide + commit p99',
          'p99 of handleFrame with synchronous=NORMAL / 1 ms (absolute target)',
          sum.normal.p99Us / TARGET_NORMAL_P99_US,
          1,
        ),
      ],
      notes,
      data: {
        options: o,
        elapsedSeconds: elapsed,
        targetsDefinition: { normalP99: 'p99 of decide + commit (NORMAL) ≤ 1000 µs' },
        results: { ...sum, ratios, gc: gcIn, perRoundNormalP99Us: perRoundNormalP99 },
      },
    };
  } finally {
    for (const s of scenarios) s.close();
    await removeTempDir(dir);
  }
}
