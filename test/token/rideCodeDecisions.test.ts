/**
 * qr-token-v1 §4: every reason code, the order of the checks, the clock edges, the replay
 * memory and the credential cache, at a fixed clock.
 */
import { describe, expect, it } from 'vitest';
import { CborFloat, CborTag, cborEncode, type CborMap, type CborValue } from '../../src/token/cbor.ts';
import { decodeSign1, sigStructure1, signData } from '../../src/token/cose.ts';
import { coseKeyFromPublic } from '../../src/token/coseKey.ts';
import { DenyList } from '../../src/token/denyList.ts';
import { MESSAGE_CLASS, REASONS, REASON_CODES, type Reason } from '../../src/token/reasons.ts';
import type { Lru } from '../../src/token/lru.ts';
import type { Credential } from '../../src/token/rideCode.ts';
import type { Decision } from '../../src/token/validator.ts';
import {
  ALG_EDDSA,
  ALG_ES256,
  CTI,
  CTI_HEX,
  ISSUER_ED,
  ISSUER_ES,
  NOW,
  OMIT,
  RIDER_ED,
  RIDER_ES,
  SKEW,
  SUB,
  SUB_HEX,
  VALIDITY,
  assemble,
  bytes,
  codeParts,
  concat,
  credential,
  credentialParts,
  defaultTrust,
  expectedCodeId,
  fg1Text,
  flipBit,
  fromParts,
  indefiniteArray,
  indefiniteBstr,
  indefiniteMap,
  issuerFor,
  makeKey,
  makeValidator,
  negateS,
  offCurveCoseKey,
  rawMap,
  rideCode,
  rideCodeOfLength,
  riderFor,
  trustKey,
  trustList,
  type CodeSpec,
  type ValidatorSetup,
} from '../support/fixtures.ts';

type Expected = { decision: 'accept' } | { decision: 'reject' | 'ignore'; reason: Reason };

interface Case {
  name: string;
  code: () => string;
  /** Decision time; default NOW. */
  at?: number;
  setup?: ValidatorSetup;
  /** Decisions made on the same validator before the one under test: [code, time]. */
  before?: () => [string, number][];
  expect: Expected;
}

const accept: Expected = { decision: 'accept' };
const reject = (reason: Reason): Expected => ({ decision: 'reject', reason });
const ignore = (reason: Reason): Expected => ({ decision: 'ignore', reason });
const text = (spec: CodeSpec = {}): string => rideCode(spec).text;
const truncate63 = (s: Uint8Array): Uint8Array => s.subarray(0, 63);
const corrupt = (s: Uint8Array): Uint8Array => flipBit(s, 100);

function run(c: Case): Decision {
  const v = makeValidator(c.setup);
  for (const [code, at] of c.before?.() ?? []) v.decide(code, at);
  return v.decide(c.code(), c.at ?? NOW);
}

function expectDecision(d: Decision, e: Expected): void {
  expect({ decision: d.decision, reason: d.reason }).toEqual({
    decision: e.decision,
    reason: 'reason' in e ? e.reason : undefined,
  });
  if (e.decision === 'accept') {
    expect(d.message).toBe('go');
    expect(d.reasonNumber).toBe(0);
  } else {
    expect(d.message).toBe(MESSAGE_CLASS[e.reason]);
    expect(d.reasonNumber).toBe(REASONS[e.reason]);
  }
}

// A second Ed25519 key under the trusted Ed25519 issuer kid (a forged issuer).
const FORGER = makeKey(ALG_EDDSA, ISSUER_ED.kid);
const UNKNOWN_ISSUER = makeKey(ALG_EDDSA, bytes('0badc0de'));

const cases: Case[] = [];

// --- accept: both algorithms at both levels, tagged and untagged at both levels ---------
for (const issuerAlg of [ALG_EDDSA, ALG_ES256] as const) {
  for (const riderAlg of [ALG_EDDSA, ALG_ES256] as const) {
    for (const l1Tag of [18, null]) {
      for (const l2Tag of [18, null]) {
        const n = (a: number): string => (a === ALG_EDDSA ? 'EdDSA' : 'ES256');
        cases.push({
          name: `accepts level 1 ${n(issuerAlg)} ${l1Tag ? 'tagged' : 'untagged'}, level 2 ${n(riderAlg)} ${l2Tag ? 'tagged' : 'untagged'}`,
          code: () =>
            text({ rider: riderFor(riderAlg), credential: { issuer: issuerFor(issuerAlg), tag: l1Tag }, tag: l2Tag }),
          expect: accept,
        });
      }
    }
  }
}

