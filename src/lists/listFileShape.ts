/**
 * The trust and deny list files (qr-token-v1 §5) checked without zod: for `faregate verify`,
 * whose whole run a user times (zod's import alone is ~0.1 s of a start). Trust files go through
 * the one JWK-Set import (jwkSet.ts, zod-free, which words every problem itself); the deny file
 * check accepts what the zod schema in denyFile.ts accepts, with the same result
 * (test/lists/listFileShapeAgreesWithSchemas.test.ts); anything else returns undefined, and the
 * caller asks denyFile.ts, which words every problem.
 */
import { DenyList } from '../token/denyList.ts';
import { TrustList, type TrustKey } from '../token/trustList.ts';
import { checkJwkSet, importCheckedKeys, TRUST_KEY_RULES, type JwkEntry } from './jwkSet.ts';
import { ListFileError } from './listErrors.ts';

export { ListFileError };

/** One key of a trust file as the shared JWK-Set check leaves it (other members kept). */
export type TrustJwk = JwkEntry & { alg: 'EdDSA' | 'ES256' };

export interface TrustFileData {
  keys: TrustJwk[];
}

const HEX_ID = /^(?:[0-9a-fA-F]{2})+$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The trust file when it passes the JWK-Set rules (src/lists/jwkSet.ts), else undefined. */
export function checkTrustFile(json: unknown): TrustFileData | undefined {
  const c = checkJwkSet(json, TRUST_KEY_RULES);
  return c.ok ? { keys: c.keys as TrustJwk[] } : undefined;
}

/** Imports the keys of a checked trust file; throws KeySetError naming every key that cannot be imported. */
export function buildTrustList(data: TrustFileData): TrustList {
  const keys = importCheckedKeys(data.keys, TRUST_KEY_RULES).map((k) => {
    const tk: TrustKey = { kidHex: k.kidHex!, alg: k.alg, key: k.key };
    if (k.nbf !== undefined) tk.nbf = k.nbf;
    if (k.exp !== undefined) tk.exp = k.exp;
    return tk;
  });
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
    v === undefined
      ? []
      : Array.isArray(v) && v.every((s) => typeof s === 'string' && HEX_ID.test(s))
        ? (v as string[])
        : undefined;
  const sub = side(json.sub);
  const cti = side(json.cti);
  return sub && cti ? { sub, cti } : undefined;
}

export function buildDenyList(data: DenyFileData): DenyList {
  return new DenyList(data.sub, data.cti);
}
