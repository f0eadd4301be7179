/**
 * JT/T 1179 decision time (issue 14): `JttFormat.evaluate` of a hex code against bare SM2
 * verifies of the same library (sm-crypto-v2) in the same run, interleaved round by round so a
 * busy machine slows both alike.
 *
 * - bare verify (the basis of the targets): `sm2.doVerifySignature(message, r ‖ s, point,
 *   { hash: true })`, the library's own verify with its SM3 and Z_A over the same 284-byte message,
 *   the rider key given decoded (as the format holds it). Reported beside it: the same call with
 *   the key as hex, and the curve work alone (e given, `hash: false`).
 * - known rider: the rider's certificate + authorisation are cached; one SM2 verify (the phone's
 *   signature) plus parsing, two SHA-256 and one SM3. Target: p50 ≤ 1.25 × bare verify.
 * - new rider: a certificate + authorisation never seen (known root and issuer): three verifies
 *   (root, issuer, phone) and the rider key's decompression. Target: p50 ≤ 1.25 × 3 bare verifies.
 * Codes are minted by the tests' independent minter (test/jtt/contractMinter.ts) before timing.
 */
import { sm2 } from 'sm-crypto-v2';
import { JttFormat } from '../../src/token/jtt/jttFormat.ts';
import { jttRootsFromJson } from '../../src/token/jtt/roots.ts';
import { compressedKey, digestE } from '../../src/token/jtt/sm2.ts';
import { labelKey, mint, type Signers } from '../jtt/contractMinter.ts';
import { hrnow, maybeGc, progress, Samples, summarize, target, type BenchReport } from './stats.ts';

export interface JttVerifyBenchOptions {
  rounds?: number;
  knownPerRound?: number;
  newPerRound?: number;
  quiet?: boolean;
}

const DEFAULTS: Required<JttVerifyBenchOptions> = {
  rounds: 5,
  knownPerRound: 200,
  newPerRound: 40,
  quiet: false,
};

const NOW = 1767225610;

