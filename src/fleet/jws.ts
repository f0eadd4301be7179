/**
 * JWS (RFC 7515) in the flattened JSON serialization, EdDSA (Ed25519) and ES256 (P-256, r||s),
 * verified against a pinned JWK Set. Shared by signed remote commands (and usable by signed
 * list envelopes): `{"protected": b64u(header), "payload": b64u(bytes), "signature": b64u}`.
 *
 * The protected header must name `alg` and `kid`; the key is looked up by `kid` in the pinned
 * set and the header's `alg` must equal the key's (never trusting the header's choice alone).
 * `crit` is refused (no extensions are understood). Unprotected `header` members are ignored.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ALG_EDDSA, ALG_ES256, signData, verifySignature, type SupportedAlg } from '../token/cose.ts';
import { algOfKey } from '../token/coseKey.ts';
import { formatIssues } from '../lists/issues.ts';

export type JwsAlgName = 'EdDSA' | 'ES256';
const ALG_OF_NAME: Record<JwsAlgName, SupportedAlg> = { EdDSA: ALG_EDDSA, ES256: ALG_ES256 };

const b64u = z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be base64url without padding');

export const FlattenedJwsSchema = z.looseObject({
  protected: b64u.min(1),
  payload: b64u,
  signature: b64u.min(1),
  header: z.record(z.string(), z.unknown()).optional(),
});
export type FlattenedJws = z.infer<typeof FlattenedJwsSchema>;

const PinnedJwkSchema = z.looseObject({
  kty: z.enum(['OKP', 'EC']),
  crv: z.enum(['Ed25519', 'P-256']),
  x: b64u.min(1),
  y: b64u.min(1).optional(),
  alg: z.enum(['EdDSA', 'ES256']).optional(),
  kid: z.string().min(1).max(128),
  /** Optional validity of the pinned key, Unix seconds. */
  nbf: z.number().int().nonnegative().optional(),
  exp: z.number().int().nonnegative().optional(),
});

export const JwkSetSchema = z.object({ keys: z.array(PinnedJwkSchema).min(1, 'must hold at least one key') });

/** What verification needs of a pinned key (command operator keys, list root keys). */
export interface VerifyKey {
  kid: string;
  alg: SupportedAlg;
  key: KeyObject;
  nbf?: number;
  exp?: number;
}

export interface PinnedKey extends VerifyKey {
  algName: JwsAlgName;
}

/** Pinned public keys by `kid`. */
export type JwsKeySet = ReadonlyMap<string, PinnedKey>;

export class JwsKeySetError extends Error {
  override readonly name = 'JwsKeySetError';
}

/** Builds a key set from a parsed JWK Set; throws JwsKeySetError listing every problem. Private members are refused. */
export function keySetFromJson(json: unknown): JwsKeySet {
  const r = JwkSetSchema.safeParse(json);
  if (!r.success) throw new JwsKeySetError(formatIssues(r.error.issues));
  const out = new Map<string, PinnedKey>();
  const problems: string[] = [];
  r.data.keys.forEach((k, i) => {
    if ('d' in k) problems.push(`keys.${i}: holds a private key ("d"); pin only public keys`);
    if (out.has(k.kid)) problems.push(`keys.${i}.kid: repeated kid ${k.kid}`);
    try {
      const key = createPublicKey({ key: { kty: k.kty, crv: k.crv, x: k.x, ...(k.y ? { y: k.y } : {}) } as JsonWebKey, format: 'jwk' });
      const alg = algOfKey(key);
      const algName: JwsAlgName = alg === ALG_EDDSA ? 'EdDSA' : 'ES256';
      if (k.alg !== undefined && k.alg !== algName) throw new Error(`alg ${k.alg} does not match the ${k.crv} key`);
      const pk: PinnedKey = { kid: k.kid, alg, algName, key };
      if (k.nbf !== undefined) pk.nbf = k.nbf;
      if (k.exp !== undefined) pk.exp = k.exp;
      if (!out.has(k.kid)) out.set(k.kid, pk);
    } catch (e) {
      problems.push(`keys.${i}: key cannot be imported (${(e as Error).message})`);
    }
  });
  if (problems.length) throw new JwsKeySetError(problems.join('; '));
  return out;
}

/** Reads a JWK Set file; throws JwsKeySetError with the file name. */
export function loadKeySetFile(file: string): JwsKeySet {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new JwsKeySetError(`${file}: ${err.code === 'ENOENT' ? 'file not found' : err instanceof SyntaxError ? `not valid JSON (${err.message})` : err.message}`);
  }
  try {
    return keySetFromJson(json);
  } catch (e) {
    throw new JwsKeySetError(`${file} is unusable: ${(e as Error).message}`);
  }
}

export type JwsFailure = 'malformed' | 'wrong_typ' | 'unsupported_alg' | 'unknown_kid' | 'alg_mismatch' | 'key_not_valid' | 'bad_signature';

export type JwsResult =
  | { ok: true; payload: Buffer; header: Record<string, unknown>; key: VerifyKey }
  | { ok: false; error: JwsFailure; detail: string; header?: Record<string, unknown> };

