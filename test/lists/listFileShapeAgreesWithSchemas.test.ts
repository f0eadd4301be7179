/**
 * `faregate verify` checks trust and deny files by hand (src/lists/listFileShape.ts) so that it
 * starts without zod; everything else uses the zod schemas. The two must agree: on generated
 * files of every shape, the hand check accepts exactly what the schema accepts, and both build
 * the same list.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DenyFileSchema } from '../../src/lists/denyFile.ts';
import { checkDenyFile, checkTrustFile } from '../../src/lists/listFileShape.ts';
import { TrustFileSchema } from '../../src/lists/trustFile.ts';

const maybe = (...values: unknown[]): fc.Arbitrary<unknown> => fc.constantFrom(...values);
const absent = undefined;

// Valid keys of both kinds with any nbf and exp, then 0 to 2 members replaced by values from these pools.
const ED = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', alg: 'EdDSA', kid: 'AQ' };
const P256 = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', alg: 'ES256', kid: 'AQID' };
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
