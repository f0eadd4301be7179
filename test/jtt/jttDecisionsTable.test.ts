/**
 * jtt1179-reading §4: one table of JT/T cases for every reason code and every malformed rule of
 * §2.4, at each link of the chain, with the skew edges and the month-end certificate expiry. The
 * codes are made by the tests' independent minter; the clock is fixed.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JTT_FORMAT, JttFormat } from '../../src/token/jtt/jttFormat.ts';
import { DenyList } from '../../src/token/denyList.ts';
import { MESSAGE_CLASS, REASONS, type Reason } from '../../src/token/reasons.ts';
import { P, be32, sign, type CodeFields } from './contractMinter.ts';
import { FORGER, NOW, OTHER_ROOT, RIDER, RIDER2, code, format, roots } from './jttFixtures.ts';

interface Case {
  name: string;
  /** The payload (bytes) or the text as a scanner or `faregate verify` gives it. */
  input: () => Buffer | string;
  now?: number;
  fmt?: () => JttFormat;
  expect: Reason | 'accept';
  /** Whether the decision names the format (false: §1 could not assign the frame). */
  noFormat?: true;
}

const patch = (b: Buffer, at: number, ...bytes: number[]): Buffer => {
  const c = Buffer.from(b);
  bytes.forEach((v, i) => (c[at + i] = v));
  return c;
};
const withFields = (f: Partial<CodeFields>) => (): Buffer => code(f);
/** 12/25 ends at 2025-12-31T23:59:59Z. */
const DEC25_END = Date.UTC(2026, 0, 1) / 1000 - 1;
/** 02/28 ends at 2028-02-29T23:59:59Z (a leap year). */
const FEB28_END = Date.UTC(2028, 2, 1) / 1000 - 1;
const notOnCurve = (): Buffer => {
  // an x for which x³ + ax + b is not a square mod p
  for (let x = 1n; ; x++) {
    const k = Buffer.concat([Buffer.from([2]), be32(x)]);
    const alpha = (x * x * x + (P - 3n) * x + 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n) % P;
    let r = 1n;
    let b = alpha;
    let e = (P - 1n) / 2n;
    while (e > 0n) {
      if (e & 1n) r = (r * b) % P;
      b = (b * b) % P;
      e >>= 1n;
    }
    if (r !== 1n) return k;
  }
};
const BAD_X = notOnCurve();

