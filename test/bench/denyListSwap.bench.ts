/**
 * Swapping in a 1,000,000-entry signed deny list while the gate decides.
 *
 * Decisions arrive at a fixed rate (one every `intervalMs`, polled with setImmediate so that a
 * blocked event loop shows as lateness). For each decision two figures are kept:
 *  - decide():  the time of the RideCodeValidator.decide call alone (cached credential, hot path);
 *  - arrival:   from when the frame was due to when its decision was made (includes any time the
 *               event loop was blocked — what a rider at the gate feels).
 * Phases: idle (no list work), then swap (a signed 1M-entry snapshot handed to ListSync.receive:
 * verified and built in the worker thread, then swapped in), twice: once with the worker started
 * cold, once with the warm spare. The MQTT transfer of the document itself is not included.
 * Memory: the compact list's bytes, the main thread's heap + ArrayBuffers before/after, the
 * worker's heap, and the process's peak RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListSync } from '../../src/fleet/listSync.ts';
import { rootKeysFromJson } from '../../src/lists/signedList.ts';
import { generateKeyPair, publicJwk } from '../../src/mint/keys.ts';
import { issueCredential, makeRideCode } from '../../src/mint/mint.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { ALG_EDDSA } from '../../src/token/cose.ts';
import { trustListFromJson } from '../../src/lists/trustFile.ts';
import { RideCodeValidator } from '../../src/token/validator.ts';
import { denySnapshot, makeRoot, randomIds } from '../lists/support.ts';
import { maybeGc, progress, Samples, summarize, target, type BenchReport, type Summary, type Table } from './stats.ts';

export interface DenyListSwapOptions {
  entries?: number;
  idleMs?: number;
  intervalMs?: number;
  riders?: number;
  quiet?: boolean;
}

const DEFAULTS: Required<DenyListSwapOptions> = {
  entries: 1_000_000,
  idleMs: 3000,
  intervalMs: 5,
  riders: 2000,
  quiet: false,
};
/** Main-thread memory budget for a 1M-entry list (the compact list plus what the swap leaves). */
export const MEMORY_BUDGET_MB = 64;

interface Phase {
  decide: Summary;
  arrival: Summary;
  /** Gaps between turns of the polling loop: how long the event loop was held by other work. */
  loopGap: Summary;
}

