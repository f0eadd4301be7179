/**
 * Whole-process benchmark of `faregate verify` (qr-token-v1 §5): the compiled command, spawned,
 * deciding 20,000 JSON lines `{"qr": ..., "at": ...}` of 200 riders (100 codes each, the riders
 * rotating so none comes back within the duplicate window), against a baseline process
 * (test/bench/verifyBaseline.mjs) that reads the same lines, JSON.parses each, makes one bare
 * crypto.verify per line (as many keys as riders, in the same rotation) and writes an answer of the same length as faregate's per line. Both pay Node's start-up and the pipe;
 * the ratio is what faregate adds to "parse and verify" for a user who pipes a file through it.
 *
 * Contenders alternate within each round (the order flips every round); medians of wall time
 * from spawn to exit. Every faregate run must answer every line with an accept, in order.
 */
import { randomBytes, sign as cryptoSign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAREGATE_BIN } from '../support/cli.ts';
import { generateKeyPair, publicJwk } from '../../src/mint/keys.ts';
import { issueCredential, makeRideCode } from '../../src/mint/mint.ts';
import { ALG_EDDSA, ALG_ES256, type SupportedAlg } from '../../src/token/cose.ts';
import { algName } from '../../src/token/coseKey.ts';
import { benchTempDir, removeTempDir } from './benchSupport.ts';
import { median, timeProcess, type TimedRun } from './processTiming.ts';
import { progress, target, type BenchReport, type Table, type TargetCheck } from './stats.ts';

export interface VerifyProcessOptions {
  codes?: number;
  riders?: number;
  /** Measured rounds; each runs both contenders once per algorithm. */
  rounds?: number;
  warmupRounds?: number;
  quiet?: boolean;
}

const DEFAULTS: Required<VerifyProcessOptions> = {
  codes: 20_000,
  riders: 200,
  rounds: 11,
  warmupRounds: 1,
  quiet: false,
};

/** Target (issue 9): whole `faregate verify` ≤ 1.3 × the baseline process, per algorithm. */
export const TARGET_RATIO = 1.3;

const BASELINE_SCRIPT = fileURLToPath(new URL('./verifyBaseline.mjs', import.meta.url));
const T0 = 1_780_000_000;
const DAY = 86_400;
/** Seconds between lines: 200 riders × 0.05 s = a rider every 10 s, outside the 3 s window. */
const STEP = 0.05;

interface Population {
  alg: SupportedAlg;
  input: Buffer;
  trustFile: string;
  baselineSpec: string;
}

function fail(msg: string): never {
  throw new Error(`verifyProcess bench invalid: ${msg}`);
}

/** Trust list, input lines and baseline key material for one algorithm, written to `dir`. */
function makePopulation(alg: SupportedAlg, o: Required<VerifyProcessOptions>, dir: string): Population {
  const name = algName(alg);
  const issuer = generateKeyPair(alg);
  const trustFile = join(dir, `trust-${name}.json`);
  writeFileSync(trustFile, JSON.stringify({ keys: [publicJwk(issuer)] }));
  const riders = Array.from({ length: o.riders }, () => {
    const pair = generateKeyPair(alg);
    const credential = issueCredential({
      issuerAlg: alg,
      issuerKey: issuer.privateKey,
      kid: issuer.kid,
      riderPublicKey: pair.publicKey,
      iss: 'faregate-bench',
      sub: randomBytes(16),
      cti: randomBytes(16),
      exp: T0 + 30 * DAY,
      nbf: T0 - DAY,
      iat: T0 - DAY,
      modes: 3,
    });
    return { pair, credential, seq: 0 };
  });
  const lines: string[] = [];
  for (let i = 0; i < o.codes; i++) {
    const r = riders[i % riders.length]!;
    const at = T0 + i * STEP;
    const qr = makeRideCode({
      credential: r.credential,
      riderAlg: alg,
      riderKey: r.pair.privateKey,
      ts: Math.floor(at),
      seq: ++r.seq,
    });
    lines.push(JSON.stringify({ qr, at }));
  }
  // Baseline: one key per rider, in the same rotation, each with one 270-byte message (the size
  // of a level-2 Sig_structure) and its signature.
  const triples = riders.map(() => {
    const k = generateKeyPair(alg);
    const m = randomBytes(270);
    const s =
      alg === ALG_EDDSA
        ? cryptoSign(null, m, k.privateKey)
        : cryptoSign('sha256', m, { key: k.privateKey, dsaEncoding: 'ieee-p1363' });
    return [k.publicKey.export({ format: 'jwk' }), m.toString('base64'), s.toString('base64')];
  });
  // An accept line of faregate's shape and length (32-hex codeId, 16-byte sub and cti), for the baseline to echo.
  const h32 = (): string => randomBytes(16).toString('hex');
  const answer = JSON.stringify({ decision: 'accept', codeId: h32(), sub: h32(), cti: h32(), profile: 0 });
  const baselineSpec = join(dir, `baseline-${name}.json`);
  writeFileSync(baselineSpec, JSON.stringify({ alg: name, triples, answer }));
  return { alg, input: Buffer.from(lines.join('\n') + '\n'), trustFile, baselineSpec };
}

function checkFaregate(r: TimedRun, n: number, what: string): void {
  if (r.code !== 0) fail(`${what}: exit ${r.code}, stderr: ${r.stderr.slice(0, 300)}`);
  const out = r.stdout.split('\n');
  if (out.at(-1) === '') out.pop();
  if (out.length !== n) fail(`${what}: ${out.length} output lines for ${n} input lines`);
  out.forEach((l, i) => {
    if (!l.startsWith('{"decision":"accept"')) fail(`${what}: line ${i + 1} is not an accept: ${l.slice(0, 120)}`);
  });
}

