/**
 * SM2 signature verification (GB/T 32918.2) for JT/T 1179 codes (docs/spec/jtt1179-reading.md §3):
 * Z_A and e are hashed with Node's SM3; the curve arithmetic is sm-crypto-v2's (its public keys
 * are decoded once and kept as points). Node's built-in SM2 verifies only with an empty signer ID
 * and cannot be used: the codes sign with the default ID `1234567812345678`.
 */
import { createHash } from 'node:crypto';
import { sm2 } from 'sm-crypto-v2';

/** The curve of §3.1. */
export const SM2_P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
export const SM2_A = 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn;
export const SM2_B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
export const SM2_N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
export const SM2_GX = 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n;
export const SM2_GY = 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n;

/** The default signer ID of version 0x80 codes (§3.2). */
export const DEFAULT_SIGNER_ID: Uint8Array = new TextEncoder().encode('1234567812345678');

/** A public key as sm-crypto-v2 multiplies it. */
type CurvePoint = ReturnType<typeof sm2.precomputePublicKey>;

/** A verified-on-the-curve public key with its Z_A for one signer ID. */
export interface Sm2PublicKey {
  readonly x: bigint;
  readonly y: bigint;
  /** Z_A for the signer ID the key was made with (32 bytes). */
  readonly za: Buffer;
  /** The point, decoded once (and, for long-lived keys, with precomputed multiples). */
  readonly point: CurvePoint;
}

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let r = 1n;
  let b = base % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

export function bytesToBig(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex'));
}

export function bigTo32(v: bigint): Buffer {
  return Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
}

/** Whether (x, y) satisfies y² = x³ + ax + b mod p with both coordinates below p. */
export function onCurve(x: bigint, y: bigint): boolean {
  if (x < 0n || x >= SM2_P || y < 0n || y >= SM2_P) return false;
  return (y * y - (x * x * x + SM2_A * x + SM2_B)) % SM2_P === 0n;
}

/** §3.3: the y of a compressed point (prefix 02/03, then x), or undefined when it is no point. */
export function decompress(c: Uint8Array): { x: bigint; y: bigint } | undefined {
  if (c.length !== 33 || (c[0] !== 2 && c[0] !== 3)) return undefined;
  const x = bytesToBig(c.subarray(1));
  if (x >= SM2_P) return undefined;
  const alpha = (((x * x) % SM2_P) * x + SM2_A * x + SM2_B) % SM2_P;
  const beta = modPow(alpha, (SM2_P + 1n) / 4n, SM2_P);
  if ((beta * beta) % SM2_P !== alpha) return undefined;
  const y = (beta & 1n) === BigInt(c[0] & 1) ? beta : SM2_P - beta;
  return { x, y };
}

/** Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ Gx ‖ Gy ‖ xA ‖ yA) (§3.2). */
export function computeZa(x: bigint, y: bigint, id: Uint8Array = DEFAULT_SIGNER_ID): Buffer {
  const bits = id.length * 8;
  const h = createHash('sm3');
  h.update(Buffer.from([(bits >> 8) & 0xff, bits & 0xff]));
  h.update(id);
  for (const v of [SM2_A, SM2_B, SM2_GX, SM2_GY, x, y]) h.update(bigTo32(v));
  return h.digest();
}

export interface KeyOptions {
  /** The signer ID (default `1234567812345678`). */
  id?: Uint8Array;
  /**
   * Window of the table of multiples computed once (1 = none). A wider one costs several verifies
   * once and makes each later verify cheaper: 4 for root and issuer keys, 1 for a rider's.
   */
  window?: number;
}

/** A public key from its coordinates; a RangeError when they are not a point on the curve. */
export function publicKeyOf(x: bigint, y: bigint, opts: KeyOptions = {}): Sm2PublicKey {
  if (!onCurve(x, y)) throw new RangeError('not a point on the SM2 curve');
  const hex = '04' + bigTo32(x).toString('hex') + bigTo32(y).toString('hex');
  const point = sm2.precomputePublicKey(hex, opts.window ?? 1);
  return { x, y, za: computeZa(x, y, opts.id), point };
}

/** A compressed key (33 bytes) as a public key, or undefined when it is not a valid point (§3.3). */
export function compressedKey(c: Uint8Array, opts: KeyOptions = {}): Sm2PublicKey | undefined {
  const p = decompress(c);
  return p && publicKeyOf(p.x, p.y, opts);
}

/** e = SM3(Z_A ‖ M) (§3.4 step 2). */
export function digestE(za: Uint8Array, message: Uint8Array): Buffer {
  return createHash('sm3').update(za).update(message).digest();
}

/** §3.4: verifies r ‖ s (64 bytes) over `message` with `key` (its Z_A included). */
export function verifySm2(key: Sm2PublicKey, message: Uint8Array, rs: Uint8Array): boolean {
  if (rs.length !== 64) return false;
  const r = bytesToBig(rs.subarray(0, 32));
  const s = bytesToBig(rs.subarray(32, 64));
  if (r < 1n || r >= SM2_N || s < 1n || s >= SM2_N) return false;
  return verifyDigest(key, digestE(key.za, message), rs);
}

/** §3.4 steps 3–5 for a given e (32 bytes): what a signature check costs after hashing. */
export function verifyDigest(key: Sm2PublicKey, e: Uint8Array, rs: Uint8Array): boolean {
  const sig = Buffer.from(rs.buffer, rs.byteOffset, rs.length).toString('hex');
  try {
    return sm2.doVerifySignature(e, sig, key.point, { hash: false });
  } catch {
    return false; // the library throws on a point at infinity: not a valid signature
  }
}