cases.push(
  // --- check 1: malformed --------------------------------------------------------------
  { name: 'malformed: empty text', code: () => '', expect: reject('malformed') },
  { name: 'malformed: prefix in lower case (fg1:)', code: () => 'fg1:' + text().slice(4), expect: reject('malformed') },
  { name: 'malformed: no prefix', code: () => text().slice(4), expect: reject('malformed') },
  { name: 'malformed: FG2 prefix', code: () => 'FG2:' + text().slice(4), expect: reject('malformed') },
  { name: 'malformed: base45 length 1 mod 3', code: () => text() + 'A', expect: reject('malformed') },
  {
    name: 'malformed: a lower-case base45 character',
    code: () => text().replace(/[A-Z]/, (c) => c.toLowerCase()),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: a base45 group above 65535',
    code: () => 'FG1:GGW' + text().slice(7),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: trailing CR left by the scanner (not stripped by the validator)',
    code: () => text() + '\r',
    expect: reject('malformed'),
  },
  {
    name: 'malformed: trailing byte after the level-2 COSE_Sign1',
    code: () => fg1Text(concat(rideCode().bytes, [0x00])),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: trailing byte inside the level-2 payload (signed)',
    code: () => {
      const payload = concat(
        cborEncode(
          new Map<CborValue, CborValue>([
            [1, credential()],
            [2, NOW],
            [3, 1],
          ]),
        ),
        [0x00],
      );
      return text({ payloadBytes: payload });
    },
    expect: reject('malformed'),
  },
  {
    name: 'malformed: trailing byte after the level-1 COSE_Sign1 inside cred',
    code: () => text({ payload: { 1: concat(credential(), [0x00]) } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: indefinite-length level-2 array',
    code: () => {
      const { parts } = codeParts();
      const items = [parts.protectedBytes, parts.unprotected, parts.payload, parts.signature].map((x) => cborEncode(x));
      return fg1Text(concat([0xd2], indefiniteArray(items)));
    },
    expect: reject('malformed'),
  },
  {
    name: 'malformed: indefinite-length level-2 payload map (signed)',
    code: () =>
      text({
        payloadBytes: indefiniteMap([
          [1, credential()],
          [2, NOW],
          [3, 1],
        ]),
      }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cred as an indefinite-length byte string (signed)',
    code: () => {
      const c = credential();
      const payload = concat(
        [0xa3, 0x01],
        indefiniteBstr([c.subarray(0, 10), c.subarray(10)]),
        cborEncode(2),
        cborEncode(NOW),
        cborEncode(3),
        cborEncode(1),
      );
      return text({ payloadBytes: payload });
    },
    expect: reject('malformed'),
  },
  {
    name: 'malformed: indefinite-length claims map (signed by the issuer)',
    code: () =>
      text({
        credential: {
          payloadBytes: indefiniteMap([
            [2, SUB],
            [4, NOW + 86_400],
            [7, CTI],
            [8, new Map([[1, credentialClaimsKey()]])],
          ]),
        },
      }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: duplicate int key in the level-2 payload (two ts, signed)',
    code: () =>
      text({
        payloadBytes: rawMap([
          [1, credential()],
          [2, NOW],
          [3, 1],
          [2, NOW - 1000],
        ]),
      }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: duplicate exp claim (signed by the issuer)',
    code: () =>
      text({
        credential: {
          payloadBytes: rawMap([
            [2, SUB],
            [4, NOW + 86_400],
            [4, NOW - 86_400],
            [7, CTI],
            [8, new Map([[1, credentialClaimsKey()]])],
          ]),
        },
      }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: duplicate alg in the level-1 protected header (signed)',
    code: () =>
      text({
        credential: {
          protectedBytes: rawMap([
            [1, -8],
            [4, ISSUER_ED.kid],
            [1, -7],
          ]),
        },
      }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: duplicate text key in the level-1 unprotected header',
    code: () => {
      const p = credentialParts();
      const cred = concat(
        [0xd2, 0x84],
        cborEncode(p.protectedBytes),
        rawMap([
          ['x', 1],
          ['x', 2],
        ]),
        cborEncode(p.payload),
        cborEncode(p.signature),
      );
      return text({ credential: cred });
    },
    expect: reject('malformed'),
  },
  {
    name: 'malformed: level-2 signature of 63 bytes',
    code: () => text({ signature: truncate63 }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: level-2 signature of 65 bytes',
    code: () => text({ signature: (s) => concat(s, [0]) }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: level-1 signature of 63 bytes',
    code: () => text({ credential: { signature: truncate63 } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: level-1 ES256 signature in DER form (not 64 bytes)',
    code: () =>
      text({
        credential: {
          issuer: ISSUER_ES,
          signature: (s) => concat([0x30, 0x44, 0x02, 0x20], s.subarray(0, 32), [0x02, 0x20], s.subarray(32)),
        },
      }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: level-1 kid only in the unprotected header',
    code: () => text({ credential: { protected: { 4: OMIT }, unprotected: new Map([[4, ISSUER_ED.kid]]) } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: level-1 alg only in the unprotected header',
    code: () => text({ credential: { protected: { 1: OMIT }, unprotected: new Map([[1, -8]]) } }),
    expect: reject('malformed'),
  },
  {
    name: "malformed: level-1 protected header empty (h''), alg and kid unprotected",
    code: () =>
      text({
        credential: {
          protectedBytes: new Uint8Array(0),
          unprotected: new Map<CborValue, CborValue>([
            [1, -8],
            [4, ISSUER_ED.kid],
          ]),
        },
      }),
    expect: reject('malformed'),
  },
  { name: 'malformed: level-2 alg missing', code: () => text({ protected: { 1: OMIT } }), expect: reject('malformed') },
  {
    name: 'malformed: level-2 alg as a float -8.0',
    code: () => text({ protected: { 1: new CborFloat(-8) } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: level-1 alg as a bstr',
    code: () => text({ credential: { protected: { 1: Uint8Array.of(0x27) } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: kid of 0 bytes',
    code: () => text({ credential: { protected: { 4: new Uint8Array(0) } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: kid of 17 bytes',
    code: () => text({ credential: { protected: { 4: new Uint8Array(17) } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: kid as a tstr',
    code: () => text({ credential: { protected: { 4: 'issuer-ed' } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: CBOR tag 61 (CWT) instead of 18 on level 2',
    code: () => text({ tag: 61 }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: CBOR tag 61 (CWT) instead of 18 on level 1',
    code: () => text({ credential: { tag: 61 } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: level 1 wrapped in tag 61 around tag 18',
    code: () => {
      const p = credentialParts();
      return text({
        credential: cborEncode(
          new CborTag(61, new CborTag(18, [p.protectedBytes, p.unprotected, p.payload, p.signature])),
        ),
      });
    },
    expect: reject('malformed'),
  },
  {
    name: 'malformed: level-2 payload detached (nil)',
    code: () => text({ payloadBytes: null }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: level-1 payload detached (nil)',
    code: () => text({ credential: { payloadBytes: null } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: level-2 COSE array of 3 items',
    code: () => {
      const { parts } = codeParts();
      return fg1Text(cborEncode(new CborTag(18, [parts.protectedBytes, parts.unprotected, parts.payload])));
    },
    expect: reject('malformed'),
  },
  {
    name: 'malformed: level-2 unprotected header is not a map',
    code: () => {
      const { parts } = codeParts();
      return fg1Text(cborEncode(new CborTag(18, [parts.protectedBytes, [], parts.payload, parts.signature])));
    },
    expect: reject('malformed'),
  },
  {
    name: 'malformed: level-2 payload is an array, not a map',
    code: () => text({ payloadBytes: cborEncode([credential(), NOW, 1]) }),
    expect: reject('malformed'),
  },
  { name: 'malformed: cred missing', code: () => text({ payload: { 1: OMIT } }), expect: reject('malformed') },
  {
    name: 'malformed: cred as an embedded array instead of a bstr',
    code: () => text({ payload: { 1: ['x'] } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cred of 0 bytes',
    code: () => text({ payload: { 1: new Uint8Array(0) } }),
    expect: reject('malformed'),
  },
  { name: 'malformed: ts missing', code: () => text({ payload: { 2: OMIT } }), expect: reject('malformed') },
  {
    name: 'malformed: ts as a float',
    code: () => text({ payload: { 2: new CborFloat(NOW) } }),
    expect: reject('malformed'),
  },
  { name: 'malformed: ts negative', code: () => text({ payload: { 2: -1 } }), expect: reject('malformed') },
  { name: 'malformed: ts as a tstr', code: () => text({ payload: { 2: String(NOW) } }), expect: reject('malformed') },
  { name: 'malformed: seq missing', code: () => text({ payload: { 3: OMIT } }), expect: reject('malformed') },
  {
    name: 'malformed: seq as a float',
    code: () => text({ payload: { 3: new CborFloat(1) } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: sub missing',
    code: () => text({ credential: { claims: { 2: OMIT } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: sub of 0 bytes',
    code: () => text({ credential: { claims: { 2: new Uint8Array(0) } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: sub of 33 bytes',
    code: () => text({ credential: { claims: { 2: new Uint8Array(33) } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: sub as a tstr',
    code: () => text({ credential: { claims: { 2: SUB_HEX } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: exp missing',
    code: () => text({ credential: { claims: { 4: OMIT } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: exp as a float',
    code: () => text({ credential: { claims: { 4: new CborFloat(NOW + 86_400) } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: exp negative',
    code: () => text({ credential: { claims: { 4: -1 } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: exp as a tag-1 date',
    code: () => text({ credential: { claims: { 4: new CborTag(1, NOW + 86_400) } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: nbf as a tstr',
    code: () => text({ credential: { claims: { 5: 'yesterday' } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: iat as a float',
    code: () => text({ credential: { claims: { 6: new CborFloat(NOW) } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: iss as a bstr',
    code: () => text({ credential: { claims: { 1: bytes('4f70') } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: iss with invalid UTF-8 (signed)',
    code: () =>
      text({
        credential: {
          payloadBytes: concat(
            [0xa5, 0x01, 0x62, 0xc3, 0x28],
            cborEncode(2),
            cborEncode(SUB),
            cborEncode(4),
            cborEncode(NOW + 86_400),
            cborEncode(7),
            cborEncode(CTI),
            cborEncode(8),
            cborEncode(new Map([[1, credentialClaimsKey()]])),
          ),
        },
      }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cti missing',
    code: () => text({ credential: { claims: { 7: OMIT } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cti of 17 bytes',
    code: () => text({ credential: { claims: { 7: new Uint8Array(17) } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cti of 0 bytes',
    code: () => text({ credential: { claims: { 7: new Uint8Array(0) } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cnf missing',
    code: () => text({ credential: { claims: { 8: OMIT } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cnf is the COSE_Key itself, not {1: COSE_Key}',
    code: () => text({ credential: { claims: { 8: credentialClaimsKey() } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cnf P-256 point off the curve',
    code: () => text({ rider: RIDER_ES, credential: { claims: { 8: new Map([[1, offCurveCoseKey()]]) } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cnf EC2 key without y',
    code: () => {
      const k = offCurveCoseKey();
      k.delete(-3);
      return text({ rider: RIDER_ES, credential: { claims: { 8: new Map([[1, k]]) } } });
    },
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cnf OKP key with crv 4 (X25519)',
    code: () =>
      text({
        credential: {
          claims: {
            8: new Map([
              [
                1,
                new Map<CborValue, CborValue>([
                  [1, 1],
                  [-1, 4],
                  [-2, new Uint8Array(32)],
                ]),
              ],
            ]),
          },
        },
      }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cnf OKP key with a 31-byte x',
    code: () =>
      text({
        credential: {
          claims: {
            8: new Map([
              [
                1,
                new Map<CborValue, CborValue>([
                  [1, 1],
                  [-1, 6],
                  [-2, new Uint8Array(31)],
                ]),
              ],
            ]),
          },
        },
      }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cnf with kty 3 (RSA)',
    code: () =>
      text({
        credential: {
          claims: {
            8: new Map([
              [
                1,
                new Map<CborValue, CborValue>([
                  [1, 3],
                  [-1, new Uint8Array(256)],
                  [-2, bytes('010001')],
                ]),
              ],
            ]),
          },
        },
      }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cv = 0',
    code: () => text({ credential: { claims: { [-70004]: 0 } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cv = 3601',
    code: () => text({ credential: { claims: { [-70004]: 3601 } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cv as a float 30.0',
    code: () => text({ credential: { claims: { [-70004]: new CborFloat(30) } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: profile negative',
    code: () => text({ credential: { claims: { [-70001]: -1 } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: cap as a tstr',
    code: () => text({ credential: { claims: { [-70002]: '250' } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: modes as a float',
    code: () => text({ credential: { claims: { [-70003]: new CborFloat(1) } } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed: claims payload is not a map',
    code: () => text({ credential: { payloadBytes: cborEncode([SUB, NOW]) } }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed wins over unknown_key: 63-byte level-2 signature with an unknown issuer',
    code: () => text({ credential: { issuer: UNKNOWN_ISSUER }, signature: truncate63 }),
    expect: reject('malformed'),
  },
  {
    name: 'malformed wins over code_expired: cv = 3601 on an old code',
    code: () => text({ credential: { claims: { [-70004]: 3601 } }, ts: NOW - 100_000 }),
    expect: reject('malformed'),
  },

  // --- checks 2 and 9: unsupported_alg -----------------------------------------------
  {
    name: 'unsupported_alg: level-1 alg -35 (ES384)',
    code: () => text({ credential: { protected: { 1: -35 } } }),
    expect: reject('unsupported_alg'),
  },
  {
    name: 'unsupported_alg: level-1 alg as the tstr "EdDSA"',
    code: () => text({ credential: { protected: { 1: 'EdDSA' } } }),
    expect: reject('unsupported_alg'),
  },
  {
    name: 'unsupported_alg: level-2 alg -35 (ES384)',
    code: () => text({ protected: { 1: -35 } }),
    expect: reject('unsupported_alg'),
  },
  {
    name: 'unsupported_alg: level-2 alg as the tstr "ES256"',
    code: () => text({ rider: RIDER_ES, protected: { 1: 'ES256' } }),
    expect: reject('unsupported_alg'),
  },
  {
    name: 'unsupported_alg: level-2 alg 2^64 - 1 (big uint)',
    code: () => text({ protected: { 1: 2n ** 64n - 1n } }),
    expect: reject('unsupported_alg'),
  },
  {
    name: 'unsupported_alg (check 2) wins over unknown_key (check 3)',
    code: () => text({ credential: { issuer: UNKNOWN_ISSUER, protected: { 1: -35 } } }),
    expect: reject('unsupported_alg'),
  },
  {
    name: 'level-2 unsupported_alg (check 9) comes after credential_expired (check 8)',
    code: () => text({ protected: { 1: -35 }, credential: { claims: { 4: NOW - 1000 } } }),
    expect: reject('credential_expired'),
  },

  // --- check 3: unknown_key -------------------------------------------------------------
  {
    name: 'unknown_key: issuer kid not in the trust list',
    code: () => text({ credential: { issuer: UNKNOWN_ISSUER } }),
    expect: reject('unknown_key'),
  },
  {
    name: 'unknown_key: empty trust list',
    code: () => text(),
    setup: { trust: trustList() },
    expect: reject('unknown_key'),
  },
  {
    name: 'unknown_key wins over bad_issuer_signature',
    code: () => text({ credential: { issuer: UNKNOWN_ISSUER, signature: corrupt } }),
    expect: reject('unknown_key'),
  },
  {
    name: 'the kid in the unprotected header is ignored: a trusted kid there does not help',
    code: () => text({ credential: { issuer: UNKNOWN_ISSUER, unprotected: new Map([[4, ISSUER_ED.kid]]) } }),
    expect: reject('unknown_key'),
  },
  {
    name: 'the unprotected header is ignored: an unknown kid and an odd alg there do not hurt',
    code: () =>
      text({
        credential: {
          unprotected: new Map<CborValue, CborValue>([
            [4, bytes('0badc0de')],
            [1, -35],
          ]),
        },
      }),
    expect: accept,
  },

  // --- checks 4 and 10: alg_mismatch ------------------------------------------------
  {
    name: 'alg_mismatch: level-1 alg -7 under an EdDSA trust key (signature otherwise valid)',
    code: () => text({ credential: { protected: { 1: ALG_ES256 }, signAlg: ALG_EDDSA } }),
    expect: reject('alg_mismatch'),
  },
  {
    name: 'alg_mismatch: trust list says ES256 for the Ed25519 issuer kid',
    code: () => text({ credential: { issuer: ISSUER_ED } }),
    setup: { trust: trustList(trustKey(ISSUER_ED, {}, { alg: ALG_ES256 })) },
    expect: reject('alg_mismatch'),
  },
  {
    name: 'alg_mismatch: level-2 alg -7 with an OKP cnf key',
    code: () => text({ rider: RIDER_ED, protected: { 1: ALG_ES256 } }),
    expect: reject('alg_mismatch'),
  },
  {
    name: 'alg_mismatch: level-2 alg -8 with an EC2 cnf key',
    code: () => text({ rider: RIDER_ES, protected: { 1: ALG_EDDSA } }),
    expect: reject('alg_mismatch'),
  },
  {
    name: 'level-2 alg_mismatch wins over bad_code_signature',
    code: () => text({ rider: RIDER_ED, protected: { 1: ALG_ES256 }, signature: corrupt }),
    expect: reject('alg_mismatch'),
  },
  {
    name: 'level-1 alg_mismatch wins over key_not_valid',
    code: () => text({ credential: { protected: { 1: ALG_ES256 }, signAlg: ALG_EDDSA } }),
    setup: { trust: trustList(trustKey(ISSUER_ED, { exp: NOW - 1000 })) },
    expect: reject('alg_mismatch'),
  },

  // --- check 5: key_not_valid (edges) ---------------------------------------------------
  {
    name: 'key window: key nbf = now + skew accepts',
    code: () => text(),
    setup: { trust: trustList(trustKey(ISSUER_ED, { nbf: NOW + SKEW })) },
    expect: accept,
  },
  {
    name: 'key_not_valid: key nbf = now + skew + 1',
    code: () => text(),
    setup: { trust: trustList(trustKey(ISSUER_ED, { nbf: NOW + SKEW + 1 })) },
    expect: reject('key_not_valid'),
  },
  {
    name: 'key window: key exp = now - skew accepts',
    code: () => text(),
    setup: { trust: trustList(trustKey(ISSUER_ED, { exp: NOW - SKEW })) },
    expect: accept,
  },
  {
    name: 'key_not_valid: key exp = now - skew - 1',
    code: () => text(),
    setup: { trust: trustList(trustKey(ISSUER_ED, { exp: NOW - SKEW - 1 })) },
    expect: reject('key_not_valid'),
  },
  {
    name: 'key window: inside [nbf, exp] accepts',
    code: () => text(),
    setup: { trust: trustList(trustKey(ISSUER_ED, { nbf: NOW - 10, exp: NOW + 10 })) },
    expect: accept,
  },
  {
    name: 'key_not_valid wins over bad_issuer_signature',
    code: () => text({ credential: { signature: corrupt } }),
    setup: { trust: trustList(trustKey(ISSUER_ED, { exp: NOW - 1000 })) },
    expect: reject('key_not_valid'),
  },

  // --- check 6: bad_issuer_signature -----------------------------------------------------
  {
    name: 'bad_issuer_signature: one bit of the level-1 signature flipped',
    code: () => text({ credential: { signature: corrupt } }),
    expect: reject('bad_issuer_signature'),
  },
  {
    name: 'bad_issuer_signature: ES256 level-1 signature bit flipped',
    code: () => text({ credential: { issuer: ISSUER_ES, signature: corrupt } }),
    expect: reject('bad_issuer_signature'),
  },
  {
    name: 'bad_issuer_signature: credential signed by another key under the trusted kid',
    code: () => text({ credential: { issuer: FORGER } }),
    expect: reject('bad_issuer_signature'),
  },
  {
    name: 'bad_issuer_signature: claims changed after signing (exp extended)',
    code: () => {
      const p = credentialParts();
      const forged = credentialParts({ claims: { 4: NOW + 10 * 86_400 } });
      return text({ credential: assemble({ ...forged, signature: p.signature }) });
    },
    expect: reject('bad_issuer_signature'),
  },
  {
    name: 'bad_issuer_signature wins over credential_expired',
    code: () => text({ credential: { claims: { 4: NOW - 1000 }, signature: corrupt } }),
    expect: reject('bad_issuer_signature'),
  },

  // --- checks 7 and 8: credential window (edges) ------------------------------------------
  {
    name: 'credential nbf = now + skew accepts',
    code: () => text({ credential: { claims: { 5: NOW + SKEW } } }),
    expect: accept,
  },
  {
    name: 'credential_not_yet_valid: nbf = now + skew + 1',
    code: () => text({ credential: { claims: { 5: NOW + SKEW + 1 } } }),
    expect: reject('credential_not_yet_valid'),
  },
  {
    name: 'credential without nbf accepts',
    code: () => text({ credential: { claims: { 5: OMIT, 6: OMIT, 1: OMIT, [-70001]: OMIT } } }),
    expect: accept,
  },
  {
    name: 'credential exp = now - skew accepts',
    code: () => text({ credential: { claims: { 4: NOW - SKEW } } }),
    expect: accept,
  },
  {
    name: 'credential_expired: exp = now - skew - 1',
    code: () => text({ credential: { claims: { 4: NOW - SKEW - 1 } } }),
    expect: reject('credential_expired'),
  },
  {
    name: 'credential_expired wins over bad_code_signature',
    code: () => text({ credential: { claims: { 4: NOW - 1000 } }, signature: corrupt }),
    expect: reject('credential_expired'),
  },
  {
    name: 'credential_not_yet_valid wins over credential_expired (nbf after exp)',
    code: () => text({ credential: { claims: { 5: NOW + 1000, 4: NOW - 1000 } } }),
    expect: reject('credential_not_yet_valid'),
  },
  {
    name: 'credential_expired wins over level-2 alg_mismatch',
    code: () => text({ protected: { 1: ALG_ES256 }, credential: { claims: { 4: NOW - 1000 } } }),
    expect: reject('credential_expired'),
  },

  // --- check 11: bad_code_signature ---------------------------------------------------
  {
    name: 'bad_code_signature: one bit of the level-2 signature flipped',
    code: () => text({ signature: corrupt }),
    expect: reject('bad_code_signature'),
  },
  {
    name: 'bad_code_signature: ES256 level-2 signature bit flipped',
    code: () => text({ rider: RIDER_ES, signature: corrupt }),
    expect: reject('bad_code_signature'),
  },
  {
    name: 'bad_code_signature: code signed by a key other than the cnf key',
    code: () => text({ credential: { rider: RIDER_ED }, signKey: makeKey(ALG_EDDSA).privateKey }),
    expect: reject('bad_code_signature'),
  },
  {
    name: 'bad_code_signature: level-2 signed over a non-empty external_aad',
    code: () => {
      const { parts, credential: cred } = codeParts();
      const sig = signData(
        ALG_EDDSA,
        RIDER_ED.privateKey,
        sigStructure1(parts.protectedBytes, bytes('01'), parts.payload!),
      );
      return fromParts({ ...parts, signature: sig }, cred).text;
    },
    expect: reject('bad_code_signature'),
  },
  {
    name: 'bad_issuer_signature: level-1 signed over a non-empty external_aad',
    code: () => {
      const p = credentialParts();
      const sig = signData(ALG_EDDSA, ISSUER_ED.privateKey, sigStructure1(p.protectedBytes, bytes('01'), p.payload!));
      return text({ credential: assemble({ ...p, signature: sig }) });
    },
    expect: reject('bad_issuer_signature'),
  },
  {
    name: 'bad_code_signature wins over code_expired',
    code: () => text({ ts: NOW - 1000, signature: corrupt }),
    expect: reject('bad_code_signature'),
  },

  // --- checks 12 and 13: code freshness (edges) ---------------------------------------
  { name: 'code ts = now + skew accepts', code: () => text({ ts: NOW + SKEW }), expect: accept },
  {
    name: 'code_from_future: ts = now + skew + 1',
    code: () => text({ ts: NOW + SKEW + 1 }),
    expect: reject('code_from_future'),
  },
  { name: 'code: now = ts + validity + skew accepts', code: () => text({ ts: NOW - VALIDITY - SKEW }), expect: accept },
  {
    name: 'code_expired: now = ts + validity + skew + 1',
    code: () => text({ ts: NOW - VALIDITY - SKEW - 1 }),
    expect: reject('code_expired'),
  },
  {
    name: 'code_expired: now = ts + validity + skew + 0.5 (fractional clock)',
    code: () => text({ ts: NOW }),
    at: NOW + VALIDITY + SKEW + 0.5,
    expect: reject('code_expired'),
  },
  { name: 'code_expired: ts = 0', code: () => text({ ts: 0 }), expect: reject('code_expired') },
  {
    name: 'code_from_future: ts = 2^64 - 1',
    code: () => text({ payload: { 2: 2n ** 64n - 1n } }),
    expect: reject('code_from_future'),
  },
  {
    name: 'device code validity 120 s: now = ts + 150 accepts',
    code: () => text({ ts: NOW - 150 }),
    setup: { params: { codeValidity: 120 } },
    expect: accept,
  },
  {
    name: 'device skew 5 s: ts = now + 6 is code_from_future',
    code: () => text({ ts: NOW + 6 }),
    setup: { params: { skew: 5 } },
    expect: reject('code_from_future'),
  },
  {
    name: 'cv = 10 (shorter): now = ts + 10 + skew accepts',
    code: () => text({ ts: NOW - 10 - SKEW, credential: { claims: { [-70004]: 10 } } }),
    expect: accept,
  },
  {
    name: 'cv = 10 (shorter): now = ts + 10 + skew + 1 is code_expired',
    code: () => text({ ts: NOW - 10 - SKEW - 1, credential: { claims: { [-70004]: 10 } } }),
    expect: reject('code_expired'),
  },
  {
    name: 'cv = 600 (longer): now = ts + 600 + skew accepts',
    code: () => text({ ts: NOW - 600 - SKEW, credential: { claims: { [-70004]: 600 } } }),
    expect: accept,
  },
  {
    name: 'cv = 600 (longer): now = ts + 600 + skew + 1 is code_expired',
    code: () => text({ ts: NOW - 600 - SKEW - 1, credential: { claims: { [-70004]: 600 } } }),
    expect: reject('code_expired'),
  },
  {
    name: 'cv = 600 overrides a device validity of 30 s',
    code: () => text({ ts: NOW - 500, credential: { claims: { [-70004]: 600 } } }),
    setup: { params: { codeValidity: 30 } },
    expect: accept,
  },
  {
    name: 'cv = 1 (smallest) accepts at ts + 1 + skew',
    code: () => text({ ts: NOW - 1 - SKEW, credential: { claims: { [-70004]: 1 } } }),
    expect: accept,
  },
  {
    name: 'cv = 3600 (largest) accepts at ts + 3600 + skew',
    code: () => text({ ts: NOW - 3600 - SKEW, credential: { claims: { [-70004]: 3600 } } }),
    expect: accept,
  },
  {
    name: 'code_from_future wins over denied',
    code: () => text({ ts: NOW + 1000 }),
    setup: { deny: new DenyList([SUB_HEX]) },
    expect: reject('code_from_future'),
  },
  {
    name: 'code_expired wins over denied (a code both expired and denied)',
    code: () => text({ ts: NOW - 1000 }),
    setup: { deny: new DenyList([SUB_HEX], [CTI_HEX]) },
    expect: reject('code_expired'),
  },

  // --- check 14: denied ------------------------------------------------------------------
  {
    name: 'denied: sub on the deny list in upper-case hex',
    code: () => text(),
    setup: { deny: new DenyList([SUB_HEX.toUpperCase()]) },
    expect: reject('denied'),
  },
  {
    name: 'denied: cti on the deny list in upper-case hex',
    code: () => text(),
    setup: { deny: new DenyList([], [CTI_HEX.toUpperCase()]) },
    expect: reject('denied'),
  },
  {
    name: 'denied: sub on the deny list in lower-case hex',
    code: () => text(),
    setup: { deny: new DenyList([SUB_HEX]) },
    expect: reject('denied'),
  },
  {
    name: 'not denied: another sub and cti on the deny list',
    code: () => text(),
    setup: { deny: new DenyList(['a1b2c3d4e5f60719'], ['c0ffee0002']) },
    expect: accept,
  },
  {
    name: 'not denied: the sub hex listed as a cti',
    code: () => text(),
    setup: { deny: new DenyList([], [SUB_HEX]) },
    expect: accept,
  },
  {
    name: 'denied wins over mode_not_allowed',
    code: () => text({ credential: { claims: { [-70003]: 2 } } }),
    setup: { deny: new DenyList([SUB_HEX]) },
    expect: reject('denied'),
  },

  // --- check 15: modes ------------------------------------------------------------------
  { name: 'modes absent: accepted on a bus', code: () => text(), setup: { params: { mode: 'bus' } }, expect: accept },
  {
    name: 'modes absent: accepted on the metro',
    code: () => text(),
    setup: { params: { mode: 'metro' } },
    expect: accept,
  },
  {
    name: 'modes = 1 (bus): accepted on a bus',
    code: () => text({ credential: { claims: { [-70003]: 1 } } }),
    setup: { params: { mode: 'bus' } },
    expect: accept,
  },
  {
    name: 'mode_not_allowed: modes = 1 (bus) on the metro',
    code: () => text({ credential: { claims: { [-70003]: 1 } } }),
    setup: { params: { mode: 'metro' } },
    expect: reject('mode_not_allowed'),
  },
  {
    name: 'mode_not_allowed: modes = 2 (metro) on a bus',
    code: () => text({ credential: { claims: { [-70003]: 2 } } }),
    setup: { params: { mode: 'bus' } },
    expect: reject('mode_not_allowed'),
  },
  {
    name: 'modes = 2 (metro): accepted on the metro',
    code: () => text({ credential: { claims: { [-70003]: 2 } } }),
    setup: { params: { mode: 'metro' } },
    expect: accept,
  },
  {
    name: 'modes = 3: accepted on the metro',
    code: () => text({ credential: { claims: { [-70003]: 3 } } }),
    setup: { params: { mode: 'metro' } },
    expect: accept,
  },
  {
    name: 'mode_not_allowed: modes = 0 on a bus',
    code: () => text({ credential: { claims: { [-70003]: 0 } } }),
    expect: reject('mode_not_allowed'),
  },
  {
    name: 'mode_not_allowed: modes = 4 (an unknown bit only) on a bus',
    code: () => text({ credential: { claims: { [-70003]: 4 } } }),
    expect: reject('mode_not_allowed'),
  },
  {
    name: 'modes = 2^64 - 1 (every bit): accepted on a bus',
    code: () => text({ credential: { claims: { [-70003]: 2n ** 64n - 1n } } }),
    expect: accept,
  },
  {
    name: 'modes = 2^64 - 1 (every bit): accepted on the metro',
    code: () => text({ credential: { claims: { [-70003]: 2n ** 64n - 1n } } }),
    setup: { params: { mode: 'metro' } },
    expect: accept,
  },
  {
    // As a double 2^60 + 1 is 2^60: its bus bit would be lost.
    name: 'modes = 2^60 + 1 (bus and a high bit): accepted on a bus',
    code: () => text({ credential: { claims: { [-70003]: 2n ** 60n + 1n } } }),
    expect: accept,
  },
  {
    name: 'mode_not_allowed: modes = 2^60 + 2 (metro and a high bit) on a bus',
    code: () => text({ credential: { claims: { [-70003]: 2n ** 60n + 2n } } }),
    expect: reject('mode_not_allowed'),
  },
  {
    name: 'the device mode defaults to bus: modes = 2 is refused',
    code: () => text({ credential: { claims: { [-70003]: 2 } } }),
    expect: reject('mode_not_allowed'),
  },

  // --- checks 16 and 17 (single-step forms; sequences below) --------------------------
  {
    name: 'duplicate: the same code 1 s after its acceptance',
    code: () => text({ seq: 7 }),
    before: () => [[text({ seq: 7 }), NOW - 1]],
    expect: ignore('duplicate'),
  },
  {
    name: 'replay: the same code 10 s after its acceptance',
    code: () => text({ seq: 7 }),
    before: () => [[text({ seq: 7 }), NOW - 10]],
    expect: reject('replay'),
  },
  {
    name: 'mode_not_allowed wins over replay',
    code: () => text({ seq: 7, credential: { claims: { [-70003]: 1 } } }),
    setup: { params: { mode: 'metro' } },
    before: () => [[text({ seq: 7, credential: { claims: { [-70003]: 3 } } }), NOW - 10]],
    expect: reject('mode_not_allowed'),
  },
);

/** The rider's COSE_Key for hand-built claims maps (RIDER_ED). */
function credentialClaimsKey(): CborMap {
  return coseKeyFromPublic(RIDER_ED.publicKey);
}

describe('FG1 decisions (qr-token-v1 §4), fixed clock', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expectDecision(run(c), c.expect);
  });

  it('the table covers every reason code of src/token/reasons.ts (but the two JT/T-only ones)', () => {
    const covered = new Set(cases.flatMap((c) => ('reason' in c.expect ? [c.expect.reason] : [])));
    const jttOnly = new Set(['bad_root_signature', 'issuer_cert_expired']);
    expect([...REASON_CODES].filter((r) => !covered.has(r) && !jttOnly.has(r))).toEqual([]);
    expect(cases.some((c) => c.expect.decision === 'accept')).toBe(true);
  });
});

describe('text length limit (1024 characters)', () => {
  it('a valid code of exactly 1024 characters is accepted', () => {
    const c = rideCodeOfLength({}, 680);
    expect(c.text.length).toBe(1024);
    expectDecision(makeValidator().decide(c.text, NOW), accept);
  });

  it('the same valid code padded to 1026 characters is malformed', () => {
    const c = rideCodeOfLength({}, 681);
    expect(c.text.length).toBe(1026);
    const d = makeValidator().decide(c.text, NOW);
    expectDecision(d, reject('malformed'));
    expect(d.codeId).toBeUndefined();
  });

  it('a text of 1025 characters is malformed', () => {
    const t = (text() + 'A'.repeat(2000)).slice(0, 1025);
    expectDecision(makeValidator().decide(t, NOW), reject('malformed'));
  });

  it('a 1024-character text that is otherwise invalid is malformed', () => {
    const t = 'FG1:' + 'ZZZ'.repeat(340);
    expect(t.length).toBe(1024);
    expectDecision(makeValidator().decide(t, NOW), reject('malformed'));
  });

  it('the message class of malformed is scan_again', () => {
    expect(makeValidator().decide('hello', NOW).message).toBe('scan_again');
  });
});

describe('codeId', () => {
  it('is the lower-case hex of the first 16 bytes of SHA-256 over the level-2 payload', () => {
    const c = rideCode({ seq: 42 });
    const d = makeValidator().decide(c.text, NOW);
    expect(d.decision).toBe('accept');
    expect(d.codeId).toBe(expectedCodeId(c.parts.payload!));
    expect(d.codeId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('differs between two codes of one credential (seq differs)', () => {
    const cred = credential();
    const a = makeValidator().decide(rideCode({ credential: cred, seq: 1 }).text, NOW);
    const b = makeValidator().decide(rideCode({ credential: cred, seq: 2 }).text, NOW);
    expect(a.codeId).not.toBe(b.codeId);
  });

  it('is reported on a malformed code once the payload was read (63-byte signature)', () => {
    const c = rideCode({ signature: truncate63 });
    const d = makeValidator().decide(c.text, NOW);
    expect(d.reason).toBe('malformed');
    expect(d.codeId).toBe(c.codeId);
  });

  it('an accepted decision reports sub, cti, profile, cap, modes, ts, seq and kid', () => {
    const c = rideCode({ ts: NOW - 5, seq: 9, credential: { claims: { [-70001]: 2, [-70002]: 250, [-70003]: 3 } } });
    const d = makeValidator().decide(c.text, NOW);
    expect(d).toMatchObject({
      decision: 'accept',
      subHex: SUB_HEX,
      ctiHex: CTI_HEX,
      profile: 2,
      cap: 250,
      modes: 3,
      ts: NOW - 5,
      seq: 9,
      kidHex: Buffer.from(ISSUER_ED.kid).toString('hex'),
      at: NOW,
    });
  });
});

describe('duplicate and replay memory (checks 16, 17)', () => {
  const t = NOW;
  const cred = credential();
  const A = rideCode({ credential: cred, ts: t, seq: 1 });
  const B = rideCode({ credential: cred, ts: t + 2, seq: 2 });

  it('accept at t, duplicate at t+1, another code of the sub at t+2 duplicate, replay at t+3', () => {
    const v = makeValidator();
    expectDecision(v.decide(A.text, t), accept);
    const dup = v.decide(A.text, t + 1);
    expectDecision(dup, ignore('duplicate'));
    expect(dup.message).toBe('silent');
    expect(dup.codeId).toBe(A.codeId);
    expectDecision(v.decide(B.text, t + 2), ignore('duplicate'));
    const replay = v.decide(A.text, t + 3);
    expectDecision(replay, reject('replay'));
    expect(replay.message).toBe('refresh_code');
  });

  it('an ignored code did not enter the memory: B, ignored at t+2, is accepted at t+3', () => {
    const v = makeValidator();
    v.decide(A.text, t);
    expect(v.decide(B.text, t + 2).reason).toBe('duplicate');
    expectDecision(v.decide(B.text, t + 3), accept);
    expectDecision(v.decide(B.text, t + 10), reject('replay'));
  });

  it('a clock that went back: the same code at t-100 after acceptance at t is a duplicate', () => {
    // ts = t - 80 is fresh at both times: t ≤ ts + 60 + 30 and ts ≤ (t - 100) + 30
    const C = rideCode({ credential: cred, ts: t - 80, seq: 6 });
    const v = makeValidator();
    expectDecision(v.decide(C.text, t), accept);
    expectDecision(v.decide(C.text, t - 100), ignore('duplicate'));
  });

  it('a clock that went back is still checked for freshness first: ts = t at t-100 is code_from_future', () => {
    const v = makeValidator();
    expectDecision(v.decide(A.text, t), accept);
    expectDecision(v.decide(A.text, t - 100), reject('code_from_future'));
  });

  it('a clock that went back: another code of the same sub at t-20 after acceptance at t is a duplicate', () => {
    const v = makeValidator();
    expectDecision(v.decide(A.text, t), accept);
    const older = rideCode({ credential: cred, ts: t - 20, seq: 3 });
    expectDecision(v.decide(older.text, t - 20), ignore('duplicate'));
  });

  it('a clock that went back after other riders were accepted: the sub is still a duplicate', () => {
    const v = makeValidator();
    expectDecision(v.decide(A.text, t), accept);
    const other = rideCode({
      rider: RIDER_ES,
      credential: { claims: { 2: bytes('0000ffff'), 7: bytes('77') } },
      ts: t + 10,
    });
    expectDecision(v.decide(other.text, t + 10), accept);
    const older = rideCode({ credential: cred, ts: t - 20, seq: 3 });
    // spec §4 check 16: accepted at t, now − t = −20 < duplicateWindow ("a clock that went back counts too")
    expectDecision(v.decide(older.text, t - 20), ignore('duplicate'));
  });

  it('the duplicate window is exactly 3 s: same sub at t+2.999 duplicate, at t+3 accepted', () => {
    const v = makeValidator();
    v.decide(A.text, t);
    expect(v.decide(B.text, t + 2.999).reason).toBe('duplicate');
    expect(v.decide(B.text, t + 3).decision).toBe('accept');
  });

  it('a rejected code does not enter the memory: denied, then accepted once the deny list is cleared', () => {
    const v = makeValidator({ deny: new DenyList([SUB_HEX]) });
    expectDecision(v.decide(A.text, t), reject('denied'));
    v.setDenyList(DenyList.EMPTY);
    expectDecision(v.decide(A.text, t + 1), accept);
  });

  it('a malformed or expired code does not enter the memory', () => {
    const v = makeValidator();
    const expired = rideCode({ credential: cred, ts: t - 1000, seq: 5 });
    expectDecision(v.decide(expired.text, t), reject('code_expired'));
    expectDecision(v.decide(rideCode({ signature: truncate63 }).text, t), reject('malformed'));
    expect(v.replay.size).toBe(0);
    expectDecision(v.decide(A.text, t + 1), accept);
    expect(v.replay.size).toBe(1);
  });

  it('another rider right after an acceptance is not a duplicate', () => {
    const v = makeValidator();
    v.decide(A.text, t);
    const other = rideCode({ rider: RIDER_ES, credential: { claims: { 2: bytes('0000ffff') } } });
    expectDecision(v.decide(other.text, t + 1), accept);
  });

  it('evaluate() decides without remembering; remember() then commits', () => {
    const v = makeValidator();
    const d = v.evaluate(A.text, t);
    expect(d.decision).toBe('accept');
    expect(v.evaluate(A.text, t + 1).decision).toBe('accept');
    v.remember(d);
    expect(v.evaluate(A.text, t + 1).reason).toBe('duplicate');
  });

  it('a replay is still caught at the end of the longest validity (cv 3600, ts = now + skew)', () => {
    const v = makeValidator();
    const long = rideCode({ credential: { claims: { [-70004]: 3600 } }, ts: t + SKEW });
    expectDecision(v.decide(long.text, t), accept);
    const later = t + 3600 + 2 * SKEW;
    // another acceptance prunes the memory at `later`
    expectDecision(
      v.decide(rideCode({ rider: RIDER_ES, credential: { claims: { 2: bytes('99') } }, ts: later }).text, later),
      accept,
    );
    expectDecision(v.decide(long.text, later), reject('replay'));
    expectDecision(v.decide(long.text, later + 1), reject('code_expired'));
  });

  describe('a re-encoded code has the same codeId and is caught', () => {
    const esCred = credential({ rider: RIDER_ES, issuer: ISSUER_ES });
    const original = rideCode({ rider: RIDER_ES, credential: esCred, ts: t, seq: 1 });
    const decoded = decodeSign1(original.bytes);
    const base = {
      protectedBytes: decoded.protectedBytes,
      unprotected: decoded.unprotectedHeader,
      payload: decoded.payload,
      signature: decoded.signature,
      tag: 18 as number | null,
    };
    const variants: [string, Uint8Array][] = [
      ['tag 18 removed', assemble({ ...base, tag: null })],
      ['an unprotected header entry added', assemble({ ...base, unprotected: new Map([[4, bytes('0102')]]) })],
      ['ES256 s replaced by n − s', assemble({ ...base, signature: negateS(base.signature) })],
      [
        'all three',
        assemble({ ...base, tag: null, unprotected: new Map([[99, 'x']]), signature: negateS(base.signature) }),
      ],
    ];

    it.each(variants)('%s: different bytes, accepted on a fresh validator, same codeId', (_n, b) => {
      expect(Buffer.from(b).equals(Buffer.from(original.bytes))).toBe(false);
      const d = makeValidator().decide(fg1Text(b), t);
      expectDecision(d, accept);
      expect(d.codeId).toBe(original.codeId);
    });

    it.each(variants)('%s: duplicate at t+1 and replay at t+10 after the original was accepted', (_n, b) => {
      const v = makeValidator();
      expectDecision(v.decide(original.text, t), accept);
      expectDecision(v.decide(fg1Text(b), t + 1), ignore('duplicate'));
      expectDecision(v.decide(fg1Text(b), t + 10), reject('replay'));
    });

    it('tag 18 added to an untagged code: same codeId, replay', () => {
      const untagged = rideCode({ credential: cred, ts: t, seq: 4, tag: null });
      const tagged = fromParts({ ...untagged.parts, tag: 18 });
      const v = makeValidator();
      expectDecision(v.decide(untagged.text, t), accept);
      const d = v.decide(tagged.text, t + 10);
      expectDecision(d, reject('replay'));
      expect(d.codeId).toBe(untagged.codeId);
    });
  });
});

describe('credential cache (a cache hit never skips time, trust or deny checks)', () => {
  const t = NOW;
  const cred = credential({ claims: { 4: t + 100 } });
  const code = (seq: number, ts: number): string => rideCode({ credential: cred, seq, ts }).text;

  it('the second code of a rider reports credentialCached true', () => {
    const v = makeValidator();
    const first = v.decide(code(1, t), t);
    expect(first).toMatchObject({ decision: 'accept', credentialCached: false });
    const second = v.decide(code(2, t + 5), t + 5);
    expect(second).toMatchObject({ decision: 'accept', credentialCached: true });
    expect(v.stats).toEqual({ credentialCacheHits: 1, credentialCacheMisses: 1 });
  });

  it('after the trust list is replaced by one without the kid, the cached credential gives unknown_key', () => {
    const v = makeValidator();
    v.decide(code(1, t), t);
    v.setTrustList(trustList(ISSUER_ES));
    const d = v.decide(code(2, t + 5), t + 5);
    expectDecision(d, reject('unknown_key'));
    expect(d.credentialCached).toBe(true);
  });

  it('after the trust list gives the kid another key, the cached credential gives bad_issuer_signature', () => {
    const v = makeValidator();
    v.decide(code(1, t), t);
    v.setTrustList(trustList(FORGER));
    const d = v.decide(code(2, t + 5), t + 5);
    expectDecision(d, reject('bad_issuer_signature'));
    expect(d.credentialCached).toBe(true);
  });

  it('after the trust list gives the key a window that is over, the cached credential gives key_not_valid', () => {
    const v = makeValidator();
    v.decide(code(1, t), t);
    v.setTrustList(trustList(trustKey(ISSUER_ED, { exp: t - 100 })));
    expectDecision(v.decide(code(2, t + 5), t + 5), reject('key_not_valid'));
  });

  it('a new trust list with the same key still accepts the cached credential', () => {
    const v = makeValidator();
    v.decide(code(1, t), t);
    v.setTrustList(defaultTrust());
    expect(v.decide(code(2, t + 5), t + 5)).toMatchObject({ decision: 'accept', credentialCached: true });
  });

  it('after the deny list gains the sub (upper case), the cached credential gives denied', () => {
    const v = makeValidator();
    v.decide(code(1, t), t);
    v.setDenyList(new DenyList([SUB_HEX.toUpperCase()]));
    const d = v.decide(code(2, t + 5), t + 5);
    expectDecision(d, reject('denied'));
    expect(d.message).toBe('see_staff');
    expect(d.credentialCached).toBe(true);
  });

  it('after the deny list gains the cti, the cached credential gives denied', () => {
    const v = makeValidator();
    v.decide(code(1, t), t);
    v.setDenyList(new DenyList([], [CTI_HEX.toUpperCase()]));
    expectDecision(v.decide(code(2, t + 5), t + 5), reject('denied'));
  });

  it('after time passes exp + skew, the cached credential gives credential_expired', () => {
    const v = makeValidator();
    v.decide(code(1, t), t);
    const late = t + 100 + SKEW + 1;
    const d = v.decide(code(2, late), late);
    expectDecision(d, reject('credential_expired'));
    expect(d.message).toBe('renew_in_app');
    expect(d.credentialCached).toBe(true);
  });

  it('a cached credential with a bad code signature is still bad_code_signature', () => {
    const v = makeValidator();
    v.decide(code(1, t), t);
    const d = v.decide(rideCode({ credential: cred, seq: 2, ts: t + 5, signature: corrupt }).text, t + 5);
    expectDecision(d, reject('bad_code_signature'));
    expect(d.credentialCached).toBe(true);
  });

  it('a cached credential owns its bytes: it does not pin the 8 KiB scratch slab its code was parsed in', () => {
    const v = makeValidator();
    v.decide(code(1, t), t);
    const cache = (v as unknown as { credentials: Lru<string, { cred: Credential }> }).credentials;
    const [key] = [...cache.keys()];
    const held = cache.get(key!)!.cred;
    expect(held.signature.buffer).toBe(held.toBeSigned.buffer);
    expect(held.toBeSigned.buffer.byteLength).toBe(held.toBeSigned.length + held.signature.length);
    // and what it holds still verifies: a new key object for the same kid makes it re-check
    v.setTrustList(defaultTrust());
    expect(v.decide(code(2, t + 5), t + 5)).toMatchObject({ decision: 'accept', credentialCached: true });
  });

  it('only a credential whose issuer signature holds puts its rider key in the key cache', () => {
    const v = makeValidator();
    const riderKeys = (v as unknown as { riderKeys: Lru<string, unknown> }).riderKeys;
    const forged = credential({ issuer: FORGER });
    expectDecision(v.decide(rideCode({ credential: forged, seq: 1 }).text, t), reject('bad_issuer_signature'));
    expect(riderKeys.size).toBe(0);
    expectDecision(v.decide(code(1, t), t), accept);
    expect(riderKeys.size).toBe(1);
  });

  it('a credential that failed its issuer signature is not cached', () => {
    const v = makeValidator();
    const forged = credential({ issuer: FORGER });
    v.decide(rideCode({ credential: forged, seq: 1 }).text, t);
    const d = v.decide(rideCode({ credential: forged, seq: 2 }).text, t + 5);
    expectDecision(d, reject('bad_issuer_signature'));
    expect(d.credentialCached).toBe(false);
    expect(v.stats.credentialCacheHits).toBe(0);
    expect(v.decide(rideCode({ credential: forged, seq: 3 }).text, t + 10).reason).toBe('bad_issuer_signature');
  });
});

describe('reason numbers', () => {
  it('are the numbers of the checks in qr-token-v1 §4 (9 and 10 share reasons with 2 and 4)', () => {
    expect(REASONS).toEqual({
      malformed: 1,
      unsupported_alg: 2,
      unknown_key: 3,
      alg_mismatch: 4,
      key_not_valid: 5,
      bad_issuer_signature: 6,
      credential_not_yet_valid: 7,
      credential_expired: 8,
      bad_code_signature: 11,
      code_from_future: 12,
      code_expired: 13,
      denied: 14,
      mode_not_allowed: 15,
      duplicate: 16,
      replay: 17,
      bad_root_signature: 18, // JT/T 1179 only (jtt1179-reading §4 check 5)
      issuer_cert_expired: 19, // JT/T 1179 only (check 6)
    });
  });
});

describe('message classes', () => {
  it.each<[Reason | 'accept', string]>([
    ['accept', 'go'],
    ['duplicate', 'silent'],
    ['code_expired', 'refresh_code'],
    ['replay', 'refresh_code'],
    ['malformed', 'scan_again'],
    ['denied', 'see_staff'],
    ['credential_expired', 'renew_in_app'],
    ['mode_not_allowed', 'not_valid_here'],
    ['bad_code_signature', 'invalid_code'],
    ['unsupported_alg', 'invalid_code'],
    ['unknown_key', 'invalid_code'],
    ['alg_mismatch', 'invalid_code'],
    ['key_not_valid', 'invalid_code'],
    ['bad_issuer_signature', 'invalid_code'],
    ['credential_not_yet_valid', 'renew_in_app'],
    ['code_from_future', 'refresh_code'],
  ])('%s -> %s', (reason, cls) => {
    if (reason === 'accept') {
      expect(makeValidator().decide(text(), NOW).message).toBe(cls);
    } else {
      expect(MESSAGE_CLASS[reason]).toBe(cls);
    }
  });

  it('decisions carry the class of their reason (code_expired -> refresh_code)', () => {
    expect(makeValidator().decide(text({ ts: NOW - 1000 }), NOW).message).toBe('refresh_code');
  });
});
