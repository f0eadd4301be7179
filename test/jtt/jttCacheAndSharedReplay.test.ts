/**
 * The JT/T credential cache (a verified certificate + authorisation, code fields 3–15, keyed by a
 * hash of its bytes) and the replay memory shared with FG1 (jtt1179-reading §4 checks 13, 14).
 */
import { describe, expect, it } from 'vitest';
import { credentialRouter } from '../../src/token/formats.ts';
import { JttFormat } from '../../src/token/jtt/jttFormat.ts';
import { jttRootsFromJson } from '../../src/token/jtt/roots.ts';
import { DenyList } from '../../src/token/denyList.ts';
import { makeValidator, NOW as FG1_NOW, rideCode } from '../support/fixtures.ts';
import { NOW, OTHER_ROOT, RIDER2, code, format, roots, rootsFile } from './jttFixtures.ts';

const hexOf = (b: Buffer): string => b.toString('hex');

describe('the JT/T credential cache', () => {
  it('a rider’s next code hits the cache (one SM2 verify) and is accepted', () => {
    const f = format();
    expect(f.decide(hexOf(code({ ts: NOW - 10 })), NOW)).toMatchObject({ decision: 'accept', credentialCached: false });
    expect(f.decide(hexOf(code({ ts: NOW + 5 })), NOW + 10)).toMatchObject({
      decision: 'accept',
      credentialCached: true,
    });
    expect(f.stats).toEqual({ credentialCacheHits: 1, credentialCacheMisses: 1 });
  });

  const primed = (): JttFormat => {
    const f = format();
    expect(f.decide(hexOf(code({ ts: NOW - 10 })), NOW).decision).toBe('accept');
    return f;
  };

  it('a hit still checks the root: removed, out of its window, or replaced under the same index', () => {
    const next = hexOf(code({ ts: NOW }));
    const gone = primed();
    gone.setRoots(jttRootsFromJson({ roots: [] }));
    expect(gone.evaluate(next, NOW + 5)).toMatchObject({ reason: 'unknown_key', credentialCached: true });
    const expired = primed();
    expired.setRoots(roots({ exp: NOW - 100 }));
    expect(expired.evaluate(next, NOW + 5)).toMatchObject({ reason: 'key_not_valid', credentialCached: true });
    const replaced = primed();
    replaced.setRoots(jttRootsFromJson(rootsFile({}, OTHER_ROOT.compressed.toString('hex'))));
    expect(replaced.evaluate(next, NOW + 5)).toMatchObject({ reason: 'bad_root_signature', credentialCached: true });
    const reloaded = primed();
    reloaded.setRoots(roots()); // the same key, a new object: verified again, accepted
    expect(reloaded.evaluate(next, NOW + 5)).toMatchObject({ decision: 'accept', credentialCached: true });
  });

  it('a hit still checks the certificate month, the authorisation expiry and the deny list', () => {
    const cert = format();
    const dec = Date.UTC(2026, 0, 1) / 1000 - 1;
    expect(cert.decide(hexOf(code({ expiry: Buffer.from('1225', 'hex'), ts: dec })), dec + 5).decision).toBe('accept');
    const later = code({ expiry: Buffer.from('1225', 'hex'), ts: dec + 40 });
    expect(cert.evaluate(hexOf(later), dec + 45)).toMatchObject({
      reason: 'issuer_cert_expired',
      credentialCached: true,
    });

    const auth = format();
    expect(auth.decide(hexOf(code({ authExpiry: NOW + 5, ts: NOW - 10 })), NOW).decision).toBe('accept');
    const after = code({ authExpiry: NOW + 5, ts: NOW + 30 });
    expect(auth.evaluate(hexOf(after), NOW + 36)).toMatchObject({
      reason: 'credential_expired',
      credentialCached: true,
    });

    const deny = primed();
    deny.setDenyList(new DenyList(['31000000000000000001']));
    expect(deny.evaluate(hexOf(code({ ts: NOW })), NOW + 5)).toMatchObject({
      reason: 'denied',
      credentialCached: true,
    });
  });

  it('a hit still verifies the phone’s signature', () => {
    const f = primed();
    const forged = code({ ts: NOW }, {}, { user: RIDER2 });
    expect(f.evaluate(hexOf(forged), NOW + 5)).toMatchObject({ reason: 'bad_code_signature', credentialCached: true });
  });

  it('a forged authorisation is never cached', () => {
    const f = format();
    const forged = code({}, {}, { issuer: OTHER_ROOT });
    expect(f.decide(hexOf(forged), NOW).reason).toBe('bad_issuer_signature');
    expect(f.decide(hexOf(forged), NOW).reason).toBe('bad_issuer_signature');
    expect(f.stats.credentialCacheHits).toBe(0);
  });
});

