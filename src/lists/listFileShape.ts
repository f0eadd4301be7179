/**
 * The trust and deny list files (qr-token-v1 §5) checked by hand, without zod: for `faregate
 * verify`, whose whole run a user times (zod's import alone is ~0.1 s of a start). A file these
 * checks accept is one the zod schemas in trustFile.ts and denyFile.ts accept too, with the same
 * result (test/lists/listFileShapeAgreesWithSchemas.test.ts); anything else returns undefined,
 * and the caller asks the zod schemas, which word every problem.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { algFromName, algOfKey, hex } from '../token/coseKey.ts';
import { DenyList } from '../token/denyList.ts';
import { TrustList, type TrustKey } from '../token/trustList.ts';

/** A trust or deny list file that cannot be used; the message lists every problem. */
export class ListFileError extends Error {
  override readonly name = 'ListFileError';
}

/** One key of a trust file as the schema leaves it (other members kept, as `looseObject` does). */
export interface TrustJwk {
  kty: 'OKP' | 'EC';
  crv: 'Ed25519' | 'P-256';
  x: string;
  y?: string;
  alg: 'EdDSA' | 'ES256';
  kid: string;
  nbf?: number;
  exp?: number;
  [member: string]: unknown;
}

export interface TrustFileData {
  keys: TrustJwk[];
}

const B64U = /^[A-Za-z0-9_-]+$/;
const HEX_ID = /^(?:[0-9a-fA-F]{2})+$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isB64u = (v: unknown): v is string => typeof v === 'string' && B64U.test(v);
const isUnixSeconds = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const optional = (v: unknown, ok: (v: unknown) => boolean): boolean => v === undefined || ok(v);

/** The trust file when it has exactly the schema's shape and rules, else undefined. */
export function checkTrustFile(json: unknown): TrustFileData | undefined {
  if (!isRecord(json) || !Array.isArray(json.keys)) return undefined;
  const seen = new Set<string>();
  for (const k of json.keys as unknown[]) {
    if (!isRecord(k)) return undefined;
    const { kty, crv, x, y, alg, kid, nbf, exp } = k;
    if ((kty !== 'OKP' && kty !== 'EC') || (crv !== 'Ed25519' && crv !== 'P-256') || (alg !== 'EdDSA' && alg !== 'ES256')) return undefined;
    if (!isB64u(x) || !optional(y, isB64u) || !isB64u(kid) || !optional(nbf, isUnixSeconds) || !optional(exp, isUnixSeconds)) return undefined;
    if ((kty === 'OKP') !== (crv === 'Ed25519') || (alg === 'EdDSA') !== (crv === 'Ed25519')) return undefined;
    if (crv === 'P-256' && y === undefined) return undefined;
    if (nbf !== undefined && exp !== undefined && (nbf as number) > (exp as number)) return undefined;
    const kidHex = Buffer.from(kid, 'base64url').toString('hex');
    if (kidHex.length < 2 || kidHex.length > 32 || seen.has(kidHex)) return undefined;
    seen.add(kidHex);
  }
  return { keys: json.keys as TrustJwk[] };
}

/** Imports the keys of a checked trust file; throws ListFileError naming every key that cannot be imported. */
export function buildTrustList(data: TrustFileData): TrustList {
  const problems: string[] = [];
  const keys: TrustKey[] = [];
  data.keys.forEach((k, i) => {
    try {
      const key = createPublicKey({ key: { kty: k.kty, crv: k.crv, x: k.x, ...(k.y ? { y: k.y } : {}) } as JsonWebKey, format: 'jwk' });
      const alg = algOfKey(key);
      if (alg !== algFromName(k.alg)) throw new Error('alg does not match the key');
      const tk: TrustKey = { kidHex: hex(Buffer.from(k.kid, 'base64url')), alg, key };
      if (k.nbf !== undefined) tk.nbf = k.nbf;
      if (k.exp !== undefined) tk.exp = k.exp;
      keys.push(tk);
    } catch (e) {
      problems.push(`keys.${i}: key cannot be imported (${(e as Error).message})`);
    }
  });
  if (problems.length) throw new ListFileError(problems.join('; '));
  return new TrustList(keys);
}

export interface DenyFileData {
  sub: string[];
  cti: string[];
}

/** The deny file when it has exactly the schema's shape (only `sub` and `cti`, arrays of hex), else undefined. */
export function checkDenyFile(json: unknown): DenyFileData | undefined {
  if (!isRecord(json)) return undefined;
  for (const key of Object.keys(json)) if (key !== 'sub' && key !== 'cti') return undefined;
  const side = (v: unknown): string[] | undefined =>
    v === undefined ? [] : Array.isArray(v) && v.every((s) => typeof s === 'string' && HEX_ID.test(s)) ? (v as string[]) : undefined;
  const sub = side(json.sub);
  const cti = side(json.cti);
  return sub && cti ? { sub, cti } : undefined;
}

export function buildDenyList(data: DenyFileData): DenyList {
  return new DenyList(data.sub, data.cti);
}