const cases: Case[] = [
  { name: 'a valid code is accepted', input: () => code(), expect: 'accept' },
  {
    name: 'the longest issuer-defined field (L = 32) is accepted',
    input: withFields({ issuerData: Buffer.alloc(32, 7) }),
    expect: 'accept',
  },
  {
    name: 'an empty issuer-defined field (L = 0) is accepted',
    input: withFields({ issuerData: Buffer.alloc(0) }),
    expect: 'accept',
  },
  // 1. §1 detection
  {
    name: '§1: text neither hex nor base64 has no format',
    input: () => 'hello world!',
    expect: 'malformed',
    noFormat: true,
  },
  {
    name: '§1: hex of odd length has no format',
    input: () => code().toString('hex').slice(1),
    expect: 'malformed',
    noFormat: true,
  },
  {
    name: '§1: hex whose first byte is below 0x80 has no format',
    input: () => '7f' + code().toString('hex').slice(2),
    expect: 'malformed',
    noFormat: true,
  },
  {
    name: '§1: base64 with both alphabets has no format',
    input: () => 'g+_' + code().toString('base64').slice(3),
    expect: 'malformed',
    noFormat: true,
  },
  {
    name: '§1: base64 with wrong padding has no format',
    input: () => code().toString('base64') + '=',
    expect: 'malformed',
    noFormat: true,
  },
  {
    name: '§1: base64 of length 1 mod 4 has no format',
    input: () => code().toString('base64').replace(/=+$/, '') + 'AAA',
    expect: 'malformed',
    noFormat: true,
  },
  // 1. §2.4 rule by rule
  { name: '§2.4.1: one byte short', input: () => code().subarray(0, 348), expect: 'malformed' },
  {
    name: '§2.4.1: one trailing byte (D counts it)',
    input: () => {
      const b = Buffer.concat([code(), Buffer.from([0])]);
      b.writeUInt16BE(b.length - 3, 1);
      return b;
    },
    expect: 'malformed',
  },
  {
    name: '§2.4.1: L = 33',
    input: () => {
      const b = code({ issuerData: Buffer.alloc(33) });
      return b;
    },
    expect: 'malformed',
  },
  { name: '§2.4.1: shorter than 332 bytes', input: () => code().subarray(0, 331), expect: 'malformed' },
  {
    name: '§2.4.2: D one more than the length',
    input: () => {
      const b = code();
      b.writeUInt16BE(b.length - 2, 1);
      return b;
    },
    expect: 'malformed',
  },
  { name: '§2.4.3: version 0x81', input: withFields({ version: 0x81 }), expect: 'malformed' },
  { name: '§2.4.4: certificate header 0x25', input: withFields({ certHeader: 0x25 }), expect: 'malformed' },
  { name: '§2.4.4: certificate format 0x13', input: withFields({ certFormat: 0x13 }), expect: 'malformed' },
  { name: '§2.4.4: issuer key length 0x20', input: withFields({ keyLength: 0x20 }), expect: 'malformed' },
  {
    name: '§2.4.5: expiry month not BCD (1A)',
    input: withFields({ expiry: Buffer.from('1a30', 'hex') }),
    expect: 'malformed',
  },
  {
    name: '§2.4.5: expiry year not BCD (3A)',
    input: withFields({ expiry: Buffer.from('123a', 'hex') }),
    expect: 'malformed',
  },
  { name: '§2.4.5: expiry month 00', input: withFields({ expiry: Buffer.from('0030', 'hex') }), expect: 'malformed' },
  { name: '§2.4.5: expiry month 13', input: withFields({ expiry: Buffer.from('1330', 'hex') }), expect: 'malformed' },
  { name: '§2.4.6: issuer key with prefix 04', input: () => patch(code(), 23, 0x04), expect: 'malformed' },
  { name: '§2.4.6: issuer key not on the curve', input: withFields({ issuerKey: BAD_X }), expect: 'malformed' },
  {
    name: '§2.4.6: issuer key x = p',
    input: withFields({ issuerKey: Buffer.concat([Buffer.from([2]), be32(P)]) }),
    expect: 'malformed',
  },
  { name: '§2.4.6: user key not on the curve', input: withFields({ userKey: BAD_X }), expect: 'malformed' },
  { name: '§2.4.6: user key with prefix 00', input: () => patch(code(), 158, 0x00), expect: 'malformed' },
  { name: '§2.4.7: field 15 does not begin with 0x15', input: withFields({ sigByte15: 0x16 }), expect: 'malformed' },
  { name: '§2.4.7: field 17 does not begin with 0x15', input: withFields({ sigByte17: 0x00 }), expect: 'malformed' },
  // 2. algorithms
  { name: 'check 2: signature algorithm 0x05', input: withFields({ sigAlg: 5 }), expect: 'unsupported_alg' },
  { name: 'check 2: curve parameter 0x01', input: withFields({ curve: 1 }), expect: 'unsupported_alg' },
  { name: 'check 2: the encryption algorithm is not checked', input: withFields({ encAlg: 9 }), expect: 'accept' },
  // 3, 4. root key
  { name: 'check 3: a root index not in the file', input: withFields({ rootIndex: 1 }), expect: 'unknown_key' },
  {
    name: 'check 4: root not yet valid (nbf − skew − 1)',
    input: () => code(),
    fmt: () => format({ roots: roots({ nbf: NOW + 31 }) }),
    expect: 'key_not_valid',
  },
  {
    name: 'check 4: root nbf − skew is inside',
    input: () => code(),
    fmt: () => format({ roots: roots({ nbf: NOW + 30 }) }),
    expect: 'accept',
  },
  {
    name: 'check 4: root exp + skew is inside',
    input: () => code(),
    fmt: () => format({ roots: roots({ exp: NOW - 30 }) }),
    expect: 'accept',
  },
  {
    name: 'check 4: root expired (exp + skew + 1)',
    input: () => code(),
    fmt: () => format({ roots: roots({ exp: NOW - 31 }) }),
    expect: 'key_not_valid',
  },
  // 5. root signature
  {
    name: 'check 5: certificate signed by another root',
    input: () => code({}, {}, { root: OTHER_ROOT }),
    expect: 'bad_root_signature',
  },
  {
    name: 'check 5: a certificate byte changed under the root signature (serial)',
    input: () => patch(code(), 18, 0x02),
    expect: 'bad_root_signature',
  },
  {
    name: 'check 5: forged at the root and expired everywhere after: the root decides',
    input: () =>
      code(
        { expiry: Buffer.from('0120', 'hex'), authExpiry: NOW - 1000, ts: NOW - 5000 },
        {},
        { root: OTHER_ROOT, issuer: FORGER, user: FORGER },
      ),
    expect: 'bad_root_signature',
  },
  // 6. certificate month
  {
    name: 'check 6: certificate expired 12/25, one second past end + skew',
    input: () => code({ expiry: Buffer.from('1225', 'hex'), ts: DEC25_END + 25 }),
    now: DEC25_END + 31,
    expect: 'issuer_cert_expired',
  },
  {
    name: 'check 6: certificate 12/25 at its last second + skew is inside',
    input: () => code({ expiry: Buffer.from('1225', 'hex'), ts: DEC25_END + 25 }),
    now: DEC25_END + 30,
    expect: 'accept',
  },
  {
    name: 'check 6: 02/28 runs to 29 February 2028 (leap year) + skew',
    input: () => code({ expiry: Buffer.from('0228', 'hex'), ts: FEB28_END + 20, authExpiry: FEB28_END + 1000 }),
    now: FEB28_END + 30,
    expect: 'accept',
  },
  {
    name: 'check 6: 02/28 is over on 1 March 2028 + skew',
    input: () => code({ expiry: Buffer.from('0228', 'hex'), ts: FEB28_END + 20, authExpiry: FEB28_END + 1000 }),
    now: FEB28_END + 31,
    expect: 'issuer_cert_expired',
  },
  {
    name: 'check 6 before 7: expired certificate and forged authorisation',
    input: () => code({ expiry: Buffer.from('0120', 'hex') }, {}, { issuer: FORGER }),
    expect: 'issuer_cert_expired',
  },
  // 7. issuer authorisation
  {
    name: 'check 7: authorisation signed by another key',
    input: () => code({}, {}, { issuer: FORGER }),
    expect: 'bad_issuer_signature',
  },
  {
    name: 'check 7: a field under the authorisation changed (cap)',
    input: () => patch(code(), 157, 0xff),
    expect: 'bad_issuer_signature',
  },
  {
    name: 'check 7: a certificate byte outside the root signature changed (service ID)',
    input: () => patch(code(), 4, 0x02),
    expect: 'bad_issuer_signature',
  },
  // 8. authorisation expiry
  {
    name: 'check 8: authorisation expired (expiry + skew + 1)',
    input: withFields({ authExpiry: NOW - 31, ts: NOW - 10 }),
    expect: 'credential_expired',
  },
  {
    name: 'check 8: authorisation expiry + skew is inside',
    input: withFields({ authExpiry: NOW - 30, ts: NOW - 40 }),
    expect: 'accept',
  },
  // 9. user signature
  {
    name: 'check 9: code signed by another key',
    input: () => code({}, {}, { user: RIDER2 }),
    expect: 'bad_code_signature',
  },
  {
    name: 'check 9: generation time changed',
    input: () => {
      const b = code();
      const L = b[197]!;
      b.writeUInt32BE(NOW - 9, 263 + L);
      return b;
    },
    expect: 'bad_code_signature',
  },
  {
    name: 'check 9: s = 0',
    input: () => {
      const b = code();
      b.fill(0, b.length - 32);
      return b;
    },
    expect: 'bad_code_signature',
  },
  {
    name: 'check 9: r = n',
    input: () => {
      const b = code();
      Buffer.from('fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123', 'hex').copy(b, b.length - 64);
      return b;
    },
    expect: 'bad_code_signature',
  },
  // 10, 11. freshness
  { name: 'check 10: made skew + 1 s in the future', input: withFields({ ts: NOW + 31 }), expect: 'code_from_future' },
  { name: 'check 10: made skew s in the future is inside', input: withFields({ ts: NOW + 30 }), expect: 'accept' },
  { name: 'check 11: validity + skew + 1 s old', input: withFields({ ts: NOW - 91 }), expect: 'code_expired' },
  { name: 'check 11: validity + skew old is inside', input: withFields({ ts: NOW - 90 }), expect: 'accept' },
  {
    name: 'check 11: validity 0, skew s old is inside',
    input: withFields({ validity: 0, ts: NOW - 30 }),
    expect: 'accept',
  },
  {
    name: 'check 11: validity 0, skew + 1 s old',
    input: withFields({ validity: 0, ts: NOW - 31 }),
    expect: 'code_expired',
  },
  // 12. deny list
  {
    name: 'check 12: the user account (sub) is denied',
    input: () => code(),
    fmt: () => format({ deny: new DenyList(['31000000000000000001']) }),
    expect: 'denied',
  },
  {
    name: 'check 12: the payment account (cti) is denied, upper-case in the list',
    input: () => code(),
    fmt: () => format({ deny: new DenyList([], ['50415930303030303030303030303031'.toUpperCase()]) }),
    expect: 'denied',
  },
  {
    name: 'check 12: another account on the list does not deny',
    input: () => code(),
    fmt: () => format({ deny: new DenyList(['31000000000000000002']) }),
    expect: 'accept',
  },
];

