/**
 * Signed lists under a flood, through a real Mosquitto on loopback, while the gate decides.
 *
 * The gate side is this process: a RideCodeValidator deciding one frame per tick of a ticker
 * process (every `intervalMs`, over a pipe: a frame arrives as an I/O event, as a scanner's does,
 * so a blocked event loop shows as lateness) and a ListSync on the real MQTT link (in its worker
 * thread, `mqtt.worker`, the default) subscribed to `P/deny`. The publisher is another
 * process (node + mqtt.js), so its work is not on the gate's event loop. Phases, each in
 * `rounds` rounds whose decisions are pooled, every round after `idleMs` of idle decisions:
 *  - idle: no list traffic (the baseline, pooled from those stretches);
 *  - flood: `garbage` malformed and `oversized` over-the-limit messages on `P/deny`, then a real
 *    deny delta that adds a stolen account: the time from its publish to the account being denied
 *    (the slowest round counts);
 *  - big: a signed deny snapshot of about `bigMB` MB (verified and built in the list worker).
 * No process starts inside a phase: the ticker runs throughout (stopped between phases) and each
 * publisher is started, connected and loaded before its round, which begins with its publishing.
 * Targets: the delta in force ≤ 1 s after its publish; arrival → decision p99 in the flood and in
 * the big phase ≤ 2× idle (idle floored at 1 ms: below it the pipe and the scheduler are the noise).
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { ListsSchema, MqttSchema } from '../../src/config/schema.ts';
import { ListSync } from '../../src/fleet/listSync.ts';
import { rootKeysFromJson } from '../../src/lists/signedList.ts';
import { trustListFromJson } from '../../src/lists/trustFile.ts';
import { generateKeyPair, publicJwk } from '../../src/mint/keys.ts';
import { issueCredential, makeRideCode } from '../../src/mint/mint.ts';
import { ThreadedMqttLink } from '../../src/mqtt/threadedMqttLink.ts';
import { packageRoot } from '../../src/platform/packageRoot.ts';
import { lowerV8HelperThreads } from '../../src/platform/threadPriority.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { ALG_EDDSA } from '../../src/token/cose.ts';
import { RideCodeValidator } from '../../src/token/validator.ts';
import { denyDelta, denySnapshot, makeRoot, randomIds } from '../lists/support.ts';
import { startMosquitto } from '../support/mosquitto.ts';
import { benchTempDir, removeTempDir } from './benchSupport.ts';
import {
  collectGarbage,
  progress,
  Samples,
  summarize,
  target,
  type BenchReport,
  type Summary,
  type Table,
} from './stats.ts';

export interface ListFloodOptions {
  garbage?: number;
  oversized?: number;
  /** lists.maxBytes.deny of the gate in the flood (the oversized messages are one byte over it). */
  maxDenyBytes?: number;
  bigMB?: number;
  /** Idle decisions (no list traffic) before each round of each phase, pooled: the baseline. */
  idleMs?: number;
  intervalMs?: number;
  riders?: number;
  /**
   * Rounds of each phase (a flood and its delta; a big snapshot), their decisions pooled: one
   * round of the flood gives ~250 decisions, whose p99 is the third slowest one.
   */
  rounds?: number;
  quiet?: boolean;
}

const DEFAULTS: Required<ListFloodOptions> = {
  garbage: 900,
  oversized: 100,
  maxDenyBytes: 1024 * 1024,
  bigMB: 20,
  idleMs: 1000,
  intervalMs: 5,
  riders: 1000,
  rounds: 3,
  quiet: false,
};

const DEFAULT_MAX_DENY_BYTES: number = ListsSchema.shape.maxBytes.parse({}).deny;

