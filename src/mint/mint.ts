/**
 * Minting FG1 credentials (level 1, the operator's job) and ride codes (level 2, the phone's
 * job). Shared by the CLI and firmware-sim; also lets tests make codes with any defect.
 */
import type { KeyObject } from 'node:crypto';
import { base45Encode } from '../token/base45.ts';
import { cborEncode, type CborMap, type CborValue } from '../token/cbor.ts';
import { HEADER_ALG, HEADER_KID, signSign1, type SupportedAlg } from '../token/cose.ts';
import { coseKeyFromPublic } from '../token/coseKey.ts';
import { FG1_PREFIX } from '../token/rideCode.ts';

export interface CredentialClaims {
  iss?: string;
  sub: Uint8Array;
  exp: number;
  nbf?: number;
  iat?: number;
  cti: Uint8Array;
  profile?: number;
  cap?: number;
  modes?: number;
  cv?: number;
}

export interface IssueOptions extends CredentialClaims {
  issuerAlg: SupportedAlg;
  issuerKey: KeyObject;
  kid: Uint8Array;
  riderPublicKey: KeyObject;
  /** Tag 18 on the outside (default true). */
  tagged?: boolean;
}

/** Claims map in the spec's key order. */
export function claimsMap(c: CredentialClaims, riderPublicKey: KeyObject): CborMap {
  const m: CborMap = new Map<CborValue, CborValue>();
  if (c.iss !== undefined) m.set(1, c.iss);
  m.set(2, c.sub);
  m.set(4, c.exp);
  if (c.nbf !== undefined) m.set(5, c.nbf);
  if (c.iat !== undefined) m.set(6, c.iat);
  m.set(7, c.cti);
  m.set(8, new Map([[1, coseKeyFromPublic(riderPublicKey)]]));
  if (c.profile !== undefined) m.set(-70001, c.profile);
  if (c.cap !== undefined) m.set(-70002, c.cap);
  if (c.modes !== undefined) m.set(-70003, c.modes);
  if (c.cv !== undefined) m.set(-70004, c.cv);
  return m;
}

/** A level-1 credential: COSE_Sign1 bytes signed by the issuer. */
export function issueCredential(o: IssueOptions): Uint8Array {
  return signSign1({
    alg: o.issuerAlg,
    key: o.issuerKey,
    protectedHeader: new Map<CborValue, CborValue>([
      [HEADER_ALG, o.issuerAlg],
      [HEADER_KID, o.kid],
    ]),
    payload: cborEncode(claimsMap(o, o.riderPublicKey)),
    tagged: o.tagged ?? true,
  });
}

export interface CodeOptions {
  credential: Uint8Array;
  riderAlg: SupportedAlg;
  riderKey: KeyObject;
  ts: number;
  seq: number;
  tagged?: boolean;
}

/** Level-2 COSE_Sign1 bytes. */
export function makeRideCodeBytes(o: CodeOptions): Uint8Array {
  return signSign1({
    alg: o.riderAlg,
    key: o.riderKey,
    protectedHeader: new Map([[HEADER_ALG, o.riderAlg]]),
    payload: cborEncode(
      new Map<CborValue, CborValue>([
        [1, o.credential],
        [2, o.ts],
        [3, o.seq],
      ]),
    ),
    tagged: o.tagged ?? true,
  });
}

export function rideCodeText(level2: Uint8Array): string {
  return FG1_PREFIX + base45Encode(level2);
}

/** The text a phone shows: `FG1:` + base45 of the level-2 bytes. */
export function makeRideCode(o: CodeOptions): string {
  return rideCodeText(makeRideCodeBytes(o));
}
