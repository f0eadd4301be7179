/** Riders for service tests: credentials from the test-only dev issuer, fresh codes on demand. */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { generateKeyPair, keyPairFromJwk, JwkSchema, type KeyPair } from '../../src/mint/keys.ts';
import { issueCredential, makeRideCode } from '../../src/mint/mint.ts';
import { base45Decode } from '../../src/token/base45.ts';
import { ALG_EDDSA, decodeSign1, type SupportedAlg } from '../../src/token/cose.ts';
import { codeIdOf } from '../../src/token/rideCode.ts';
import { DEV_ISSUER } from './serviceProcess.ts';

const issuer = keyPairFromJwk(JwkSchema.parse(JSON.parse(readFileSync(DEV_ISSUER, 'utf8'))));

export interface TestRider {
  sub: string;
  key: KeyPair;
  credential: Uint8Array;
  seq: number;
  /** A fresh ride code at `tsSec` (default now). */
  code(tsSec?: number): string;
}

export function makeRider(
  o: { alg?: SupportedAlg; sub?: string; profile?: number; modes?: number; cap?: number } = {},
): TestRider {
  const key = generateKeyPair(o.alg ?? ALG_EDDSA);
  const sub = o.sub ?? randomBytes(8).toString('hex');
  const now = Math.floor(Date.now() / 1000);
  const credential = issueCredential({
    issuerAlg: issuer.alg,
    issuerKey: issuer.privateKey!,
    kid: issuer.kid,
    riderPublicKey: key.publicKey,
    sub: Buffer.from(sub, 'hex'),
    cti: randomBytes(8),
    exp: now + 86400,
    iat: now - 60,
    ...(o.profile !== undefined ? { profile: o.profile } : {}),
    ...(o.modes !== undefined ? { modes: o.modes } : {}),
    ...(o.cap !== undefined ? { cap: o.cap } : {}),
  });
  const rider: TestRider = {
    sub,
    key,
    credential,
    seq: 0,
    code(tsSec = Math.floor(Date.now() / 1000)) {
      rider.seq++;
      return makeRideCode({ credential, riderAlg: key.alg, riderKey: key.privateKey, ts: tsSec, seq: rider.seq });
    },
  };
  return rider;
}

/** The codeId of a ride-code text (spec §3), for matching log lines and rows. */
export function codeIdOfText(text: string): string {
  return codeIdOf(decodeSign1(base45Decode(text, 4)).payload!);
}
