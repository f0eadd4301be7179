/**
 * An independent JT/T 1179 minter for the tests, written from docs/spec/jtt1179-reading.md alone:
 * its own SM2 (GB/T 32918, bigint arithmetic in Jacobian coordinates), its own byte layout. It
 * imports nothing from src/ (neither the verifier nor src/mint), so a shared misreading of the
 * contract would have to be made twice.
 */
import { createHash } from 'node:crypto';

export const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
export const A = P - 3n;
export const B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
export const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const GX = 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n;
const GY = 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n;

const mod = (a: bigint, m: bigint = P): bigint => ((a % m) + m) % m;
function inv(a: bigint, m: bigint = P): bigint {
  let [r0, r1, t0, t1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return mod(t0, m);
}

type Jac = [bigint, bigint, bigint]; // Z = 0: infinity
const INF: Jac = [1n, 1n, 0n];

function dbl([x, y, z]: Jac): Jac {
  if (z === 0n || y === 0n) return INF;
  const yy = mod(y * y);
  const s = mod(4n * x * yy);
  const zz = mod(z * z);
  const m = mod(3n * x * x + A * zz * zz);
  const x3 = mod(m * m - 2n * s);
  return [x3, mod(m * (s - x3) - 8n * yy * yy), mod(2n * y * z)];
}

function add(p: Jac, q: Jac): Jac {
  if (p[2] === 0n) return q;
  if (q[2] === 0n) return p;
  const z1z1 = mod(p[2] * p[2]);
  const z2z2 = mod(q[2] * q[2]);
  const u1 = mod(p[0] * z2z2);
  const u2 = mod(q[0] * z1z1);
  const s1 = mod(p[1] * q[2] * z2z2);
  const s2 = mod(q[1] * p[2] * z1z1);
  if (u1 === u2) return s1 === s2 ? dbl(p) : INF;
  const h = mod(u2 - u1);
  const r = mod(s2 - s1);
  const hh = mod(h * h);
  const hhh = mod(h * hh);
  const v = mod(u1 * hh);
  const x3 = mod(r * r - hhh - 2n * v);
  return [x3, mod(r * (v - x3) - s1 * hhh), mod(p[2] * q[2] * h)];
}

function mul(k: bigint, pt: Jac): Jac {
  let r = INF;
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    r = dbl(r);
    if ((k >> i) & 1n) r = add(r, pt);
  }
  return r;
}

function affine([x, y, z]: Jac): { x: bigint; y: bigint } {
  const zi = inv(z);
  const zi2 = mod(zi * zi);
  return { x: mod(x * zi2), y: mod(y * zi2 * zi) };
}

export const be32 = (v: bigint): Buffer => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
export const big = (b: Uint8Array): bigint => BigInt('0x' + Buffer.from(b).toString('hex'));
const sm3 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sm3');
  for (const p of parts) h.update(p);
  return h.digest();
};

export const DEFAULT_ID = Buffer.from('1234567812345678', 'ascii');

export interface KeyPair {
  d: bigint;
  x: bigint;
  y: bigint;
  /** 02/03 ‖ x */
  compressed: Buffer;
}

export function keyPair(d: bigint): KeyPair {
  const { x, y } = affine(mul(d, [GX, GY, 1n]));
  return { d, x, y, compressed: Buffer.concat([Buffer.from([y & 1n ? 3 : 2]), be32(x)]) };
}

/** A key derived from a label the way §7 describes: d = SHA-256(label) mod (n − 2) + 1. */
export function labelKey(label: string): KeyPair {
  return keyPair((big(createHash('sha256').update(label).digest()) % (N - 2n)) + 1n);
}

export function za(x: bigint, y: bigint, id: Uint8Array = DEFAULT_ID): Buffer {
  const bits = id.length * 8;
  return sm3(Buffer.from([bits >> 8, bits & 0xff]), id, be32(A), be32(B), be32(GX), be32(GY), be32(x), be32(y));
}

/** GB/T 32918.2 signing; `k` fixed for reproducible examples, else derived from d and the message. */
export function sign(key: KeyPair, msg: Uint8Array, k?: bigint, id: Uint8Array = DEFAULT_ID): Buffer {
  const e = big(sm3(za(key.x, key.y, id), msg));
  let kk = k ?? (big(createHash('sha256').update(be32(key.d)).update(msg).digest()) % (N - 1n)) + 1n;
  for (;;) {
    const x1 = affine(mul(kk, [GX, GY, 1n])).x;
    const r = mod(e + x1, N);
    if (r !== 0n && r + kk !== N) {
      const s = mod(inv(1n + key.d, N) * (kk - r * key.d), N);
      if (s !== 0n) return Buffer.concat([be32(r), be32(s)]);
    }
    kk = mod(kk + 1n, N) || 1n;
  }
}

