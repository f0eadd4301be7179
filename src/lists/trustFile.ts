/**
 * Trust list file (qr-token-v1 §5): a JWK Set of issuer public keys, each with `kid`
 * (base64url of the COSE kid, 1..16 bytes), `alg`, optional `nbf`/`exp`. Checked by the one
 * JWK-Set import (jwkSet.ts, TRUST_KEY_RULES): every problem is reported at once, with its path;
 * a private key is refused (FG-404).
 */
import type { TrustList } from '../token/trustList.ts';
import { KeySetError } from './listErrors.ts';
import { buildTrustList, ListFileError, type TrustFileData, type TrustJwk } from './listFileShape.ts';
import { checkJwkSet, TRUST_KEY_RULES } from './jwkSet.ts';

export type TrustFile = TrustFileData;

export { ListFileError };

/** Builds a TrustList from parsed JSON; throws KeySetError (a ListFileError) listing every problem. */
export function trustListFromJson(json: unknown): TrustList {
  const c = checkJwkSet(json, TRUST_KEY_RULES);
  if (!c.ok) throw new KeySetError(c.problems, c.privateKey);
  return buildTrustList({ keys: c.keys as TrustJwk[] });
}
