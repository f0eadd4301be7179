/**
 * Codes made by an independent minter (test/support/independentMinter.ts: cbor2 + node:crypto,
 * written from the spec alone) are decided as the spec says.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { trustListFromJson } from '../../src/lists/trustFile.ts';
import { denyListFromJson } from '../../src/lists/denyFile.ts';
import { base45Decode, base45Encode } from '../../src/token/base45.ts';
import { RideCodeValidator } from '../../src/token/validator.ts';
import { type AlgName, base45, mintCode, mintCredential, trustJwk } from '../support/independentMinter.ts';

const NOW = 1_790_000_000;

function keys(alg: AlgName): { privateKey: KeyObject; publicKey: KeyObject } {
  return alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

const issuers = {
  EdDSA: { ...keys('EdDSA'), kid: Uint8Array.of(1) },
  ES256: { ...keys('ES256'), kid: Uint8Array.of(2, 2) },
};
const riders = { EdDSA: keys('EdDSA'), ES256: keys('ES256') };
const SUB = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
const CTI = Uint8Array.of(0x0c, 0x71);

const trust = trustListFromJson({
  keys: [
    trustJwk(issuers.EdDSA.publicKey, 'EdDSA', issuers.EdDSA.kid),
    trustJwk(issuers.ES256.publicKey, 'ES256', issuers.ES256.kid, { nbf: NOW - 1_000_000, exp: NOW + 1_000_000 }),
  ],
});

function validator(opts: { mode?: 'bus' | 'metro'; deny?: unknown } = {}): RideCodeValidator {
  return new RideCodeValidator({
    trust,
    ...(opts.deny !== undefined ? { deny: denyListFromJson(opts.deny) } : {}),
    params: { mode: opts.mode ?? 'bus' },
    clock: { now: () => NOW * 1000 },
  });
}

function code(
  o: {
    issuer?: AlgName;
    rider?: AlgName;
    ts?: number;
    seq?: number;
    exp?: number;
    modes?: number;
    cv?: number;
    tagged?: boolean;
    signWithOtherRider?: boolean;
  } = {},
): ReturnType<typeof mintCode> {
  const ia = o.issuer ?? 'EdDSA';
  const ra = o.rider ?? 'EdDSA';
  const cred = mintCredential({
    issuerAlg: ia,
    issuerKey: issuers[ia].privateKey,
    kid: issuers[ia].kid,
    riderPublicKey: riders[ra].publicKey,
    iss: 'Independent Transit',
    sub: SUB,
    exp: o.exp ?? NOW + 7 * 86_400,
    nbf: NOW - 86_400,
    iat: NOW - 86_400,
    cti: CTI,
    profile: 1,
    cap: 320,
    ...(o.modes !== undefined ? { modes: o.modes } : {}),
    ...(o.cv !== undefined ? { cv: o.cv } : {}),
    ...(o.tagged !== undefined ? { tagged: o.tagged } : {}),
  });
  return mintCode({
    credential: cred,
    riderAlg: ra,
    riderKey: o.signWithOtherRider ? keys(ra).privateKey : riders[ra].privateKey,
    ts: o.ts ?? NOW,
    seq: o.seq ?? 1,
    ...(o.tagged !== undefined ? { tagged: o.tagged } : {}),
  });
}

describe('independent minter (cbor2 + node:crypto, from the spec only)', () => {
  it('its base45 agrees with the RFC 9285 examples and with src on random bytes', () => {
    expect(base45(new TextEncoder().encode('Hello!!'))).toBe('%69 VD92EX0');
    expect(base45(new TextEncoder().encode('ietf!'))).toBe('QED8WEX0');
    for (let n = 0; n < 50; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n * 31) & 0xff);
      expect(base45(b)).toBe(base45Encode(b));
      expect(base45Decode(base45(b))).toEqual(b);
    }
  });

  describe.each<[AlgName, AlgName, boolean]>([
    ['EdDSA', 'EdDSA', true],
    ['EdDSA', 'ES256', false],
    ['ES256', 'EdDSA', true],
    ['ES256', 'ES256', false],
  ])('issuer %s, rider %s, tagged %s', (issuer, rider, tagged) => {
    it('is accepted with the spec codeId, sub, cti and profile', () => {
      const c = code({ issuer, rider, tagged });
      const d = validator().decide(c.text, NOW);
      expect(d).toMatchObject({
        decision: 'accept',
        codeId: c.codeId,
        subHex: 'deadbeef',
        ctiHex: '0c71',
        profile: 1,
        cap: 320,
      });
    });
  });

  it('an expired code (now = ts + 60 + 30 + 1) is code_expired', () => {
    expect(validator().decide(code({ ts: NOW - 91 }).text, NOW).reason).toBe('code_expired');
    expect(validator().decide(code({ ts: NOW - 90 }).text, NOW).decision).toBe('accept');
  });

  it('cv = 300 keeps a 200-second-old code valid', () => {
    expect(validator().decide(code({ ts: NOW - 200, cv: 300 }).text, NOW).decision).toBe('accept');
  });

  it('an expired credential is credential_expired', () => {
    expect(validator().decide(code({ exp: NOW - 31 }).text, NOW).reason).toBe('credential_expired');
  });

  it('a metro-only credential on a bus is mode_not_allowed, and accepted on the metro', () => {
    expect(validator({ mode: 'bus' }).decide(code({ modes: 2 }).text, NOW).reason).toBe('mode_not_allowed');
    expect(validator({ mode: 'metro' }).decide(code({ modes: 2 }).text, NOW).decision).toBe('accept');
  });

  it('a sub on the deny file (upper-case hex) is denied, and a cti likewise', () => {
    expect(validator({ deny: { sub: ['DEADBEEF'] } }).decide(code().text, NOW).reason).toBe('denied');
    expect(validator({ deny: { cti: ['0C71'] } }).decide(code().text, NOW).reason).toBe('denied');
  });

  it('a code signed with a key other than the cnf key is bad_code_signature', () => {
    expect(validator().decide(code({ signWithOtherRider: true }).text, NOW).reason).toBe('bad_code_signature');
    expect(validator().decide(code({ rider: 'ES256', signWithOtherRider: true }).text, NOW).reason).toBe(
      'bad_code_signature',
    );
  });

  it('the same code twice: duplicate within 3 s, replay after', () => {
    const v = validator();
    const c = code({ seq: 77 });
    expect(v.decide(c.text, NOW).decision).toBe('accept');
    expect(v.decide(c.text, NOW + 2).reason).toBe('duplicate');
    expect(v.decide(c.text, NOW + 3).reason).toBe('replay');
  });
});
