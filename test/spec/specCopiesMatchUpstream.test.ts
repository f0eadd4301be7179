/**
 * The project keeps its own copies of the contracts (docs/spec/) and of the COSE WG vectors
 * (test/vectors/cose-wg/), so a clone stands on its own. Where the upstream folder sits beside the
 * checkout (../shared/, the source of truth when a contract is amended), the copies must be
 * byte-for-byte the same; in a clone without it, this test is skipped.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const UPSTREAM = path.resolve(ROOT, '../shared');

const pairs: { upstream: string; copy: string }[] = [
  { upstream: path.join(UPSTREAM, 'spec'), copy: path.join(ROOT, 'docs/spec') },
  { upstream: path.join(UPSTREAM, 'vectors/cose-wg'), copy: path.join(ROOT, 'test/vectors/cose-wg') },
];

describe.skipIf(!existsSync(UPSTREAM))('project copies of the contracts match ../shared', () => {
  for (const { upstream, copy } of pairs) {
    it(`${path.relative(ROOT, copy)} holds every file of ${path.relative(ROOT, upstream)}, unchanged`, () => {
      const files = readdirSync(upstream).filter((f) => !f.startsWith('.'));
      expect(files.length).toBeGreaterThan(0);
      const stale = files.filter(
        (f) =>
          !existsSync(path.join(copy, f)) ||
          !readFileSync(path.join(copy, f)).equals(readFileSync(path.join(upstream, f))),
      );
      expect(stale, `copy these again from ${upstream}`).toEqual([]);
    });
  }
});

describe('the project copies are there', () => {
  it('docs/spec holds the three contracts and test/vectors/cose-wg its vectors and LICENSE', () => {
    for (const f of ['qr-token-v1.md', 'settlement-mqtt-v1.md', 'jtt1179-reading.md'])
      expect(existsSync(path.join(ROOT, 'docs/spec', f)), f).toBe(true);
    expect(existsSync(path.join(ROOT, 'test/vectors/cose-wg/LICENSE'))).toBe(true);
    expect(
      readdirSync(path.join(ROOT, 'test/vectors/cose-wg')).filter((f) => f.endsWith('.json')).length,
    ).toBeGreaterThanOrEqual(10);
  });
});
