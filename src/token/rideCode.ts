/**
 * FG1 ride-code parsing (qr-token-v1 §1–3): text form → level 2 → level 1, with every
 * structural rule of check 1. Pure. Parsing never verifies signatures or looks at the clock.
 */
import { FaregateError, errorMessage } from '../errors/faregateError.ts';
import { hash } from 'node:crypto';
import { base45Decode } from './base45.ts';
import { cborDecode, type CborMap, type CborValue } from './cbor.ts';
import { HEADER_ALG, HEADER_KID, readSign1, sigStructure1 } from './cose.ts';
import { readCoseKey, hex, type CoseKeyMaterial, type RiderKey } from './coseKey.ts';

export const FG1_PREFIX = 'FG1:';
export const MAX_TEXT_LENGTH = 1024;
const SIGNATURE_LENGTH = 64;
const EMPTY = new Uint8Array(0);

/** Structural failure: the code is `malformed`. `detail` is for logs and never holds the code. */
export class MalformedError extends FaregateError {
  override readonly name = 'MalformedError';
  constructor(detail: string) {
    super('RIDE_CODE_MALFORMED', detail);
  }
}

function malformed(detail: string): never {
  throw new MalformedError(detail);
}

/** The header value of `alg`: an int or tstr as COSE allows; only -7 and -8 are supported later. */
export type AlgValue = number | bigint | string;

/** Level 1: the rider credential, parsed and with its rider key imported. */
export interface Credential {
  alg: AlgValue;
  kidHex: string;
  /** Sig_structure bytes to verify the issuer signature over. */
  toBeSigned: Uint8Array;
  signature: Uint8Array;
  iss?: string;
  subHex: string;
  ctiHex: string;
  exp: number;
  nbf?: number;
  iat?: number;
  profile: number;
  cap?: number;
  modes?: number;
  cv?: number;
  riderKey: RiderKey;
  /** The rider key's material as a cache key (CoseKeyMaterial.id). */
  riderKeyId: string;
}

/** Level 2: the ride code shown on the phone. */
export interface RideCodeBody {
  codeId: string;
  alg: AlgValue;
  toBeSigned: Uint8Array;
  signature: Uint8Array;
  /** Exact bytes of the level-1 COSE_Sign1. */
  credentialBytes: Uint8Array;
  ts: number;
  seq: number;
}

function readAlg(h: CborMap, level: string): AlgValue {
  const alg = h.get(HEADER_ALG);
  if (typeof alg === 'number' || typeof alg === 'bigint' || typeof alg === 'string') return alg;
  return malformed(`${level} protected header has no alg of type int or tstr`);
}

function uint(v: CborValue, name: string): number {
  if (typeof v === 'number' && v >= 0) return v;
  if (typeof v === 'bigint' && v >= 0n) return Number(v);
  return malformed(`${name} must be an unsigned integer`);
}

function optUint(m: CborMap, key: number, name: string): number | undefined {
  return m.has(key) ? uint(m.get(key), name) : undefined;
}

/**
 * A bit mask (`modes`): its low 32 bits, exactly. A uint past 2^53 would lose its low bits as a
 * double, and `modes` 2^64 - 1 ("every mode") would read as no bus or metro bit.
 */
function optMask(m: CborMap, key: number, name: string): number | undefined {
  if (!m.has(key)) return undefined;
  const v = m.get(key);
  if (typeof v === 'bigint' && v >= 0n) return Number(v & 0xffffffffn);
  return uint(v, name) % 2 ** 32;
}

function bstr(v: CborValue, min: number, max: number, name: string): Uint8Array {
  if (v instanceof Uint8Array && v.length >= min && v.length <= max) return v;
  return malformed(`${name} must be a byte string of ${min}..${max} bytes`);
}

function decodeMap(bytes: Uint8Array, name: string): CborMap {
  const v = cborDecode(bytes);
  if (!(v instanceof Map)) malformed(`${name} must be a CBOR map`);
  return v;
}

/** First 16 bytes of SHA-256 over the level-2 payload, lower-case hex. */
export function codeIdOf(payload: Uint8Array): string {
  return hash('sha256', payload, 'hex').slice(0, 32);
}

/** Cache key of a credential: SHA-256 of its exact bytes. */
export function credentialHash(bytes: Uint8Array): string {
  return hash('sha256', bytes, 'base64');
}

export interface Level2Result {
  body?: RideCodeBody;
  /** Set as soon as the level-2 payload is in hand, even when parsing fails later. */
  codeId?: string;
}

