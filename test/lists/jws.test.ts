/**
 * The flattened-JSON JWS (src/lists/jws.ts, the signature check by `jose`): EdDSA and ES256
 * round trips, the pinned key decides (kid, alg), strict base64url, `crit` and `typ`, the key's
 * own validity, and JWK Set problems listed (the one JWK-Set import, private keys refused).
 */
import { createPublicKey, sign } from 'node:crypto';
import { flattenedVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { isFaregateError } from '../../src/errors/faregateError.ts';
import { keySetFromJson, signFlattenedJws, verifyFlattenedJws, type JwsSigner } from '../../src/lists/jws.ts';
import { KeySetError } from '../../src/lists/listErrors.ts';
import { generateKeyPair, publicJwk } from '../../src/mint/keys.ts';
import { ALG_EDDSA, ALG_ES256, type SupportedAlg } from '../../src/token/cose.ts';

function signer(alg: SupportedAlg = ALG_EDDSA, kid = `op-${alg}`): JwsSigner & { publicJwk: Record<string, unknown> } {
  const pair = generateKeyPair(alg);
  return { alg, kid, privateKey: pair.privateKey, publicJwk: { ...publicJwk(pair), kid } };
}

const ed = signer();
const es = signer(ALG_ES256);
const keys = keySetFromJson({ keys: [ed.publicJwk, es.publicJwk] });

describe('flattened JWS', () => {
  it('verifies EdDSA and ES256 (r||s) signatures from the pinned set', async () => {
    for (const s of [ed, es]) {
      const jws = signFlattenedJws({ hello: s.kid }, s, { typ: 't' });
      const v = await verifyFlattenedJws(JSON.stringify(jws), keys, { typ: 't' });
      expect(v.ok).toBe(true);
      if (v.ok) expect(JSON.parse(v.payload.toString())).toEqual({ hello: s.kid });
      // What we sign is what jose itself accepts.
      const pub = createPublicKey(s.privateKey);
      const j = await flattenedVerify(jws, pub, { algorithms: [s.alg === ALG_EDDSA ? 'EdDSA' : 'ES256'] });
      expect(JSON.parse(Buffer.from(j.payload).toString())).toEqual({ hello: s.kid });
    }
    // An ES256 signature made independently with node's default settings, converted to r||s, verifies.
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: es.kid })).toString('base64url');
    const payload = Buffer.from('{"x":1}').toString('base64url');
    const sig = sign('sha256', Buffer.from(`${header}.${payload}`), { key: es.privateKey, dsaEncoding: 'ieee-p1363' });
    expect(sig.length).toBe(64);
    const jws = { protected: header, payload, signature: sig.toString('base64url') };
    expect((await verifyFlattenedJws(jws, keys)).ok).toBe(true);
  });

  it('refuses with a specific reason', async () => {
    const good = signFlattenedJws({ a: 1 }, ed, { typ: 't' });
    const err = async (x: unknown, o = {}) => {
      const v = await verifyFlattenedJws(x, keys, o);
      return v.ok ? 'ok' : v.error;
    };
    expect(await err('{')).toBe('malformed');
    expect(await err({ payload: good.payload, signature: good.signature })).toBe('malformed');
    expect(await err({ ...good, signature: good.signature + '=' })).toBe('malformed');
    expect(await err(good, { typ: 'other' })).toBe('wrong_typ');
    const withHeader = (h: object) => ({ ...good, protected: Buffer.from(JSON.stringify(h)).toString('base64url') });
    expect(await err(withHeader({ alg: 'HS256', kid: ed.kid }))).toBe('unsupported_alg');
    expect(await err(withHeader({ alg: 'none', kid: ed.kid }))).toBe('unsupported_alg');
    expect(await err(withHeader({ alg: 'EdDSA' }))).toBe('unknown_kid');
    expect(await err(withHeader({ alg: 'EdDSA', kid: 'nobody' }))).toBe('unknown_kid');
    expect(await err(withHeader({ alg: 'ES256', kid: ed.kid }))).toBe('alg_mismatch');
    expect(await err(withHeader({ alg: 'EdDSA', kid: ed.kid, crit: ['exp'] }))).toBe('malformed');
    // The header is signed: changing it (even a member the verifier ignores) breaks the signature.
    expect(await err(withHeader({ alg: 'EdDSA', kid: ed.kid, typ: 't', x: 1 }))).toBe('bad_signature');
    expect(await err({ ...good, payload: Buffer.from('{"a":2}').toString('base64url') })).toBe('bad_signature');
    expect(await err({ ...good, signature: good.signature.slice(0, -8) })).toBe('bad_signature');
    expect(await err(good, { typ: 't' })).toBe('ok');
    const dated = keySetFromJson({ keys: [{ ...ed.publicJwk, exp: 1000 }] });
    expect(await verifyFlattenedJws(good, dated, { nowSec: 2000 })).toMatchObject({
      ok: false,
      error: 'key_not_valid',
    });
    expect((await verifyFlattenedJws(good, dated, { nowSec: 900 })).ok).toBe(true);
  });

  it('lists every problem of a JWK Set, and refuses private keys', () => {
    const priv = { ...ed.privateKey.export({ format: 'jwk' }), kid: 'x' };
    expect(() => keySetFromJson({ keys: [priv] })).toThrow(/private key/);
    try {
      keySetFromJson({ keys: [priv] });
    } catch (e) {
      expect(isFaregateError(e, 'PRIVATE_KEY_IN_KEY_SET')).toBe(true);
    }
    expect(() => keySetFromJson({ keys: [ed.publicJwk, ed.publicJwk] })).toThrow(/repeated kid/);
    expect(() => keySetFromJson({ keys: [{ ...es.publicJwk, alg: 'EdDSA' }] })).toThrow(/does not go with/);
    expect(() => keySetFromJson({ keys: [] })).toThrow(KeySetError);
  });
});
