/**
 * Test fixtures for the FG1 verification core: keys, trust lists, validators with a fixed
 * clock, and level-1 / level-2 COSE_Sign1 builders that can carry any defect.
 *
 * The builders use the project's CBOR encoder and Sig_structure helper (src/token/cbor.ts,
 * src/token/cose.ts) so a defect is exactly the one asked for: everything else is signed
 * correctly. Where the project encoder cannot express a defect (indefinite lengths, duplicate
 * map keys) the bytes are written by hand with {@link head}, {@link rawMap} and friends.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { base45Encode } from '../../src/token/base45.ts';
import { CborTag, cborEncode, type CborMap, type CborValue } from '../../src/token/cbor.ts';
import {
  ALG_EDDSA,
  ALG_ES256,
  COSE_SIGN1_TAG,
  HEADER_ALG,
  HEADER_KID,
  sigStructure1,
  signData,
  type SupportedAlg,
} from '../../src/token/cose.ts';
import { coseKeyFromPublic, hex } from '../../src/token/coseKey.ts';
import { DenyList } from '../../src/token/denyList.ts';
import type { ValidationParams } from '../../src/token/params.ts';
import { TrustList, type TrustKey } from '../../src/token/trustList.ts';
import { RideCodeValidator } from '../../src/token/validator.ts';

export { ALG_EDDSA, ALG_ES256 };

/** The fixed "now" of every decision test, Unix seconds (2027-01-15). */
export const NOW = 1_800_000_000;
export const EMPTY = new Uint8Array(0);
export const SKEW = 30;
export const VALIDITY = 60;

// ---------------------------------------------------------------------------------------
// Bytes

export function bytes(hexText: string): Uint8Array {
  return new Uint8Array(Buffer.from(hexText.replace(/\s+/g, ''), 'hex'));
}

export function toHex(b: Uint8Array): string {
  return hex(b);
}

