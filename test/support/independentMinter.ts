/**
 * An FG1 minter written only from docs/spec/qr-token-v1.md, with the cbor2 package and
 * node:crypto. It shares no code with src/ (no src/mint, no src/token/cbor.ts, no base45),
 * so a misreading of the spec in src/ does not hide itself in the tests.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { encode, Tag } from 'cbor2';

export const ALG = { EdDSA: -8, ES256: -7 } as const;
export type AlgName = keyof typeof ALG;

/** cbor2 output copied into a fresh Uint8Array (never a Buffer, which cbor2 would not encode as a bstr). */
function cbor(value: unknown): Uint8Array {
  return Uint8Array.from(encode(value));
}

function raw(b: Uint8Array | Buffer): Uint8Array {
  return Uint8Array.from(b);
}

const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/** RFC 9285 §4: two bytes [a, b] -> n = a·256 + b = c + d·45 + e·45², written c d e; one byte -> c d. */
export function base45(data: Uint8Array): string {
  let out = '';
  for (let i = 0; i < data.length; i += 2) {
    if (i + 1 < data.length) {
      let n = data[i]! * 256 + data[i + 1]!;
      const c = n % 45;
      n = Math.floor(n / 45);
      out += BASE45[c]! + BASE45[n % 45]! + BASE45[Math.floor(n / 45)]!;
    } else {
      const n = data[i]!;
      out += BASE45[n % 45]! + BASE45[Math.floor(n / 45)]!;
    }
  }
  return out;
}

/** RFC 9052 §4.4 Sig_structure for COSE_Sign1 with empty external_aad. */
function toBeSigned(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return cbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

function signWith(alg: AlgName, key: KeyObject, data: Uint8Array): Uint8Array {
  return alg === 'EdDSA' ? raw(sign(null, data, key)) : raw(sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }));
}

function coseSign1(
  alg: AlgName,
  key: KeyObject,
  protectedHeader: Map<number, unknown>,
  payload: Uint8Array,
  tagged: boolean,
): Uint8Array {
  const protectedBytes = cbor(protectedHeader);
  const signature = signWith(alg, key, toBeSigned(protectedBytes, payload));
  const arr = [protectedBytes, new Map(), payload, signature];
  return cbor(tagged ? new Tag(18, arr) : arr);
}

/** §2: the COSE_Key of the rider, from a public KeyObject. */
export function coseKey(publicKey: KeyObject): Map<number, unknown> {
  const jwk = publicKey.export({ format: 'jwk' });
  const b = (s: string | undefined): Uint8Array => raw(Buffer.from(s ?? '', 'base64url'));
  if (jwk.kty === 'OKP')
    return new Map<number, unknown>([
      [1, 1],
      [-1, 6],
      [-2, b(jwk.x)],
    ]);
  return new Map<number, unknown>([
    [1, 2],
    [-1, 1],
    [-2, b(jwk.x)],
    [-3, b(jwk.y)],
  ]);
}

export interface IndependentCredential {
  issuerAlg: AlgName;
  issuerKey: KeyObject;
  kid: Uint8Array;
  riderPublicKey: KeyObject;
  iss?: string;
  sub: Uint8Array;
  exp: number;
  nbf?: number;
  iat?: number;
  cti: Uint8Array;
  profile?: number;
  cap?: number;
  modes?: number;
  cv?: number;
  tagged?: boolean;
}

/** §2: level 1. */
export function mintCredential(c: IndependentCredential): Uint8Array {
  const claims = new Map<number, unknown>();
  if (c.iss !== undefined) claims.set(1, c.iss);
  claims.set(2, raw(c.sub));
  claims.set(4, c.exp);
  if (c.nbf !== undefined) claims.set(5, c.nbf);
  if (c.iat !== undefined) claims.set(6, c.iat);
  claims.set(7, raw(c.cti));
  claims.set(8, new Map([[1, coseKey(c.riderPublicKey)]]));
  if (c.profile !== undefined) claims.set(-70001, c.profile);
  if (c.cap !== undefined) claims.set(-70002, c.cap);
  if (c.modes !== undefined) claims.set(-70003, c.modes);
  if (c.cv !== undefined) claims.set(-70004, c.cv);
  return coseSign1(
    c.issuerAlg,
    c.issuerKey,
    new Map<number, unknown>([
      [1, ALG[c.issuerAlg]],
      [4, raw(c.kid)],
    ]),
    cbor(claims),
    c.tagged ?? true,
  );
}

export interface IndependentCode {
  credential: Uint8Array;
  riderAlg: AlgName;
  riderKey: KeyObject;
  ts: number;
  seq: number;
  tagged?: boolean;
}

export interface MintedCode {
  text: string;
  /** §3: lower-case hex of the first 16 bytes of SHA-256 over the level-2 payload. */
  codeId: string;
}

/** §3 and §1: level 2 and its text form. */
export function mintCode(o: IndependentCode): MintedCode {
  const payload = cbor(
    new Map<number, unknown>([
      [1, raw(o.credential)],
      [2, o.ts],
      [3, o.seq],
    ]),
  );
  const level2 = coseSign1(
    o.riderAlg,
    o.riderKey,
    new Map<number, unknown>([[1, ALG[o.riderAlg]]]),
    payload,
    o.tagged ?? true,
  );
  return {
    text: 'FG1:' + base45(level2),
    codeId: createHash('sha256').update(payload).digest('hex').slice(0, 32),
  };
}

/** §5: a trust-list JWK for an issuer public key. */
export function trustJwk(
  publicKey: KeyObject,
  alg: AlgName,
  kid: Uint8Array,
  window: { nbf?: number; exp?: number } = {},
): Record<string, unknown> {
  const jwk = publicKey.export({ format: 'jwk' });
  return { ...jwk, alg, kid: Buffer.from(kid).toString('base64url'), ...window };
}
