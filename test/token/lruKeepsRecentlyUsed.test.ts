/**
 * The bounded LRU behind the credential and rider-key caches: the least recently used entry
 * goes first, a hit refreshes, and it agrees with a plain reference model on any sequence.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lru } from '../../src/token/lru.ts';

describe('Lru', () => {
  it('evicts the least recently used entry once over capacity; a get refreshes an entry', () => {
    const lru = new Lru<string, number>(3);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect(lru.get('a')).toBe(1); // a is now the youngest
    lru.set('d', 4); // b is the oldest
    expect(lru.get('b')).toBeUndefined();
    expect([...lru.keys()]).toEqual(['c', 'a', 'd']);
    expect(lru.size).toBe(3);
  });

  it('set on a held key replaces the value and refreshes it without growing', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('a', 10);
    lru.set('c', 3); // b goes, not a
    expect(lru.get('a')).toBe(10);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.size).toBe(2);
  });

  it('delete and clear leave a usable cache; capacity 0 holds nothing', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.delete('a');
    lru.delete('missing');
    expect([...lru.keys()]).toEqual(['b']);
    lru.set('c', 3);
    lru.set('d', 4);
    expect([...lru.keys()]).toEqual(['c', 'd']);
    lru.clear();
    expect(lru.size).toBe(0);
    lru.set('e', 5);
    expect([...lru.keys()]).toEqual(['e']);
    const none = new Lru<string, number>(0);
    none.set('a', 1);
    expect(none.get('a')).toBeUndefined();
    expect(() => new Lru(-1)).toThrow(RangeError);
    expect(() => new Lru(1.5)).toThrow(RangeError);
  });

  it('agrees with a reference model (an array, oldest first) on random operation sequences', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('get' as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ k: fc.constant('set' as const), key: fc.integer({ min: 0, max: 9 }), value: fc.integer() }),
      fc.record({ k: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 9 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
        const lru = new Lru<number, number>(capacity);
        let model: [number, number][] = [];
        for (const o of ops) {
          const i = model.findIndex(([k]) => k === o.key);
          if (o.k === 'get') {
            const want = i < 0 ? undefined : model[i]![1];
            if (i >= 0) model.push(...model.splice(i, 1));
            expect(lru.get(o.key)).toBe(want);
          } else if (o.k === 'set') {
            if (capacity === 0) continue;
            if (i >= 0) model.splice(i, 1);
            model.push([o.key, o.value]);
            if (model.length > capacity) model = model.slice(1);
            lru.set(o.key, o.value);
          } else {
            if (i >= 0) model.splice(i, 1);
            lru.delete(o.key);
          }
          expect([...lru.keys()]).toEqual(model.map(([k]) => k));
          expect(lru.size).toBe(model.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