export function concat(...parts: (Uint8Array | readonly number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** A CBOR head (major type, argument) in its shortest form. */
export function head(major: number, n: number): Uint8Array {
  const m = major << 5;
  if (n < 24) return Uint8Array.of(m | n);
  if (n < 0x100) return Uint8Array.of(m | 24, n);
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff);
  return Uint8Array.of(m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/** A definite-length map written entry by entry: repeated keys stay repeated. */
export function rawMap(entries: readonly (readonly [CborValue, CborValue])[]): Uint8Array {
  return concat(head(5, entries.length), ...entries.flatMap(([k, v]) => [cborEncode(k), cborEncode(v)]));
}

/** An indefinite-length map (0xbf ... 0xff). */
export function indefiniteMap(entries: readonly (readonly [CborValue, CborValue])[]): Uint8Array {
  return concat([0xbf], ...entries.flatMap(([k, v]) => [cborEncode(k), cborEncode(v)]), [0xff]);
}

/** An indefinite-length array (0x9f ... 0xff) of already encoded items. */
export function indefiniteArray(items: readonly Uint8Array[]): Uint8Array {
  return concat([0x9f], ...items, [0xff]);
}

/** An indefinite-length byte string (0x5f chunk... 0xff). */
export function indefiniteBstr(chunks: readonly Uint8Array[]): Uint8Array {
  return concat([0x5f], ...chunks.map((c) => cborEncode(c)), [0xff]);
}

export function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest());
}

/** The spec's codeId: lower-case hex of the first 16 bytes of SHA-256 over the level-2 payload. */
export function expectedCodeId(payload: Uint8Array): string {
  return Buffer.from(sha256(payload).subarray(0, 16)).toString('hex');
}

export function flipBit(b: Uint8Array, bitIndex: number): Uint8Array {
  const out = Uint8Array.from(b);
  const i = Math.floor(bitIndex / 8);
  out[i] = (out[i] as number) ^ (1 << (bitIndex % 8));
  return out;
}

/** Order of the P-256 group. */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function toBig(b: Uint8Array): bigint {
  return BigInt('0x' + (Buffer.from(b).toString('hex') || '0'));
}

function fromBig(n: bigint, len: number): Uint8Array {
  return bytes(n.toString(16).padStart(len * 2, '0'));
}

/** An ES256 r||s signature rewritten as (r, n − s): still valid, different bytes. */
export function negateS(sig: Uint8Array): Uint8Array {
  const r = sig.subarray(0, 32);
  const s = toBig(sig.subarray(32, 64));
  return concat(r, fromBig(P256_N - s, 32));
}

// ---------------------------------------------------------------------------------------
// Keys

export interface TestKey {
  alg: SupportedAlg;
  kid: Uint8Array;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

let kidCounter = 0;

export function makeKey(alg: SupportedAlg, kid?: Uint8Array): TestKey {
  const { privateKey, publicKey } =
    alg === ALG_EDDSA ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  kidCounter++;
  return { alg, kid: kid ?? Uint8Array.of(0x4b, 0x49, 0x44, kidCounter), privateKey, publicKey };
}

/** Issuer keys (level 1) and rider keys (level 2), one of each algorithm. */
export const ISSUER_ED = makeKey(ALG_EDDSA, new TextEncoder().encode('issuer-ed'));
export const ISSUER_ES = makeKey(ALG_ES256, new TextEncoder().encode('issuer-es'));
export const RIDER_ED = makeKey(ALG_EDDSA);
export const RIDER_ES = makeKey(ALG_ES256);

export function issuerFor(alg: SupportedAlg): TestKey {
  return alg === ALG_EDDSA ? ISSUER_ED : ISSUER_ES;
}
export function riderFor(alg: SupportedAlg): TestKey {
  return alg === ALG_EDDSA ? RIDER_ED : RIDER_ES;
}

export interface KeyWindow {
  nbf?: number;
  exp?: number;
}

export function trustKey(k: TestKey, window: KeyWindow = {}, overrides: Partial<TrustKey> = {}): TrustKey {
  const tk: TrustKey = { kidHex: hex(k.kid), alg: k.alg, key: k.publicKey, ...overrides };
  if (window.nbf !== undefined) tk.nbf = window.nbf;
  if (window.exp !== undefined) tk.exp = window.exp;
  return tk;
}

export function trustList(...keys: (TestKey | TrustKey)[]): TrustList {
  return new TrustList(keys.map((k) => ('kidHex' in k ? k : trustKey(k))));
}

/** The default trust list: both issuers, no validity windows. */
export function defaultTrust(): TrustList {
  return trustList(ISSUER_ED, ISSUER_ES);
}

export interface ValidatorSetup {
  trust?: TrustList;
  deny?: DenyList;
  params?: Partial<ValidationParams>;
  /** Clock, Unix seconds (decide() is normally called with an explicit time anyway). */
  now?: number;
}

export function makeValidator(s: ValidatorSetup = {}): RideCodeValidator {
  const now = s.now ?? NOW;
  return new RideCodeValidator({
    trust: s.trust ?? defaultTrust(),
    deny: s.deny ?? DenyList.EMPTY,
    params: s.params ?? {},
    clock: { now: () => now * 1000 },
  });
}

/** A P-256 COSE_Key whose (x, y) is not a point of the curve (checked with node:crypto). */
export function offCurveCoseKey(): CborMap {
  const good = coseKeyFromPublic(RIDER_ES.publicKey);
  const x = good.get(-2) as Uint8Array;
  const y = Uint8Array.from(good.get(-3) as Uint8Array);
  for (let i = 0; i < 256; i++) {
    y[31] = ((y[31] as number) + 1) & 0xff;
    try {
      createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(x), y: b64u(y) }, format: 'jwk' });
    } catch {
      return new Map<CborValue, CborValue>([
        [1, 2],
        [-1, 1],
        [-2, x],
        [-3, Uint8Array.from(y)],
      ]);
    }
  }
  throw new Error('could not find an off-curve point');
}

function b64u(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}

// ---------------------------------------------------------------------------------------
// COSE_Sign1 assembly

export interface Sign1Parts {
  protectedBytes: Uint8Array;
  unprotected: CborMap;
  payload: Uint8Array | null;
  signature: Uint8Array;
  /** CBOR tag on the outside; null for untagged. */
  tag: number | null;
}

