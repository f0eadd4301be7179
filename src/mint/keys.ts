/**
 * Key pairs for issuers (level 1) and riders (level 2), as JWK (RFC 7517).
 * A private JWK carries `d`; a public one never does.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { z } from 'zod';
import { ALG_EDDSA, type SupportedAlg } from '../token/cose.ts';
import { algFromName, algName, algOfKey } from '../token/coseKey.ts';
import { FaregateError } from '../errors/faregateError.ts';

export const JwkSchema = z.looseObject({
  kty: z.enum(['OKP', 'EC']),
  crv: z.enum(['Ed25519', 'P-256']),
  x: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'),
  y: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url')
    .optional(),
  d: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url')
    .optional(),
  alg: z.enum(['EdDSA', 'ES256']).optional(),
  kid: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'must be base64url')
    .optional(),
});
export type Jwk = z.infer<typeof JwkSchema>;

export interface KeyPair {
  alg: SupportedAlg;
  kid: Uint8Array;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function generateKeyPair(alg: SupportedAlg, kid: Uint8Array = randomBytes(8)): KeyPair {
  const { privateKey, publicKey } =
    alg === ALG_EDDSA ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { alg, kid, privateKey, publicKey };
}

function withMeta(jwk: JsonWebKey, alg: SupportedAlg, kid: Uint8Array): Jwk {
  return { ...(jwk as Jwk), alg: algName(alg), kid: Buffer.from(kid).toString('base64url') };
}

export function publicJwk(pair: Pick<KeyPair, 'alg' | 'kid' | 'publicKey'>): Jwk {
  return withMeta(pair.publicKey.export({ format: 'jwk' }), pair.alg, pair.kid);
}

export function privateJwk(pair: KeyPair): Jwk {
  return withMeta(pair.privateKey.export({ format: 'jwk' }), pair.alg, pair.kid);
}

/** Reads a JWK (public or private) into key objects. Throws with a specific message. */
export function keyPairFromJwk(jwk: Jwk): {
  alg: SupportedAlg;
  kid: Uint8Array;
  publicKey: KeyObject;
  privateKey?: KeyObject;
} {
  const input = jwk as JsonWebKey;
  const publicKey = createPublicKey({ key: input, format: 'jwk' });
  const alg = algOfKey(publicKey);
  if (jwk.alg !== undefined && algFromName(jwk.alg) !== alg)
    throw new FaregateError('KEY_FORMAT', `alg ${jwk.alg} does not match the ${jwk.crv} key`);
  const kid = Buffer.from(jwk.kid ?? '', 'base64url');
  const out: ReturnType<typeof keyPairFromJwk> = { alg, kid, publicKey };
  if (jwk.d !== undefined) out.privateKey = createPrivateKey({ key: input, format: 'jwk' });
  return out;
}