/** GB/T 32918.2 verification, for the minter's own tests. */
export function verify(x: bigint, y: bigint, msg: Uint8Array, rs: Uint8Array, id: Uint8Array = DEFAULT_ID): boolean {
  const r = big(rs.subarray(0, 32));
  const s = big(rs.subarray(32));
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  const e = big(sm3(za(x, y, id), msg));
  const t = mod(r + s, N);
  if (t === 0n) return false;
  const pt = add(mul(s, [GX, GY, 1n]), mul(t, [x, y, 1n]));
  if (pt[2] === 0n) return false;
  return mod(e + affine(pt).x, N) === r;
}

/** Everything a code is made of (§2.1, §2.2); the defaults are §7's fields. */
export interface CodeFields {
  version: number;
  service: Buffer;
  rootIndex: number;
  certFormat: number;
  certHeader: number;
  issuerId: Buffer;
  /** Two raw bytes MM YY (BCD), so a test can write a non-BCD value. */
  expiry: Buffer;
  serial: Buffer;
  sigAlg: number;
  encAlg: number;
  curve: number;
  keyLength: number;
  issuerKey: Buffer;
  payment: Buffer;
  user: Buffer;
  issuerCode: Buffer;
  platform: Buffer;
  cardType: number;
  cap: number;
  userKey: Buffer;
  authExpiry: number;
  validity: number;
  issuerData: Buffer;
  ts: number;
  /** The signature-format byte of fields 15 and 17. */
  sigByte15: number;
  sigByte17: number;
}

export const EXAMPLE_FIELDS: Omit<CodeFields, 'issuerKey' | 'userKey'> = {
  version: 0x80,
  service: Buffer.from('01010000', 'hex'),
  rootIndex: 0x17,
  certFormat: 0x12,
  certHeader: 0x24,
  issuerId: Buffer.from('12345678', 'hex'),
  expiry: Buffer.from('1230', 'hex'),
  serial: Buffer.from('000001', 'hex'),
  sigAlg: 4,
  encAlg: 4,
  curve: 0,
  keyLength: 0x21,
  payment: Buffer.from('PAY0000000000001', 'ascii'),
  user: Buffer.from('31000000000000000001', 'hex'),
  issuerCode: Buffer.from('01020304', 'hex'),
  platform: Buffer.from('00000001', 'hex'),
  cardType: 1,
  cap: 0x7d0,
  authExpiry: 1893456000,
  validity: 60,
  issuerData: Buffer.from('01' + '000000000000000000000001' + '00000e10', 'hex'),
  ts: 1767225600,
  sigByte15: 0x15,
  sigByte17: 0x15,
};

const u = (v: number, n: number): Buffer => Buffer.from(v.toString(16).padStart(2 * n, '0'), 'hex');

/** The certificate's items 4–12 (what the root signs) and the fields 1–14 around them. */
export function certItems4to12(f: CodeFields): Buffer {
  return Buffer.concat([
    Buffer.from([f.certFormat]),
    f.issuerId,
    f.expiry,
    f.serial,
    Buffer.from([f.sigAlg, f.encAlg, f.curve, f.keyLength]),
    f.issuerKey,
  ]);
}

export interface Signatures {
  root: Buffer;
  auth: Buffer;
  user: Buffer;
}

/** Assembles a code from fields and the three r ‖ s values (§2). `dataLength` overrides D. */
export function assemble(f: CodeFields, sig: Signatures, dataLength?: number): Buffer {
  const cert = Buffer.concat([
    Buffer.from([f.certHeader]),
    f.service,
    Buffer.from([f.rootIndex]),
    certItems4to12(f),
    sig.root,
  ]);
  const fields4to14 = Buffer.concat([
    f.payment,
    f.user,
    f.issuerCode,
    f.platform,
    Buffer.from([f.cardType]),
    u(f.cap, 3),
    f.userKey,
    u(f.authExpiry, 4),
    u(f.validity, 2),
    Buffer.from([f.issuerData.length]),
    f.issuerData,
  ]);
  const rest = Buffer.concat([
    cert,
    fields4to14,
    Buffer.from([f.sigByte15]),
    sig.auth,
    u(f.ts, 4),
    Buffer.from([f.sigByte17]),
    sig.user,
  ]);
  return Buffer.concat([Buffer.from([f.version]), u(dataLength ?? rest.length, 2), rest]);
}

export interface Signers {
  root: KeyPair;
  issuer: KeyPair;
  user: KeyPair;
}

/** Mints a code: the keys in the code are `keys.issuer` and `keys.user`; `signers` (default `keys`) sign each link. */
export function mint(fields: Partial<CodeFields>, keys: Signers, signers: Partial<Signers> = {}): Buffer {
  const f: CodeFields = {
    ...EXAMPLE_FIELDS,
    issuerKey: keys.issuer.compressed,
    userKey: keys.user.compressed,
    ...fields,
  };
  const s = { ...keys, ...signers };
  const zero = Buffer.alloc(64);
  const root = sign(s.root, certItems4to12(f));
  const draft = assemble(f, { root, auth: zero, user: zero });
  const L = f.issuerData.length;
  const auth = sign(s.issuer, draft.subarray(3, 198 + L));
  const draft2 = assemble(f, { root, auth, user: zero });
  const user = sign(s.user, draft2.subarray(0, 267 + L));
  return assemble(f, { root, auth, user });
}