function run(c: Case): ReturnType<JttFormat['evaluate']> {
  const f = c.fmt ? c.fmt() : format();
  const input = c.input();
  const now = c.now ?? NOW;
  return typeof input === 'string' ? f.decide(input, now) : f.evaluateFrame(input, now);
}

describe('JT/T 1179 decisions (jtt1179-reading §4), fixed clock', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const d = run(c);
    if (c.expect === 'accept') {
      expect(d).toMatchObject({ decision: 'accept', reasonNumber: 0, message: 'go', format: JTT_FORMAT });
      expect(d.reason).toBeUndefined();
      return;
    }
    expect({ reason: d.reason, decision: d.decision }).toEqual({ reason: c.expect, decision: 'reject' });
    expect(d.reasonNumber).toBe(REASONS[c.expect]);
    expect(d.message).toBe(MESSAGE_CLASS[c.expect]);
    if (c.noFormat) expect(d.format).toBeUndefined();
    else expect(d.format).toBe(JTT_FORMAT);
    if (c.expect !== 'malformed') {
      // §4 notes: a code rejected at checks 2–14 is fully readable
      expect(d.codeId).toMatch(/^[0-9a-f]{32}$/);
      expect(d.subHex).toMatch(/^[0-9a-f]{20}$/);
      expect(d.ctiHex).toMatch(/^[0-9a-f]{32}$/);
    } else expect(d.detail).toBeTruthy();
  });

  it('the table covers every JT/T reason of §4 but the replay checks (their own sequence below)', () => {
    const covered = new Set(cases.map((c) => c.expect));
    const jtt: (Reason | 'accept')[] = [
      'accept',
      'malformed',
      'unsupported_alg',
      'unknown_key',
      'key_not_valid',
      'bad_root_signature',
      'issuer_cert_expired',
      'bad_issuer_signature',
      'credential_expired',
      'bad_code_signature',
      'code_from_future',
      'code_expired',
      'denied',
    ];
    expect(jtt.filter((r) => !covered.has(r))).toEqual([]);
  });

  it('the two new reasons have their own numbers and message classes', () => {
    expect([REASONS.bad_root_signature, MESSAGE_CLASS.bad_root_signature]).toEqual([18, 'invalid_code']);
    expect([REASONS.issuer_cert_expired, MESSAGE_CLASS.issuer_cert_expired]).toEqual([19, 'renew_in_app']);
  });
});

