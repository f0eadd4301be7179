/**
 * JWS (RFC 7515) in the flattened JSON serialization, EdDSA (Ed25519) and ES256 (P-256, r||s),
 * verified against a pinned JWK Set. Shared by signed lists and signed remote commands:
 * `{"protected": b64u(header), "payload": b64u(bytes), "signature": b64u}`.
 *
 * The signature check is the `jose` library's (`flattenedVerify`); this module adds what the
 * documents require on top: the protected header must name `alg` and `kid`; the key is looked up
 * by `kid` in the pinned set and the header's `alg` must equal the key's (never trusting the
 * header's choice alone); `crit` is refused (no extensions are understood); `typ` can be
 * required; the pinned key's own nbf/exp. Unprotected `header` members are ignored. Each failure
 * has its own reason (`JwsFailure`), which the list and command refusals keep.
 *
 * Signing stays here, synchronous, over node:crypto (the same bytes jose would produce: the test
 * suite verifies them with jose and, independently, by hand).
 */
import type { KeyObject } from 'node:crypto';
import { errors as joseErrors, flattenedVerify } from 'jose';
import { z } from 'zod';
import { errorMessage } from '../errors/faregateError.ts';
import { ALG_EDDSA, signData, type SupportedAlg } from '../token/cose.ts';
import { formatIssues } from './issues.ts';
import { importJwkSet, JWS_KEY_RULES, loadJwkSetFile, type ImportedKey, type JwsAlgName } from './jwkSet.ts';

export type { JwsAlgName };

const b64u = z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be base64url without padding');

export const FlattenedJwsSchema = z.looseObject({
  protected: b64u.min(1),
  payload: b64u,
  signature: b64u.min(1),
  header: z.record(z.string(), z.unknown()).optional(),
});
export type FlattenedJws = z.infer<typeof FlattenedJwsSchema>;

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

function byKid(keys: readonly ImportedKey[]): JwsKeySet {
  const out = new Map<string, PinnedKey>();
  for (const k of keys) {
    const pk: PinnedKey = { kid: k.kid, alg: k.alg, algName: k.algName, key: k.key };
    if (k.nbf !== undefined) pk.nbf = k.nbf;
    if (k.exp !== undefined) pk.exp = k.exp;
    out.set(k.kid, pk);
  }
  return out;
}

/** Builds a key set from a parsed JWK Set (jwkSet.ts rules); throws KeySetError listing every problem. */
export function keySetFromJson(json: unknown): JwsKeySet {
  return byKid(importJwkSet(json, JWS_KEY_RULES));
}

/** Reads a JWK Set file; throws KeySetError with the file name. */
export function loadKeySetFile(file: string): JwsKeySet {
  return byKid(loadJwkSetFile(file, JWS_KEY_RULES));
}

export type JwsFailure =
  'malformed' | 'wrong_typ' | 'unsupported_alg' | 'unknown_kid' | 'alg_mismatch' | 'key_not_valid' | 'bad_signature';

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
  /** The protected header's `typ` must be exactly this (one kind of signed document cannot pass as another). */
  typ?: string;
}

const nameOf = (alg: SupportedAlg): JwsAlgName => (alg === ALG_EDDSA ? 'EdDSA' : 'ES256');

/** Verifies a flattened JWS (an object, or its JSON text) against the pinned keys. Never rejects. */
export async function verifyFlattenedJws(
  input: unknown,
  keys: ReadonlyMap<string, VerifyKey>,
  o: VerifyOptions = {},
): Promise<JwsResult> {
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
  if (!r.success) {
    return { ok: false, error: 'malformed', detail: `not a flattened JWS: ${formatIssues(r.error.issues)}` };
  }
  const jws = r.data;
  let header: Record<string, unknown>;
  try {
    const h: unknown = JSON.parse(decodeB64u(jws.protected).toString('utf8'));
    if (typeof h !== 'object' || h === null || Array.isArray(h)) throw new Error('not an object');
    header = h as Record<string, unknown>;
  } catch (e) {
    return { ok: false, error: 'malformed', detail: `protected header: ${errorMessage(e)}` };
  }
  const refuse = (error: JwsFailure, detail: string): JwsResult => ({ ok: false, error, detail, header });
  if (header.crit !== undefined) return refuse('malformed', 'crit header parameters are not supported');
  if (o.typ !== undefined && header.typ !== o.typ)
    return refuse('wrong_typ', `typ ${JSON.stringify(header.typ ?? null)} is not ${o.typ}`);
  const algName = header.alg;
  if (algName !== 'EdDSA' && algName !== 'ES256')
    return refuse('unsupported_alg', `alg ${String(algName)} is not EdDSA or ES256`);
  if (typeof header.kid !== 'string') return refuse('unknown_kid', 'protected header has no kid');
  const key = keys.get(header.kid);
  if (!key) return refuse('unknown_kid', `kid ${header.kid.slice(0, 64)} is not pinned`);
  if (algName !== nameOf(key.alg))
    return refuse('alg_mismatch', `alg ${algName} does not match key ${key.kid} (${nameOf(key.alg)})`);
  const early = key.nbf !== undefined && nowSec !== undefined && nowSec < key.nbf - skewSec;
  const late = key.exp !== undefined && nowSec !== undefined && nowSec > key.exp + skewSec;
  if (early || late) return refuse('key_not_valid', `key ${key.kid} is outside its validity`);
  try {
    decodeB64u(jws.signature);
    decodeB64u(jws.payload);
  } catch (e) {
    return refuse('malformed', `payload or signature: ${errorMessage(e)}`);
  }
  try {
    const v = await flattenedVerify(
      { protected: jws.protected, payload: jws.payload, signature: jws.signature },
      key.key,
      { algorithms: [algName] },
    );
    const payload = Buffer.from(v.payload.buffer, v.payload.byteOffset, v.payload.byteLength);
    return { ok: true, payload, header, key };
  } catch (e) {
    if (e instanceof joseErrors.JWSSignatureVerificationFailed)
      return refuse('bad_signature', `signature does not verify with key ${key.kid}`);
    return refuse('malformed', `not a valid JWS (${errorMessage(e)})`);
  }
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
export function signFlattenedJws(
  payload: unknown,
  signer: JwsSigner,
  extraHeader: Record<string, unknown> = {},
): FlattenedJws {
  const header = { ...extraHeader, alg: nameOf(signer.alg), kid: signer.kid };
  const p = Buffer.from(JSON.stringify(header)).toString('base64url');
  const isBytes = Buffer.isBuffer(payload) || payload instanceof Uint8Array;
  const bytes = isBytes ? Buffer.from(payload) : Buffer.from(JSON.stringify(payload));
  const pl = bytes.toString('base64url');
  const sig = signData(signer.alg, signer.privateKey, Buffer.from(`${p}.${pl}`, 'ascii'));
  return { protected: p, payload: pl, signature: Buffer.from(sig).toString('base64url') };
}