describe('duplicate and replay, in one memory with FG1', () => {
  it('the FG1 sequence holds for JT/T codes, and FG1 codes in the same router are unaffected', () => {
    const fg1 = makeValidator();
    const jtt = new JttFormat({ roots: roots(), replay: fg1.replay });
    const router = credentialRouter({ fg1, jtt1179: jtt });
    const t = NOW;
    const first = code({ ts: t - 5 });
    const hex = hexOf(first);
    expect(router.decide(hex, t)).toMatchObject({ decision: 'accept', format: 'jtt1179' });
    // the scanner reads the same phone again: ignored, in every text form
    expect(router.decide(hex, t + 1)).toMatchObject({ decision: 'ignore', reason: 'duplicate', message: 'silent' });
    expect(router.decide(first.toString('base64'), t + 2)).toMatchObject({ decision: 'ignore', reason: 'duplicate' });
    // the same code later: a replay (a screenshot)
    expect(router.decide(hex, t + 4)).toMatchObject({ decision: 'reject', reason: 'replay', message: 'refresh_code' });
    // the rider's fresh code: accepted; and another of theirs within the window: ignored
    expect(router.decide(hexOf(code({ ts: t + 3 })), t + 4)).toMatchObject({ decision: 'accept' });
    expect(router.decide(hexOf(code({ ts: t + 4 })), t + 5)).toMatchObject({ decision: 'ignore', reason: 'duplicate' });
    expect(jtt.replay).toBe(fg1.replay);
    expect(fg1.replay.size).toBe(2);
    // FG1 codes go to FG1, with their own sub, in the same memory
    const fg = rideCode({ ts: FG1_NOW });
    expect(router.decide(fg.text, FG1_NOW)).toMatchObject({ decision: 'accept', format: 'fg1' });
    expect(router.decide(fg.text, FG1_NOW + 10)).toMatchObject({ decision: 'reject', reason: 'replay', format: 'fg1' });
  });

  it('a sub is compared within one format only: an FG1 sub equal to a JT/T user account is another rider', () => {
    // jtt1179-reading §4: "sub values are compared within one format only".
    const account = Buffer.from('31000000000000000001', 'hex'); // the JT/T fixture's user account
    const fg1Code = (ts: number) =>
      rideCode({ ts, credential: { claims: { 2: account, 4: NOW + 86_400, 5: NOW - 60 } } });
    for (const jttFirst of [true, false]) {
      const fg1 = makeValidator();
      const router = credentialRouter({ fg1, jtt1179: new JttFormat({ roots: roots(), replay: fg1.replay }) });
      const jttCode = hexOf(code({ ts: NOW - 5 }));
      const fg = fg1Code(NOW - 5).text;
      const [a, b] = jttFirst ? [jttCode, fg] : [fg, jttCode];
      expect(router.decide(a, NOW)).toMatchObject({ decision: 'accept', subHex: '31000000000000000001' });
      expect(router.decide(b, NOW + 1)).toMatchObject({ decision: 'accept', subHex: '31000000000000000001' });
      // Within each format the window still holds.
      expect(router.decide(hexOf(code({ ts: NOW - 4 })), NOW + 2)).toMatchObject({
        decision: 'ignore',
        reason: 'duplicate',
      });
      expect(router.decide(fg1Code(NOW - 4).text, NOW + 2)).toMatchObject({ decision: 'ignore', reason: 'duplicate' });
    }
  });

  it('the router sends hex and base64 to JT/T, FG1 text to FG1, anything else to no format', () => {
    const router = credentialRouter({ fg1: makeValidator(), jtt1179: format() });
    expect(router.formatOf(hexOf(code()))?.id).toBe('jtt1179');
    expect(router.formatOf(code().toString('base64'))?.id).toBe('jtt1179');
    expect(router.formatOf(rideCode().text)?.id).toBe('fg1');
    expect(router.formatOf('7f00')).toBeUndefined();
    expect(router.evaluate('not a code', NOW).format).toBeUndefined();
  });
});
