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
import { EXAMPLE_HEX, EXAMPLE_LINE, EXAMPLE_ROOT, ISSUER_KEY, USER_KEY } from './workedExample.ts';

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
