/** The signed-list envelope: a standard JWS (flattened JSON) and the payload rules. */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, publicJwk } from '../../src/mint/keys.ts';
import { ALG_EDDSA, ALG_ES256, type SupportedAlg } from '../../src/token/cose.ts';
import {
  ListRefused,
  processDenyDocument,
  processTrustDocument,
  rootKeysFromJson,
  signList,
  verifyEnvelope,
} from '../../src/lists/signedList.ts';
import { HashedDenyList } from '../../src/lists/signedListDeny.ts';

function root(alg: SupportedAlg = ALG_EDDSA, kid = 'root-1') {
  const pair = generateKeyPair(alg, Buffer.from(kid));
  const jwk = { ...publicJwk(pair), kid };
  return { signer: { alg, kid, privateKey: pair.privateKey }, jwk, roots: rootKeysFromJson({ keys: [jwk] }) };
}

const refusal = async (f: () => Promise<unknown>): Promise<string> => {
  try {
    await f();
  } catch (e) {
    if (e instanceof ListRefused) return e.reason;
    throw e;
  }
  return 'accepted';
};

describe('signed list envelope', () => {
  for (const alg of [ALG_EDDSA, ALG_ES256] as const) {
    it(`is a JWS any implementation can check (${alg === ALG_EDDSA ? 'EdDSA' : 'ES256 raw r||s'})`, async () => {
      const r = root(alg);
      const jws = signList({ type: 'deny', version: 1, issuedAt: 1, kind: 'snapshot', sub: [], cti: [] }, r.signer);
      expect(Object.keys(jws)).toEqual(['protected', 'payload', 'signature']);
      const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString()) as Record<string, string>;
      expect(header).toMatchObject({ alg: alg === ALG_EDDSA ? 'EdDSA' : 'ES256', kid: 'root-1' });
      // RFC 7515 §5.2 by hand: signature over ASCII(protected '.' payload).
      const input = Buffer.from(`${jws.protected}.${jws.payload}`, 'ascii');
      const key = createPublicKey({ key: r.jwk, format: 'jwk' });
      const sig = Buffer.from(jws.signature, 'base64url');
      if (alg === ALG_ES256) expect(sig.length).toBe(64);
      expect(
        alg === ALG_EDDSA
          ? cryptoVerify(null, input, key, sig)
          : cryptoVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, sig),
      ).toBe(true);
      expect((await verifyEnvelope(JSON.stringify(jws), r.roots)).kid).toBe('root-1');
    });
  }

  it('refuses forged, unknown-root, alg-confused and malformed documents', async () => {
    const r = root();
    const other = root(ALG_EDDSA, 'root-2');
    const good = signList({ type: 'deny', version: 2, issuedAt: 1, kind: 'snapshot', sub: ['aa'] }, r.signer);
    const tampered = {
      ...good,
      payload: Buffer.from(
        JSON.stringify({ type: 'deny', version: 2, issuedAt: 1, kind: 'snapshot', sub: [] }),
      ).toString('base64url'),
    };
    expect(await refusal(() => verifyEnvelope(JSON.stringify(tampered), r.roots))).toBe('bad_signature');
    expect(await refusal(() => verifyEnvelope(JSON.stringify(signList({ a: 1 }, other.signer)), r.roots))).toBe(
      'unknown_root_kid',
    );
    // Signed by another key claiming root-1's kid.
    expect(
      await refusal(() =>
        verifyEnvelope(JSON.stringify(signList({ a: 1 }, { ...other.signer, kid: 'root-1' })), r.roots),
      ),
    ).toBe('bad_signature');
    const none = {
      ...good,
      protected: Buffer.from(JSON.stringify({ alg: 'none', kid: 'root-1' })).toString('base64url'),
    };
    expect(await refusal(() => verifyEnvelope(JSON.stringify(none), r.roots))).toBe('bad_signature');
    expect(await refusal(() => verifyEnvelope('not json', r.roots))).toBe('malformed');
    expect(await refusal(() => verifyEnvelope(JSON.stringify({ ...good, header: {} }), r.roots))).toBe('malformed');
    expect(await refusal(() => verifyEnvelope(`${good.protected}.${good.payload}.${good.signature}`, r.roots))).toBe(
      'malformed',
    );
  });

  it('applies the payload rules: type, versions, base, entries', async () => {
    const r = root();
    const doc = (p: Record<string, unknown>) => JSON.stringify(signList(p, r.signer));
    const deny = (p: Record<string, unknown>, held = { version: 0 }) =>
      refusal(() => processDenyDocument(doc({ type: 'deny', issuedAt: 10, kind: 'snapshot', ...p }), r.roots, held, 0));
    expect(await deny({ version: 1, sub: ['AB', { id: 'cd', exp: 5 }] })).toBe('accepted');
    expect(await deny({ version: 1, type: 'trust', keys: [] })).toBe('wrong_type');
    expect(await deny({ version: 3 }, { version: 3 })).toBe('rollback');
    expect(await deny({ version: 2 }, { version: 3 })).toBe('rollback');
    expect(await deny({ version: 0 })).toBe('malformed');
    expect(await deny({ version: 1, sub: ['xyz'] })).toBe('malformed');
    expect(await deny({ version: 1, sub: [{ id: 'ab', exp: -1 }] })).toBe('malformed');
    expect(await deny({ version: 1, keys: [] })).toBe('malformed');
    expect(await deny({ version: 2, kind: 'delta', baseVersion: 1, add: { sub: ['ab'] } })).toBe('missing_base');
    expect(await deny({ version: 2, kind: 'delta', add: {} })).toBe('malformed');
    expect(
      await refusal(() =>
        processTrustDocument(
          doc({ type: 'trust', version: 1, issuedAt: 1, kind: 'snapshot', keys: [{ kty: 'OKP' }] }),
          r.roots,
          { version: 0 },
        ),
      ),
    ).toBe('malformed');
    expect(
      await refusal(() =>
        processTrustDocument(
          doc({ type: 'trust', version: 2, issuedAt: 1, kind: 'delta', baseVersion: 1, keys: [] }),
          r.roots,
          { version: 1 },
        ),
      ),
    ).toBe('malformed');
  });

  it('builds a snapshot, applies deltas (remove, add, exp) and recognizes a duplicate', async () => {
    const r = root();
    const doc = (p: Record<string, unknown>) => JSON.stringify(signList(p, r.signer));
    let now = 1000;
    const s1 = await processDenyDocument(
      doc({
        type: 'deny',
        version: 1,
        issuedAt: 1,
        kind: 'snapshot',
        sub: ['AA01', { id: 'bb02', exp: 1500 }],
        cti: ['cc'],
      }),
      r.roots,
      { version: 0 },
      now,
    );
    if (s1.outcome !== 'applied') throw new Error('not applied');
    const l1 = new HashedDenyList(s1.list, () => now);
    expect([
      l1.denies('aa01', 'x'),
      l1.denies('bb02', ''),
      l1.denies('zz', 'cc'),
      l1.denies('aa02', 'cd'),
      l1.size,
    ]).toEqual([true, true, true, false, 3]);
    now = 1501;
    expect(l1.denies('bb02', '')).toBe(false);
    now = 1000;
    // The same document again is a duplicate (not a refusal); another one with the same version is a rollback.
    const d1 = doc({ type: 'deny', version: 1, issuedAt: 1, kind: 'snapshot', cti: ['cc'] });
    const first = await processDenyDocument(d1, r.roots, { version: 0 }, now);
    if (first.outcome !== 'applied') throw new Error('not applied');
    expect((await processDenyDocument(d1, r.roots, { version: 1, signature: first.signature }, now)).outcome).toBe(
      'duplicate',
    );
    expect(await refusal(() => processDenyDocument(d1, r.roots, { version: 1, signature: 'other' }, now))).toBe(
      'rollback',
    );
    // Delta: remove aa01, add dd04 (exp 1200) and AA01 back in cti; bb02 expired by now 1600 is dropped on the way.
    now = 1600;
    const d2 = await processDenyDocument(
      doc({
        type: 'deny',
        version: 2,
        issuedAt: 2,
        kind: 'delta',
        baseVersion: 1,
        add: { sub: [{ id: 'DD04', exp: 1700 }], cti: ['aa01'] },
        remove: { sub: ['aa01', 'ffff'] },
      }),
      r.roots,
      { version: 1, data: s1.list },
      now,
    );
    if (d2.outcome !== 'applied') throw new Error('not applied');
    const l2 = new HashedDenyList(d2.list, () => now);
    expect([
      l2.denies('aa01', 'x'),
      l2.denies('dd04', 'x'),
      l2.denies('x', 'aa01'),
      l2.denies('x', 'cc'),
      l2.size,
    ]).toEqual([false, true, true, true, 3]);
    now = 1701;
    expect(l2.denies('dd04', 'x')).toBe(false);
    // The held list is untouched by the delta.
    expect(l1.denies('aa01', '')).toBe(true);
  });
});
