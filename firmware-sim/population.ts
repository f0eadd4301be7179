/**
 * Synthetic riders for the simulator: each has its own key pair (Ed25519 or P-256), a pseudonymous
 * `sub`, and a level-1 credential minted with the (test-only) issuer key through src/mint, the same
 * code the CLI uses. Keys and claims come from a seeded PRNG so `--seed` reproduces a population.
 */
import { createECDH, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { JwkSchema, keyPairFromJwk } from '../src/mint/keys.ts';
import { issueCredential, makeRideCodeBytes, rideCodeText } from '../src/mint/mint.ts';
import { DenyFileSchema } from '../src/lists/denyFile.ts';
import { ALG_EDDSA, ALG_ES256, decodeSign1, type SupportedAlg } from '../src/token/cose.ts';
import { codeIdOf } from '../src/token/rideCode.ts';
import type { Prng } from './prng.ts';
import { JttPopulation } from './jttRiders.ts';
import { PROFILES as PROFILE_LIST, type ProfileName } from '../src/domain/vocabulary.ts';

/** Profile numbers by name (src/domain/vocabulary.ts PROFILES: index = number). */
export const PROFILES = Object.fromEntries(PROFILE_LIST.map((p, i) => [p, i])) as Readonly<Record<ProfileName, number>>;
export type { ProfileName };
export const PROFILE_NAMES: readonly ProfileName[] = PROFILE_LIST;

export const MODE_BUS = 1;
export const MODE_METRO = 2;
export const MODE_BOTH = MODE_BUS | MODE_METRO;

/** An issuer signing key (level 1). */
export interface IssuerKey {
  alg: SupportedAlg;
  kid: Uint8Array;
  privateKey: KeyObject;
}

/** Sub and cti lists of a deny file (hex, lower case). */
export interface DenyIds {
  sub: string[];
  cti: string[];
}

export interface Rider {
  /** Stable label, e.g. `r007` (`d001` for denied riders, `x001` for riders of an unknown issuer). */
  id: string;
  alg: SupportedAlg;
  privateKey: KeyObject;
  publicKey: KeyObject;
  sub: Uint8Array;
  subHex: string;
  cti: Uint8Array;
  ctiHex: string;
  profile: number;
  cap?: number;
  /** Bit mask (1 bus, 2 metro); undefined means the claim is absent (all modes). */
  modes?: number;
  credential: Uint8Array;
  /** Next level-2 sequence number. */
  seq: number;
  /** Sub or cti is on the deny list. */
  denied: boolean;
  /** Credential signed by an issuer that is not in the trust list. */
  rogue: boolean;
}

export interface MintedCode {
  text: string;
  codeId: string;
}

export function loadIssuerKey(path: string): IssuerKey {
  const jwk = JwkSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  const k = keyPairFromJwk(jwk);
  if (!k.privateKey) throw new Error(`${path}: not a private key (no "d")`);
  if (k.kid.length < 1 || k.kid.length > 16) throw new Error(`${path}: kid must be 1..16 bytes`);
  return { alg: k.alg, kid: k.kid, privateKey: k.privateKey };
}

export function loadDenyIds(path: string): DenyIds {
  const d = DenyFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  return { sub: d.sub.map((s) => s.toLowerCase()), cti: d.cti.map((s) => s.toLowerCase()) };
}

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A key pair derived from PRNG bytes (reproducible with the seed). */
export function deriveKeyPair(alg: SupportedAlg, prng: Prng): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === ALG_EDDSA) {
    const privateKey = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, prng.bytes(32)]),
      format: 'der',
      type: 'pkcs8',
    });
    return { privateKey, publicKey: createPublicKey(privateKey) };
  }
  for (;;) {
    const d = prng.bytes(32);
    const ecdh = createECDH('prime256v1');
    try {
      ecdh.setPrivateKey(d);
    } catch {
      continue; // 0 or ≥ n: draw again (probability ~2^-32)
    }
    const pub = ecdh.getPublicKey();
    const b64 = (b: Buffer) => b.toString('base64url');
    const privateKey = createPrivateKey({
      key: { kty: 'EC', crv: 'P-256', d: b64(d), x: b64(pub.subarray(1, 33)), y: b64(pub.subarray(33, 65)) },
      format: 'jwk',
    });
    return { privateKey, publicKey: createPublicKey(privateKey) };
  }
}

