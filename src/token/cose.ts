/**
 * COSE_Sign1 (RFC 9052 §4.2, §4.4) with EdDSA (-8, Ed25519) and ES256 (-7, P-256, r||s).
 * Pure: uses only node:crypto for the signature primitive.
 */
import { FaregateError } from '../errors/faregateError.ts';
import { verify as cryptoVerify, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { scratch } from './scratch.ts';
import { CborError, CborTag, cborDecode, cborEncode, type CborMap, type CborValue } from './cbor.ts';

export const ALG_EDDSA = -8;
export const ALG_ES256 = -7;
export type SupportedAlg = typeof ALG_EDDSA | typeof ALG_ES256;
export const COSE_SIGN1_TAG = 18;
export const HEADER_ALG = 1;
export const HEADER_KID = 4;

/** The CBOR is not a COSE_Sign1 of the expected shape. */
export class CoseError extends FaregateError {
  override readonly name = 'CoseError';
  constructor(message: string) {
    super('RIDE_CODE_MALFORMED', message);
  }
}

export interface Sign1 {
  /** The protected header exactly as carried (the bstr content). */
  protectedBytes: Uint8Array;
  protectedHeader: CborMap;
  unprotectedHeader: CborMap;
  /** Null for a detached payload. */
  payload: Uint8Array | null;
  signature: Uint8Array;
  tagged: boolean;
}

const EMPTY = new Uint8Array(0);

/** Reads a COSE_Sign1 from a decoded CBOR value; tag 18 optional, any other tag refused. */
export function readSign1(value: CborValue): Sign1 {
  let v = value;
  let tagged = false;
  if (v instanceof CborTag) {
    if (v.tag !== COSE_SIGN1_TAG) throw new CoseError(`unexpected CBOR tag ${v.tag}`);
    v = v.value;
    tagged = true;
  }
  if (!Array.isArray(v) || v.length !== 4) throw new CoseError('COSE_Sign1 must be an array of 4 items');
  const [p, u, payload, signature] = v as [CborValue, CborValue, CborValue, CborValue];
  if (!(p instanceof Uint8Array)) throw new CoseError('protected header must be a byte string');
  if (!(u instanceof Map)) throw new CoseError('unprotected header must be a map');
  if (!(payload instanceof Uint8Array) && payload !== null) throw new CoseError('payload must be a byte string or nil');
  if (!(signature instanceof Uint8Array)) throw new CoseError('signature must be a byte string');
  let protectedHeader: CborMap;
  if (p.length === 0) protectedHeader = new Map();
  else {
    const h = cborDecode(p);
    if (!(h instanceof Map)) throw new CoseError('protected header must hold a map');
    protectedHeader = h;
  }
  return { protectedBytes: p, protectedHeader, unprotectedHeader: u, payload, signature, tagged };
}

export function decodeSign1(bytes: Uint8Array): Sign1 {
  return readSign1(cborDecode(bytes));
}

function headLen(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

function writeBstrHead(out: Uint8Array, o: number, n: number): number {
  if (n < 24) out[o++] = 0x40 | n;
  else if (n < 0x100) {
    out[o++] = 0x58;
    out[o++] = n;
  } else if (n < 0x10000) {
    out[o++] = 0x59;
    out[o++] = n >> 8;
    out[o++] = n & 0xff;
  } else {
    out[o++] = 0x5a;
    out[o++] = (n >>> 24) & 0xff;
    out[o++] = (n >> 16) & 0xff;
    out[o++] = (n >> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  return o;
}

// 0x84 (array of 4), 0x6a "Signature1"
const SIG1_PREFIX = Uint8Array.from([0x84, 0x6a, ...new TextEncoder().encode('Signature1')]);

/** Sig_structure for COSE_Sign1: ["Signature1", protected, external_aad, payload], encoded, in scratch memory (see scratch.ts). */
export function sigStructure1(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  const size =
    SIG1_PREFIX.length +
    headLen(protectedBytes.length) +
    protectedBytes.length +
    headLen(externalAad.length) +
    externalAad.length +
    headLen(payload.length) +
    payload.length;
  const out = scratch(size);
  out.set(SIG1_PREFIX, 0);
  let o = SIG1_PREFIX.length;
  o = writeBstrHead(out, o, protectedBytes.length);
  out.set(protectedBytes, o);
  o += protectedBytes.length;
  o = writeBstrHead(out, o, externalAad.length);
  out.set(externalAad, o);
  o += externalAad.length;
  o = writeBstrHead(out, o, payload.length);
  out.set(payload, o);
  return out;
}

const ES256_OPTIONS = { dsaEncoding: 'ieee-p1363' } as const;
type Es256Key = { key: KeyObject; dsaEncoding: 'ieee-p1363' };
/** One options object per ES256 key, so the hot path allocates none per verification. */
const es256Keys = new WeakMap<KeyObject, Es256Key>();

function es256Key(key: KeyObject): Es256Key {
  let k = es256Keys.get(key);
  if (!k) {
    k = { key, ...ES256_OPTIONS };
    es256Keys.set(key, k);
  }
  return k;
}

/** Verifies a raw signature; never throws (a primitive error is a failed verification). */
export function verifySignature(alg: SupportedAlg, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (alg === ALG_EDDSA) return cryptoVerify(null, data, key, signature);
    return cryptoVerify('sha256', data, es256Key(key), signature);
  } catch {
    return false;
  }
}

export function signData(alg: SupportedAlg, key: KeyObject, data: Uint8Array): Uint8Array {
  if (alg === ALG_EDDSA) return cryptoSign(null, data, key);
  return cryptoSign('sha256', data, { key, ...ES256_OPTIONS });
}

/** Verifies a Sign1 whose algorithm is given by the caller (the caller decides which header it trusts). */
export function verifySign1(msg: Sign1, alg: SupportedAlg, key: KeyObject, externalAad: Uint8Array = EMPTY): boolean {
  if (msg.payload === null) return false;
  return verifySignature(
    alg,
    key,
    sigStructure1(msg.protectedHeader.size === 0 ? EMPTY : msg.protectedBytes, externalAad, msg.payload),
    msg.signature,
  );
}

export interface SignOptions {
  alg: SupportedAlg;
  key: KeyObject;
  protectedHeader: CborMap;
  unprotectedHeader?: CborMap;
  payload: Uint8Array;
  tagged?: boolean;
  externalAad?: Uint8Array;
}

/** Produces an encoded COSE_Sign1. */
export function signSign1(o: SignOptions): Uint8Array {
  const protectedBytes = o.protectedHeader.size === 0 ? EMPTY : cborEncode(o.protectedHeader);
  const signature = signData(o.alg, o.key, sigStructure1(protectedBytes, o.externalAad ?? EMPTY, o.payload));
  const arr: CborValue = [protectedBytes, o.unprotectedHeader ?? new Map(), o.payload, signature];
  return cborEncode(o.tagged === false ? arr : new CborTag(COSE_SIGN1_TAG, arr));
}

export { CborError };
