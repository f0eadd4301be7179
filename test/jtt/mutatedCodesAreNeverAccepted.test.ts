/**
 * Property: a valid JT/T code changed anywhere (a byte flipped, inserted, deleted, the code cut
 * short) is never accepted and never throws, as bytes or as hex or base64 text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NOW, code, format } from './jttFixtures.ts';

const VALID = code();
const VALID_LONG = code({ issuerData: Buffer.from([0x0d, 0x0a, 1, 2, 3]) });

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'insert'; at: number; byte: number }
  | { kind: 'delete'; at: number }
  | { kind: 'cut'; at: number };

function mutate(b: Buffer, m: Mutation): Buffer {
  const at = m.at % b.length;
  switch (m.kind) {
    case 'flip': {
      const c = Buffer.from(b);
      c[at] = c[at]! ^ m.mask;
      return c;
    }
    case 'insert': // strictly inside: one terminator after the end is a valid binary frame (§1.1)
      return Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    case 'cut':
      return b.subarray(0, at);
  }
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
);

describe('mutated JT/T codes', () => {
  it('the unmutated codes are accepted (the property is not vacuous)', () => {
    expect(format().evaluateFrame(VALID, NOW).decision).toBe('accept');
    expect(format().evaluateFrame(VALID_LONG, NOW).decision).toBe('accept');
  });

  it('are never accepted and never throw, as bytes, hex or base64', () => {
    const f = format(); // one format: the cache is warm with the valid codes' credentials
    f.evaluateFrame(VALID, NOW);
    f.evaluateFrame(VALID_LONG, NOW);
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('bytes', 'hex', 'base64'),
        (long, ms, form) => {
          let b = long ? VALID_LONG : VALID;
          for (const m of ms) b = mutate(b, m);
          if (b.equals(VALID) || b.equals(VALID_LONG)) return;
          const d =
            form === 'bytes'
              ? f.evaluateFrame(b, NOW)
              : f.evaluate(form === 'hex' ? b.toString('hex') : b.toString('base64'), NOW);
          expect(d.decision).toBe('reject');
          expect(d.reason).toBeDefined();
        },
      ),
      { numRuns: 150, seed: 1179 },
    );
  });
});