export function assemble(p: Sign1Parts): Uint8Array {
  const arr: CborValue = [p.protectedBytes, p.unprotected, p.payload, p.signature];
  return cborEncode(p.tag === null ? arr : new CborTag(p.tag, arr));
}

/** A value of an override table: a CBOR value, or OMIT to drop the entry. */
export const OMIT: unique symbol = Symbol('omit');
export type Override = CborValue | typeof OMIT;
export type Overrides = ReadonlyMap<number, Override> | Readonly<Record<number, Override>>;

function overrideEntries(o: Overrides | undefined): [number, Override][] {
  if (o === undefined) return [];
  if (o instanceof Map) return [...(o as ReadonlyMap<number, Override>)];
  return Object.entries(o).map(([k, v]) => [Number(k), v as Override]);
}

/** Applies overrides to an ordered map: existing keys keep their place, new ones go last. */
export function applyOverrides(base: CborMap, o: Overrides | undefined): CborMap {
  const m: CborMap = new Map(base);
  for (const [k, v] of overrideEntries(o)) {
    if (v === OMIT) m.delete(k);
    else m.set(k, v);
  }
  return m;
}

// ---------------------------------------------------------------------------------------
// Level 1: credentials

export const SUB = bytes('a1b2c3d4e5f60718');
export const SUB_HEX = 'a1b2c3d4e5f60718';
export const CTI = bytes('c0ffee0001');
export const CTI_HEX = 'c0ffee0001';

export interface CredentialSpec {
  /** Signs the credential and names the kid; default ISSUER_ED. */
  issuer?: TestKey;
  /** Public key put into cnf; default RIDER_ED. */
  rider?: TestKey;
  /** Claim overrides by label (e.g. `{4: NOW - 31}`, `{-70004: 0}`, `{5: OMIT}`). */
  claims?: Overrides;
  /** Raw claims bytes instead of the encoded map (still signed). */
  payloadBytes?: Uint8Array | null;
  /** Protected header overrides (e.g. `{1: -35}`, `{4: OMIT}`). */
  protected?: Overrides;
  /** Raw protected header bytes instead of the encoded map (still signed). */
  protectedBytes?: Uint8Array;
  unprotected?: CborMap;
  /** Sign with this algorithm / key instead of the issuer's. */
  signAlg?: SupportedAlg;
  signKey?: KeyObject;
  /** Rewrites the signature after signing. */
  signature?: (sig: Uint8Array) => Uint8Array;
  /** Outer tag; default 18; null = untagged. */
  tag?: number | null;
}

export function defaultClaims(rider: TestKey): CborMap {
  return new Map<CborValue, CborValue>([
    [1, 'Faregate Test Operator'],
    [2, SUB],
    [4, NOW + 86_400],
    [5, NOW - 86_400],
    [6, NOW - 86_400],
    [7, CTI],
    [8, new Map([[1, coseKeyFromPublic(rider.publicKey)]])],
    [-70001, 0],
  ]);
}

export function credentialParts(spec: CredentialSpec = {}): Sign1Parts {
  const issuer = spec.issuer ?? ISSUER_ED;
  const rider = spec.rider ?? RIDER_ED;
  const protectedMap = applyOverrides(
    new Map<CborValue, CborValue>([
      [HEADER_ALG, issuer.alg],
      [HEADER_KID, issuer.kid],
    ]),
    spec.protected,
  );
  const protectedBytes = spec.protectedBytes ?? cborEncode(protectedMap);
  const payload =
    spec.payloadBytes !== undefined ? spec.payloadBytes : cborEncode(applyOverrides(defaultClaims(rider), spec.claims));
  const signed = signData(
    spec.signAlg ?? issuer.alg,
    spec.signKey ?? issuer.privateKey,
    sigStructure1(protectedBytes, EMPTY, payload ?? EMPTY),
  );
  return {
    protectedBytes,
    unprotected: spec.unprotected ?? new Map(),
    payload,
    signature: spec.signature ? spec.signature(signed) : signed,
    tag: spec.tag === undefined ? COSE_SIGN1_TAG : spec.tag,
  };
}

