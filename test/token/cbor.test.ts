import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CborError,
  CborFloat,
  CborSimple,
  CborTag,
  cborDecode,
  cborEncode,
  type CborValue,
} from '../../src/token/cbor.ts';
import { bytes, toHex } from '../support/fixtures.ts';

const dec = (h: string): CborValue => cborDecode(bytes(h));
const enc = (v: CborValue): string => toHex(cborEncode(v));

describe('strict CBOR decoder', () => {
  describe('indefinite lengths are refused', () => {
    it.each([
      ['array', '9f0102ff'],
      ['empty array', '9fff'],
      ['map', 'bf0102ff'],
      ['byte string', '5f4101ff'],
      ['text string', '7f6161ff'],
      ['array nested in a definite array', '819f01ff'],
      ['a lone break', 'ff'],
    ])('indefinite %s (%s)', (_n, h) => {
      expect(() => dec(h)).toThrow(CborError);
    });
    it('says why', () => {
      expect(() => dec('9f01ff')).toThrow(/indefinite/);
    });
  });

  describe('trailing bytes are refused', () => {
    it.each([
      ['after an integer', '0100'],
      ['after a map', 'a0a0'],
      ['a break after a definite array', '8101ff'],
      ['after a COSE-like array', '8443a10126a04054' + '00'.repeat(20) + '40' + '00'],
    ])('%s', (_n, h) => {
      expect(() => dec(h)).toThrow(CborError);
    });
    it('the same item without the trailing byte decodes', () => {
      expect(dec('01')).toBe(1);
      expect(() => dec('0100')).toThrow(/trailing/);
    });
  });

  describe('duplicate map keys are refused', () => {
    it.each([
      ['integer keys {1: 1, 1: 2}', 'a2' + '0101' + '0102'],
      ['negative integer keys {-1: 0, -1: 1}', 'a2' + '2000' + '2001'],
      ['text keys {"a": 1, "a": 2}', 'a2' + '616101' + '616102'],
      ['byte-string keys', 'a2' + '410100' + '410100'],
      ['array keys', 'a2' + '820102' + '00' + '820102' + '01'],
      ['big integer keys 2^64-1', 'a2' + '1bffffffffffffffff00' + '1bffffffffffffffff01'],
      ['a duplicate that is not adjacent {1:0, 2:0, 1:0}', 'a3' + '0100' + '0200' + '0100'],
      ['a duplicate in a nested map', '81' + 'a2' + '0101' + '0102'],
    ])('%s', (_n, h) => {
      expect(() => dec(h)).toThrow(/duplicate map key/);
    });

    it('keys that differ in type are not duplicates: 1, "1", h\'01\', 1.0', () => {
      const m = dec('a4' + '0100' + '613100' + '410100' + 'f93c0000');
      expect(m).toBeInstanceOf(Map);
      expect((m as Map<CborValue, CborValue>).size).toBe(4);
    });
  });

  describe('a declared length larger than the input is refused without allocating', () => {
    it.each([
      ['byte string of 2^32 - 1 bytes', '5affffffff'],
      ['byte string of 2^64 - 1 bytes', '5bffffffffffffffff'],
      ['text string of 10 bytes with 3 present', '6a616263'],
      ['array of 2^32 - 1 items', '9affffffff'],
      ['array of 2^64 - 1 items', '9bffffffffffffffff'],
      ['map of 2^32 - 1 entries', 'baffffffff'],
      ['map of 3 entries in 5 bytes (2 bytes per entry at least)', 'a30102'],
      ['byte string of 1 byte with none present', '41'],
    ])('%s', (_n, h) => {
      const t0 = performance.now();
      expect(() => dec(h)).toThrow(/declared length exceeds input/);
      expect(performance.now() - t0).toBeLessThan(50);
    });

    it('a truncated head is refused', () => {
      expect(() => dec('19 01')).toThrow(CborError);
      expect(() => dec('1b 0000')).toThrow(CborError);
    });
  });

  describe('nesting is bounded', () => {
    it('16 nested arrays decode, 17 do not (default limit 16)', () => {
      expect(() => dec('81'.repeat(15) + '80')).not.toThrow();
      expect(() => dec('81'.repeat(16) + '80')).toThrow(/nesting too deep/);
    });
    it('tags count as nesting', () => {
      expect(() => dec('c1'.repeat(16) + '00')).not.toThrow();
      expect(() => dec('c1'.repeat(17) + '00')).toThrow(/nesting too deep/);
    });
    it('maps count as nesting', () => {
      expect(() => dec('a101'.repeat(16) + '00')).not.toThrow();
      expect(() => dec('a101'.repeat(17) + '00')).toThrow(/nesting too deep/);
    });
    it('100 000 nested arrays are a CborError, not a stack overflow', () => {
      expect(() => dec('81'.repeat(100_000) + '80')).toThrow(CborError);
    });
    it('honours a custom limit', () => {
      expect(() => cborDecode(bytes('818180'), { maxDepth: 3 })).not.toThrow();
      expect(() => cborDecode(bytes('818180'), { maxDepth: 2 })).toThrow(/nesting too deep/);
    });
  });

  describe('text must be valid UTF-8', () => {
    it.each([
      ['a truncated two-byte sequence', '62c328'],
      ['a lone continuation byte', '6180'],
      ['an encoded surrogate (CESU)', '63eda080'],
      ['an overlong encoding of NUL', '62c080'],
      ['a code point above U+10FFFF', '64f4908080'],
      ['0xff', '61ff'],
    ])('refuses %s', (_n, h) => {
      expect(() => dec(h)).toThrow(/UTF-8/);
    });
    it('decodes valid UTF-8 including a BOM untouched', () => {
      expect(dec('62c3bc')).toBe('ü');
      expect(dec('64f09f9a8c')).toBe('🚌');
      expect(dec('63efbbbf')).toBe('\ufeff');
    });
  });

  describe('floats decode to CborFloat, never to numbers', () => {
    it.each([
      ['half 1.0', 'f93c00', 1],
      ['half 1.5', 'f93e00', 1.5],
      ['half -4.0', 'f9c400', -4],
      ['half smallest subnormal', 'f90001', 2 ** -24],
      ['half infinity', 'f97c00', Infinity],
      ['single 100000.0', 'fa47c35000', 100000],
      ['single 1800000000.0', 'fa4ed693a4', 1800000000],
      ['double 1.1', 'fb3ff199999999999a', 1.1],
      ['double 1.0', 'fb3ff0000000000000', 1],
    ])('%s', (_n, h, value) => {
      const v = dec(h);
      expect(typeof v).not.toBe('number');
      expect(v).toBeInstanceOf(CborFloat);
      expect((v as CborFloat).value).toBe(value);
    });
    it('half NaN is a CborFloat holding NaN', () => {
      const v = dec('f97e00');
      expect(v).toBeInstanceOf(CborFloat);
      expect((v as CborFloat).value).toBeNaN();
    });
  });

  describe('integers', () => {
    it.each([
      ['0', '00', 0],
      ['23', '17', 23],
      ['24', '1818', 24],
      ['1000000', '1a000f4240', 1000000],
      ['2^53 - 1 stays a number', '1b001fffffffffffff', Number.MAX_SAFE_INTEGER],
      ['-1', '20', -1],
      ['-1000', '3903e7', -1000],
      ['-(2^53 - 1) stays a number', '3b001ffffffffffffe', -Number.MAX_SAFE_INTEGER],
      ['a non-shortest 1 (0x1801) is still well-formed', '1801', 1],
    ])('%s', (_n, h, value) => {
      expect(dec(h)).toBe(value);
    });
    it.each([
      ['2^53 becomes a bigint', '1b0020000000000000', 2n ** 53n],
      ['2^64 - 1 becomes a bigint', '1bffffffffffffffff', 2n ** 64n - 1n],
      ['-2^53 becomes a bigint', '3b001fffffffffffff', -(2n ** 53n)],
      ['-2^64 becomes a bigint', '3bffffffffffffffff', -(2n ** 64n)],
    ])('%s', (_n, h, value) => {
      const v = dec(h);
      expect(typeof v).toBe('bigint');
      expect(v).toBe(value);
    });
  });

  it('keeps tags and simple values distinguishable', () => {
    const t = dec('d24101');
    expect(t).toBeInstanceOf(CborTag);
    expect((t as CborTag).tag).toBe(18);
    expect((t as CborTag).value).toEqual(Uint8Array.of(1));
    expect(dec('f4')).toBe(false);
    expect(dec('f5')).toBe(true);
    expect(dec('f6')).toBe(null);
    expect(dec('f7')).toBe(undefined);
    expect(dec('f0')).toEqual(new CborSimple(16));
    expect(dec('f8ff')).toEqual(new CborSimple(255));
    expect(() => dec('f818')).toThrow(CborError);
  });

  it('refuses reserved additional information 28..30 and an empty input', () => {
    expect(() => dec('1c')).toThrow(/reserved/);
    expect(() => dec('5d')).toThrow(/reserved/);
    expect(() => dec('fe')).toThrow(/reserved/);
    expect(() => dec('')).toThrow(CborError);
  });
});

