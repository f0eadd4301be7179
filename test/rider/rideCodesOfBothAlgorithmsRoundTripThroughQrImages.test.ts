/**
 * FG1 ride codes of both key algorithms, rendered as QR images by the `qrcode` package (PNG, the
 * demo's error-correction level M) and read back by the jsQR decoder, come back byte for byte; and
 * the version they need is the one the README states. Codes are made as the rider page's are
 * (iss, sub, cti, iat, exp, profile) and as the simulator's longest are (nbf, cap and modes too).
 */
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { loadIssuerKey } from '../../firmware-sim/population.ts';
import { RIDER_QR_ERROR_CORRECTION } from '../../firmware-sim/riderPageHtml.ts';
import { DEV_ISSUER_PATH } from '../../firmware-sim/simulator.ts';
import { generateKeyPair } from '../../src/mint/keys.ts';
import { issueCredential, makeRideCodeBytes, rideCodeText } from '../../src/mint/mint.ts';
import { base45Decode } from '../../src/token/base45.ts';
import { ALG_EDDSA, ALG_ES256, type SupportedAlg } from '../../src/token/cose.ts';
import { decodePngQr, verifyCodes } from './riderSupport.ts';

const issuer = loadIssuerKey(DEV_ISSUER_PATH);
const now = Math.floor(Date.now() / 1000);

function code(alg: SupportedAlg, longest: boolean): { text: string; bytes: Uint8Array } {
  const rider = generateKeyPair(alg);
  const credential = issueCredential({
    issuerAlg: issuer.alg,
    issuerKey: issuer.privateKey,
    kid: issuer.kid,
    riderPublicKey: rider.publicKey,
    iss: longest ? 'faregate-sim' : 'faregate-demo',
    sub: randomBytes(8),
    cti: randomBytes(8),
    iat: now - 86_400,
    exp: now + 29 * 86_400,
    profile: 3,
    ...(longest ? { nbf: now - 86_400, cap: 600, modes: 3 } : {}),
  });
  // The largest ts and seq the demo makes: 5-byte heads.
  const bytes = makeRideCodeBytes({
    credential,
    riderAlg: alg,
    riderKey: rider.privateKey,
    ts: now,
    seq: 1_999_999_999,
  });
  return { text: rideCodeText(bytes), bytes };
}

describe('FG1 codes as QR images', () => {
  const cases = [
    ['Ed25519', ALG_EDDSA, false],
    ['Ed25519, every optional claim', ALG_EDDSA, true],
    ['P-256', ALG_ES256, false],
    ['P-256, every optional claim', ALG_ES256, true],
  ] as const;
  const figures: string[] = [];

  for (const [name, alg, longest] of cases) {
    it(`decodes an ${name} code back byte for byte at level ${RIDER_QR_ERROR_CORRECTION}`, async () => {
      const c = code(alg, longest);
      const qr = QRCode.create(c.text, { errorCorrectionLevel: RIDER_QR_ERROR_CORRECTION });
      // The whole text fits QR's alphanumeric mode (base45 is its alphabet): one segment.
      expect(qr.segments.map((s) => s.mode.id)).toEqual(['Alphanumeric']);
      const png = await QRCode.toBuffer(c.text, { errorCorrectionLevel: RIDER_QR_ERROR_CORRECTION, scale: 4 });
      const back = decodePngQr(png);
      expect(back).toBe(c.text);
      expect(Buffer.from(base45Decode(back!.slice(4)))).toEqual(Buffer.from(c.bytes));
      // README "A rider's phone": version 14 at level M holds every demo code.
      expect(qr.version).toBeLessThanOrEqual(14);
      figures.push(`${name}: ${c.text.length} characters, version ${qr.version}-${RIDER_QR_ERROR_CORRECTION}`);
      const [decision] = await verifyCodes([back!]);
      expect(decision).toMatchObject({ decision: 'accept', profile: 3 });
    });
  }

  it('needs a larger version at each higher error-correction level (the README table)', () => {
    const versions = (['L', 'M', 'Q', 'H'] as const).map(
      (ec) => QRCode.create(code(ALG_ES256, true).text, { errorCorrectionLevel: ec }).version,
    );
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    figures.push(`P-256 longest at L/M/Q/H: versions ${versions.join('/')}`);
    console.log(figures.join('\n'));
  });
});