export interface PopulationOptions {
  /** Regular riders (more are added on demand, see {@link Population.add}). */
  size: number;
  prng: Prng;
  issuer: IssuerKey;
  deny: DenyIds;
  /** Time the credentials are issued around, Unix seconds (rounded down to the day). */
  nowSec: number;
  /** Credential lifetime, seconds (default 30 days). */
  validForSec?: number;
  /** JT/T 1179 riders beside the FG1 ones (firmware-sim/jttRiders.ts); none when absent. */
  jtt?: { riders: number };
}

const DAY = 86_400;

export class Population {
  /** Regular riders: trusted issuer, not denied; mostly both modes, some single-mode. */
  readonly riders: Rider[] = [];
  /** Riders whose sub (or cti) is on the deny list; empty when the deny list is. */
  readonly deniedRiders: Rider[] = [];
  /** Riders with a credential from an issuer the validator does not trust. */
  readonly rogueRiders: Rider[] = [];
  private readonly prng: Prng;
  private readonly issuer: IssuerKey;
  private readonly deny: DenyIds;
  private readonly denySubs: Set<string>;
  private readonly iat: number;
  private readonly exp: number;
  private readonly rogueIssuer: IssuerKey;
  private readonly forgers = new Map<SupportedAlg, KeyObject>();
  /** JT/T riders, their roots and issuers (when asked for). */
  readonly jtt: JttPopulation | undefined;

