/**
 * The one JWK-Set import (RFC 7517 §5) of faregate: trust files (issuer keys), `lists.rootKeys`
 * (signed-list root keys), `commands.operatorKeys` (command operator keys) and later the
 * settlement backend's keys all go through it. One rule set:
 *
 * - `{"keys": [JWK, ...]}`; each key is an Ed25519 (`kty` OKP) or P-256 (`kty` EC, with `y`)
 *   public key, `x`/`y` base64url without padding; `alg` (EdDSA | ES256) must go with `crv`;
 *   optional `nbf`/`exp` (Unix seconds, nbf ≤ exp); other members are kept and ignored;
 * - a key holding a private member (`d`, or any other RFC 7518 private member) is refused, with
 *   FG-404 `PRIVATE_KEY_IN_KEY_SET`: a key set holds public keys only;
 * - a repeated `kid` is refused;
 * - every problem is listed at once, with its path (`keys.2.crv: ...`), as FG-403 `KEY_SET_INVALID`.
 *
 * What differs by use is only what the use defines (`KeySetRules`): the `kid` format (a trust
 * file's kid is the base64url of a COSE kid, 1..16 bytes; a JWS kid is text), whether `alg` is
 * required, and whether the set may be empty.
 *
 * Without zod (`faregate verify` starts without it): plain checks, then node:crypto imports the key.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ALG_EDDSA, type SupportedAlg } from '../token/cose.ts';
import { algOfKey, hex } from '../token/coseKey.ts';
import { KeySetError } from './listErrors.ts';

export type JwsAlgName = 'EdDSA' | 'ES256';

export interface KeySetRules {
  /** `cose`: base64url of a COSE kid (1..16 bytes, compared as bytes); `text`: 1..128 characters. */
  kid: 'cose' | 'text';
  /** Whether every key must name its `alg` (else it follows from `crv`). */
  algRequired: boolean;
  /** Whether the set may hold no key. */
  mayBeEmpty: boolean;
}

/** Trust files (qr-token-v1 §5): COSE kids, `alg` required, may be empty. */
export const TRUST_KEY_RULES: KeySetRules = { kid: 'cose', algRequired: true, mayBeEmpty: true };
/** Keys that verify JWS documents (list root keys, operator keys, the backend's keys): text kids, at least one key. */
export const JWS_KEY_RULES: KeySetRules = { kid: 'text', algRequired: false, mayBeEmpty: false };

/** One key of a set as the file has it, once its shape is checked (other members kept). */
export interface JwkEntry {
  kty: 'OKP' | 'EC';
  crv: 'Ed25519' | 'P-256';
  x: string;
  y?: string;
  alg?: JwsAlgName;
  kid: string;
  nbf?: number;
  exp?: number;
  [member: string]: unknown;
}

/** An imported public key. */
export interface ImportedKey {
  /** The kid as written in the file. */
  kid: string;
  /** `cose` kids: the kid's bytes in hex. */
  kidHex?: string;
  alg: SupportedAlg;
  algName: JwsAlgName;
  key: KeyObject;
  nbf?: number;
  exp?: number;
}