export async function denyListSwapBench(opts: DenyListSwapOptions = {}): Promise<BenchReport> {
  const o = { ...DEFAULTS, ...opts };
  const started = Date.now();
  progress(o.quiet, `denyListSwap: making ${o.riders} riders and codes ...`);
  const issuer = generateKeyPair(ALG_EDDSA);
  const T0 = 1_750_000_000;
  const validator = new RideCodeValidator({
    trust: trustListFromJson({ keys: [publicJwk(issuer)] }),
    params: { mode: 'bus' },
  });
  const riders = Array.from({ length: o.riders }, (_, i) => {
    const key = generateKeyPair(ALG_EDDSA);
    const credential = issueCredential({
      issuerAlg: issuer.alg,
      issuerKey: issuer.privateKey,
      kid: issuer.kid,
      riderPublicKey: key.publicKey,
      sub: Buffer.from(i.toString(16).padStart(16, '0'), 'hex'),
      cti: Buffer.from(`c${i}`),
      exp: T0 + 864_000,
      iat: T0 - 60,
    });
    return { key, credential, seq: 0 };
  });
  // Synthetic decision clock: +10 ms per decision, a rider comes back every riders × 10 ms (> 3 s duplicate window).
  let k = 0;
  const codeFor = (n: number): string => {
    const r = riders[n % riders.length]!;
    return makeRideCode({
      credential: r.credential,
      riderAlg: r.key.alg,
      riderKey: r.key.privateKey,
      ts: Math.floor(T0 + n * 0.01),
      seq: ++r.seq,
    });
  };
  const codes: string[] = [];
  const codesNeeded = Math.ceil((o.idleMs * 3 + 30_000) / o.intervalMs);
  const more = (n: number) => {
    while (codes.length < n) codes.push(codeFor(codes.length));
  };
  more(Math.min(codesNeeded, 4000));

  progress(o.quiet, `denyListSwap: signing a ${o.entries.toLocaleString('en-US')}-entry deny list ...`);
  const root = makeRoot('bench-root');
  // Made in a scope of their own: the 10⁶ id strings must not stay on this thread's heap (a real
  // gate never has them here; they would only lengthen this thread's GC pauses).
  const docs = ((): Buffer[] => {
    const subs = randomIds(Math.floor(o.entries * 0.6));
    const ctis = randomIds(o.entries - subs.length);
    return [1, 2].map((v) =>
      Buffer.from(
        denySnapshot(
          root,
          v,
          { sub: subs.map((s, i) => (i % 10 === 0 ? { id: s, exp: 4_000_000_000 } : s)), cti: ctis },
          T0,
        ),
      ),
    );
  })();
  const docBytes = docs[0]!.byteLength;
  const dir = mkdtempSync(join(tmpdir(), 'faregate-bench-lists-'));
  const sync = new ListSync({
    cfg: { rootKeys: '', maxAgeSeconds: { trust: 1e9, deny: 1e9 }, stalePolicy: 'accept_and_flag' },
    dataDir: dir,
    validator,
    roots: rootKeysFromJson({ keys: [root.jwk] }),
    rootJwks: { keys: [root.jwk] },
    bootstrapIssuedAt: { trust: null, deny: null },
    events: { event: () => undefined },
    clock: { now: () => Date.now() },
    logger: silentLogger,
  });
  await sync.start();

  /** Runs decisions at the fixed rate until `until()` is true (and at least minMs). */
  const drive = async (minMs: number, until: () => boolean): Promise<Phase> => {
    const decide = new Samples(4096);
    const arrival = new Samples(4096);
    const loopGap = new Samples(4096);
    const t0 = performance.now();
    let lastTurn = t0;
    let i = 0;
    for (;;) {
      const due = t0 + i * o.intervalMs;
      const now = performance.now();
      if (now >= due) {
        if (k >= codes.length) more(k + 2000);
        const a = process.hrtime.bigint();
        const d = validator.decide(codes[k]!, T0 + k * 0.01 + 1);
        const b = process.hrtime.bigint();
        if (d.decision !== 'accept') throw new Error(`decision ${d.decision} ${d.reason} at ${k}`);
        k++;
        decide.push(Number(b - a));
        arrival.push((performance.now() - due) * 1e6);
        i++;
        continue;
      }
      if (now - t0 >= minMs && until()) break;
      await new Promise<void>((r) => setImmediate(r));
      const turn = performance.now();
      loopGap.push((turn - lastTurn) * 1e6);
      lastTurn = turn;
    }
    return { decide: summarize(decide), arrival: summarize(arrival), loopGap: summarize(loopGap) };
  };

  const mem = () => {
    maybeGc();
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, rss: m.rss };
  };
  progress(o.quiet, 'denyListSwap: warm-up and idle phase ...');
  await drive(500, () => true);
  maybeGc();
  const idle = await drive(o.idleMs, () => true);
  const before = mem();
  const swaps: { label: string; phase: Phase; swapMs: number; workerMs: number; workerHeapMB: number; via: string }[] =
    [];
  for (const [n, label] of [
    [0, 'cold worker'],
    [1, 'warm worker'],
  ] as const) {
    progress(o.quiet, `denyListSwap: swap ${n + 1} (${label}) ...`);
    let done = false;
    let ms = 0;
    const payload = docs[n]!; // transferred to the worker (as the MQTT payload would be)
    maybeGc();
    const t = performance.now();
    void sync.receive('deny', payload, 'mqtt').then((r) => {
      if (r.outcome !== 'applied') throw new Error(`swap not applied: ${JSON.stringify(r)}`);
      ms = sync.lastJob!.inForceAt - t;
      done = true;
    });
    const phase = await drive(200, () => done);
    await sync.idle();
    const j = sync.lastJob!;
    swaps.push({
      label,
      phase,
      swapMs: ms,
      workerMs: j.workerMs ?? NaN,
      workerHeapMB: (j.workerHeapBytes ?? NaN) / 1e6,
      via: j.via,
    });
    if (validator.denyList.size !== o.entries) throw new Error(`deny list has ${validator.denyList.size} entries`);
    await new Promise((r) => setTimeout(r, 300));
  }
  const after = mem();
  const listBytes = (validator.denyList as unknown as { bytes: number }).bytes;
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  await sync.stop();
  rmSync(dir, { recursive: true, force: true });

  const mainDeltaMB = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 1e6;
  const lat: Table = {
    title: `Decisions while a ${o.entries.toLocaleString('en-US')}-entry signed deny list (${(docBytes / 1e6).toFixed(1)} MB) is swapped in (µs)`,
    columns: ['phase / measure', 'n', 'p50', 'p99', 'p99.9', 'max'],
    rows: [
      ['idle: decide()', idle.decide.n, idle.decide.p50Us, idle.decide.p99Us, idle.decide.p999Us, idle.decide.maxUs],
      [
        'idle: arrival → decision',
        idle.arrival.n,
        idle.arrival.p50Us,
        idle.arrival.p99Us,
        idle.arrival.p999Us,
        idle.arrival.maxUs,
      ],
      [
        'idle: event-loop turn gap',
        idle.loopGap.n,
        idle.loopGap.p50Us,
        idle.loopGap.p99Us,
        idle.loopGap.p999Us,
        idle.loopGap.maxUs,
      ],
      ...swaps.flatMap((s) => [
        [
          `swap (${s.label}): decide()`,
          s.phase.decide.n,
          s.phase.decide.p50Us,
          s.phase.decide.p99Us,
          s.phase.decide.p999Us,
          s.phase.decide.maxUs,
        ],
        [
          `swap (${s.label}): arrival → decision`,
          s.phase.arrival.n,
          s.phase.arrival.p50Us,
          s.phase.arrival.p99Us,
          s.phase.arrival.p999Us,
          s.phase.arrival.maxUs,
        ],
        [
          `swap (${s.label}): event-loop turn gap`,
          s.phase.loopGap.n,
          s.phase.loopGap.p50Us,
          s.phase.loopGap.p99Us,
          s.phase.loopGap.p999Us,
          s.phase.loopGap.maxUs,
        ],
      ]),
    ],
  };
  const swapT: Table = {
    title: 'Swap',
    columns: ['swap', 'via', 'receive → in force (ms)', 'in worker (ms)', 'worker heap (MB)'],
    rows: swaps.map((s) => [s.label, s.via, s.swapMs, s.workerMs, s.workerHeapMB]),
  };
  const memT: Table = {
    title: 'Memory (MB)',
    columns: ['what', 'MB'],
    rows: [
      ['compact list (12 bytes/entry)', listBytes / 1e6],
      ['main thread heap + ArrayBuffers, after − before the swaps', mainDeltaMB],
      ['process peak RSS (incl. the worker while parsing)', peakRssMB],
    ],
  };
  const warm = swaps[1]!;
  const targets = [
    target(
      'decide() p99.9 during swap',
      'decide() p99.9 during the warm swap / idle decide() p99.9',
      warm.phase.decide.p999Us / idle.decide.p999Us,
      2,
    ),
    target(
      'arrival p99.9 during swap',
      'arrival→decision p99.9 during the warm swap / idle (event loop not blocked)',
      warm.phase.arrival.p999Us / Math.max(idle.arrival.p999Us, 1000),
      2,
    ),
    target(
      'main-thread memory',
      `compact list + main-thread growth / ${MEMORY_BUDGET_MB} MB budget`,
      Math.max(listBytes / 1e6, mainDeltaMB) / MEMORY_BUDGET_MB,
      1,
    ),
  ];
  return {
    name: 'denyListSwap',
    title: 'Deny list swap: 10⁶ signed entries verified in a worker and swapped in, decisions meanwhile',
    tables: [lat, swapT, memT],
    targets,
    notes: [
      `decisions due every ${o.intervalMs} ms (setImmediate polling); every decision is a cached-credential accept whose sub is not listed.`,
      'arrival p99.9 is divided by max(idle p99.9, 1 ms): below 1 ms the polling loop itself is the noise.',
      'the document is handed to ListSync.receive as MQTT would (a Buffer); MQTT framing of the 1M document on the main thread is not measured.',
      `memory: main-thread growth measured ${(globalThis as { gc?: unknown }).gc ? 'after forced GC' : 'without --expose-gc (approximate)'}; the worker ends after a job that left its heap over 64 MB (a 10⁶-entry document does), returning it.`,
      `bench took ${((Date.now() - started) / 1000).toFixed(1)} s.`,
    ],
    data: { options: o, docBytes, idle, swaps, memory: { listBytes, mainDeltaMB, peakRssMB, before, after } },
  };
}