const PUBLISHER = `
import mqtt from 'mqtt';
import { readFileSync } from 'node:fs';
const [url, mode, file, garbage, oversized, maxBytes] = process.argv.slice(1);
const c = await mqtt.connectAsync(url, { clientId: 'bench-publisher-' + mode, reconnectPeriod: 0 });
const now = () => performance.timeOrigin + performance.now();
const big = Buffer.alloc(Number(maxBytes) + 1, 0x7b);
const doc = readFileSync(file);
// Connected and loaded: the phase starts with the line on stdin.
process.stdout.write('ready\\n');
await new Promise((r) => process.stdin.once('data', r));
process.stdin.destroy();
const sends = [];
if (mode === 'flood') {
  const n = Number(garbage) + Number(oversized), every = Math.max(1, Math.floor(n / Math.max(1, Number(oversized))));
  let o = 0;
  for (let i = 0; i < n; i++) {
    const over = o < Number(oversized) && i % every === 0;
    if (over) o++;
    sends.push(c.publishAsync('faregate/v1/deny', over ? big : '{"protected":"garbage-' + i + '"', { qos: 1 }));
  }
}
const t = now();
sends.push(c.publishAsync('faregate/v1/deny', doc, { qos: 1 }));
process.stdout.write('published ' + t + '\\n');
await Promise.all(sends);
await c.endAsync();
`;

const TICKER = `
const every = Number(process.argv[1]);
const b = Buffer.alloc(8);
setInterval(() => { b.writeBigUInt64LE(process.hrtime.bigint()); process.stdout.write(Buffer.from(b)); }, every);
`;

/**
 * The broker and the publisher stand for other machines: on this one they must not take the
 * gate's cores. They run under SCHED_IDLE (`chrt --idle`, every thread), which any ordinary
 * thread preempts at once when it wakes (nice 19 still lets them finish a time slice first), or at
 * nice 19 where chrt is missing or not allowed.
 */
function idle(pid: number): void {
  try {
    setPriority(pid, 19);
  } catch {
    // not allowed: it runs at the normal priority
  }
  spawnSync('chrt', ['--all-tasks', '--idle', '--pid', '0', String(pid)], { stdio: 'ignore' });
}

/** A publisher process, connected and loaded; `go()` starts its publishing. */
async function publisher(url: string, mode: 'flood' | 'big', file: string, o: Required<ListFloodOptions>) {
  const args = ['--input-type=module', '-e', PUBLISHER, url, mode, file];
  const child = spawn(process.execPath, [...args, String(o.garbage), String(o.oversized), String(o.maxDenyBytes)], {
    cwd: packageRoot(),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  if (child.pid !== undefined) idle(child.pid);
  let out = '';
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    if (out.includes('ready\n')) ready();
  });
  const done = new Promise<void>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`publisher ${mode} exited ${code}`)))),
  );
  await Promise.race([isReady, done]);
  return {
    go: () => child.stdin.end('go\n'),
    done,
    publishedAt: () => Number(/published ([\d.]+)/.exec(out)?.[1] ?? NaN),
  };
}

interface Phase {
  decide: Summary;
  arrival: Summary;
  ms: number;
}

