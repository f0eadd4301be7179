import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE45_ALPHABET, Base45Error, base45Decode, base45Encode } from '../../src/token/base45.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('base45 (RFC 9285)', () => {
  const examples: [string, string][] = [
    ['AB', 'BB8'],
    ['Hello!!', '%69 VD92EX0'],
    ['base-45', 'UJCLQE7W581'],
    ['ietf!', 'QED8WEX0'],
  ];

  it.each(examples)('encodes the RFC 9285 example %j as %j', (plain, encoded) => {
    expect(base45Encode(utf8(plain))).toBe(encoded);
  });

  it.each(examples)('decodes the RFC 9285 example %j from %j', (plain, encoded) => {
    expect(text(base45Decode(encoded))).toBe(plain);
  });

  it('encodes and decodes the empty string', () => {
    expect(base45Encode(new Uint8Array(0))).toBe('');
    expect(base45Decode('')).toEqual(new Uint8Array(0));
  });

  it('decodes from a start index (after the FG1: prefix)', () => {
    expect(text(base45Decode('FG1:QED8WEX0', 4))).toBe('ietf!');
  });

  it('encodes the extreme groups: 0x0000 as 000, 0xffff as FGW, 0xff as U5', () => {
    expect(base45Encode(Uint8Array.of(0, 0))).toBe('000');
    expect(base45Encode(Uint8Array.of(0xff, 0xff))).toBe('FGW');
    expect(base45Encode(Uint8Array.of(0xff))).toBe('U5');
    expect(base45Decode('FGW')).toEqual(Uint8Array.of(0xff, 0xff));
    expect(base45Decode('U5')).toEqual(Uint8Array.of(0xff));
  });

  describe('invalid input is a Base45Error', () => {
    const invalid: [string, string][] = [
      ['a three-character group above 65535 (GGW = 65536)', 'GGW'],
      ['the largest three-character group ZZZ (72485)', 'ZZZ'],
      ['":::" (91124)', ':::'],
      ['a trailing pair above 255 (V5 = 256)', 'V5'],
      ['a trailing pair "::"', 'BB8::'],
      ['lower case letters', 'bb8'],
      ['lower case in the RFC example', '%69 vD92EX0'],
      ['length 1 mod 3 (one character)', 'A'],
      ['length 1 mod 3 (four characters)', 'BB8A'],
      ['length 1 mod 3 (seven characters)', 'QED8WEXA0'.slice(0, 7)],
      ['"=" (not in the alphabet)', 'BB='],
      ['"_" (not in the alphabet)', 'B_8'],
      ['a tab', 'B\t8'],
      ['a non-ASCII letter', 'BBÄ'],
      ['a non-ASCII character whose low byte is in the alphabet (U+0141)', 'BB\u0141'],
    ];
    it.each(invalid)('rejects %s', (_name, input) => {
      expect(() => base45Decode(input)).toThrow(Base45Error);
    });

    it('rejects a start index beyond the end', () => {
      expect(() => base45Decode('AB', 3)).toThrow(Base45Error);
    });
  });

  it('the exceeding-group boundary: FGW (65535) decodes, GGW (65536) does not', () => {
    expect(base45Decode('FGW')).toEqual(Uint8Array.of(0xff, 0xff));
    expect(() => base45Decode('GGW')).toThrow(/65535/);
  });

  it('round trips arbitrary bytes, using only the 45-character alphabet at length ⌊n/2⌋·3 + (n mod 2)·2', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const s = base45Encode(b);
        expect(s.length).toBe(Math.floor(b.length / 2) * 3 + (b.length % 2) * 2);
        for (const c of s) expect(BASE45_ALPHABET).toContain(c);
        expect(base45Decode(s)).toEqual(b);
      }),
      { numRuns: 300 },
    );
  });

  it('every string over the alphabet either decodes to bytes that re-encode to it, or throws Base45Error', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...BASE45_ALPHABET.split('')), maxLength: 40 }), (s) => {
        let decoded: Uint8Array;
        try {
          decoded = base45Decode(s);
        } catch (e) {
          expect(e).toBeInstanceOf(Base45Error);
          return;
        }
        expect(base45Encode(decoded)).toBe(s);
      }),
      { numRuns: 300 },
    );
  });
});
