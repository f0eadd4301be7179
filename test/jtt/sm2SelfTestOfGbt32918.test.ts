/**
 * jtt1179-reading §3.6: the GB/T 32918.5 Annex A signature example. The verifier (src) accepts it
 * with the default ID and Z_A, and rejects it without Z_A and with an empty ID; the tests' own
 * signer (test/jtt/contractMinter.ts) reproduces r and s from d and k.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeZa, decompress, publicKeyOf, verifyDigest, verifySm2 } from '../../src/token/jtt/sm2.ts';
import { keyPair, sign, verify as minterVerify } from './contractMinter.ts';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const big = (s: string): bigint => BigInt('0x' + s.replace(/\s/g, ''));
const D = big('3945208F 7B2144B1 3F36E38A C6D39F95 88939369 2860B51A 42FB81EF 4DF7C5B8');
const XA = big('09F9DF31 1E5421A1 50DD7D16 1E4BC5C6 72179FAD 1833FC07 6BB08FF3 56F35020');
const YA = big('CCEA490C E26775A5 2DC6EA71 8CC1AA60 0AED05FB F35E084A 6632F607 2DA9AD13');
const K = big('59276E27 D506861A 16680F3A D9C02DCC EF3CC1FA 3CDBE4CE 6D54B80D EAC1BC21');
const ZA = 'B2E14C5C 79C6DF5B 85F4FE7E D8DB7A26 2B9DA7E0 7CCB0EA9 F4747B8C CDA8A4F3';
const E = 'F0B43E94 BA45ACCA ACE692ED 534382EB 17E6AB5A 19CE7B31 F4486FDF C0D28640';
const R = 'F5A03B06 48D2C463 0EEAC513 E1BB81A1 5944DA38 27D5B741 43AC7EAC EEE720B3';
const S = 'B1B6AA29 DF212FD8 763182BC 0D421CA1 BB9038FD 1F7F42D4 840B69C4 85BBC1AA';
const M = Buffer.from('message digest', 'ascii');
const RS = Buffer.concat([h(R), h(S)]);

describe('SM2 self-test (GB/T 32918.5 Annex A)', () => {
  it('Z_A of the default ID is the published intermediate value', () => {
    expect(computeZa(XA, YA).toString('hex')).toBe(h(ZA).toString('hex'));
    expect(createHash('sm3').update(computeZa(XA, YA)).update(M).digest('hex')).toBe(h(E).toString('hex'));
  });

  it('accepts (r, s) for the key, the default ID and the message', () => {
    expect(verifySm2(publicKeyOf(XA, YA), M, RS)).toBe(true);
    expect(verifySm2(publicKeyOf(XA, YA, { window: 4 }), M, RS)).toBe(true);
  });

  it('rejects the same (r, s) when e is computed without Z_A', () => {
    expect(verifyDigest(publicKeyOf(XA, YA), createHash('sm3').update(M).digest(), RS)).toBe(false);
  });

  it('rejects the same (r, s) with an empty signer ID', () => {
    expect(verifySm2(publicKeyOf(XA, YA, { id: new Uint8Array(0) }), M, RS)).toBe(false);
  });

  it('rejects a changed message, a changed s, r = 0 and s = n', () => {
    const key = publicKeyOf(XA, YA);
    expect(verifySm2(key, Buffer.from('message digesT'), RS)).toBe(false);
    const s2 = Buffer.from(RS);
    s2[63]! ^= 1;
    expect(verifySm2(key, M, s2)).toBe(false);
    expect(verifySm2(key, M, Buffer.concat([Buffer.alloc(32), h(S)]))).toBe(false);
    const n = h('FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF 7203DF6B 21C6052B 53BBF409 39D54123');
    expect(verifySm2(key, M, Buffer.concat([h(R), n]))).toBe(false);
  });

  it('the tests’ own signer, given d and k, produces r and s, and its verifier agrees', () => {
    const kp = keyPair(D);
    expect([kp.x, kp.y]).toEqual([XA, YA]);
    expect(sign(kp, M, K).toString('hex')).toBe(RS.toString('hex'));
    expect(minterVerify(XA, YA, M, RS)).toBe(true);
    expect(minterVerify(XA, YA, M, RS, new Uint8Array(0))).toBe(false);
  });

  it('decompresses the key from its x and the parity of y', () => {
    const c = Buffer.concat([
      Buffer.from([YA & 1n ? 3 : 2]),
      h('09F9DF31 1E5421A1 50DD7D16 1E4BC5C6 72179FAD 1833FC07 6BB08FF3 56F35020'),
    ]);
    expect(decompress(c)).toEqual({ x: XA, y: YA });
    c[0] = c[0] === 2 ? 3 : 2;
    expect(decompress(c)?.y).not.toBe(YA);
  });
});