export async function listFloodBench(opts: ListFloodOptions = {}): Promise<BenchReport> {
  const o = { ...DEFAULTS, ...opts };
  const started = Date.now();
  // As `faregate run` does at start.
  const helpers = lowerV8HelperThreads();
  const T0 = 1_750_000_000;
  const issuer = generateKeyPair(ALG_EDDSA);
  const validator = new RideCodeValidator({
    trust: trustListFromJson({ keys: [publicJwk(issuer)] }),
    params: { mode: 'bus' },
  });
  progress(o.quiet, `listFlood: making ${o.riders} riders ...`);
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
  let k = 0;
  const code = (n: number): string => {
    const r = riders[n % riders.length]!;
    const ts = Math.floor(T0 + n * 0.01);
    return makeRideCode({
      credential: r.credential,
      riderAlg: r.key.alg,
      riderKey: r.key.privateKey,
      ts,
      seq: ++r.seq,
    });
  };
  const codes: string[] = [];
  const more = (n: number) => {
    while (codes.length < n) codes.push(code(codes.length));
  };

  const dir = await benchTempDir('listflood');
  const broker = await startMosquitto();
  // The broker, like the publisher, stands for another machine (it still has the whole spare
  // core when the gate is idle).
  if (broker.pid !== undefined) idle(broker.pid);
  const root = makeRoot('bench-root');
  // Round r of the flood ends with the delta r + 2 (on r + 1) that denies stolen[r]; round r of
  // the big phase is the snapshot r + 2 + rounds.
  const stolen = Array.from({ length: o.rounds }, (_, r) => 'ffee' + r.toString(16).padStart(12, '0'));
  progress(o.quiet, `listFlood: signing the documents (${o.rounds} snapshots of ${o.bigMB} MB) ...`);
  const held = denySnapshot(root, 1, { sub: randomIds(10_000) }, T0);
  const floodFile = (r: number) => join(dir, `flood-${r}.json`);
  const bigFile = (r: number) => join(dir, `big-${r}.json`);
  for (let r = 0; r < o.rounds; r++)
    writeFileSync(floodFile(r), denyDelta(root, r + 2, r + 1, { sub: [stolen[r]!] }, {}, T0));
  const bigEntries = Math.floor((o.bigMB * 1e6) / 27);
  const bigSubs = Math.floor(bigEntries * 0.6);
  const bigIds = { sub: randomIds(bigSubs), cti: randomIds(bigEntries - bigSubs) };
  let bigBytes = 0;
  for (let r = 0; r < o.rounds; r++) {
    const big = denySnapshot(root, r + 2 + o.rounds, bigIds, T0);
    writeFileSync(bigFile(r), big);
    bigBytes = Buffer.byteLength(big);
  }

  // A gate: the MQTT link in its worker thread and a ListSync over it, with its own lists.maxBytes
  // (fixed at the start, as the setting is): a message over it is dropped in the link's thread.
  const roots = rootKeysFromJson({ keys: [root.jwk] });
  let gates = 0;
  const gate = async (maxDeny: number) => {
    const id = `bench-list-gate-${++gates}`;
    const maxBytes = { trust: 1 << 20, deny: maxDeny };
    const cfg = MqttSchema.parse({ url: broker.url, reconnectPeriodMs: 200 });
    const link = new ThreadedMqttLink(cfg, id, () => ({}), silentLogger);
    const sync = new ListSync({
      cfg: { rootKeys: '', maxAgeSeconds: { trust: 1e9, deny: 1e9 }, maxBytes, stalePolicy: 'accept_and_flag' },
      dataDir: join(dir, id),
      validator,
      roots,
      rootJwks: { keys: [root.jwk] },
      bootstrapIssuedAt: { trust: null, deny: null },
      link,
      events: { event: () => undefined },
      clock: { now: () => Date.now() },
      logger: silentLogger,
    });
    await sync.start();
    const up = new Promise<void>((r) => link.once('connected', () => r()));
    link.start();
    await up;
    const stop = async () => {
      await sync.stop();
      await link.stop();
    };
    return { sync, link, stop, deny: () => sync.status().deny };
  };

  const wall = () => performance.timeOrigin + performance.now();
  // Frames arrive as a scanner's would: an I/O event that wakes this thread. A ticker process
  // writes its monotonic clock (CLOCK_MONOTONIC, the same in every process) every `intervalMs`
  // to a pipe; each tick read here is one decision, and arrival → decision is the time from the
  // tick's write to the decision's end. (A polling loop here would keep this thread busy and
  // measure the scheduler's slices on two cores rather than what the lists cost.)
  // One ticker serves every phase: it is started once and stopped (SIGSTOP) between phases, so
  // that no phase measures a process starting. Likewise the publishers are started, connected
  // and loaded before their phase, which begins with their first publish.
  // The ride codes of a phase are made before it starts (signing 2,000 codes holds the thread
  // for about a second: inside a phase that would be measured as lateness), and a full GC runs
  // then, so that no phase pays for collecting the garbage of the set-up (a gate's own heap is a
  // few MB; this process also holds the riders, the codes and built the 20 MB document).
  let current: { decide: Samples; arrival: Samples } | undefined;
  let failed: Error | undefined;
  const ticker = spawn(process.execPath, ['-e', TICKER, String(o.intervalMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  ticker.kill('SIGSTOP');
  let rest: Buffer = Buffer.alloc(0);
  ticker.stdout.on('data', (chunk: Buffer) => {
    const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let at = 0;
    for (; at + 8 <= buf.length; at += 8) {
      const sent = buf.readBigUInt64LE(at);
      if (!current) continue;
      const a = process.hrtime.bigint();
      const d = validator.decide(codes[k]!, T0 + k * 0.01 + 1);
      const b = process.hrtime.bigint();
      if (d.decision !== 'accept') failed ??= new Error(`decision ${d.decision} ${d.reason} at ${k}`);
      k++;
      current.decide.push(Number(b - a));
      current.arrival.push(Number(b - sent));
    }
    rest = buf.subarray(at);
  });
  type Pool = { decide: Samples; arrival: Samples };
  const pool = (): Pool => ({ decide: new Samples(8192), arrival: new Samples(8192) });
  const drive = async (
    minMs: number,
    until: () => boolean,
    maxMs = 20_000,
    begin?: () => void,
    phase: Pool = pool(),
  ): Promise<Phase> => {
    more(k + Math.ceil(maxMs / o.intervalMs) + 10);
    collectGarbage();
    ticker.kill('SIGCONT');
    // Ticks written while the ticker was being stopped are not this phase's.
    await new Promise<void>((r) => setTimeout(r, 3 * o.intervalMs));
    current = phase;
    const t0 = performance.now();
    begin?.();
    try {
      for (;;) {
        await new Promise<void>((r) => setTimeout(r, 2));
        if (failed) throw failed;
        // until() on every turn: it also notes when the list came in force, not only whether.
        const done = until();
        const ms = performance.now() - t0;
        if ((ms >= minMs && done) || ms > maxMs) break;
      }
    } finally {
      current = undefined;
      ticker.kill('SIGSTOP');
    }
    return { decide: summarize(phase.decide), arrival: summarize(phase.arrival), ms: performance.now() - t0 };
  };

  try {
    // Idle: the gate connected, holding the deny snapshot, no list traffic.
    const first = await gate(o.maxDenyBytes);
    await first.sync.receive('deny', Buffer.from(held), 'mqtt');
    progress(o.quiet, 'listFlood: warm-up and idle ...');
    await drive(500, () => true, 600);
    // The idle baseline is measured in the same stretch of time as the phases it is compared
    // with (before each of their rounds), so that a host getting busier or quieter during the
    // run moves both alike.
    const idlePool = pool();
    let idleMs = 0;
    const idleRound = async () => {
      idleMs += (await drive(o.idleMs, () => true, o.idleMs + 100, undefined, idlePool)).ms;
    };

    const total = o.garbage + o.oversized;
    // The flood: garbage and oversized messages, then the delta that denies stolen[r]. A round
    // ends when the delta is in force, the publisher is done and the gate has heard everything.
    progress(
      o.quiet,
      `listFlood: ${o.rounds} floods (${o.garbage} garbage, ${o.oversized} oversized), each then a deny delta ...`,
    );
    const floodPool = pool();
    const inForce: number[] = [];
    let floodMs = 0;
    for (let r = 0; r < o.rounds; r++) {
      let inForceAt = NaN;
      const pub = await publisher(broker.url, 'flood', floodFile(r), o);
      await idleRound();
      const round = await drive(
        200,
        () => {
          if (Number.isNaN(inForceAt) && validator.denyList.denies(stolen[r]!, '')) inForceAt = wall();
          const s = first.deny();
          return !Number.isNaN(inForceAt) && s.refused + s.superseded >= total * (r + 1);
        },
        20_000,
        pub.go,
        floodPool,
      );
      await pub.done;
      floodMs += round.ms;
      inForce.push(inForceAt - pub.publishedAt());
    }
    const flood: Phase = { decide: summarize(floodPool.decide), arrival: summarize(floodPool.arrival), ms: floodMs };
    const inForceMs = Math.max(...inForce);
    const afterFlood = first.deny();
    const floodJob = first.sync.lastJob;
    await first.stop();

    progress(o.quiet, `listFlood: ${o.rounds} deny snapshots of ${(bigBytes / 1e6).toFixed(1)} MB ...`);
    const g = await gate(DEFAULT_MAX_DENY_BYTES);
    const bigPool = pool();
    const bigIn: number[] = [];
    const routes: string[] = [];
    let bigPhaseMs = 0;
    for (let r = 0; r < o.rounds; r++) {
      const pubBig = await publisher(broker.url, 'big', bigFile(r), o);
      await idleRound();
      let bigAt = NaN;
      const round = await drive(
        200,
        () => {
          if (Number.isNaN(bigAt) && g.deny().version === r + 2 + o.rounds) bigAt = wall();
          return !Number.isNaN(bigAt);
        },
        20_000,
        pubBig.go,
        bigPool,
      );
      await pubBig.done;
      bigPhaseMs += round.ms;
      bigIn.push(bigAt - pubBig.publishedAt());
      routes.push(g.sync.lastJob?.route ?? 'inline');
    }
    const idle: Phase = { decide: summarize(idlePool.decide), arrival: summarize(idlePool.arrival), ms: idleMs };
    const bigPhase: Phase = { decide: summarize(bigPool.decide), arrival: summarize(bigPool.arrival), ms: bigPhaseMs };
    const route = routes.every((x) => x === 'held') ? 'held' : routes.join(', ');
    const bigRoute = route === 'held' ? 'MQTT thread → list worker (not through main)' : `${route} (through main)`;
    await g.stop();
    const bigMs = Math.max(...bigIn);
    if (validator.denyList.size !== bigEntries) throw new Error(`deny list has ${validator.denyList.size} entries`);

    const row = (label: string, p: Phase) => [
      [
        `${label}: arrival → decision`,
        p.arrival.n,
        p.arrival.p50Us,
        p.arrival.p99Us,
        p.arrival.p999Us,
        p.arrival.maxUs,
      ],
      [`${label}: decide()`, p.decide.n, p.decide.p50Us, p.decide.p99Us, p.decide.p999Us, p.decide.maxUs],
    ];
    const lat: Table = {
      title: 'Decisions while lists flood in over Mosquitto (µs)',
      columns: ['phase / measure', 'n', 'p50', 'p99', 'p99.9', 'max'],
      rows: [...row('idle', idle), ...row('flood', flood), ...row(`${o.bigMB} MB snapshot`, bigPhase)],
    };
    const lists: Table = {
      title: 'Lists',
      columns: ['what', 'value'],
      rows: [
        [`flood: delta publish → stolen account denied (ms, slowest of ${o.rounds})`, inForceMs],
        ['flood: each round (ms)', inForce.map((x) => x.toFixed(0)).join(', ')],
        [
          `flood: refused (of which oversized, dropped in the MQTT thread), ${o.rounds} rounds`,
          `${afterFlood.refused} (${afterFlood.oversized})`,
        ],
        ['flood: superseded unread (only the newest waits)', afterFlood.superseded],
        [`${(bigBytes / 1e6).toFixed(1)} MB snapshot: publish → in force (ms, slowest of ${o.rounds})`, bigMs],
        [`${(bigBytes / 1e6).toFixed(1)} MB snapshot: its bytes went`, bigRoute],
      ],
    };
    const floor = Math.max(idle.arrival.p99Us, 1000);
    const targets = [
      target('deny behind a flood', 'delta publish → in force (ms) / 1000 ms', inForceMs / 1000, 1),
      target('decisions in the flood', 'arrival p99, flood / max(idle, 1 ms)', flood.arrival.p99Us / floor, 2),
      target('decisions, 20 MB list', 'arrival p99, big / max(idle, 1 ms)', bigPhase.arrival.p99Us / floor, 2),
    ];
    return {
      name: 'listFlood',
      title: 'Signed lists under a flood: garbage and oversized messages, then a deny delta; a 20 MB snapshot',
      tables: [lat, lists],
      targets,
      notes: [
        `through Mosquitto on loopback, the MQTT link in its worker thread; the publisher is another process; ` +
          `a frame every ${o.intervalMs} ms from a ticker process over a pipe; ${o.rounds} rounds of each phase, ` +
          `their decisions pooled (one flood gives ~250), each after ${o.idleMs} ms of idle decisions (the idle pool).`,
        `lists.maxBytes.deny: ${o.maxDenyBytes} bytes in the flood (the oversized messages are one byte over it), ` +
          `the default ${DEFAULT_MAX_DENY_BYTES} for the big snapshot.`,
        'arrival p99 is divided by max(idle p99, 1 ms): below 1 ms the pipe and the scheduler are the noise.',
        'each phase starts after a full GC (its ride codes are made before it); the publisher and the broker ' +
          'run under SCHED_IDLE (chrt --idle; nice 19 without it), as the other machines they stand for.',
        `V8 platform threads lowered (as faregate run does): ${helpers}.`,
        `bench took ${((Date.now() - started) / 1000).toFixed(1)} s.`,
      ],
      data: {
        options: o,
        bigBytes,
        inForceMs,
        inForce,
        bigMs,
        bigIn,
        bigRoute: route,
        idle,
        flood,
        big: bigPhase,
        afterFlood,
        floodJob,
      },
    };
  } finally {
    ticker.kill('SIGKILL');
    await broker.stop();
    await removeTempDir(dir);
  }
}