describe('identifiers, profile and cap (§4.1, §4.2)', () => {
  it('sub, cti, codeId, profile, cap and card type come from the fields', () => {
    const b = code({ cardType: 0x02, cap: 123456 });
    const d = format().decide(b.toString('hex'), NOW);
    expect(d).toMatchObject({
      decision: 'accept',
      subHex: '31000000000000000001',
      ctiHex: '50415930303030303030303030303031',
      profile: 2,
      cap: 123456,
      cardType: 2,
      ts: NOW - 10,
    });
    const L = b[197]!;
    expect(d.codeId).toBe(
      createHash('sha256')
        .update(b.subarray(0, 267 + L))
        .digest('hex')
        .slice(0, 32),
    );
  });

  it.each([
    [0x00, 0],
    [0x01, 0],
    [0x02, 2],
    [0x03, 3],
    [0x04, 0],
    [0x05, 0],
    [0xff, 0],
  ])('card type %i → profile %i', (t, p) => {
    expect(format().decide(code({ cardType: t }).toString('hex'), NOW)).toMatchObject({
      decision: 'accept',
      profile: p,
      cardType: t,
    });
  });

  it('a second user signature over the same fields 1–16 is the same code (a replay)', () => {
    const f = format();
    const first = code();
    const L = first[197]!;
    expect(f.decide(first.toString('hex'), NOW).decision).toBe('accept');
    const other = Buffer.from(first);
    // re-sign fields 1-16 with another nonce: the minter signs deterministically, so sign by hand
    sign(RIDER, first.subarray(0, 267 + L), 12345n).copy(other, 268 + L);
    expect(other.equals(first)).toBe(false);
    expect(f.decide(other.toString('hex'), NOW + 5)).toMatchObject({
      decision: 'reject',
      reason: 'replay',
      codeId: f.decide(first.toString('hex'), NOW + 5).codeId,
    });
  });
});