  constructor(opts: PopulationOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 1) throw new Error('population size must be ≥ 1');
    this.prng = opts.prng;
    this.issuer = opts.issuer;
    this.deny = opts.deny;
    this.denySubs = new Set(opts.deny.sub);
    this.iat = Math.floor(opts.nowSec / DAY) * DAY - DAY;
    this.exp = this.iat + (opts.validForSec ?? 30 * DAY);
    const rogue = this.prng.fork('rogue-issuer');
    this.rogueIssuer = {
      alg: ALG_EDDSA,
      kid: Buffer.concat([Buffer.from('fg-rogue-'), rogue.bytes(4)]),
      privateKey: deriveKeyPair(ALG_EDDSA, rogue).privateKey,
    };
    for (let i = 0; i < opts.size; i++) this.add();
    const deniedCount = opts.deny.sub.length + opts.deny.cti.length === 0 ? 0 : Math.max(2, Math.round(opts.size / 20));
    for (let i = 0; i < deniedCount; i++) this.addDenied();
    for (let i = 0; i < 4; i++) this.addRogue();
    const jtt: ConstructorParameters<typeof JttPopulation>[0] | undefined = opts.jtt && {
      size: opts.jtt.riders,
      prng: this.prng.fork('jtt'),
      nowSec: opts.nowSec,
    };
    if (jtt && opts.validForSec !== undefined) jtt.validForSec = opts.validForSec;
    this.jtt = jtt && new JttPopulation(jtt);
  }

  /** Adds a regular rider (also used when every rider was seen too recently). */
  add(overrides: { modes?: number } = {}): Rider {
    const p = this.prng.fork(`rider/${this.riders.length}`);
    let sub = p.bytes(8);
    while (this.denySubs.has(sub.toString('hex'))) sub = p.bytes(8);
    const r = this.make(
      p,
      `r${String(this.riders.length).padStart(3, '0')}`,
      sub,
      p.bytes(8),
      this.issuer,
      this.pickModes(p, overrides.modes),
      false,
    );
    this.riders.push(r);
    return r;
  }

  private addDenied(): Rider {
    const i = this.deniedRiders.length;
    const p = this.prng.fork(`denied/${i}`);
    const { sub: subs, cti: ctis } = this.deny;
    // Alternate between a denied sub and a denied cti where the list has both.
    const bySub = subs.length > 0 && (ctis.length === 0 || i % 2 === 0);
    const sub = bySub ? Buffer.from(subs[Math.floor(i / (ctis.length ? 2 : 1)) % subs.length]!, 'hex') : p.bytes(8);
    const cti = bySub ? p.bytes(8) : Buffer.from(ctis[Math.floor(i / (subs.length ? 2 : 1)) % ctis.length]!, 'hex');
    const r = this.make(p, `d${String(i).padStart(3, '0')}`, sub, cti, this.issuer, MODE_BOTH, true);
    this.deniedRiders.push(r);
    return r;
  }

  private addRogue(): Rider {
    const i = this.rogueRiders.length;
    const p = this.prng.fork(`rogue/${i}`);
    const r = this.make(
      p,
      `x${String(i).padStart(3, '0')}`,
      p.bytes(8),
      p.bytes(8),
      this.rogueIssuer,
      undefined,
      false,
    );
    r.rogue = true;
    this.rogueRiders.push(r);
    return r;
  }

  private pickModes(p: Prng, forced: number | undefined): number | undefined {
    if (forced !== undefined) return forced;
    const x = p.next();
    if (x < 0.1) return MODE_BUS;
    if (x < 0.2) return MODE_METRO;
    if (x < 0.6) return MODE_BOTH;
    return undefined; // claim absent: all modes
  }

  private make(
    p: Prng,
    id: string,
    sub: Buffer,
    cti: Buffer,
    issuer: IssuerKey,
    modes: number | undefined,
    denied: boolean,
  ): Rider {
    const alg: SupportedAlg = p.chance(0.5) ? ALG_EDDSA : ALG_ES256;
    const { privateKey, publicKey } = deriveKeyPair(alg, p);
    const x = p.next();
    const profile =
      x < 0.55
        ? PROFILES.adult
        : x < 0.7
          ? PROFILES.child
          : x < 0.82
            ? PROFILES.student
            : x < 0.93
              ? PROFILES.senior
              : x < 0.97
                ? PROFILES.disabled
                : PROFILES.staff;
    const cap = p.chance(0.2) ? p.int(15, 60) * 10 : undefined;
    const explicitAdult = p.chance(0.5);
    const credential = issueCredential({
      issuerAlg: issuer.alg,
      issuerKey: issuer.privateKey,
      kid: issuer.kid,
      riderPublicKey: publicKey,
      iss: 'faregate-sim',
      sub,
      cti,
      iat: this.iat,
      exp: this.exp,
      ...(p.chance(0.3) ? { nbf: this.iat } : {}),
      ...(profile !== PROFILES.adult || explicitAdult ? { profile } : {}),
      ...(cap !== undefined ? { cap } : {}),
      ...(modes !== undefined ? { modes } : {}),
      tagged: p.chance(0.8),
    });
    const r: Rider = {
      id,
      alg,
      privateKey,
      publicKey,
      sub,
      subHex: sub.toString('hex'),
      cti,
      ctiHex: cti.toString('hex'),
      profile,
      modes,
      credential,
      seq: p.int(1, 5000),
      denied,
      rogue: false,
    };
    if (cap !== undefined) r.cap = cap;
    return r;
  }

  /** Another key of the same algorithm as `alg`, to forge level-2 signatures with. */
  forgerKey(alg: SupportedAlg): KeyObject {
    let k = this.forgers.get(alg);
    if (!k) {
      k = deriveKeyPair(alg, this.prng.fork(`forger/${alg}`)).privateKey;
      this.forgers.set(alg, k);
    }
    return k;
  }

  /**
   * A fresh ride code of `rider` (uses and advances its seq). `signWith` replaces the rider's key
   * (a forgery: the credential's cnf key will not verify it).
   */
  code(rider: Rider, ts: number, signWith?: KeyObject): MintedCode {
    const level2 = makeRideCodeBytes({
      credential: rider.credential,
      riderAlg: rider.alg,
      riderKey: signWith ?? rider.privateKey,
      ts,
      seq: rider.seq++,
    });
    const payload = decodeSign1(level2).payload!;
    return { text: rideCodeText(level2), codeId: codeIdOf(payload) };
  }
}

export function allowsMode(r: Pick<Rider, 'modes'>, modeBit: number): boolean {
  return r.modes === undefined || (r.modes & modeBit) !== 0;
}
