/**
 * Signed lists under a flood, through a real Mosquitto on loopback, while the gate decides.
 *
 * The gate side is this process: a RideCodeValidator deciding at a fixed rate (one decision due
 * every `intervalMs`, polled with setImmediate as in denyListSwap, so a blocked event loop shows
 * as lateness) and a ListSync on a real MqttLink subscribed to `P/deny`. The publisher is another
 * process (node + mqtt.js), so its work is not on the gate's event loop. Phases:
 *  - idle: no list traffic;
 *  - flood: `garbage` malformed and `oversized` over-the-limit messages on `P/deny`, then a real
 *    deny delta that adds a stolen account: the time from its publish to the account being denied;
 *  - big: a signed deny snapshot of about `bigMB` MB (verified and built in the list worker).
 * Targets: the delta in force ≤ 1 s after its publish; arrival → decision p99 in the flood and in
 * the big phase ≤ 2× idle (idle floored at 1 ms: below it the polling loop itself is the noise).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListsSchema, MqttSchema } from '../../src/config/schema.ts';
import { ListSync } from '../../src/fleet/listSync.ts';
import { rootKeysFromJson } from '../../src/lists/signedList.ts';
import { trustListFromJson } from '../../src/lists/trustFile.ts';
import { generateKeyPair, publicJwk } from '../../src/mint/keys.ts';
import { issueCredential, makeRideCode } from '../../src/mint/mint.ts';
import { MqttLink } from '../../src/mqtt/mqttLink.ts';
import { packageRoot } from '../../src/platform/packageRoot.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { ALG_EDDSA } from '../../src/token/cose.ts';
import { RideCodeValidator } from '../../src/token/validator.ts';
import { denyDelta, denySnapshot, makeRoot, randomIds } from '../lists/support.ts';
import { startMosquitto } from '../support/mosquitto.ts';
import { benchTempDir, removeTempDir } from './benchSupport.ts';
import { progress, Samples, summarize, target, type BenchReport, type Summary, type Table } from './stats.ts';

export interface ListFloodOptions {
  garbage?: number;
  oversized?: number;
  /** lists.maxBytes.deny of the gate in the flood (the oversized messages are one byte over it). */
  maxDenyBytes?: number;
  bigMB?: number;
  idleMs?: number;
  intervalMs?: number;
  riders?: number;
  quiet?: boolean;
}

const DEFAULTS: Required<ListFloodOptions> = {
  garbage: 900,
  oversized: 100,
  maxDenyBytes: 1024 * 1024,
  bigMB: 20,
  idleMs: 3000,
  intervalMs: 5,
  riders: 1000,
  quiet: false,
};

const DEFAULT_MAX_DENY_BYTES: number = ListsSchema.shape.maxBytes.parse({}).deny;

const PUBLISHER = `
import mqtt from 'mqtt';
import { readFileSync } from 'node:fs';
const [url, mode, dir, garbage, oversized, maxBytes] = process.argv.slice(1);
const c = await mqtt.connectAsync(url, { clientId: 'bench-publisher-' + mode, reconnectPeriod: 0 });
const now = () => performance.timeOrigin + performance.now();
const sends = [];
if (mode === 'flood') {
  const big = Buffer.alloc(Number(maxBytes) + 1, 0x7b);
  const n = Number(garbage) + Number(oversized), every = Math.max(1, Math.floor(n / Math.max(1, Number(oversized))));
  let o = 0;
  for (let i = 0; i < n; i++) {
    const over = o < Number(oversized) && i % every === 0;
    if (over) o++;
    sends.push(c.publishAsync('faregate/v1/deny', over ? big : '{"protected":"garbage-' + i + '"', { qos: 1 }));
  }
}
const doc = readFileSync(dir + '/' + mode + '.json');
const t = now();
sends.push(c.publishAsync('faregate/v1/deny', doc, { qos: 1 }));
process.stdout.write('published ' + t + '\\n');
await Promise.all(sends);
await c.endAsync();
`;

function publish(url: string, mode: 'flood' | 'big', dir: string, o: Required<ListFloodOptions>) {
  const args = ['--input-type=module', '-e', PUBLISHER, url, mode, dir];
  const child = spawn(process.execPath, [...args, String(o.garbage), String(o.oversized), String(o.maxDenyBytes)], {
    cwd: packageRoot(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const done = new Promise<void>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`publisher ${mode} exited ${code}`)))),
  );
  return { done, publishedAt: () => Number(/published ([\d.]+)/.exec(out)?.[1] ?? NaN) };
}

interface Phase {
  decide: Summary;
  arrival: Summary;
  ms: number;
}