describe('deterministic CBOR encoder', () => {
  it.each<[string, CborValue, string]>([
    ['0', 0, '00'],
    ['23', 23, '17'],
    ['24', 24, '1818'],
    ['100', 100, '1864'],
    ['1000', 1000, '1903e8'],
    ['1000000', 1000000, '1a000f4240'],
    ['1000000000000', 1000000000000, '1b000000e8d4a51000'],
    ['2^64 - 1', 18446744073709551615n, '1bffffffffffffffff'],
    ['-1', -1, '20'],
    ['-10', -10, '29'],
    ['-100', -100, '3863'],
    ['-1000', -1000, '3903e7'],
    ['-70004', -70004, '3a00011173'],
    ['-2^64', -18446744073709551616n, '3bffffffffffffffff'],
    ['""', '', '60'],
    ['"IETF"', 'IETF', '6449455446'],
    ["h'01020304'", Uint8Array.of(1, 2, 3, 4), '4401020304'],
    ['[1, [2, 3], [4, 5]]', [1, [2, 3], [4, 5]], '8301820203820405'],
    [
      '{1: 2, 3: 4}',
      new Map([
        [1, 2],
        [3, 4],
      ]),
      'a201020304',
    ],
    ["18(h'')", new CborTag(18, new Uint8Array(0)), 'd240'],
    ['1.5 as a double', new CborFloat(1.5), 'fb3ff8000000000000'],
  ])('encodes %s as RFC 8949 shortest form', (_n, v, h) => {
    expect(enc(v)).toBe(h);
  });

  it('refuses a non-integer number (a float must be a CborFloat)', () => {
    expect(() => cborEncode(1.5)).toThrow(CborError);
  });

  const leaf: fc.Arbitrary<CborValue> = fc.oneof(
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }).map((n) => (n === 0 ? 0 : n)),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }).filter((n) => n > 2n ** 53n - 1n || n < -(2n ** 53n)),
    fc.string(),
    fc.uint8Array({ maxLength: 40 }),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.double().map((d) => new CborFloat(d)),
  );
  const key: fc.Arbitrary<CborValue> = fc.oneof(
    fc.integer({ min: -100_000, max: 100_000 }).map((n) => (n === 0 ? 0 : n)),
    fc.string({ maxLength: 8 }),
  );
  const value: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('v'), { maxLength: 5 }),
      fc.array(fc.tuple(key, tie('v')), { maxLength: 5 }).map((es) => new Map(es)),
      fc.tuple(fc.integer({ min: 0, max: 2 ** 32 }), tie('v')).map(([t, v]) => new CborTag(t, v)),
    ),
  })).v;

  it('decode(encode(v)) equals v for arbitrary values (within the nesting limit)', () => {
    fc.assert(
      fc.property(value, (v) => {
        let out: CborValue;
        try {
          out = cborDecode(cborEncode(v));
        } catch (e) {
          // only the nesting limit may refuse a value the encoder produced
          expect((e as Error).message).toMatch(/nesting too deep/);
          return;
        }
        expect(out).toEqual(v);
        expect(enc(out)).toBe(enc(v));
      }),
      { numRuns: 300 },
    );
  });
});
