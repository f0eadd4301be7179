/**
 * The replay memory (checks 16 and 17): what it must hold, for how long, what it forgets, and
 * that its bookkeeping stays bounded on a gate that runs for days.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayMemory, type Recall } from '../../src/token/replayMemory.ts';

const RETENTION = 100;
const WINDOW = 3;

describe('ReplayMemory', () => {
  it('recalls a code as duplicate inside the window, as replay after it, and forgets it after the retention', () => {
    const m = new ReplayMemory(RETENTION, WINDOW, 1000);
    m.remember('c1', 's1', 1000);
    expect(m.recall('c1', 's1', 1002.9)).toBe('duplicate');
    expect(m.recall('c1', 's1', 1003)).toBe('replay');
    expect(m.recall('c2', 's1', 1002)).toBe('duplicate'); // another code of the same rider
    expect(m.recall('c2', 's2', 1002)).toBeUndefined();
    m.remember('c2', 's2', 1000 + RETENTION); // exactly at the limit: c1 is still held
    expect(m.recall('c1', 's1', 1000 + RETENTION)).toBe('replay');
    m.remember('c3', 's3', 1000 + RETENTION + 1); // now c1 and s1 are past it
    expect(m.recall('c1', 's1', 1000 + RETENTION + 1)).toBeUndefined();
    expect(m.size).toBe(2);
  });

  it('a clock that went back still finds the rider: the later of two acceptance times is kept', () => {
    const m = new ReplayMemory(RETENTION, WINDOW, 1000);
    m.remember('c1', 's1', 2000);
    m.remember('c2', 's1', 1500); // clock stepped back
    expect(m.recall('c9', 's1', 1999)).toBe('duplicate'); // now − 2000 < 3
    expect(m.recall('c1', 's1', 1501)).toBe('duplicate');
    m.remember('c3', 's3', 2050); // 1500 is past retention, 2000 is not
    expect(m.recall('c1', 's1', 2050)).toBe('replay');
    // c2 was remembered after c1: it goes when c1 goes (held longer than needed, never shorter)
    expect(m.recall('c2', 's1', 2050)).toBe('replay');
    m.remember('c4', 's4', 2101);
    expect(m.recall('c1', 's1', 2101)).toBeUndefined();
    expect(m.recall('c2', 's1', 2101)).toBeUndefined();
  });

  it('a rider accepted before and after a clock step back stays in the window when the earlier acceptance is evicted', () => {
    const m = new ReplayMemory(RETENTION, WINDOW, 2);
    m.remember('c1', 's1', 2000);
    m.remember('c2', 's1', 1500); // clock stepped back: the rider's latest time is still 2000
    m.remember('c3', 's3', 2001); // over capacity: c1 goes
    expect(m.forcedEvictions).toBe(1);
    expect(m.recall('c1', 's9', 2001)).toBeUndefined();
    expect(m.recall('c9', 's1', 2001)).toBe('duplicate'); // not charged again 1 s after 2000
  });

  it('a code remembered again is held from its later time', () => {
    const m = new ReplayMemory(RETENTION, WINDOW, 1000);
    m.remember('c1', 's1', 1000);
    m.remember('c1', 's1', 1080);
    m.remember('x', 'sx', 1150); // the first time is past retention, the second is not
    expect(m.recall('c1', 's9', 1150)).toBe('replay');
    m.remember('y', 'sy', 1181);
    expect(m.recall('c1', 's9', 1181)).toBeUndefined();
  });

  it('beyond its capacity it drops the oldest acceptances first and counts them', () => {
    const m = new ReplayMemory(RETENTION, WINDOW, 3);
    for (let i = 0; i < 5; i++) m.remember(`c${i}`, `s${i}`, 1000 + i);
    expect(m.size).toBe(3);
    expect(m.forcedEvictions).toBe(2);
    expect(m.recall('c0', 's9', 1010)).toBeUndefined();
    expect(m.recall('c1', 's9', 1010)).toBeUndefined();
    expect(m.recall('c2', 's9', 1010)).toBe('replay');
    expect([...m.entries()].map(([id]) => id)).toEqual(['c2', 'c3', 'c4']);
  });

  it('keeps its bookkeeping bounded over a long run (a week of one tap every 2 s)', () => {
    const m = new ReplayMemory(3660, WINDOW, 500_000);
    const taps = (7 * 86_400) / 2;
    for (let i = 0; i < taps; i++) m.remember(`c${i}`, `s${i % 5000}`, 1_000_000 + 2 * i);
    expect(m.size).toBeLessThanOrEqual(1831);
    const queue = (m as unknown as { queue: unknown[] }).queue;
    expect(queue.length).toBeLessThanOrEqual(2 * 1831 + 1100);
    expect(m.forcedEvictions).toBe(0);
  });

  it('on any monotone sequence, it answers what the spec requires of what it must hold', () => {
    const step = fc.record({
      dt: fc.integer({ min: 0, max: 40 }),
      code: fc.integer({ min: 0, max: 30 }),
      sub: fc.integer({ min: 0, max: 5 }),
      remember: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 150 }), (steps) => {
        const m = new ReplayMemory(RETENTION, WINDOW, 10_000);
        const history: { code: string; sub: string; at: number }[] = [];
        let now = 1000;
        for (const s of steps) {
          now += s.dt;
          const code = `c${s.code}`;
          const sub = `s${s.sub}`;
          const got: Recall = m.recall(code, sub, now);
          const lastOfCode = history.filter((h) => h.code === code).at(-1);
          const subInWindow = history.some((h) => h.sub === sub && now - h.at < WINDOW);
          const codeHeld = lastOfCode !== undefined && lastOfCode.at >= now - RETENTION;
          if ((codeHeld && now - lastOfCode.at < WINDOW) || subInWindow) expect(got).toBe('duplicate');
          else if (codeHeld) expect(got).toBe('replay');
          else if (lastOfCode === undefined) expect(got).toBeUndefined();
          else expect([undefined, 'replay']).toContain(got); // expired: may still be held
          if (s.remember) {
            m.remember(code, sub, now);
            history.push({ code, sub, at: now });
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
