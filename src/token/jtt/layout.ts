/**
 * JT/T 1179 payloads (docs/spec/jtt1179-reading.md): the text forms and their detection (§1), the
 * byte layout (§2.1, §2.2) and the malformed rules (§2.4). Pure: bytes in, fields out.
 */
import { compressedKey, type Sm2PublicKey } from './sm2.ts';

export { decodeJttText, isJttBase64, recognisesJttText, textForm } from './text.ts';

/** The only version this contract covers (§2.1 field 1). */
export const JTT_VERSION = 0x80;
/** Shortest code (L = 0) and longest issuer-defined field. */
export const JTT_MIN_LENGTH = 332;
export const JTT_MAX_ISSUER_DATA = 32;

/** A payload that §2.4 (or §1) calls `malformed`; the message names the rule, never the bytes. */
export class JttMalformedError extends Error {
  override name = 'JttMalformedError';
}

/**
 * §1.1: the JT/T payload of a binary frame (after the scanner removed an AIM prefix): when the
 * frame is longer than 3 + D and the surplus is exactly one terminator (0D, 0A, 0D 0A), the surplus
 * is dropped. Anything else is returned as is (and §2.4 decides).
 */
export function binaryPayload(frame: Uint8Array): Uint8Array {
  if (frame.length < 3) return frame;
  const want = 3 + ((frame[1]! << 8) | frame[2]!);
  const extra = frame.length - want;
  if (extra === 1 && (frame[want] === 0x0d || frame[want] === 0x0a)) return frame.subarray(0, want);
  if (extra === 2 && frame[want] === 0x0d && frame[want + 1] === 0x0a) return frame.subarray(0, want);
  return frame;
}

/** The fields of a well-formed version-0x80 code (§2). Byte fields are views into the payload. */
export interface JttCode {
  readonly bytes: Uint8Array;
  /** L, field 13. */
  readonly issuerDataLength: number;
  /** Cert item 2 (4 bytes), item 3, item 5 (4 bytes), item 6 month and year (2000 + YY), item 7. */
  readonly serviceId: Uint8Array;
  readonly rootIndex: number;
  readonly issuerId: Uint8Array;
  readonly certMonth: number;
  readonly certYear: number;
  readonly certSerial: Uint8Array;
  /** Cert items 8, 9, 10. */
  readonly signatureAlg: number;
  readonly encryptionAlg: number;
  readonly curveParam: number;
  /** Cert item 12, compressed. */
  readonly issuerKeyBytes: Uint8Array;
  /** Cert item 13, r ‖ s. */
  readonly rootSignature: Uint8Array;
  /** Fields 4–12. */
  readonly paymentAccount: Uint8Array;
  readonly userAccount: Uint8Array;
  readonly issuerCode: Uint8Array;
  readonly platform: Uint8Array;
  readonly cardType: number;
  readonly cap: number;
  readonly userKeyBytes: Uint8Array;
  readonly authExpiry: number;
  readonly validity: number;
  readonly issuerData: Uint8Array;
  /** Field 15 r ‖ s, field 16, field 17 r ‖ s. */
  readonly authSignature: Uint8Array;
  readonly ts: number;
  readonly userSignature: Uint8Array;
  /** The signed ranges (§2.3). */
  readonly rootSigned: Uint8Array;
  readonly authSigned: Uint8Array;
  readonly userSigned: Uint8Array;
  /** Fields 3–15: what the credential cache keys on (code [3, 263 + L)). */
  readonly credentialBytes: Uint8Array;
}

const u32 = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;

function bcd(byte: number): number | undefined {
  const hi = byte >> 4;
  const lo = byte & 0x0f;
  return hi > 9 || lo > 9 ? undefined : hi * 10 + lo;
}