describe('binary frames (§1.1)', () => {
  it.each([
    ['0D', [0x0d]],
    ['0A', [0x0a]],
    ['0D 0A', [0x0d, 0x0a]],
  ])('one %s terminator after 3 + D bytes is dropped', (_n, t) => {
    expect(format().evaluateFrame(Buffer.concat([code(), Buffer.from(t)]), NOW).decision).toBe('accept');
  });
  it('two terminators, or one other byte, stay and make the code malformed', () => {
    expect(format().evaluateFrame(Buffer.concat([code(), Buffer.from([0x0a, 0x0a])]), NOW).reason).toBe('malformed');
    expect(format().evaluateFrame(Buffer.concat([code(), Buffer.from([0x20])]), NOW).reason).toBe('malformed');
  });
  it('CR and LF bytes inside the payload are data', () => {
    const b = code({ issuerData: Buffer.from([0x0d, 0x0a, 0x0d, 0x0a]) });
    expect(b.includes(Buffer.from([0x0d, 0x0a]))).toBe(true);
    expect(format().evaluateFrame(b, NOW).decision).toBe('accept');
  });
  it('a frame whose first byte is below 0x80 is not JT/T (no format)', () => {
    expect(format().evaluateFrame(Buffer.from('FG1:ABC'), NOW)).toMatchObject({ reason: 'malformed' });
    expect(format().evaluateFrame(Buffer.from('FG1:ABC'), NOW).format).toBeUndefined();
  });
});
