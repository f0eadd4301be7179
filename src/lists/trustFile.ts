/**
 * Trust list file (qr-token-v1 §5): a JWK Set of issuer public keys, each with `kid`
 * (base64url of the COSE kid), `alg`, optional `nbf`/`exp`. Validated with zod; every problem
 * is reported at once, with its path.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { z } from 'zod';
import { algFromName, algOfKey, hex } from '../token/coseKey.ts';
import { TrustList, type TrustKey } from '../token/trustList.ts';
import { formatIssues } from './issues.ts';

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

export class ListFileError extends Error {
  override readonly name = 'ListFileError';
}

/** Builds a TrustList from parsed JSON; throws ListFileError listing every problem. */
export function trustListFromJson(json: unknown): TrustList {
  const r = TrustFileSchema.safeParse(json);
  if (!r.success) throw new ListFileError(formatIssues(r.error.issues));
  const problems: string[] = [];
  const keys: TrustKey[] = [];
  r.data.keys.forEach((k, i) => {
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
