import { describe, expect, it } from 'vitest';
import { restoreReplayMemory } from '../../src/service/components.ts';
import { ReplayMemory, riderKey } from '../../src/token/replayMemory.ts';

const A = 'aa'.repeat(16);
const B = 'bb'.repeat(16);

describe('replay memory: entries merged from the group', () => {
  it('a merged code is a replay at once, within the duplicate window too; a local one stays a duplicate there', () => {
    const m = new ReplayMemory(3660, 3, 100);
    m.merge(A, 's1', 1000);
    m.remember(B, 's2', 1000);
    expect(m.recall(A, 's1', 1001)).toBe('replay');
    expect(m.recall(B, 's2', 1001)).toBe('duplicate');
    expect(m.recall(B, 's2', 1010)).toBe('replay');
  });

  it("a merged rider's time counts for the duplicate window: another code of the account is ignored", () => {
    const m = new ReplayMemory(3660, 3, 100);
    m.merge(A, 's1', 1000);
    expect(m.recall(B, 's1', 1002)).toBe('duplicate');
    expect(m.recall(B, 's1', 1003)).toBeUndefined();
  });

  it('merging a code held already keeps the held entry (a local accept stays a duplicate for its re-reads)', () => {
    const m = new ReplayMemory(3660, 3, 100);
    m.remember(A, 's1', 1000);
    expect(m.merge(A, 's1', 1000)).toBe(false);
    expect(m.recall(A, 's1', 1001)).toBe('duplicate');
    expect(m.merge(B, 's2', 1000)).toBe(true);
    expect(m.merge(B, 's2', 1000)).toBe(false);
  });

  it('merged entries expire after the retention like local ones', () => {
    const m = new ReplayMemory(100, 3, 100);
    m.merge(A, 's1', 1000);
    m.remember(B, 's2', 1200);
    expect(m.recall(A, 's1', 1201)).toBeUndefined();
    expect(m.size).toBe(1);
  });
});

describe('replay memory restored at start', () => {
  it("keys each of this gate's taps by its format, and the group's entries as they were merged", () => {
    const m = new ReplayMemory(3660, 3, 100);
    const sub = '31000000000000000001';
    const C = 'cc'.repeat(16);
    restoreReplayMemory(
      m,
      [
        { codeId: A, sub, at: 1_000_000, format: 'jtt1179' },
        { codeId: B, sub: 'feed', at: 1_000_500, format: null }, // a tap written before taps had a format: FG1
      ],
      [{ codeId: C, sub: riderKey('jtt1179', 'beef'), at: 1_000_700 }],
    );
    expect(m.recall('dd'.repeat(16), riderKey('jtt1179', sub), 1001)).toBe('duplicate');
    expect(m.recall('dd'.repeat(16), riderKey('fg1', sub), 1001)).toBeUndefined();
    expect(m.recall('dd'.repeat(16), 'feed', 1001)).toBe('duplicate');
    expect(m.recall('dd'.repeat(16), riderKey('jtt1179', 'beef'), 1001)).toBe('duplicate');
    expect(m.recall(C, 'beef', 1001)).toBe('replay');
  });
});
