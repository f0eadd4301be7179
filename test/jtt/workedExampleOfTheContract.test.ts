/**
 * jtt1179-reading §7, byte for byte: the independent minter lays out the listed fields around the
 * published signatures and gets the published 349 bytes; the format decides them as §7 says.
 */
import { describe, expect, it } from 'vitest';
import { decisionLine } from '../../src/cli/commands/verify.ts';
import { JttFormat } from '../../src/token/jtt/jttFormat.ts';
import { jttRootsFromJson } from '../../src/token/jtt/roots.ts';
import { EXAMPLE_FIELDS, assemble, certItems4to12, verify } from './contractMinter.ts';
import { decompress } from '../../src/token/jtt/sm2.ts';

export const EXAMPLE_HEX = [
  '80015a240101000017121234567812300000010404002103523a78017309d333611e21d7fc6af11e8cffc0baac2d602430adf86a1b3a96f8',
  'e87c4902bdfd1c4e0402c533a20fef7d28dcb6b7514b84f9545d4edd6651513c2f0ce911c11d71a4803dd56c600e0fd1f3001f74090a562d89',
  'bdc9f0b2742ae650415930303030303030303030303031310000000000000000010102030400000001010007d00378a598dc5f25e97d1e99d6',
  '9d0c7ff78d72d6606142d5ffedf5f1c83dafe15f7a70dbd880003c110100000000000000000000000100000e1015e258e912e581bb28b638b2',
  'a4174fe1f06ac35c895afc8dcc101f24ee9ad22df44b235fd12310e70387ab38ae3a1e355326929f1ed0c3d48e0301e7f7380b3e606955b900',
  '15a1721e87abc421eb5fec9ae3b633f57a93d7c1a4479bf159be36fc4e17352f1b4aca255f73ca435babd580db12d18901b79aa7f142779099',
  '63cbb40eba3c5959',
].join('');
export const EXAMPLE_ROOT = '020d1a4f9272a50f4be36f54fdd0a8f37d96a3049e45133a13fcab2562831c3143';
const ISSUER_KEY = '03523a78017309d333611e21d7fc6af11e8cffc0baac2d602430adf86a1b3a96f8';
const USER_KEY = '0378a598dc5f25e97d1e99d69d0c7ff78d72d6606142d5ffedf5f1c83dafe15f7a';
export const EXAMPLE_LINE =
  '{"decision":"accept","format":"jtt1179","codeId":"db2028e71b5ed7997632221573e232db","sub":"31000000000000000001",' +
  '"cti":"50415930303030303030303030303031","profile":0,"cap":2000,"cardType":1}';

describe('the worked example of jtt1179-reading §7', () => {
  const bytes = Buffer.from(EXAMPLE_HEX, 'hex');

  it('is 349 bytes, and the minter lays out §7’s fields around its signatures to the same bytes', () => {
    expect(bytes.length).toBe(349);
    const L = 17;
    const sig = {
      root: bytes.subarray(56, 120),
      auth: bytes.subarray(199 + L, 263 + L),
      user: bytes.subarray(268 + L, 332 + L),
    };
    const fields = {
      ...EXAMPLE_FIELDS,
      issuerKey: Buffer.from(ISSUER_KEY, 'hex'),
      userKey: Buffer.from(USER_KEY, 'hex'),
    };
    expect(assemble(fields, sig).toString('hex')).toBe(EXAMPLE_HEX);
  });

  it('its three signatures verify with the minter’s own SM2 over the ranges of §2.3', () => {
    const pt = (h: string): { x: bigint; y: bigint } => decompress(Buffer.from(h, 'hex'))!;
    const L = 17;
    const fields = {
      ...EXAMPLE_FIELDS,
      issuerKey: Buffer.from(ISSUER_KEY, 'hex'),
      userKey: Buffer.from(USER_KEY, 'hex'),
    };
    const r = pt(EXAMPLE_ROOT);
    const i = pt(ISSUER_KEY);
    const u = pt(USER_KEY);
    expect(verify(r.x, r.y, certItems4to12(fields), bytes.subarray(56, 120))).toBe(true);
    expect(verify(i.x, i.y, bytes.subarray(3, 198 + L), bytes.subarray(199 + L, 263 + L))).toBe(true);
    expect(verify(u.x, u.y, bytes.subarray(0, 267 + L), bytes.subarray(268 + L))).toBe(true);
  });

  it('is decided exactly as §7 prints it, from hex and from base64', () => {
    const roots = jttRootsFromJson({ roots: [{ index: 23, key: EXAMPLE_ROOT }] });
    expect(decisionLine(new JttFormat({ roots }).decide(EXAMPLE_HEX, 1767225610))).toBe(EXAMPLE_LINE);
    expect(decisionLine(new JttFormat({ roots }).decide(EXAMPLE_HEX.toUpperCase(), 1767225610))).toBe(EXAMPLE_LINE);
    const b64 = bytes.toString('base64');
    expect(b64.startsWith('g')).toBe(true);
    expect(decisionLine(new JttFormat({ roots }).decide(b64, 1767225610))).toBe(EXAMPLE_LINE);
    expect(decisionLine(new JttFormat({ roots }).decide(bytes.toString('base64url'), 1767225610))).toBe(EXAMPLE_LINE);
  });
});
