/** `faregate inspect` for JT/T 1179 codes (jtt1179-reading §2): their fields, unverified. */
import { createHash } from 'node:crypto';
import { JTT_FORMAT } from '../../token/jtt/text.ts';
import { JttMalformedError, certificateEnd, keysOf, parseJttCode, profileOf } from '../../token/jtt/layout.ts';

const iso = (s: number): string | undefined =>
  Number.isFinite(s * 1000) && s * 1000 < 8.64e15 ? new Date(s * 1000).toISOString() : undefined;

/** A JT/T 1179 code's fields (jtt1179-reading §2), unverified; the signatures are not printed. */
export function describeJttCode(bytes: Uint8Array): Record<string, unknown> {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  try {
    const c = parseJttCode(bytes);
    keysOf(c);
    const end = certificateEnd(c);
    return {
      verified: false,
      format: JTT_FORMAT,
      codeId: createHash('sha256').update(c.userSigned).digest().subarray(0, 16).toString('hex'),
      certificate: {
        rootIndex: c.rootIndex,
        serviceId: hex(c.serviceId),
        issuerId: hex(c.issuerId),
        expiry: `${String(c.certMonth).padStart(2, '0')}/${c.certYear}`,
        expiryEndIso: iso(end),
        serial: hex(c.certSerial),
        signatureAlg: c.signatureAlg,
        curve: c.curveParam,
        issuerKey: hex(c.issuerKeyBytes),
      },
      code: {
        sub: hex(c.userAccount),
        cti: hex(c.paymentAccount),
        issuerCode: hex(c.issuerCode),
        platform: hex(c.platform),
        cardType: c.cardType,
        profile: profileOf(c.cardType),
        cap: c.cap,
        userKey: hex(c.userKeyBytes),
        authExpiry: c.authExpiry,
        authExpiryIso: iso(c.authExpiry),
        validity: c.validity,
        issuerData: hex(c.issuerData),
        ts: c.ts,
        tsIso: iso(c.ts),
      },
    };
  } catch (e) {
    if (e instanceof JttMalformedError)
      return { verified: false, format: JTT_FORMAT, malformed: `JT/T code: ${e.message}` };
    throw e;
  }
}