function checkBaseline(r: TimedRun, n: number, what: string): void {
  if (r.code !== 0) fail(`${what}: exit ${r.code}, stderr: ${r.stderr.slice(0, 300)}`);
  const count = r.stdout.length === 0 ? 0 : r.stdout.split('\n').length - 1;
  if (count !== n) fail(`${what}: ${count} output lines for ${n} input lines`);
}

export async function verifyProcessBench(opts: VerifyProcessOptions = {}): Promise<BenchReport> {
  const o = { ...DEFAULTS, ...opts };
  if (o.riders * STEP <= 3) fail(`riders=${o.riders} re-sees a rider within the 3 s duplicate window`);
  const started = Date.now();
  const dir = await benchTempDir('verify');
  try {
    progress(
      o.quiet,
      `verifyProcess: minting ${o.codes.toLocaleString('en-US')} codes of ${o.riders} riders per algorithm`,
    );
    const pops = ([ALG_EDDSA, ALG_ES256] as const).map((alg) => makePopulation(alg, o, dir));
    const times = new Map<
      string,
      { faregate: number[]; baseline: number[]; faregateCpu: number[]; baselineCpu: number[] }
    >(pops.map((p) => [algName(p.alg), { faregate: [], baseline: [], faregateCpu: [], baselineCpu: [] }]));
    for (let round = 0; round < o.warmupRounds + o.rounds; round++) {
      const measured = round >= o.warmupRounds;
      progress(
        o.quiet,
        `verifyProcess: round ${round + 1}/${o.warmupRounds + o.rounds}${measured ? '' : ' (warm-up)'}`,
      );
      for (const p of round % 2 ? [...pops].reverse() : pops) {
        const name = algName(p.alg);
        const runFaregate = async (): Promise<void> => {
          const r = await timeProcess([FAREGATE_BIN, 'verify', '--trust', p.trustFile], { input: p.input, cwd: dir });
          checkFaregate(r, o.codes, `faregate ${name} round ${round + 1}`);
          if (measured) {
            times.get(name)!.faregate.push(r.ms);
            times.get(name)!.faregateCpu.push(r.cpuMs);
          }
        };
        const runBaseline = async (): Promise<void> => {
          const r = await timeProcess([BASELINE_SCRIPT, p.baselineSpec], { input: p.input, cwd: dir });
          checkBaseline(r, o.codes, `baseline ${name} round ${round + 1}`);
          if (measured) {
            times.get(name)!.baseline.push(r.ms);
            times.get(name)!.baselineCpu.push(r.cpuMs);
          }
        };
        if (round % 2) {
          await runBaseline();
          await runFaregate();
        } else {
          await runFaregate();
          await runBaseline();
        }
      }
    }
    const rows: Table['rows'] = [];
    const targets: TargetCheck[] = [];
    const results: Record<string, unknown> = {};
    for (const [name, t] of times) {
      const f = median(t.faregate);
      const b = median(t.baseline);
      const ratio = f / b;
      const perLineUs = ((f - b) * 1000) / o.codes;
      const fc = median(t.faregateCpu);
      const bc = median(t.baselineCpu);
      rows.push([
        name,
        b,
        f,
        Math.min(...t.faregate),
        Math.max(...t.faregate),
        ratio.toFixed(3),
        perLineUs,
        bc,
        fc,
        (fc / bc).toFixed(3),
      ]);
      targets.push(
        target(
          `${name} faregate verify, ${o.codes.toLocaleString('en-US')} lines`,
          'faregate wall-time median / baseline process median',
          ratio,
          TARGET_RATIO,
        ),
      );
      results[name] = {
        baselineMs: t.baseline,
        faregateMs: t.faregate,
        baselineMedianMs: b,
        faregateMedianMs: f,
        ratio,
        extraUsPerLine: perLineUs,
        baselineCpuMs: t.baselineCpu,
        faregateCpuMs: t.faregateCpu,
        cpuRatio: fc / bc,
      };
    }
    return {
      name: 'verifyProcess',
      title: `faregate verify, whole process: ${o.codes.toLocaleString('en-US')} JSON lines of ${o.riders} riders vs parse + one bare verify per line`,
      tables: [
        {
          title: 'Wall time, spawn to exit, and CPU time of the process (ms; medians of measured rounds)',
          columns: [
            'alg',
            'baseline p50',
            'faregate p50',
            'faregate min',
            'faregate max',
            'ratio',
            'extra µs/line',
            'baseline CPU',
            'faregate CPU',
            'CPU ratio',
          ],
          rows,
        },
      ],
      targets,
      notes: [
        `rounds: ${o.warmupRounds} warm-up (discarded) + ${o.rounds} measured; contenders alternate, order flipped every round; input written to a pipe in one piece, output read from a pipe.`,
        `baseline: node test/bench/verifyBaseline.mjs (JSON.parse + one crypto.verify per line with one of ${o.riders} pre-imported keys in the riders' rotation, an answer as long as faregate's accept line, one write per input chunk); faregate: node ${'dist/src/cli/faregate.js'} verify --trust (every line checked to be an accept, in order).`,
        `"extra µs/line" = (faregate − baseline) / lines: start-up difference included.`,
        "CPU columns: medians of the child's user + system time (all threads, from the parent's cutime/cstime, 10 ms resolution); on a shared, loaded machine the CPU ratio moves far less than the wall-time ratio, which is the target.",
        `bench took ${((Date.now() - started) / 1000).toFixed(1)} s.`,
      ],
      data: { options: o, node: process.version, results },
    };
  } finally {
    await removeTempDir(dir);
  }
}
