/**
 * The flattened-JSON JWS helper (src/fleet/jws.ts): EdDSA and ES256 round trips, the pinned
 * key decides (kid, alg), strict base64url, `crit` and `typ`, and JWK Set problems listed.
 */
import { createPublicKey, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keySetFromJson, signFlattenedJws, verifyFlattenedJws, JwsKeySetError } from '../../src/fleet/jws.ts';
import { ALG_ES256 } from '../../src/token/cose.ts';
import { operatorSigner } from './harness.ts';

const ed = operatorSigner();
const es = operatorSigner(ALG_ES256);
const keys = keySetFromJson({ keys: [ed.publicJwk, es.publicJwk] });

describe('flattened JWS', () => {
  it('verifies EdDSA and ES256 (r||s) signatures from the pinned set', () => {
    for (const s of [ed, es]) {
      const jws = signFlattenedJws({ hello: s.kid }, s, { typ: 't' });
      const v = verifyFlattenedJws(JSON.stringify(jws), keys, { typ: 't' });
      expect(v.ok).toBe(true);
      if (v.ok) expect(JSON.parse(v.payload.toString())).toEqual({ hello: s.kid });
    }
    // An ES256 signature made independently with node's default settings, converted to r||s, verifies.
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: es.kid })).toString('base64url');
    const payload = Buffer.from('{"x":1}').toString('base64url');
    const sig = sign('sha256', Buffer.from(`${header}.${payload}`), { key: es.privateKey, dsaEncoding: 'ieee-p1363' });
    expect(sig.length).toBe(64);
    expect(verifyFlattenedJws({ protected: header, payload, signature: sig.toString('base64url') }, keys).ok).toBe(true);
  });

  it('refuses with a specific reason', () => {
    const good = signFlattenedJws({ a: 1 }, ed, { typ: 't' });
    const err = (x: unknown, o = {}) => {
      const v = verifyFlattenedJws(x, keys, o);
      return v.ok ? 'ok' : v.error;
    };
    expect(err('{')).toBe('malformed');
    expect(err({ payload: good.payload, signature: good.signature })).toBe('malformed');
    expect(err({ ...good, signature: good.signature + '=' })).toBe('malformed');
    expect(err(good, { typ: 'other' })).toBe('wrong_typ');
    const withHeader = (h: object) => ({ ...good, protected: Buffer.from(JSON.stringify(h)).toString('base64url') });
    expect(err(withHeader({ alg: 'HS256', kid: ed.kid }))).toBe('unsupported_alg');
    expect(err(withHeader({ alg: 'EdDSA' }))).toBe('unknown_kid');
    expect(err(withHeader({ alg: 'EdDSA', kid: 'nobody' }))).toBe('unknown_kid');
    expect(err(withHeader({ alg: 'ES256', kid: ed.kid }))).toBe('alg_mismatch');
    expect(err(withHeader({ alg: 'EdDSA', kid: ed.kid, crit: ['exp'] }))).toBe('malformed');
    // The header is signed: changing it (even a member the verifier ignores) breaks the signature.
    expect(err(withHeader({ alg: 'EdDSA', kid: ed.kid, typ: 't', x: 1 }))).toBe('bad_signature');
    expect(err({ ...good, payload: Buffer.from('{"a":2}').toString('base64url') })).toBe('bad_signature');
    expect(err(good, { typ: 't' })).toBe('ok');
    const dated = keySetFromJson({ keys: [{ ...ed.publicJwk, exp: 1000 }] });
    expect(verifyFlattenedJws(good, dated, { nowSec: 2000 }).ok).toBe(false);
    expect(verifyFlattenedJws(good, dated, { nowSec: 900 }).ok).toBe(true);
  });

  it('lists every problem of a JWK Set, and refuses private keys', () => {
    const priv = { ...ed.privateKey.export({ format: 'jwk' }), kid: 'x' };
    expect(() => keySetFromJson({ keys: [priv] })).toThrow(/private key/);
    expect(() => keySetFromJson({ keys: [ed.publicJwk, ed.publicJwk] })).toThrow(/repeated kid/);
    expect(() => keySetFromJson({ keys: [{ ...es.publicJwk, alg: 'EdDSA' }] })).toThrow(/does not match/);
    expect(() => keySetFromJson({ keys: [] })).toThrow(JwsKeySetError);
    expect(createPublicKey(ed.privateKey).asymmetricKeyType).toBe('ed25519');
  });
});
