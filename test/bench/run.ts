/**
 * Benchmark runner: `npm run bench` (= `tsx test/bench/run.ts`).
 *
 *   tsx test/bench/run.ts [--json] [--quick] [name ...]
 *
 * Runs every registered benchmark (or only those named), prints a table per benchmark, one
 * PASS / FALLS SHORT line per target and, at the end, a JSON blob. With --json only the JSON is
 * written to stdout (progress still goes to stderr unless --json). Exit code 0 whatever the
 * targets say; non-zero only when a benchmark fails (e.g. a decision that should be an accept).
 */
import os from 'node:os';
import { backlogDrainBench } from './backlogDrain.bench.ts';
import { durableCommitBench } from './durableCommit.bench.ts';
import { frameToGateBench } from './frameToGate.bench.ts';
import { hotPathBench } from './hotPath.bench.ts';
import { startupBench } from './startup.bench.ts';
import { verifyProcessBench } from './verifyProcess.bench.ts';
import { replayShareBench } from './replayShare.bench.ts';
import { renderReport, roundDeep, type BenchReport } from './stats.ts';

interface RunContext {
  quiet: boolean;
  quick: boolean;
}

/** Registry: later benchmarks (serial latency, durable commit) are added here. */
const BENCHES: Record<string, (ctx: RunContext) => Promise<BenchReport>> = {
  hotPath: (ctx) =>
    hotPathBench(
      ctx.quick
        ? {
            quiet: ctx.quiet,
            rounds: 3,
            baselinePerRound: 500,
            cachedPerRound: 500,
            coldPerRound: 100,
            riders: 500,
            renewRiders: 400,
          }
        : { quiet: ctx.quiet },
    ),
  durableCommit: (ctx) =>
    durableCommitBench(
      ctx.quick
        ? { quiet: ctx.quiet, rounds: 3, barePerRound: 200, normalPerRound: 200, fullPerRound: 30, riders: 400 }
        : { quiet: ctx.quiet },
    ),
  backlogDrain: (ctx) =>
    backlogDrainBench(ctx.quick ? { quiet: ctx.quiet, taps: 20_000, idleSeconds: 3 } : { quiet: ctx.quiet }),
  denyListSwap: async (ctx) =>
    (await import('./denyListSwap.bench.ts')).denyListSwapBench(
      ctx.quick ? { quiet: ctx.quiet, entries: 200_000, idleMs: 1000 } : { quiet: ctx.quiet },
    ),
  frameToGate: (ctx) =>
    frameToGateBench(ctx.quick ? { quiet: ctx.quiet, frames: 150, warmupFrames: 10 } : { quiet: ctx.quiet }),
  startup: (ctx) =>
    startupBench(ctx.quick ? { quiet: ctx.quiet, rounds: 10, warmupRounds: 1, runStarts: 2 } : { quiet: ctx.quiet }),
  listFlood: async (ctx) =>
    (await import('./listFlood.bench.ts')).listFloodBench(
      ctx.quick
        ? { quiet: ctx.quiet, garbage: 495, oversized: 5, bigMB: 5, idleMs: 500, rounds: 1 }
        : { quiet: ctx.quiet },
    ),
  replayShare: (ctx) =>
    replayShareBench(ctx.quick ? { quiet: ctx.quiet, accepts: 100, warmup: 10 } : { quiet: ctx.quiet }),
  settleThroughput: async (ctx) =>
    (await import('./settleThroughput.bench.ts')).settleThroughputBench(
      ctx.quick ? { quiet: ctx.quiet, taps: 6000 } : { quiet: ctx.quiet },
    ),
  displayLatency: async (ctx) =>
    (await import('./displayLatency.bench.ts')).displayLatencyBench(
      ctx.quick ? { quiet: ctx.quiet, outcomes: 100, warmup: 10 } : { quiet: ctx.quiet },
    ),
  verifyProcess: (ctx) => verifyProcessBench(ctx.quick ? { quiet: ctx.quiet, rounds: 3 } : { quiet: ctx.quiet }),
  jttVerify: async (ctx) =>
    (await import('./jttVerify.bench.ts')).jttVerifyBench(
      ctx.quick ? { quiet: ctx.quiet, rounds: 3, knownPerRound: 60, newPerRound: 10 } : { quiet: ctx.quiet },
    ),
  pricing: async (ctx) =>
    (await import('./pricing.bench.ts')).pricingBench(
      ctx.quick ? { quiet: ctx.quiet, taps: 100_000, accounts: 5_000, rounds: 1 } : { quiet: ctx.quiet },
    ),
};

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const unknownFlags = argv.filter((a) => a.startsWith('--') && a !== '--json' && a !== '--quick');
  const names = argv.filter((a) => !a.startsWith('--'));
  if (unknownFlags.length) {
    process.stderr.write(
      `unknown option ${unknownFlags.join(' ')}\nusage: run.ts [--json] [--quick] [${Object.keys(BENCHES).join('|')} ...]\n`,
    );
    return 2;
  }
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}\n`);
    return 2;
  }
  const selected = names.length ? names : Object.keys(BENCHES);
  const ctx: RunContext = { quiet: json, quick };
  const reports: BenchReport[] = [];
  for (const name of selected) {
    const report = await BENCHES[name]!(ctx);
    reports.push(report);
    if (!json) process.stdout.write(renderReport(report) + '\n\n');
  }
  const blob = roundDeep({
    when: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.cpus().length,
    allTargetsMet: reports.every((r) => r.targets.every((t) => t.pass)),
    benchmarks: Object.fromEntries(reports.map((r) => [r.name, { targets: r.targets, notes: r.notes, ...r.data }])),
  });
  if (!json) process.stdout.write('JSON:\n');
  process.stdout.write(JSON.stringify(blob) + '\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
