/**
 * The tap's forms (src/domain/tap.ts): the stored row (src/store/tapRow.ts) and the wire message
 * (src/contract/settlement.ts) convert to the one Tap and back without loss, the wire carries
 * only settlement-mqtt-v1 fields, and a message that is not a tap is refused.
 */
import { describe, expect, it } from 'vitest';
import { TapSchema, tapFromMessage, tapToMessage } from '../../src/contract/settlement.ts';
import type { StoredTap, Tap } from '../../src/domain/tap.ts';
import { storedTapFromRow, tapFromRow, tapToRow } from '../../src/store/tapRow.ts';

const bare: Tap = {
  id: '0190f0e0-0000-7000-8000-000000000001',
  deviceId: 'gate-7',
  at: 1_700_000_000_000,
  mode: 'metro',
  place: 'station-A',
  direction: 'in',
  sub: 'a1b2',
  cti: 'c3d4',
  codeId: '0123456789abcdef0123456789abcdef',
  ts: 1_700_000_000,
  seq: 7,
  profile: 2,
  currency: 'EUR',
};
const full: Tap = { ...bare, fare: 250, cap: 300, flags: ['stale_lists', 'no_entry'] };

describe('a tap', () => {
  it('goes to a row and back unchanged, fare, cap and flags NULL when absent', () => {
    for (const t of [bare, full]) expect(tapFromRow(tapToRow(t))).toEqual(t);
    expect(tapToRow(bare)).toMatchObject({
      device_id: 'gate-7',
      code_id: bare.codeId,
      fare: null,
      flags: null,
      cap: null,
    });
    expect(tapToRow(full).cap).toBe(300);
    expect(tapToRow(full).flags).toBe('["stale_lists","no_entry"]');
    // An empty flag list is stored as none.
    expect(tapToRow({ ...bare, flags: [] }).flags).toBeNull();
  });

  it('reads settled from its row as a boolean', () => {
    const stored: StoredTap = storedTapFromRow({ ...tapToRow(full), settled: 1 });
    expect(stored).toEqual({ ...full, settled: true });
  });

  it('goes to a wire message and back unchanged; a stored tap leaves its bookkeeping home', () => {
    for (const t of [bare, full]) {
      const m = tapToMessage(t);
      expect(TapSchema.parse(m)).toEqual(m);
      expect(tapFromMessage(JSON.parse(JSON.stringify(m)))).toEqual(t);
    }
    const stored: StoredTap = { ...full, settled: false };
    expect(Object.keys(tapToMessage(stored))).not.toContain('settled');
    expect('fare' in tapToMessage(bare)).toBe(false);
    expect('cap' in tapToMessage(bare)).toBe(false);
  });

  it('is refused from a message that breaks the contract (device id, mode, direction)', () => {
    for (const bad of [{ deviceId: 'gate 7' }, { mode: 'tram' }, { direction: 'up' }]) {
      expect(() => tapFromMessage({ ...bare, ...bad })).toThrow();
    }
  });
});
