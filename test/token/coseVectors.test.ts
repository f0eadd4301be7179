/**
 * COSE Working Group examples (cose-wg/Examples, public domain) and RFC 8392 A.3, from
 * test/vectors/cose-wg (copied from the COSE WG Examples repository, with its LICENSE).
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cborDecode, type CborMap } from '../../src/token/cbor.ts';
import {
  ALG_EDDSA,
  ALG_ES256,
  CoseError,
  decodeSign1,
  sigStructure1,
  verifySign1,
  verifySignature,
  type Sign1,
  type SupportedAlg,
} from '../../src/token/cose.ts';
import { bytes, toHex } from '../support/fixtures.ts';

const VECTORS = path.resolve(import.meta.dirname, '../vectors/cose-wg');

interface VectorKey {
  kty: string;
  crv: string;
  x?: string;
  y?: string;
  d?: string;
  x_hex?: string;
  y_hex?: string;
  d_hex?: string;
}

interface Vector {
  title: string;
  fail?: boolean;
  input: { plaintext_hex?: string; sign0: { key: VectorKey; alg: string; external?: string } };
  intermediates: { ToBeSign_hex: string };
  output: { cbor: string };
}

const files = readdirSync(VECTORS)
  .filter((f) => f.endsWith('.json'))
  .sort();

function load(file: string): Vector {
  return JSON.parse(readFileSync(path.join(VECTORS, file), 'utf8')) as Vector;
}

const b64uOfHex = (h: string): string => Buffer.from(h, 'hex').toString('base64url');

function publicKeyOf(k: VectorKey): KeyObject {
  const x = k.x ?? (k.x_hex !== undefined ? b64uOfHex(k.x_hex) : undefined);
  const y = k.y ?? (k.y_hex !== undefined ? b64uOfHex(k.y_hex) : undefined);
  const jwk: JsonWebKey = k.kty === 'OKP' ? { kty: 'OKP', crv: k.crv, x } : { kty: 'EC', crv: k.crv, x, y };
  return createPublicKey({ key: jwk, format: 'jwk' });
}

const ALG_BY_NAME: Record<string, SupportedAlg> = { ES256: ALG_ES256, EdDSA: ALG_EDDSA };

/** The alg header: protected first, else unprotected (sign-pass-01 has it only there). */
function headerAlg(msg: Sign1): unknown {
  return msg.protectedHeader.get(1) ?? msg.unprotectedHeader.get(1);
}

function isSupported(alg: unknown): alg is SupportedAlg {
  return alg === ALG_EDDSA || alg === ALG_ES256;
}

/**
 * Sig_structure per RFC 9052 §4.4: the protected header as carried, except that a protected
 * bucket with no parameters (an encoded empty map h'a0') counts as the zero-length bstr.
 */
function toBeSigned(msg: Sign1, external: Uint8Array): Uint8Array {
  const bodyProtected = msg.protectedHeader.size === 0 ? new Uint8Array(0) : msg.protectedBytes;
  return sigStructure1(bodyProtected, external, msg.payload ?? new Uint8Array(0));
}

/** Verifies a vector end to end; false when the alg is not one we support. Throws CoseError on bad structure. */
function verifies(v: Vector): boolean {
  const msg = decodeSign1(bytes(v.output.cbor));
  const alg = headerAlg(msg);
  if (!isSupported(alg)) return false;
  const external = bytes(v.input.sign0.external ?? '');
  const key = publicKeyOf(v.input.sign0.key);
  const viaPrimitive = verifySignature(alg, key, toBeSigned(msg, external), msg.signature);
  const viaSign1 = verifySign1(msg, alg, key, external);
  expect(viaSign1).toBe(viaPrimitive);
  return viaPrimitive;
}

