/**
 * `faregate verify` checks trust and deny files without zod (src/lists/listFileShape.ts; trust
 * files through the one JWK-Set import, src/lists/jwkSet.ts). On generated files of every shape,
 * the hand checks accept exactly what the documented shape accepts, written independently here
 * in zod for trust files (qr-token-v1 §5, public keys only), and the service's zod schema for
 * deny files; and both give the same result.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DenyFileSchema } from '../../src/lists/denyFile.ts';
import { checkDenyFile, checkTrustFile } from '../../src/lists/listFileShape.ts';

const b64u = z.string().regex(/^[A-Za-z0-9_-]+$/);
const unixSeconds = z.number().int().nonnegative();
/** The trust file's documented shape, as a reference for the hand check. */
const TrustFileSchema = z
  .object({
    keys: z.array(
      z.looseObject({
        kty: z.enum(['OKP', 'EC']),
        crv: z.enum(['Ed25519', 'P-256']),
        x: b64u,
        y: b64u.optional(),
        alg: z.enum(['EdDSA', 'ES256']),
        kid: b64u,
        nbf: unixSeconds.optional(),
        exp: unixSeconds.optional(),
        d: z.undefined().optional(),
      }),
    ),
  })
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    v.keys.forEach((k, i) => {
      const problem = (message: string) => ctx.addIssue({ code: 'custom', path: ['keys', i], message });
      const kidHex = Buffer.from(k.kid, 'base64url').toString('hex');
      if (seen.has(kidHex)) problem('repeated kid');
      seen.add(kidHex);
      if (kidHex.length < 2 || kidHex.length > 32) problem('kid must be 1..16 bytes');
      if ((k.kty === 'OKP') !== (k.crv === 'Ed25519')) problem('crv does not go with kty');
      if ((k.alg === 'EdDSA') !== (k.crv === 'Ed25519')) problem('alg does not go with crv');
      if (k.crv === 'P-256' && k.y === undefined) problem('P-256 key needs y');
      if (k.nbf !== undefined && k.exp !== undefined && k.nbf > k.exp) problem('exp is before nbf');
    });
  });

const maybe = (...values: unknown[]): fc.Arbitrary<unknown> => fc.constantFrom(...values);
const absent = undefined;

// Valid keys of both kinds with any nbf and exp, then 0 to 2 members replaced by values from these pools.
const ED = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', alg: 'EdDSA', kid: 'AQ' };
const P256 = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
  alg: 'ES256',
  kid: 'AQID',
};
const POOLS: Record<string, unknown[]> = {
  kty: ['OKP', 'EC', 'RSA', absent, 1],
  crv: ['Ed25519', 'P-256', 'P-384', absent],
  x: ['abc-_', '', 'a=b', 5, absent],
  y: [absent, 'OzDkWKP2Hu0fOk-lGgzSvIlfGGGQOfHNsEAyJwZtlOw', '', null],
  alg: ['EdDSA', 'ES256', 'RS256', absent],
  kid: ['AQ', 'AQID', 'ZmctZGV2LWlzc3Vlci0x', 'A', '', 'AAECAwQFBgcICQoLDA0ODxA', 'AAECAwQFBgcICQoLDA0ODw', 'a+b', 7],
  nbf: [absent, 0, 10, 1_900_000_000, -1, 1.5, 2 ** 60, '5', null],
  exp: [absent, 0, 10, 2_000_000_000, -1, 2 ** 53, Number.NaN],
  use: [absent, 'sig'],
  d: [absent, 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A'],
};
const jwk = fc
  .tuple(
    maybe(ED, P256),
    maybe(...POOLS.nbf!),
    maybe(...POOLS.exp!),
    fc.array(fc.tuple(maybe(...Object.keys(POOLS)), fc.nat()), { maxLength: 2 }),
  )
  .map(([base, nbf, exp, edits]) => {
    const k: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    if (nbf !== undefined) k.nbf = nbf;
    if (exp !== undefined) k.exp = exp;
    for (const [field, n] of edits as [string, number][]) {
      const pool = POOLS[field]!;
      const v = pool[n % pool.length];
      if (v === undefined) delete k[field];
      else k[field] = v;
    }
    return k;
  });

const trustFile = fc.oneof(
  { weight: 8, arbitrary: fc.record({ keys: fc.array(jwk, { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ keys: fc.array(jwk, { maxLength: 2 }), note: fc.string() }) },
  { weight: 1, arbitrary: maybe(null, [], {}, { keys: {} }, { keys: 'x' }, 'keys', 3) },
);

const side = maybe(absent, [], ['ab'], ['AB', 'cd0f'], ['abc'], ['zz'], [''], [1], 'ab', null);
const denyFile = fc.oneof(
  { weight: 6, arbitrary: fc.record({ sub: side, cti: side }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.record({ sub: side, other: maybe(1, 'x') }) },
  { weight: 1, arbitrary: maybe(null, [], 'x', 3) },
);

describe('hand checks of the list files agree with the zod schemas', () => {
  it('trust files: accepted by the hand check exactly when the schema accepts them, with the same keys', () => {
    let accepted = 0;
    fc.assert(
      fc.property(trustFile, (file) => {
        const byHand = checkTrustFile(file);
        const bySchema = TrustFileSchema.safeParse(file);
        expect(byHand !== undefined).toBe(bySchema.success);
        if (byHand && bySchema.success) {
          accepted++;
          expect(byHand.keys).toEqual(bySchema.data.keys);
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(300); // the generator reaches valid files with keys, not only broken ones
  });

  it('deny files: the same', () => {
    let accepted = 0;
    fc.assert(
      fc.property(denyFile, (file) => {
        const byHand = checkDenyFile(file);
        const bySchema = DenyFileSchema.safeParse(file);
        expect(byHand !== undefined).toBe(bySchema.success);
        if (byHand && bySchema.success) {
          accepted++;
          expect(byHand).toEqual(bySchema.data);
        }
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(30);
  });
});