/** RFC 7518 §6.2.2, §6.3.2, §6.4.1: members only a private (or secret) key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const B64U = /^[A-Za-z0-9_-]+$/;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isB64u = (v: unknown): v is string => typeof v === 'string' && B64U.test(v);
const isUnixSeconds = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export type KeySetCheck = { ok: true; keys: JwkEntry[] } | { ok: false; problems: string[]; privateKey: boolean };

/** Checks the shape of a JWK Set; lists every problem. Never throws. */
export function checkJwkSet(json: unknown, rules: KeySetRules): KeySetCheck {
  if (!isRecord(json)) return { ok: false, problems: ['(root): must be an object {"keys": [...]}'], privateKey: false };
  if (!Array.isArray(json.keys)) return { ok: false, problems: ['keys: must be an array of JWKs'], privateKey: false };
  const keys = json.keys as unknown[];
  const problems: string[] = [];
  let privateKey = false;
  if (!keys.length && !rules.mayBeEmpty) problems.push('keys: must hold at least one key');
  const seen = new Map<string, number>();
  keys.forEach((k, i) => {
    const at = `keys.${i}`;
    const bad = (member: string, msg: string) => problems.push(`${at}.${member}: ${msg}`);
    if (!isRecord(k)) {
      problems.push(`${at}: must be an object (a JWK)`);
      return;
    }
    for (const m of PRIVATE_MEMBERS) {
      if (k[m] === undefined) continue;
      privateKey = true;
      bad(m, `holds a private key ("${m}"): a key set holds public keys only; remove "${m}"`);
    }
    const { kty, crv, x, y, alg, kid, nbf, exp } = k;
    const ktyOk = kty === 'OKP' || kty === 'EC';
    const crvOk = crv === 'Ed25519' || crv === 'P-256';
    const algOk = alg === 'EdDSA' || alg === 'ES256';
    if (!ktyOk) bad('kty', 'must be OKP or EC');
    if (!crvOk) bad('crv', 'must be Ed25519 or P-256');
    if (!isB64u(x)) bad('x', 'must be base64url without padding');
    if (y !== undefined && !isB64u(y)) bad('y', 'must be base64url without padding');
    if (alg === undefined ? rules.algRequired : !algOk) bad('alg', 'must be EdDSA or ES256');
    if (nbf !== undefined && !isUnixSeconds(nbf)) bad('nbf', 'must be Unix seconds (an integer ≥ 0)');
    if (exp !== undefined && !isUnixSeconds(exp)) bad('exp', 'must be Unix seconds (an integer ≥ 0)');
    if (ktyOk && crvOk && (kty === 'OKP') !== (crv === 'Ed25519')) bad('crv', `crv ${crv} does not go with kty ${kty}`);
    if (algOk && crvOk && (alg === 'EdDSA') !== (crv === 'Ed25519'))
      bad('alg', `alg ${alg} does not go with crv ${crv}`);
    if (crv === 'P-256' && y === undefined) bad('y', 'P-256 key needs y');
    if (isUnixSeconds(nbf) && isUnixSeconds(exp) && nbf > exp) bad('exp', 'exp is before nbf');
    let id: string | undefined;
    if (rules.kid === 'cose') {
      if (!isB64u(kid)) bad('kid', 'must be base64url without padding');
      else {
        id = Buffer.from(kid, 'base64url').toString('hex');
        if (id.length < 2 || id.length > 32) bad('kid', 'kid must be 1..16 bytes');
      }
    } else if (typeof kid !== 'string' || kid.length < 1 || kid.length > 128) bad('kid', 'must be 1..128 characters');
    else id = kid;
    if (id !== undefined) {
      const first = seen.get(id);
      if (first !== undefined) bad('kid', `repeated kid ${String(kid).slice(0, 64)} (also keys.${first})`);
      else seen.set(id, i);
    }
  });
  return problems.length ? { ok: false, problems, privateKey } : { ok: true, keys: keys as JwkEntry[] };
}

/** Imports the keys of a checked set; throws KeySetError naming every key node:crypto cannot import. */
export function importCheckedKeys(keys: readonly JwkEntry[], rules: KeySetRules): ImportedKey[] {
  const problems: string[] = [];
  const out: ImportedKey[] = [];
  keys.forEach((k, i) => {
    try {
      const jwk = { kty: k.kty, crv: k.crv, x: k.x, ...(k.y !== undefined ? { y: k.y } : {}) } as JsonWebKey;
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      const alg = algOfKey(key);
      const algName: JwsAlgName = alg === ALG_EDDSA ? 'EdDSA' : 'ES256';
      if (k.alg !== undefined && k.alg !== algName) throw new Error(`alg ${k.alg} does not match the ${k.crv} key`);
      const ik: ImportedKey = { kid: k.kid, alg, algName, key };
      if (rules.kid === 'cose') ik.kidHex = hex(Buffer.from(k.kid, 'base64url'));
      if (k.nbf !== undefined) ik.nbf = k.nbf;
      if (k.exp !== undefined) ik.exp = k.exp;
      out.push(ik);
    } catch (e) {
      problems.push(`keys.${i}: key cannot be imported (${e instanceof Error ? e.message : String(e)})`);
    }
  });
  if (problems.length) throw new KeySetError(problems, false);
  return out;
}

/** Checks and imports a parsed JWK Set; throws KeySetError (FG-403, FG-404 for a private key) listing every problem. */
export function importJwkSet(json: unknown, rules: KeySetRules): ImportedKey[] {
  const c = checkJwkSet(json, rules);
  if (!c.ok) throw new KeySetError(c.problems, c.privateKey);
  return importCheckedKeys(c.keys, rules);
}

/** Reads and imports a JWK Set file; errors name the file (`<file>: file not found`, `<file> is unusable: ...`). */
export function loadJwkSetFile(file: string, rules: KeySetRules): ImportedKey[] {
  return importJwkSetOf(readJwkSetFile(file), rules, file);
}

/** Why a JSON key file could not be read: `file not found`, `not valid JSON (…)`, or the system's message. */
export function jsonFileProblem(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'ENOENT'
    ? 'file not found'
    : err instanceof SyntaxError
      ? `not valid JSON (${err.message})`
      : err.message;
}

/** Reads a JWK Set file's JSON; throws KeySetError naming the file. */
export function readJwkSetFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new KeySetError([jsonFileProblem(e)], false, `${file}: `);
  }
}

/** importJwkSet with the file named in the error (`<file> is unusable: ...`). */
export function importJwkSetOf(json: unknown, rules: KeySetRules, file: string): ImportedKey[] {
  try {
    return importJwkSet(json, rules);
  } catch (e) {
    if (e instanceof KeySetError) throw e.withPrefix(`${file} is unusable: `);
    throw e;
  }
}