const B64U_STRICT = /^[A-Za-z0-9_-]*$/;

function decodeB64u(s: string): Buffer {
  if (!B64U_STRICT.test(s) || s.length % 4 === 1) throw new Error('not base64url');
  return Buffer.from(s, 'base64url');
}

export interface VerifyOptions {
  /** Checks the pinned key's own nbf/exp when it has them (Unix seconds). */
  nowSec?: number;
  skewSec?: number;
  /** The protected header's `typ` must be exactly this (keeps one kind of signed document from passing as another). */
  typ?: string;
}

/** Verifies a flattened JWS (an object, or its JSON text) against the pinned keys. Never throws. */
export function verifyFlattenedJws(input: unknown, keys: ReadonlyMap<string, VerifyKey>, o: VerifyOptions = {}): JwsResult {
  const { nowSec, skewSec = 0 } = o;
  let obj = input;
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    try {
      obj = JSON.parse(input.toString());
    } catch {
      return { ok: false, error: 'malformed', detail: 'not JSON' };
    }
  }
  const r = FlattenedJwsSchema.safeParse(obj);
  if (!r.success) return { ok: false, error: 'malformed', detail: `not a flattened JWS: ${formatIssues(r.error.issues)}` };
  const jws = r.data;
  let header: Record<string, unknown>;
  try {
    const h: unknown = JSON.parse(decodeB64u(jws.protected).toString('utf8'));
    if (typeof h !== 'object' || h === null || Array.isArray(h)) throw new Error('not an object');
    header = h as Record<string, unknown>;
  } catch (e) {
    return { ok: false, error: 'malformed', detail: `protected header: ${(e as Error).message}` };
  }
  if (header.crit !== undefined) return { ok: false, error: 'malformed', detail: 'crit header parameters are not supported', header };
  if (o.typ !== undefined && header.typ !== o.typ) return { ok: false, error: 'wrong_typ', detail: `typ ${JSON.stringify(header.typ ?? null)} is not ${o.typ}`, header };
  const algName = header.alg;
  if (algName !== 'EdDSA' && algName !== 'ES256') return { ok: false, error: 'unsupported_alg', detail: `alg ${String(algName)} is not EdDSA or ES256`, header };
  if (typeof header.kid !== 'string') return { ok: false, error: 'unknown_kid', detail: 'protected header has no kid', header };
  const key = keys.get(header.kid);
  if (!key) return { ok: false, error: 'unknown_kid', detail: `kid ${header.kid.slice(0, 64)} is not pinned`, header };
  if (ALG_OF_NAME[algName] !== key.alg) return { ok: false, error: 'alg_mismatch', detail: `alg ${algName} does not match key ${key.kid} (${key.alg === ALG_EDDSA ? 'EdDSA' : 'ES256'})`, header };
  if (nowSec !== undefined && ((key.nbf !== undefined && nowSec < key.nbf - skewSec) || (key.exp !== undefined && nowSec > key.exp + skewSec)))
    return { ok: false, error: 'key_not_valid', detail: `key ${key.kid} is outside its validity`, header };
  let sig: Buffer;
  let payload: Buffer;
  try {
    sig = decodeB64u(jws.signature);
    payload = decodeB64u(jws.payload);
  } catch (e) {
    return { ok: false, error: 'malformed', detail: `payload or signature: ${(e as Error).message}`, header };
  }
  const signingInput = Buffer.from(`${jws.protected}.${jws.payload}`, 'ascii');
  if (!verifySignature(key.alg, key.key, signingInput, sig)) return { ok: false, error: 'bad_signature', detail: `signature does not verify with key ${key.kid}`, header };
  return { ok: true, payload, header, key };
}

/** The payload of a JWS decoded WITHOUT verification (only to quote an id in a refusal). */
export function unverifiedPayload(input: unknown): unknown {
  try {
    const obj = typeof input === 'string' || Buffer.isBuffer(input) ? (JSON.parse(input.toString()) as unknown) : input;
    const p = (obj as { payload?: unknown } | null)?.payload;
    if (typeof p !== 'string') return undefined;
    return JSON.parse(decodeB64u(p).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export interface JwsSigner {
  alg: SupportedAlg;
  kid: string;
  privateKey: KeyObject;
}

/** Signs `payload` (bytes, or a value serialized as JSON) as a flattened JWS. */
export function signFlattenedJws(payload: unknown, signer: JwsSigner, extraHeader: Record<string, unknown> = {}): FlattenedJws {
  const header = { ...extraHeader, alg: signer.alg === ALG_EDDSA ? 'EdDSA' : 'ES256', kid: signer.kid };
  const p = Buffer.from(JSON.stringify(header)).toString('base64url');
  const bytes = Buffer.isBuffer(payload) || payload instanceof Uint8Array ? Buffer.from(payload) : Buffer.from(JSON.stringify(payload));
  const pl = bytes.toString('base64url');
  const sig = signData(signer.alg, signer.privateKey, Buffer.from(`${p}.${pl}`, 'ascii'));
  return { protected: p, payload: pl, signature: Buffer.from(sig).toString('base64url') };
}
