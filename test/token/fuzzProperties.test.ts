/**
 * Property tests: the validator never throws on any input, never accepts a damaged code, and
 * a damaged code yields only the reasons the damage can legitimately cause.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE45_ALPHABET } from '../../src/token/base45.ts';
import { CborFloat, CborTag, cborEncode, type CborValue } from '../../src/token/cbor.ts';
import { coseKeyFromPublic } from '../../src/token/coseKey.ts';
import type { Reason } from '../../src/token/reasons.ts';
import type { Decision } from '../../src/token/validator.ts';
import {
  ISSUER_ED,
  ISSUER_ES,
  NOW,
  OMIT,
  RIDER_ED,
  RIDER_ES,
  fg1Text,
  flipBit,
  makeValidator,
  rideCode,
  type BuiltCode,
  type Override,
} from '../support/fixtures.ts';

const RUNS = 250;

const STRUCTURE_OR_SIGNATURE: readonly Reason[] = [
  'malformed',
  'unsupported_alg',
  'unknown_key',
  'alg_mismatch',
  'bad_issuer_signature',
  'bad_code_signature',
];

function decideSafely(text: string): Decision {
  // a fresh validator per input would hide cache effects; one shared validator, no accepts expected
  return shared.decide(text, NOW);
}

const shared = makeValidator();

function expectRejectedFor(d: Decision, allowed: readonly Reason[]): void {
  expect(d.decision).toBe('reject');
  expect(allowed).toContain(d.reason);
}

describe('(a) arbitrary input never throws and is refused for structure or signature', () => {
  const ARBITRARY_ALLOWED: readonly Reason[] = [
    'malformed',
    'unsupported_alg',
    'unknown_key',
    'alg_mismatch',
    'bad_issuer_signature',
  ];

  it('arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 1100, unit: 'binary' }), (s) => {
        expectRejectedFor(decideSafely(s), ['malformed']);
      }),
      { numRuns: RUNS },
    );
  });

  it('FG1: followed by arbitrary base45-alphabet text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...BASE45_ALPHABET.split('')), maxLength: 1020 }), (s) => {
        expectRejectedFor(decideSafely('FG1:' + s), ['malformed']);
      }),
      { numRuns: RUNS },
    );
  });

  it('FG1: followed by arbitrary bytes in base45', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (b) => {
        expectRejectedFor(decideSafely(fg1Text(b)), ARBITRARY_ALLOWED);
      }),
      { numRuns: RUNS },
    );
  });

  const anyValue: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.integer({ min: -100, max: 100_000 }),
      fc.constant(NOW),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.string({ maxLength: 10 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.constantFrom<CborValue>(true, false, null, undefined, new CborFloat(1), new CborFloat(NaN)),
      fc.array(tie('v'), { maxLength: 4 }),
      fc
        .array(fc.tuple(fc.integer({ min: -70005, max: 10 }), tie('v')), { maxLength: 6 })
        .map((e) => new Map<CborValue, CborValue>(e)),
    ),
  })).v;

  const header = fc.oneof(
    fc.constant(new Uint8Array(0)),
    anyValue.map((v) => cborEncode(v)),
    fc
      .tuple(
        fc.constantFrom<CborValue>(-8, -7, -35, 'EdDSA', 0),
        fc.constantFrom<CborValue>(ISSUER_ED.kid, ISSUER_ES.kid, Uint8Array.of(9), 'kid'),
      )
      .map(([alg, kid]) =>
        cborEncode(
          new Map([
            [1, alg],
            [4, kid],
          ]),
        ),
      ),
  );
  const sign1 = (payload: fc.Arbitrary<Uint8Array | null>): fc.Arbitrary<Uint8Array> =>
    fc
      .record({
        p: header,
        u: fc.oneof(fc.constant(new Map()), anyValue),
        payload,
        sig: fc.oneof(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ maxLength: 70 })),
        tag: fc.constantFrom<number | null>(18, null, 61),
      })
      .map(({ p, u, payload: pl, sig, tag }) => {
        const arr: CborValue = [p, u, pl, sig];
        return cborEncode(tag === null ? arr : new CborTag(tag, arr));
      });

  const claims = fc
    .record({
      sub: fc.uint8Array({ minLength: 1, maxLength: 33 }),
      exp: anyValue,
      cti: fc.uint8Array({ minLength: 0, maxLength: 17 }),
      cnf: fc.oneof(fc.constant<CborValue>(new Map([[1, coseKeyFromPublic(RIDER_ED.publicKey)]])), anyValue),
      extra: anyValue,
    })
    .map((c) =>
      cborEncode(
        new Map<CborValue, CborValue>([
          [2, c.sub],
          [4, c.exp],
          [7, c.cti],
          [8, c.cnf],
          [-70004, c.extra],
        ]),
      ),
    );
  const level1 = sign1(
    fc.oneof(
      claims,
      fc.constant(null),
      anyValue.map((v) => cborEncode(v)),
    ),
  );
  const level2Payload = fc
    .record({ cred: fc.oneof(level1, fc.uint8Array({ maxLength: 10 })), ts: anyValue, seq: anyValue })
    .map((r) =>
      cborEncode(
        new Map<CborValue, CborValue>([
          [1, r.cred],
          [2, r.ts],
          [3, r.seq],
        ]),
      ),
    );
  const level2 = sign1(
    fc.oneof(
      level2Payload,
      anyValue.map((v) => cborEncode(v)),
    ),
  );

  it('COSE-shaped random structures (random headers, claims and 64-byte signatures) with trusted kids', () => {
    fc.assert(
      fc.property(level2, (b) => {
        expectRejectedFor(decideSafely(fg1Text(b)), ARBITRARY_ALLOWED);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('(b) a damaged valid code is never accepted', () => {
  const bases: [string, BuiltCode][] = [
    ['EdDSA/EdDSA', rideCode({ rider: RIDER_ED, credential: { issuer: ISSUER_ED } })],
    ['ES256/ES256', rideCode({ rider: RIDER_ES, credential: { issuer: ISSUER_ES } })],
    ['EdDSA/ES256 untagged', rideCode({ rider: RIDER_ES, credential: { issuer: ISSUER_ED, tag: null }, tag: null })],
  ];

  it.each(bases)('%s: the undamaged code is accepted (control)', (_n, c) => {
    expect(makeValidator().decide(c.text, NOW).decision).toBe('accept');
  });

  describe.each(bases)('%s', (_n, c) => {
    it('one base45 character replaced by another', () => {
      fc.assert(
        fc.property(fc.integer({ min: 4, max: c.text.length - 1 }), fc.integer({ min: 1, max: 44 }), (i, shift) => {
          const old = BASE45_ALPHABET.indexOf(c.text[i]!);
          const mutated = c.text.slice(0, i) + BASE45_ALPHABET[(old + shift) % 45]! + c.text.slice(i + 1);
          expectRejectedFor(decideSafely(mutated), STRUCTURE_OR_SIGNATURE);
        }),
        { numRuns: RUNS },
      );
    });

    it('one bit flipped anywhere in the level-2 bytes', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: c.bytes.length * 8 - 1 }), (bit) => {
          expectRejectedFor(decideSafely(fg1Text(flipBit(c.bytes, bit))), STRUCTURE_OR_SIGNATURE);
        }),
        { numRuns: RUNS },
      );
    });

    it('truncated level-2 bytes are malformed', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: c.bytes.length - 1 }), (n) => {
          expectRejectedFor(decideSafely(fg1Text(c.bytes.subarray(0, n))), ['malformed']);
        }),
        { numRuns: 100 },
      );
    });

    it('extended level-2 bytes are malformed', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 16 }), (extra) => {
          const b = new Uint8Array(c.bytes.length + extra.length);
          b.set(c.bytes);
          b.set(extra, c.bytes.length);
          expectRejectedFor(decideSafely(fg1Text(b)), ['malformed']);
        }),
        { numRuns: 100 },
      );
    });
  });

  describe('targeted flips yield exactly one reason', () => {
    const c = bases[0]![1];
    const buf = Buffer.from(c.bytes);
    const payloadAt = buf.indexOf(Buffer.from(c.parts.payload!));
    const seqLen = cborEncode(1).length;
    const tsAt = payloadAt + c.parts.payload!.length - 1 - seqLen - cborEncode(NOW).length;
    const kidAt = buf.indexOf(Buffer.from(ISSUER_ED.kid));
    const credAt = buf.indexOf(Buffer.from(c.credential));
    const l1SigAt = credAt + c.credential.length - 64;
    const l2SigAt = c.bytes.length - 64;

    it('locates the fields (control)', () => {
      expect(payloadAt).toBeGreaterThan(0);
      expect(buf[tsAt]).toBe(0x1a);
      expect(buf.readUInt32BE(tsAt + 1)).toBe(NOW);
      expect(kidAt).toBeGreaterThan(0);
      expect(credAt).toBeGreaterThan(0);
    });

    const flipIn = (at: number, len: number, reason: Reason) => () =>
      fc.assert(
        fc.property(fc.integer({ min: 0, max: len * 8 - 1 }), (bit) => {
          const d = decideSafely(fg1Text(flipBit(c.bytes, at * 8 + bit)));
          expect(d.decision).toBe('reject');
          expect(d.reason).toBe(reason);
        }),
        { numRuns: Math.min(RUNS, len * 8) },
      );

    it('a bit flip in the ts value is bad_code_signature', () => flipIn(tsAt + 1, 4, 'bad_code_signature')());
    it('a bit flip in the issuer kid is unknown_key', () => flipIn(kidAt, ISSUER_ED.kid.length, 'unknown_key')());
    it('a bit flip in the level-1 signature is bad_issuer_signature', () =>
      flipIn(l1SigAt, 64, 'bad_issuer_signature')());
    it('a bit flip in the level-2 signature is bad_code_signature', () => flipIn(l2SigAt, 64, 'bad_code_signature')());
  });
});

describe('(c) well-signed credentials with arbitrary claim values: malformed exactly when a claim breaks its type', () => {
  type Gen = fc.Arbitrary<{ v: Override; ok: boolean }>;
  const valid = (a: fc.Arbitrary<Override>): Gen => a.map((v) => ({ v, ok: true }));
  const invalid = (a: fc.Arbitrary<Override>): Gen => a.map((v) => ({ v, ok: false }));
  const notUint = fc.oneof(
    fc.integer({ min: -1_000_000, max: -1 }),
    fc.constantFrom<Override>(new CborFloat(5), 'x', new Uint8Array(1), null, true, new CborTag(1, 5)),
  );
  const uint = fc.oneof(fc.nat(), fc.constant(NOW), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
  /** Mostly valid, so that about a fifth of the credentials are entirely valid. */
  const either = (ok: Gen, bad: Gen): Gen => fc.oneof({ arbitrary: ok, weight: 6 }, { arbitrary: bad, weight: 1 });
  const optional = (ok: fc.Arbitrary<Override>, bad: fc.Arbitrary<Override>): Gen =>
    either(fc.oneof(valid(fc.constant(OMIT)), valid(ok)), invalid(bad));

  const gens: Record<string, Gen> = {
    1: optional(fc.string({ maxLength: 20 }), fc.oneof(fc.uint8Array({ maxLength: 4 }), fc.nat())),
    2: either(
      valid(fc.uint8Array({ minLength: 1, maxLength: 32 })),
      invalid(
        fc.oneof(
          fc.constant(new Uint8Array(0)),
          fc.uint8Array({ minLength: 33, maxLength: 40 }),
          fc.constant<Override>('sub'),
          fc.constant(OMIT),
        ),
      ),
    ),
    4: either(valid(uint), invalid(fc.oneof(notUint, fc.constant(OMIT)))),
    5: optional(uint, notUint),
    6: optional(uint, notUint),
    7: either(
      valid(fc.uint8Array({ minLength: 1, maxLength: 16 })),
      invalid(
        fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 17, maxLength: 20 }), fc.constant(OMIT)),
      ),
    ),
    8: either(
      valid(fc.constant(new Map([[1, coseKeyFromPublic(RIDER_ED.publicKey)]]))),
      invalid(
        fc.constantFrom<Override>(
          OMIT,
          coseKeyFromPublic(RIDER_ED.publicKey),
          null,
          new Map([[2, coseKeyFromPublic(RIDER_ED.publicKey)]]),
        ),
      ),
    ),
    [-70001]: optional(fc.integer({ min: 0, max: 5 }), notUint),
    [-70002]: optional(uint, notUint),
    [-70003]: optional(fc.integer({ min: 0, max: 3 }), notUint),
    [-70004]: optional(
      fc.integer({ min: 1, max: 3600 }),
      fc.oneof(notUint, fc.constant(0), fc.integer({ min: 3601, max: 100_000 })),
    ),
  };

  it('never throws; malformed iff some claim is out of its type or range', () => {
    const seen = { valid: 0, invalid: 0, accepted: 0 };
    fc.assert(
      fc.property(fc.record(gens), fc.integer({ min: -200, max: 200 }), (claims, tsOffset) => {
        const overrides = new Map<number, Override>(Object.entries(claims).map(([k, x]) => [Number(k), x.v]));
        const allOk = Object.values(claims).every((x) => x.ok);
        const code = rideCode({ credential: { claims: overrides }, ts: NOW + tsOffset });
        const d = makeValidator().decide(code.text, NOW);
        seen[allOk ? 'valid' : 'invalid']++;
        if (d.decision === 'accept') seen.accepted++;
        if (allOk) expect(d.reason).not.toBe('malformed');
        else expect(d.reason).toBe('malformed');
      }),
      { numRuns: RUNS },
    );
    // both sides of the property were exercised
    expect(seen.valid).toBeGreaterThan(10);
    expect(seen.invalid).toBeGreaterThan(10);
    expect(seen.accepted).toBeGreaterThan(0);
  });
});