export async function listFloodBench(opts: ListFloodOptions = {}): Promise<BenchReport> {
  const o = { ...DEFAULTS, ...opts };
  const started = Date.now();
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
  more(3000);

  const dir = await benchTempDir('listflood');
  const broker = await startMosquitto();
  const root = makeRoot('bench-root');
  const stolen = 'ffee' + '00'.repeat(6);
  progress(o.quiet, `listFlood: signing the documents (a ${o.bigMB} MB snapshot) ...`);
  const held = denySnapshot(root, 1, { sub: randomIds(10_000) }, T0);
  writeFileSync(join(dir, 'flood.json'), denyDelta(root, 2, 1, { sub: [stolen] }, {}, T0));
  const bigEntries = Math.floor((o.bigMB * 1e6) / 27);
  const bigSubs = Math.floor(bigEntries * 0.6);
  const big = denySnapshot(root, 3, { sub: randomIds(bigSubs), cti: randomIds(bigEntries - bigSubs) }, T0);
  writeFileSync(join(dir, 'big.json'), big);
  const bigBytes = Buffer.byteLength(big);

  const link = new MqttLink(
    MqttSchema.parse({ url: broker.url, clientId: 'bench-list-gate', reconnectPeriodMs: 200 }),
    'bench-list-gate',
    () => ({}),
    silentLogger,
  );
  // The limits are read per message: the flood runs with maxDenyBytes, the big phase with the default.
  const maxBytes = { trust: 1 << 20, deny: o.maxDenyBytes };
  const sync = new ListSync({
    cfg: { rootKeys: '', maxAgeSeconds: { trust: 1e9, deny: 1e9 }, maxBytes, stalePolicy: 'accept_and_flag' },
    dataDir: join(dir, 'data'),
    validator,
    roots: rootKeysFromJson({ keys: [root.jwk] }),
    rootJwks: { keys: [root.jwk] },
    bootstrapIssuedAt: { trust: null, deny: null },
    link,
    events: { event: () => undefined },
    clock: { now: () => Date.now() },
    logger: silentLogger,
  });
  await sync.start();
  link.start();
  await sync.receive('deny', Buffer.from(held), 'mqtt');

  const wall = () => performance.timeOrigin + performance.now();
  const drive = async (minMs: number, until: () => boolean, maxMs = 30_000): Promise<Phase> => {
    const decide = new Samples(8192);
    const arrival = new Samples(8192);
    const t0 = performance.now();
    for (let i = 0; ;) {
      const due = t0 + i * o.intervalMs;
      const now = performance.now();
      if (now >= due) {
        if (k >= codes.length) more(k + 2000);
        const a = process.hrtime.bigint();
        const d = validator.decide(codes[k]!, T0 + k * 0.01 + 1);
        const b = process.hrtime.bigint();
        if (d.decision !== 'accept') throw new Error(`decision ${d.decision} ${d.reason} at ${k}`);
        k++;
        i++;
        decide.push(Number(b - a));
        arrival.push((performance.now() - due) * 1e6);
        continue;
      }
      if ((now - t0 >= minMs && until()) || now - t0 > maxMs) break;
      await new Promise<void>((r) => setImmediate(r));
    }
    return { decide: summarize(decide), arrival: summarize(arrival), ms: performance.now() - t0 };
  };
  const deny = () => sync.status().deny;

  try {
    progress(o.quiet, 'listFlood: warm-up and idle ...');
    await drive(500, () => true);
    const idle = await drive(o.idleMs, () => true);

    progress(o.quiet, `listFlood: flood (${o.garbage} garbage, ${o.oversized} oversized), then a deny delta ...`);
    const total = o.garbage + o.oversized;
    let inForceAt = NaN;
    const pub = publish(broker.url, 'flood', dir, o);
    const flood = await drive(200, () => {
      if (Number.isNaN(inForceAt) && validator.denyList.denies(stolen, '')) inForceAt = wall();
      const s = deny();
      return !Number.isNaN(inForceAt) && s.refused + s.superseded >= total;
    });
    await pub.done;
    const inForceMs = inForceAt - pub.publishedAt();
    const afterFlood = deny();

    progress(o.quiet, `listFlood: a ${(bigBytes / 1e6).toFixed(1)} MB deny snapshot ...`);
    maxBytes.deny = DEFAULT_MAX_DENY_BYTES;
    const pubBig = publish(broker.url, 'big', dir, o);
    let bigAt = NaN;
    const bigPhase = await drive(200, () => {
      if (Number.isNaN(bigAt) && deny().version === 3) bigAt = wall();
      return !Number.isNaN(bigAt);
    });
    await pubBig.done;
    const bigMs = bigAt - pubBig.publishedAt();
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
        ['flood: delta publish → stolen account denied (ms)', inForceMs],
        ['flood: refused (of which oversized, unparsed)', `${afterFlood.refused} (${afterFlood.oversized})`],
        ['flood: superseded unread (only the newest waits)', afterFlood.superseded],
        [`${(bigBytes / 1e6).toFixed(1)} MB snapshot: publish → in force (ms)`, bigMs],
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
        `through Mosquitto on loopback; the publisher is another process; decisions due every ${o.intervalMs} ms.`,
        `lists.maxBytes.deny: ${o.maxDenyBytes} bytes in the flood (the oversized messages are one byte over it), ` +
          `the default ${DEFAULT_MAX_DENY_BYTES} for the big snapshot.`,
        'arrival p99 is divided by max(idle p99, 1 ms): below 1 ms the polling loop itself is the noise.',
        `bench took ${((Date.now() - started) / 1000).toFixed(1)} s.`,
      ],
      data: { options: o, bigBytes, inForceMs, bigMs, idle, flood, big: bigPhase, afterFlood },
    };
  } finally {
    await sync.stop();
    await link.stop();
    await broker.stop();
    await removeTempDir(dir);
  }
}