/**
 * Text → level-2 body. Throws MalformedError (or CborError/CoseError/Base45Error, all of which
 * mean malformed) and fills `out.codeId` when it got that far.
 */
export function parseRideCodeText(text: string, out: Level2Result): RideCodeBody {
  if (text.length > MAX_TEXT_LENGTH) malformed('text longer than 1024 characters');
  if (!text.startsWith(FG1_PREFIX)) malformed('missing FG1: prefix');
  const bytes = base45Decode(text, FG1_PREFIX.length);
  const msg = readSign1(cborDecode(bytes));
  const alg = readAlg(msg.protectedHeader, 'level-2');
  const payload = msg.payload;
  if (payload === null) return malformed('level-2 payload is detached');
  const codeId = codeIdOf(payload);
  out.codeId = codeId;
  if (msg.signature.length !== SIGNATURE_LENGTH) malformed('level-2 signature is not 64 bytes');
  const m = decodeMap(payload, 'level-2 payload');
  const cred = m.get(1);
  if (!(cred instanceof Uint8Array)) malformed('level-2 cred must be a byte string');
  const body: RideCodeBody = {
    codeId,
    alg,
    toBeSigned: sigStructure1(msg.protectedBytes, EMPTY, payload),
    signature: msg.signature,
    credentialBytes: cred,
    ts: uint(m.get(2), 'ts'),
    seq: uint(m.get(3), 'seq'),
  };
  out.body = body;
  return body;
}

/** The readable identity of a credential, available before its key is imported. */
export interface CredentialIds {
  subHex?: string;
  ctiHex?: string;
  profile?: number;
}

/**
 * Level-1 bytes → credential. `importKey` turns the cnf key material into a usable key (and may
 * cache); it throws if the key cannot be imported. Fills `ids` once the claims are read.
 */
export function parseCredential(
  bytes: Uint8Array,
  importKey: (k: CoseKeyMaterial) => RiderKey,
  ids: CredentialIds,
): Credential {
  const msg = readSign1(cborDecode(bytes));
  const h = msg.protectedHeader;
  const alg = readAlg(h, 'level-1');
  const kid = bstr(h.get(HEADER_KID), 1, 16, 'level-1 kid');
  if (msg.payload === null) malformed('level-1 payload is detached');
  if (msg.signature.length !== SIGNATURE_LENGTH) malformed('level-1 signature is not 64 bytes');
  const c = decodeMap(msg.payload, 'level-1 claims');

  const issV = c.get(1);
  if (c.has(1) && typeof issV !== 'string') malformed('iss must be a text string');
  const sub = bstr(c.get(2), 1, 32, 'sub');
  const exp = uint(c.get(4), 'exp');
  const nbf = optUint(c, 5, 'nbf');
  const iat = optUint(c, 6, 'iat');
  const cti = bstr(c.get(7), 1, 16, 'cti');
  const cnf = c.get(8);
  if (!(cnf instanceof Map)) malformed('cnf must be a map');
  const coseKey = cnf.get(1);
  if (!(coseKey instanceof Map)) malformed('cnf must hold a COSE_Key under 1');
  const profile = optUint(c, -70001, 'profile') ?? 0;
  const cap = optUint(c, -70002, 'cap');
  const modes = optMask(c, -70003, 'modes');
  const cv = optUint(c, -70004, 'cv');
  if (cv !== undefined && (cv < 1 || cv > 3600)) malformed('cv must be 1..3600');

  const subHex = hex(sub);
  const ctiHex = hex(cti);
  ids.subHex = subHex;
  ids.ctiHex = ctiHex;
  ids.profile = profile;

  let material: CoseKeyMaterial;
  try {
    material = readCoseKey(coseKey);
  } catch (e) {
    return malformed(errorMessage(e));
  }
  let riderKey: RiderKey;
  try {
    riderKey = importKey(material);
  } catch (e) {
    return malformed(errorMessage(e));
  }
  const cred: Credential = {
    alg,
    kidHex: hex(kid),
    toBeSigned: sigStructure1(msg.protectedBytes, EMPTY, msg.payload),
    signature: msg.signature,
    subHex,
    ctiHex,
    exp,
    profile,
    riderKey,
    riderKeyId: material.id,
  };
  if (typeof issV === 'string') cred.iss = issV;
  if (nbf !== undefined) cred.nbf = nbf;
  if (iat !== undefined) cred.iat = iat;
  if (cap !== undefined) cred.cap = cap;
  if (modes !== undefined) cred.modes = modes;
  if (cv !== undefined) cred.cv = cv;
  return cred;
}
