/**
 * Trust list file (qr-token-v1 §5): a JWK Set of issuer public keys, each with `kid`
 * (base64url of the COSE kid), `alg`, optional `nbf`/`exp`. Validated with zod; every problem
 * is reported at once, with its path. (`faregate verify` checks the common, valid case by hand
 * first: listFileShape.ts.)
 */
import { z } from 'zod';
import type { TrustList } from '../token/trustList.ts';
import { formatIssues } from './issues.ts';
import { buildTrustList, ListFileError } from './listFileShape.ts';

const b64u = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be base64url without padding');
const unixSeconds = z.number().int().nonnegative();

export const TrustJwkSchema = z.looseObject({
  kty: z.enum(['OKP', 'EC']),
  crv: z.enum(['Ed25519', 'P-256']),
  x: b64u,
  y: b64u.optional(),
  alg: z.enum(['EdDSA', 'ES256']),
  kid: b64u,
  nbf: unixSeconds.optional(),
  exp: unixSeconds.optional(),
});

export const TrustFileSchema = z
  .object({ keys: z.array(TrustJwkSchema) })
  .superRefine((v, ctx) => {
    const seen = new Map<string, number>();
    v.keys.forEach((k, i) => {
      const kidHex = Buffer.from(k.kid, 'base64url').toString('hex');
      const first = seen.get(kidHex);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['keys', i, 'kid'], message: `repeated kid (also keys[${first}])` });
      else seen.set(kidHex, i);
      const kidLen = kidHex.length / 2;
      if (kidLen < 1 || kidLen > 16) ctx.addIssue({ code: 'custom', path: ['keys', i, 'kid'], message: 'kid must be 1..16 bytes' });
      if ((k.kty === 'OKP') !== (k.crv === 'Ed25519'))
        ctx.addIssue({ code: 'custom', path: ['keys', i, 'crv'], message: `crv ${k.crv} does not go with kty ${k.kty}` });
      if ((k.alg === 'EdDSA') !== (k.crv === 'Ed25519'))
        ctx.addIssue({ code: 'custom', path: ['keys', i, 'alg'], message: `alg ${k.alg} does not go with crv ${k.crv}` });
      if (k.crv === 'P-256' && k.y === undefined) ctx.addIssue({ code: 'custom', path: ['keys', i, 'y'], message: 'P-256 key needs y' });
      if (k.nbf !== undefined && k.exp !== undefined && k.nbf > k.exp)
        ctx.addIssue({ code: 'custom', path: ['keys', i, 'exp'], message: 'exp is before nbf' });
    });
  });

export type TrustFile = z.infer<typeof TrustFileSchema>;

export { ListFileError };

/** Builds a TrustList from parsed JSON; throws ListFileError listing every problem. */
export function trustListFromJson(json: unknown): TrustList {
  const r = TrustFileSchema.safeParse(json);
  if (!r.success) throw new ListFileError(formatIssues(r.error.issues));
  return buildTrustList(r.data);
}