/** §2.4 rules 1–5 and 7, and the field split of §2.1/§2.2. Point validity (rule 6) is {@link keysOf}. */
export function parseJttCode(b: Uint8Array): JttCode {
  if (b.length < JTT_MIN_LENGTH) throw new JttMalformedError(`${b.length} bytes: shorter than ${JTT_MIN_LENGTH}`);
  const L = b[197]!;
  if (L > JTT_MAX_ISSUER_DATA) throw new JttMalformedError(`issuer-defined length ${L} is over ${JTT_MAX_ISSUER_DATA}`);
  if (b.length !== JTT_MIN_LENGTH + L) throw new JttMalformedError(`${b.length} bytes, but L = ${L} makes ${332 + L}`);
  const D = (b[1]! << 8) | b[2]!;
  if (D !== b.length - 3) throw new JttMalformedError(`data length ${D} is not ${b.length - 3}`);
  if (b[0] !== JTT_VERSION) throw new JttMalformedError(`version 0x${b[0]!.toString(16)} is not 0x80`);
  if (b[3] !== 0x24) throw new JttMalformedError('certificate header is not 0x24');
  if (b[9] !== 0x12) throw new JttMalformedError('certificate format is not 0x12');
  if (b[22] !== 0x21) throw new JttMalformedError('issuer key length is not 0x21');
  const month = bcd(b[14]!);
  const year = bcd(b[15]!);
  if (month === undefined || year === undefined) throw new JttMalformedError('certificate expiry is not BCD');
  if (month < 1 || month > 12) throw new JttMalformedError(`certificate expiry month ${month} is not 01-12`);
  const f15 = 198 + L;
  const f17 = 267 + L;
  if (b[f15] !== 0x15) throw new JttMalformedError('authorisation signature does not begin with 0x15');
  if (b[f17] !== 0x15) throw new JttMalformedError('user signature does not begin with 0x15');
  return {
    bytes: b,
    issuerDataLength: L,
    serviceId: b.subarray(4, 8),
    rootIndex: b[8]!,
    issuerId: b.subarray(10, 14),
    certMonth: month,
    certYear: 2000 + year,
    certSerial: b.subarray(16, 19),
    signatureAlg: b[19]!,
    encryptionAlg: b[20]!,
    curveParam: b[21]!,
    issuerKeyBytes: b.subarray(23, 56),
    rootSignature: b.subarray(56, 120),
    paymentAccount: b.subarray(120, 136),
    userAccount: b.subarray(136, 146),
    issuerCode: b.subarray(146, 150),
    platform: b.subarray(150, 154),
    cardType: b[154]!,
    cap: (b[155]! << 16) | (b[156]! << 8) | b[157]!,
    userKeyBytes: b.subarray(158, 191),
    authExpiry: u32(b, 191),
    validity: (b[195]! << 8) | b[196]!,
    issuerData: b.subarray(198, f15),
    authSignature: b.subarray(f15 + 1, f15 + 65),
    ts: u32(b, 263 + L),
    userSignature: b.subarray(f17 + 1, f17 + 65),
    rootSigned: b.subarray(9, 56),
    authSigned: b.subarray(3, f15),
    userSigned: b.subarray(0, f17),
    credentialBytes: b.subarray(3, 263 + L),
  };
}

/** §2.4 rule 6: both keys as points, or malformed. */
export function keysOf(c: JttCode): { issuer: Sm2PublicKey; user: Sm2PublicKey } {
  const issuer = compressedKey(c.issuerKeyBytes);
  if (!issuer) throw new JttMalformedError('issuer key is not a valid compressed point');
  const user = compressedKey(c.userKeyBytes);
  if (!user) throw new JttMalformedError('user key is not a valid compressed point');
  return { issuer, user };
}

/** Check 6: the last second of the certificate's expiry month, UTC. */
export function certificateEnd(c: Pick<JttCode, 'certMonth' | 'certYear'>): number {
  return Date.UTC(c.certYear, c.certMonth, 1) / 1000 - 1;
}

/** §4.2: the fare profile of a card type. */
export function profileOf(cardType: number): number {
  return cardType === 0x02 ? 2 : cardType === 0x03 ? 3 : 0;
}