export function jttVerifyBench(opts: JttVerifyBenchOptions = {}): Promise<BenchReport> {
  const o: Required<JttVerifyBenchOptions> = { ...DEFAULTS, ...opts };
  const root = labelKey('bench jtt root');
  const issuer = labelKey('bench jtt issuer');
  const rider = labelKey('bench jtt rider');
  const keys: Signers = { root, issuer, user: rider };
  progress(
    o.quiet,
    `jttVerify: minting ${o.knownPerRound} known-rider codes and ${o.rounds * o.newPerRound} new riders ...`,
  );
  const known = Array.from({ length: o.knownPerRound }, (_, i) =>
    mint({ ts: NOW - 30 + (i % 50) }, keys).toString('hex'),
  );
  const fresh = Array.from({ length: o.rounds * o.newPerRound }, (_, i) => {
    const user = labelKey(`bench jtt new rider ${i}`);
    const account = Buffer.alloc(10);
    account.writeUInt32BE(i, 6);
    return mint({ ts: NOW - 10, user: account }, { ...keys, user }).toString('hex');
  });
  const f = new JttFormat({
    roots: jttRootsFromJson({ roots: [{ index: 23, key: root.compressed.toString('hex') }] }),
  });
  // Warm-up: the issuer key's table, the known rider's cache entry, the JIT.
  for (const c of known.slice(0, 20))
    if (f.evaluate(c, NOW).decision !== 'accept') throw new Error('a known-rider code was not accepted');

  // The bare verify: the known rider's last code's user signature, its e precomputed, its key decoded.
  const sample = Buffer.from(known[0]!, 'hex');
  const L = sample[197]!;
  const userKey = compressedKey(sample.subarray(158, 191))!;
  const e = digestE(userKey.za, sample.subarray(0, 267 + L));
  const sigHex = sample.subarray(268 + L).toString('hex');
  const keyHex = '04' + userKey.x.toString(16).padStart(64, '0') + userKey.y.toString(16).padStart(64, '0');
  const msg = sample.subarray(0, 267 + L);
  if (!sm2.doVerifySignature(e, sigHex, userKey.point, { hash: false })) throw new Error('bare verify failed');
  if (!sm2.doVerifySignature(msg, sigHex, keyHex, { hash: true })) throw new Error('library verify failed');

  if (!sm2.doVerifySignature(msg, sigHex, userKey.point, { hash: true })) throw new Error('bare verify failed');
  const bare = new Samples();
  const library = new Samples();
  const curve = new Samples();
  const knownS = new Samples();
  const newS = new Samples();
  let sink = 0;
  // Call by call, in turn, so that a machine busy with something else slows every kind alike.
  const every = Math.max(1, Math.floor(o.knownPerRound / o.newPerRound));
  for (let r = 0; r < o.rounds; r++) {
    maybeGc();
    let fresher = 0;
    for (let i = 0; i < o.knownPerRound; i++) {
      let t0 = hrnow();
      if (sm2.doVerifySignature(msg, sigHex, userKey.point, { hash: true })) sink++;
      bare.pushSpan(t0, hrnow());
      t0 = hrnow();
      const d = f.evaluate(known[i]!, NOW);
      knownS.pushSpan(t0, hrnow());
      if (d.decision !== 'accept' || !d.credentialCached) throw new Error(`known rider: ${d.reason ?? 'not cached'}`);
      if (i % every === 0 && fresher < o.newPerRound) {
        const c = fresh[r * o.newPerRound + fresher++]!;
        t0 = hrnow();
        const n = f.evaluate(c, NOW);
        newS.pushSpan(t0, hrnow());
        if (n.decision !== 'accept' || n.credentialCached) throw new Error(`new rider: ${n.reason ?? 'cached'}`);
        t0 = hrnow();
        if (sm2.doVerifySignature(msg, sigHex, keyHex, { hash: true })) sink++;
        library.pushSpan(t0, hrnow());
        t0 = hrnow();
        if (sm2.doVerifySignature(e, sigHex, userKey.point, { hash: false })) sink++;
        curve.pushSpan(t0, hrnow());
      }
    }
    progress(o.quiet, `jttVerify: round ${r + 1}/${o.rounds}`);
  }
  if (sink === 0) throw new Error('no verify passed');
  const b = summarize(bare);
  const lib = summarize(library);
  const cw = summarize(curve);
  const k = summarize(knownS);
  const n = summarize(newS);
  const knownRatio = k.p50Us / b.p50Us;
  const newRatio = n.p50Us / (3 * b.p50Us);
  const row = (name: string, s: ReturnType<typeof summarize>): (string | number)[] => [
    name,
    s.n,
    s.p50Us / 1000,
    s.p90Us / 1000,
    s.p99Us / 1000,
    s.maxUs / 1000,
  ];
  return Promise.resolve({
    name: 'jttVerify',
    title: 'JT/T 1179 decision time (SM2 via sm-crypto-v2, SM3 via node:crypto)',
    tables: [
      {
        title: 'per call, ms',
        columns: ['what', 'n', 'p50', 'p90', 'p99', 'max'],
        rows: [
          row('bare SM2 verify (library, decoded key)', b),
          row('  the same, key as hex', lib),
          row('  curve work only (e given)', cw),
          row('known rider: JttFormat.evaluate', k),
          row('new rider: JttFormat.evaluate', n),
        ],
      },
    ],
    targets: [
      target('known rider p50', 'known-rider decision p50 / bare verify p50', knownRatio, 1.25),
      target('new rider p50', 'new-rider decision p50 / (3 × bare verify p50)', newRatio, 1.25),
    ],
    notes: [
      `absolute: known rider ${(k.p50Us / 1000).toFixed(2)} ms p50, new rider ${(n.p50Us / 1000).toFixed(2)} ms p50 ` +
        `(${process.arch}, one core, interleaved with the bare verifies)`,
      'root keys get a window-4 table at their first use (made before the timed decisions here), issuer keys (after their root signature) window 4, rider keys none',
    ],
    data: {
      bareP50Ms: b.p50Us / 1000,
      hexKeyVerifyP50Ms: lib.p50Us / 1000,
      curveOnlyP50Ms: cw.p50Us / 1000,
      knownP50Ms: k.p50Us / 1000,
      newP50Ms: n.p50Us / 1000,
      knownRatio,
      newRatio,
    },
  });
}