describe('COSE WG Sign1 vectors', () => {
  it('finds the vector folder with every expected file', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'A_3.json',
        'ecdsa-sig-01.json',
        'eddsa-sig-01.json',
        'sign-fail-01.json',
        'sign-fail-02.json',
        'sign-fail-03.json',
        'sign-fail-04.json',
        'sign-fail-06.json',
        'sign-fail-07.json',
        'sign-pass-01.json',
        'sign-pass-02.json',
        'sign-pass-03.json',
      ]),
    );
  });

  const passing = files.filter((f) => load(f).fail !== true);
  const failing = files.filter((f) => load(f).fail === true);

  describe.each(passing)('%s (must verify)', (file) => {
    const v = load(file);

    it('decodes as a COSE_Sign1 and its Sig_structure equals ToBeSign_hex', () => {
      const msg = decodeSign1(bytes(v.output.cbor));
      expect(msg.payload).not.toBeNull();
      expect(msg.signature.length).toBe(64);
      const tbs = toBeSigned(msg, bytes(v.input.sign0.external ?? ''));
      expect(toHex(tbs)).toBe(v.intermediates.ToBeSign_hex.toLowerCase());
    });

    it(`carries the alg named in the vector (${v.input.sign0.alg})`, () => {
      const msg = decodeSign1(bytes(v.output.cbor));
      expect(headerAlg(msg)).toBe(ALG_BY_NAME[v.input.sign0.alg]);
    });

    it('verifies with the public key', () => {
      expect(verifies(v)).toBe(true);
    });
  });

  describe.each(failing)('%s (must not verify)', (file) => {
    const v = load(file);
    it('is refused: no verification, or a CoseError', () => {
      let ok: boolean;
      try {
        ok = verifies(v);
      } catch (e) {
        expect(e).toBeInstanceOf(CoseError);
        return;
      }
      expect(ok).toBe(false);
    });
  });

  it('sign-fail-01 (CBOR tag 998 instead of 18) is a CoseError naming the tag', () => {
    expect(() => decodeSign1(bytes(load('sign-fail-01.json').output.cbor))).toThrow(CoseError);
    expect(() => decodeSign1(bytes(load('sign-fail-01.json').output.cbor))).toThrow(/998/);
  });

  it('sign-fail-03 carries alg -999 and sign-fail-04 alg "unknown" (tstr) in the protected header', () => {
    expect(decodeSign1(bytes(load('sign-fail-03.json').output.cbor)).protectedHeader.get(1)).toBe(-999);
    expect(decodeSign1(bytes(load('sign-fail-04.json').output.cbor)).protectedHeader.get(1)).toBe('unknown');
  });

  it('sign-fail-02 (one payload bit changed) fails on the signature itself', () => {
    const v = load('sign-fail-02.json');
    const msg = decodeSign1(bytes(v.output.cbor));
    expect(
      verifySignature(ALG_ES256, publicKeyOf(v.input.sign0.key), toBeSigned(msg, new Uint8Array(0)), msg.signature),
    ).toBe(false);
  });

  it('sign-pass-03 is untagged and sign-pass-02 needs its external AAD', () => {
    const p3 = decodeSign1(bytes(load('sign-pass-03.json').output.cbor));
    expect(p3.tagged).toBe(false);
    const v2 = load('sign-pass-02.json');
    const m2 = decodeSign1(bytes(v2.output.cbor));
    const key = publicKeyOf(v2.input.sign0.key);
    expect(verifySign1(m2, ALG_ES256, key, bytes(v2.input.sign0.external!))).toBe(true);
    expect(verifySign1(m2, ALG_ES256, key)).toBe(false);
  });

  it("sign-pass-01 (alg only in the unprotected header, protected h'a0') verifies with verifySign1", () => {
    const v = load('sign-pass-01.json');
    const msg = decodeSign1(bytes(v.output.cbor));
    expect(msg.protectedBytes).toEqual(Uint8Array.of(0xa0));
    expect(msg.protectedHeader.size).toBe(0);
    expect(verifySign1(msg, ALG_ES256, publicKeyOf(v.input.sign0.key))).toBe(true);
  });
});

describe('RFC 8392 Appendix A.3: signed CWT', () => {
  const v = load('A_3.json');

  it('verifies with ES256 and the P-256 key given as x_hex / y_hex', () => {
    const msg = decodeSign1(bytes(v.output.cbor));
    expect(msg.tagged).toBe(true);
    expect(msg.protectedHeader.get(1)).toBe(ALG_ES256);
    expect(verifySign1(msg, ALG_ES256, publicKeyOf(v.input.sign0.key))).toBe(true);
  });

  it('fails with a one-bit change of its signature', () => {
    const msg = decodeSign1(bytes(v.output.cbor));
    const sig = Uint8Array.from(msg.signature);
    sig[10] = (sig[10] as number) ^ 1;
    expect(verifySign1({ ...msg, signature: sig }, ALG_ES256, publicKeyOf(v.input.sign0.key))).toBe(false);
  });

  it('its payload decodes to the RFC 8392 claims map', () => {
    const msg = decodeSign1(bytes(v.output.cbor));
    expect(toHex(msg.payload!)).toBe(v.input.plaintext_hex);
    const claims = cborDecode(msg.payload!) as CborMap;
    expect(claims).toBeInstanceOf(Map);
    expect(claims.get(1)).toBe('coap://as.example.com');
    expect(claims.get(2)).toBe('erikw');
    expect(claims.get(3)).toBe('coap://light.example.com');
    expect(claims.get(4)).toBe(1444064944);
    expect(claims.get(5)).toBe(1443944944);
    expect(claims.get(6)).toBe(1443944944);
    expect(claims.get(7)).toEqual(bytes('0b71'));
    expect(claims.size).toBe(7);
  });
});