export function credential(spec: CredentialSpec = {}): Uint8Array {
  return assemble(credentialParts(spec));
}

// ---------------------------------------------------------------------------------------
// Level 2: ride codes

export interface CodeSpec {
  /** Signs the code; default RIDER_ED. Also the cnf key of the default credential. */
  rider?: TestKey;
  /** Level-1 bytes, or a spec for them (its rider defaults to this code's rider). */
  credential?: Uint8Array | CredentialSpec;
  ts?: number;
  seq?: number;
  /** Payload overrides by label (1 cred, 2 ts, 3 seq). */
  payload?: Overrides;
  /** Raw payload bytes instead of the encoded map (still signed). */
  payloadBytes?: Uint8Array | null;
  protected?: Overrides;
  protectedBytes?: Uint8Array;
  unprotected?: CborMap;
  signAlg?: SupportedAlg;
  signKey?: KeyObject;
  signature?: (sig: Uint8Array) => Uint8Array;
  tag?: number | null;
}

export interface BuiltCode {
  /** `FG1:` + base45 of the level-2 bytes. */
  text: string;
  /** The level-2 COSE_Sign1 bytes. */
  bytes: Uint8Array;
  parts: Sign1Parts;
  /** The level-1 bytes inside. */
  credential: Uint8Array;
  /** codeId computed here from the spec (null if there is no payload). */
  codeId: string | null;
}

export function codeParts(spec: CodeSpec = {}): { parts: Sign1Parts; credential: Uint8Array } {
  const rider = spec.rider ?? RIDER_ED;
  const cred =
    spec.credential instanceof Uint8Array ? spec.credential : credential({ rider, ...(spec.credential ?? {}) });
  const protectedMap = applyOverrides(new Map<CborValue, CborValue>([[HEADER_ALG, rider.alg]]), spec.protected);
  const protectedBytes = spec.protectedBytes ?? cborEncode(protectedMap);
  const payloadMap = applyOverrides(
    new Map<CborValue, CborValue>([
      [1, cred],
      [2, spec.ts ?? NOW],
      [3, spec.seq ?? 1],
    ]),
    spec.payload,
  );
  const payload = spec.payloadBytes !== undefined ? spec.payloadBytes : cborEncode(payloadMap);
  const signed = signData(
    spec.signAlg ?? rider.alg,
    spec.signKey ?? rider.privateKey,
    sigStructure1(protectedBytes, EMPTY, payload ?? EMPTY),
  );
  return {
    parts: {
      protectedBytes,
      unprotected: spec.unprotected ?? new Map(),
      payload,
      signature: spec.signature ? spec.signature(signed) : signed,
      tag: spec.tag === undefined ? COSE_SIGN1_TAG : spec.tag,
    },
    credential: cred,
  };
}

export function fg1Text(level2: Uint8Array): string {
  return 'FG1:' + base45Encode(level2);
}

export function fromParts(parts: Sign1Parts, cred: Uint8Array = EMPTY): BuiltCode {
  const b = assemble(parts);
  return {
    text: fg1Text(b),
    bytes: b,
    parts,
    credential: cred,
    codeId: parts.payload === null ? null : expectedCodeId(parts.payload),
  };
}

export function rideCode(spec: CodeSpec = {}): BuiltCode {
  const { parts, credential: cred } = codeParts(spec);
  return fromParts(parts, cred);
}

/** A code whose level-2 bytes are exactly `levelTwoBytes` long, padded in the unprotected header. */
export function rideCodeOfLength(spec: CodeSpec, levelTwoBytes: number): BuiltCode {
  const { parts, credential: cred } = codeParts(spec);
  for (let n = 0; n < 4096; n++) {
    const padded: Sign1Parts = { ...parts, unprotected: new Map([[99, new Uint8Array(n)]]) };
    const b = assemble(padded);
    if (b.length === levelTwoBytes) return fromParts(padded, cred);
    if (b.length > levelTwoBytes) break;
  }
  throw new Error(`cannot pad a code to ${levelTwoBytes} bytes`);
}
