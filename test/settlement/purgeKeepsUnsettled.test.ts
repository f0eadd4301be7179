/**
 * TapStore.purgeSettled (in-process, real SQLite): deletes only taps that are settled and were
 * settled before the cut-off, never an unsettled one, and always keeps the `keepRecent` most
 * recent taps whatever their state. Checked on hand-made cases and on random stores against a
 * model.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/platform/logger.ts';
import { TapStore, type Tap } from '../../src/store/tapStore.ts';
import { uuidv7 } from '../../src/store/uuidv7.ts';
import { tempDir } from './harness.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function openStore(): TapStore {
  const dir = tempDir('faregate-purge-');
  dirs.push(dir);
  const s = new TapStore({ file: join(dir, 'faregate.sqlite'), synchronous: 'NORMAL', logger: silentLogger });
  s.open();
  return s;
}

function tap(i: number): Tap {
  return {
    id: uuidv7(1_795_000_000_000 + i),
    deviceId: 'purge-test',
    at: 1_795_000_000_000 + i * 1000,
    mode: 'bus',
    place: 'route-7',
    direction: 'board',
    sub: randomBytes(8).toString('hex'),
    cti: randomBytes(8).toString('hex'),
    codeId: randomBytes(16).toString('hex'),
    ts: 1_795_000_000 + i,
    seq: i,
    profile: 0,
    fare: 200,
    currency: 'CNY',
  };
}

/** Fills a store: tap i is settled at `settledAt[i]` (ms) or unsettled (null). Returns the ids in order. */
function fill(store: TapStore, settledAt: (number | null)[]): string[] {
  const ids = settledAt.map((_, i) => {
    const t = tap(i);
    store.recordTap(t);
    return t.id;
  });
  settledAt.forEach((at, i) => {
    if (at !== null) expect(store.markSettled([ids[i]!], at)).toBe(1);
  });
  return ids;
}

describe('purgeSettled', () => {
  it('never deletes unsettled taps and keeps the most recent keepRecent', () => {
    const store = openStore();
    // 100 taps: even ones unsettled, odd ones settled long ago (t=1000), the last 5 odd ones settled recently (t=9000).
    const settledAt = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? null : i >= 90 ? 9000 : 1000));
    const ids = fill(store, settledAt);
    const n = store.purgeSettled(5000, 10);
    const left = store.allTaps();
    const leftIds = new Set(left.map((t) => t.id));
    // Deleted: odd taps settled at 1000 outside the 10 most recent (indices < 90): 45 of them.
    expect(n).toBe(45);
    expect(left.length).toBe(55);
    for (let i = 0; i < 100; i += 2) expect(leftIds.has(ids[i]!), `unsettled tap ${i}`).toBe(true);
    for (let i = 90; i < 100; i++) expect(leftIds.has(ids[i]!), `recent tap ${i}`).toBe(true);
    expect(store.counts()).toMatchObject({ taps: 55, unsettled: 50 });
    // Idempotent.
    expect(store.purgeSettled(5000, 10)).toBe(0);
    store.close();
  });

  it('keeps the most recent keepRecent even when they are settled and old', () => {
    const store = openStore();
    const ids = fill(
      store,
      Array.from({ length: 30 }, () => 1000),
    );
    expect(store.purgeSettled(5000, 7)).toBe(23);
    expect(store.allTaps().map((t) => t.id)).toEqual(ids.slice(23));
    store.close();
  });

  it('deletes nothing when there are no more taps than keepRecent, or nothing settled before the cut-off', () => {
    const store = openStore();
    fill(
      store,
      Array.from({ length: 20 }, (_, i) => (i < 10 ? 1000 : null)),
    );
    expect(store.purgeSettled(5000, 20)).toBe(0);
    expect(store.purgeSettled(5000, 1000)).toBe(0);
    expect(store.purgeSettled(1000, 0)).toBe(0); // settled_at < cut-off is strict
    expect(store.counts().taps).toBe(20);
    store.close();
  });

  it('holds against a model on random stores', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: null }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 70 }),
        (settledAt, cutoff, keepRecent) => {
          const store = openStore();
          try {
            const ids = fill(store, settledAt);
            const n = store.purgeSettled(cutoff, keepRecent);
            const left = new Set(store.allTaps().map((t) => t.id));
            // Never an unsettled tap, never one of the keepRecent most recent.
            settledAt.forEach((at, i) => {
              if (at === null) expect(left.has(ids[i]!)).toBe(true);
              if (i >= ids.length - keepRecent) expect(left.has(ids[i]!)).toBe(true);
              if (at !== null && at >= cutoff) expect(left.has(ids[i]!)).toBe(true);
            });
            // And what it may delete, it deletes (keeping at most one extra: the newest tap when keepRecent is 0).
            const deletable = settledAt.filter(
              (at, i) => at !== null && at < cutoff && i < ids.length - Math.max(keepRecent, 1),
            ).length;
            expect(n).toBe(deletable);
            expect(left.size).toBe(ids.length - n);
          } finally {
            store.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
