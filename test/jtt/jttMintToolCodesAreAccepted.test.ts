/**
 * The minting tool of src/mint/jttMint.ts (for the simulator and demos) makes codes the format
 * accepts and the tests' independent minter verifies, and a root-key file the format reads.
 */
import { describe, expect, it } from 'vitest';
import { jttKeyPair, jttRootsFile, mintJttCode } from '../../src/mint/jttMint.ts';
import { JttFormat } from '../../src/token/jtt/jttFormat.ts';
import { jttRootsFromJson } from '../../src/token/jtt/roots.ts';
import { decompress } from '../../src/token/jtt/sm2.ts';
import { labelKey, verify } from './contractMinter.ts';

describe('the JT/T minting tool', () => {
  it('derives §7-style label keys like the independent minter', () => {
    expect(jttKeyPair('tool root').compressedHex).toBe(labelKey('tool root').compressed.toString('hex'));
  });

  it('mints codes that the format accepts and the independent SM2 verifies', () => {
    const root = jttKeyPair('tool root');
    const signers = { root, issuer: jttKeyPair(), user: jttKeyPair() };
    const now = 1_800_000_000;
    const code = mintJttCode(
      { ts: now - 5, authExpiry: now + 86400, cardType: 3, cap: 150, issuerData: 'ab0d0a' },
      signers,
    );
    expect(code.length).toBe(335);
    const roots = jttRootsFromJson(jttRootsFile([{ index: 0x17, key: root, label: 'test' }]));
    expect(new JttFormat({ roots }).decide(code.toString('hex'), now)).toMatchObject({
      decision: 'accept',
      profile: 3,
      cap: 150,
    });
    const u = decompress(Buffer.from(signers.user.compressedHex, 'hex'))!;
    expect(verify(u.x, u.y, code.subarray(0, 270), code.subarray(271))).toBe(true);
  });

  it('refuses what the layout cannot carry', () => {
    const k = jttKeyPair('x');
    const s = { root: k, issuer: k, user: k };
    expect(() => mintJttCode({ ts: 1, authExpiry: 2, issuerData: '00'.repeat(33) }, s)).toThrow(/at most 32 bytes/);
    expect(() => mintJttCode({ ts: 1, authExpiry: 2, userAccount: '12' }, s)).toThrow(/userAccount/);
    expect(() => mintJttCode({ ts: 1, authExpiry: 2, certExpiry: { month: 13, year: 2030 } }, s)).toThrow(/certExpiry/);
  });
});
