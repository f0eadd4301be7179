/**
 * A simulated JT/T rider behaves like a phone: every code it shows carries the same certificate
 * and issuer authorisation (code bytes [3, 263 + L)), only the generation time and the phone's
 * signature change. So the real JttFormat verifies the chain once and takes the rider's next codes
 * from its cache, and a cache hit still rejects a denied account and an expired code.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { denyListFromJson } from '../../src/lists/denyFile.ts';
import { JttFormat } from '../../src/token/jtt/jttFormat.ts';
import { jttRootsFromJson } from '../../src/token/jtt/roots.ts';
import { JttPopulation } from '../../firmware-sim/jttRiders.ts';
import { Prng } from '../../firmware-sim/prng.ts';

const NOW = Math.floor(Date.now() / 1000);

function setUp(): { pop: JttPopulation; jtt: JttFormat } {
  const pop = new JttPopulation({ size: 3, prng: new Prng('jtt-cache', 'population'), nowSec: NOW });
  const files = pop.writeFiles(mkdtempSync(join(tmpdir(), 'faregate-sim-jtt-cache-')), { sub: [], cti: [] });
  const jtt = new JttFormat({
    roots: jttRootsFromJson(JSON.parse(readFileSync(files.roots, 'utf8'))),
    deny: denyListFromJson(JSON.parse(readFileSync(files.deny, 'utf8'))),
  });
  return { pop, jtt };
}

describe('a simulated JT/T rider’s codes', () => {
  it('share one certificate and authorisation; the validator verifies the chain once, then hits its cache', () => {
    const { pop, jtt } = setUp();
    const r = pop.riders[0]!;
    const a = pop.code(r, NOW, 60);
    const b = pop.code(r, NOW + 10, 60);
    const end = 263 + a.payload[197]!;
    expect(a.payload.subarray(3, end).equals(b.payload.subarray(3, end))).toBe(true);
    expect(a.payload.readUInt32BE(end)).toBe(NOW);
    expect(b.payload.readUInt32BE(end)).toBe(NOW + 10);
    expect(a.codeId).not.toBe(b.codeId);
    const first = jtt.decide(a.payload.toString('hex'), NOW + 1);
    const second = jtt.decide(b.payload.toString('hex'), NOW + 11);
    expect([first.decision, first.credentialCached]).toEqual(['accept', false]);
    expect([second.decision, second.credentialCached]).toEqual(['accept', true]);
    expect(jtt.stats).toEqual({ credentialCacheHits: 1, credentialCacheMisses: 1 });
  });

  it('a cache hit still rejects the denied account and the expired code, and a forged phone signature', () => {
    const { pop, jtt } = setUp();
    const denied = pop.deniedRiders[0]!;
    expect(jtt.decide(pop.code(denied, NOW, 60).payload.toString('hex'), NOW).reason).toBe('denied');
    const again = jtt.decide(pop.code(denied, NOW + 10, 60).payload.toString('hex'), NOW + 10);
    expect([again.reason, again.credentialCached]).toEqual(['denied', true]);
    const r = pop.riders[1]!;
    expect(jtt.decide(pop.code(r, NOW, 60).payload.toString('hex'), NOW).decision).toBe('accept');
    const old = jtt.decide(pop.code(r, NOW - 600, 60, 'code-expired').payload.toString('hex'), NOW + 20);
    expect([old.reason, old.credentialCached]).toEqual(['code_expired', true]);
    const forged = jtt.decide(pop.code(r, NOW + 30, 60, 'user-signature').payload.toString('hex'), NOW + 30);
    expect([forged.reason, forged.credentialCached]).toEqual(['bad_code_signature', true]);
  });
});
