/**
 * The admission rules as table tests, in process, no store, broker or pseudo-terminal: fares by
 * profile and cap, metro entries and exits, anti-passback, free pass, out of service, the stale-list
 * policy, and the order in which they apply (src/admission/admit.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  admit,
  type Admission,
  type AdmissionContext,
  type AdmissionSettings,
  type EntryRecord,
  type ListFreshness,
  type TokenRead,
} from '../../src/admission/admit.ts';
import { REASON_TABLE } from '../../src/admission/reasons.ts';
import type { Decision } from '../../src/token/decision.ts';
import { MESSAGE_CLASS, REASONS, REASON_CODES, type Reason } from '../../src/token/reasons.ts';

const NOW_MS = 1_800_000_000_000;
const SUB = 'a1b2c3d4e5f60718';

function accepted(o: Partial<Decision> = {}): Decision {
  return {
    decision: 'accept',
    reasonNumber: 0,
    message: 'go',
    at: NOW_MS / 1000,
    format: 'fg1',
    codeId: 'c0de',
    subHex: SUB,
    ctiHex: 'c0ffee01',
    profile: 0,
    ts: NOW_MS / 1000 - 2,
    seq: 7,
    ...o,
  };
}

function tokenRefusal(reason: Reason, detail?: string): Decision {
  const d: Decision = {
    decision: reason === 'duplicate' ? 'ignore' : 'reject',
    reason,
    reasonNumber: REASONS[reason],
    message: MESSAGE_CLASS[reason],
    at: NOW_MS / 1000,
  };
  if (detail) d.detail = detail;
  return d;
}

const BUS_FARES = { adult: 200, child: 100, student: 120, senior: 0, disabled: 50 };

function settings(o: Partial<AdmissionSettings> = {}): AdmissionSettings {
  return {
    deviceId: 'gate-1',
    mode: 'bus',
    place: 'route-7',
    direction: 'board',
    fare: { currency: 'CNY', bus: BUS_FARES },
    policy: { antiPassbackSeconds: 600, maxJourneySeconds: 14_400 },
    ...o,
  };
}

function metro(direction: 'in' | 'out', o: Partial<AdmissionSettings> = {}): AdmissionSettings {
  return settings({ mode: 'metro', place: 'station-12', direction, fare: { currency: 'CNY' }, ...o });
}

interface Ctx {
  settings?: AdmissionSettings;
  freePass?: boolean;
  outOfService?: boolean;
  /** The last entry of SUB at this station, `agoMs` before now. */
  entry?: { agoMs: number; freePass?: boolean };
  noEntryMemory?: boolean;
  lists?: ListFreshness;
}

function context(c: Ctx = {}): AdmissionContext {
  const entries = new Map<string, EntryRecord>();
  if (c.entry) entries.set(SUB, { at: NOW_MS - c.entry.agoMs, freePass: c.entry.freePass ?? false });
  return {
    settings: c.settings ?? settings(),
    modes: { freePass: c.freePass ?? false, outOfService: c.outOfService ?? false },
    entries: c.noEntryMemory ? undefined : { last: (sub) => entries.get(sub) },
    lists: () => c.lists ?? 'fresh',
    nowMs: NOW_MS,
  };
}

/** A token read that counts how often admission asked for the decision. */
function read(d: Decision): TokenRead & { reads: number } {
  const r = { reads: 0, decide: () => (r.reads++, d) };
  return r;
}

function run(d: Decision, c: Ctx = {}): Admission {
  return admit(read(d), context(c));
}

/** The short form the tables compare: kind, reason, fare, flags, gate action and message. */
function summary(a: Admission): string {
  if (a.kind === 'accept') {
    const fare = a.tap.fare === undefined ? 'no fare' : `fare ${a.tap.fare}`;
    const flags = a.tap.flags ? ` [${a.tap.flags.join(',')}]` : '';
    return `accept ${fare}${flags} → ${a.signal.action} ${a.signal.message}`;
  }
  if (a.kind === 'ignore') return `ignore ${a.reason}`;
  return `reject ${a.reason} (${a.reasonNumber}) → ${a.signal.action} ${a.signal.message}`;
}

describe('bus: flat fares by profile, capped per trip', () => {
  it.each([
    ['adult', { profile: 0 }, 200],
    ['child', { profile: 1 }, 100],
    ['student', { profile: 2 }, 120],
    ['senior', { profile: 3 }, 0],
    ['disabled', { profile: 4 }, 50],
    ['staff (not in the table: adult fare)', { profile: 5 }, 200],
    ['a profile number no one named (adult fare)', { profile: 42 }, 200],
    ['adult capped at 150', { profile: 0, cap: 150 }, 150],
    ['child with a cap above its fare', { profile: 1, cap: 150 }, 100],
    ['adult capped at 0', { profile: 0, cap: 0 }, 0],
  ] as const)('%s pays %i', (_name, o, fare) => {
    const a = run(accepted(o));
    expect(summary(a)).toBe(`accept fare ${fare} → open go`);
  });

  it('drafts the tap from the decision and the settings (no id: the commit gives it)', () => {
    const a = run(accepted({ profile: 1 }));
    expect(a.kind).toBe('accept');
    if (a.kind !== 'accept') return;
    expect(a.tap).toEqual({
      deviceId: 'gate-1',
      at: NOW_MS,
      mode: 'bus',
      place: 'route-7',
      direction: 'board',
      sub: SUB,
      cti: 'c0ffee01',
      codeId: 'c0de',
      ts: NOW_MS / 1000 - 2,
      seq: 7,
      profile: 1,
      fare: 100,
      currency: 'CNY',
      format: 'fg1',
    });
    expect(a.freePass).toBe(false);
  });

  it('a bus has no anti-passback: the same account boarding again is accepted', () => {
    expect(summary(run(accepted(), { entry: { agoMs: 1000 } }))).toBe('accept fare 200 → open go');
  });
});

describe('metro fares', () => {
  it('an entry carries no fare (the backend prices the journey), even with an exit table', () => {
    const s = metro('in', { fare: { currency: 'CNY', metroOut: BUS_FARES } });
    expect(summary(run(accepted(), { settings: s }))).toBe('accept no fare → open go');
  });
  it('an exit carries no fare unless fare.metroOut is set', () => {
    const a = run(accepted(), { settings: metro('out'), entry: { agoMs: 60_000 } });
    expect(summary(a)).toBe('accept no fare → open go');
  });
  it("an entry and an exit carry the credential's per-trip cap for the backend's pricing; none without one", () => {
    for (const direction of ['in', 'out'] as const) {
      const ctx =
        direction === 'out' ? { settings: metro(direction), entry: { agoMs: 60_000 } } : { settings: metro(direction) };
      const a = run(accepted({ profile: 0, cap: 350 }), ctx);
      expect(summary(a)).toBe('accept no fare → open go');
      expect(a.kind === 'accept' && a.tap.cap).toBe(350);
      const b = run(accepted({ profile: 0 }), ctx);
      expect(b.kind === 'accept' && !('cap' in b.tap)).toBe(true);
    }
  });
  it('an exit pays the metroOut fare of its profile, capped', () => {
    const s = metro('out', { fare: { currency: 'CNY', metroOut: { adult: 400, child: 200 } } });
    const entry = { agoMs: 60_000 };
    expect(summary(run(accepted({ profile: 1 }), { settings: s, entry }))).toBe('accept fare 200 → open go');
    const capped = run(accepted({ profile: 0, cap: 300 }), { settings: s, entry });
    expect(summary(capped)).toBe('accept fare 300 → open go');
  });
});

describe('metro in: anti-passback', () => {
  const s = metro('in', { policy: { antiPassbackSeconds: 600, maxJourneySeconds: 14_400 } });
  it.each([
    ['no entry remembered', undefined, 'accept no fare → open go'],
    ['entered 5 s ago', { agoMs: 5_000 }, 'reject anti_passback (21) → reject see_staff'],
    ['entered 599.999 s ago (inside the window)', { agoMs: 599_999 }, 'reject anti_passback (21) → reject see_staff'],
    ['entered 600 s ago (the window is over)', { agoMs: 600_000 }, 'accept no fare → open go'],
    ['entered an hour ago', { agoMs: 3_600_000 }, 'accept no fare → open go'],
    ['entered 5 s ago in a free pass (does not count)', { agoMs: 5_000, freePass: true }, 'accept no fare → open go'],
    ['an entry in the future (clock stepped back)', { agoMs: -5_000 }, 'accept no fare → open go'],
  ] as const)('%s', (_name, entry, expected) => {
    expect(summary(run(accepted(), { settings: s, ...(entry ? { entry } : {}) }))).toBe(expected);
  });

  it('says in the detail how long ago and the window (for logs)', () => {
    const a = run(accepted(), { settings: s, entry: { agoMs: 4_200 } });
    expect(a).toMatchObject({ kind: 'reject', reason: 'anti_passback', detail: 'entered here 4 s ago (window 600 s)' });
  });

  it('window 0 disables it', () => {
    const off = metro('in', { policy: { antiPassbackSeconds: 0, maxJourneySeconds: 14_400 } });
    expect(summary(run(accepted(), { settings: off, entry: { agoMs: 1_000 } }))).toBe('accept no fare → open go');
  });

  it('without an entry memory there are no metro rules', () => {
    expect(summary(run(accepted(), { settings: s, noEntryMemory: true }))).toBe('accept no fare → open go');
  });
});

describe('metro out: exits without an entry are flagged', () => {
  const s = metro('out');
  it.each([
    ['an entry 10 min ago', { agoMs: 600_000 }, 'accept no fare → open go'],
    ['an entry exactly maxJourneySeconds ago', { agoMs: 14_400_000 }, 'accept no fare → open go'],
    ['an entry older than maxJourneySeconds', { agoMs: 14_400_001 }, 'accept no fare [no_entry] → open go'],
    ['no entry in this store', undefined, 'accept no fare [no_entry] → open go'],
  ] as const)('%s', (_name, entry, expected) => {
    expect(summary(run(accepted(), { settings: s, ...(entry ? { entry } : {}) }))).toBe(expected);
  });
  it('an exit gate has no anti-passback: a recent entry is a matched exit', () => {
    expect(summary(run(accepted(), { settings: s, entry: { agoMs: 2_000 } }))).toBe('accept no fare → open go');
  });
});

describe('free pass (evacuation): the gate opens for every frame', () => {
  it('a valid code is a tap with fare 0 and flag free_pass (not charged)', () => {
    expect(summary(run(accepted({ profile: 0 }), { freePass: true }))).toBe('accept fare 0 [free_pass] → open go');
  });
  it('an invalid code is still refused (counted with its reason) but the gate opens', () => {
    const a = run(tokenRefusal('bad_code_signature'), { freePass: true });
    expect(summary(a)).toBe('reject bad_code_signature (11) → open go');
    expect(a).toMatchObject({ freePass: true, message: 'invalid_code' });
  });
  it.each(REASON_CODES.filter((r) => r !== 'duplicate'))('opens for a code refused %s', (reason) => {
    const a = run(tokenRefusal(reason), { freePass: true });
    expect(a).toMatchObject({ kind: 'reject', reason, freePass: true, signal: { action: 'open', message: 'go' } });
  });
  it('takes precedence over out of service', () => {
    const a = run(accepted(), { freePass: true, outOfService: true });
    expect(summary(a)).toBe('accept fare 0 [free_pass] → open go');
  });
  it('skips anti-passback and the stale-list policy', () => {
    const s = metro('in');
    const a = run(accepted(), { settings: s, freePass: true, entry: { agoMs: 1_000 }, lists: 'stale_reject' });
    expect(summary(a)).toBe('accept fare 0 [free_pass] → open go');
  });
  it('a duplicate read is still silent', () => {
    expect(summary(run(tokenRefusal('duplicate'), { freePass: true }))).toBe('ignore duplicate');
  });
});

describe('out of service: every frame is turned away, undecoded', () => {
  it.each([
    ['a valid code', accepted()],
    ['an invalid code', tokenRefusal('bad_code_signature')],
    ['a malformed frame (or a junk line)', tokenRefusal('malformed', 'scanner input dropped: noise')],
    ['a duplicate', tokenRefusal('duplicate')],
  ])('%s: refused out_of_service, see staff, without reading the token', (_name, d) => {
    const r = read(d);
    const a = admit(r, context({ outOfService: true }));
    expect(summary(a)).toBe('reject out_of_service (20) → reject see_staff');
    expect(a).toMatchObject({ signal: { text: 'Out of service: please use another gate' }, freePass: false });
    expect(a.kind === 'reject' && a.token).toBeUndefined();
    expect(r.reads).toBe(0);
  });
});

describe('stale signed lists', () => {
  it.each([
    ['fresh', 'accept fare 200 → open go'],
    ['stale_flag', 'accept fare 200 [stale_lists] → open go'],
    ['stale_reject', 'reject lists_stale (22) → reject see_staff'],
  ] as const)('%s: %s', (lists, expected) => {
    expect(summary(run(accepted(), { lists }))).toBe(expected);
  });
  it('a flagged metro exit without an entry carries both flags, the policy one first', () => {
    const a = run(accepted(), { settings: metro('out'), lists: 'stale_flag' });
    expect(summary(a)).toBe('accept no fare [no_entry,stale_lists] → open go');
  });
  it('anti-passback is decided before the lists', () => {
    expect(summary(run(accepted(), { settings: metro('in'), entry: { agoMs: 1_000 }, lists: 'stale_reject' }))).toBe(
      'reject anti_passback (21) → reject see_staff',
    );
  });
  it('the lists are asked only for a code that would be accepted', () => {
    let asked = 0;
    const ctx = { ...context(), lists: (): ListFreshness => (asked++, 'stale_reject') };
    admit(read(tokenRefusal('code_expired')), ctx);
    admit(read(tokenRefusal('duplicate')), ctx);
    expect(asked).toBe(0);
    admit(read(accepted()), ctx);
    expect(asked).toBe(1);
  });
});

describe('token reasons', () => {
  it.each(REASON_CODES)('%s: refused (or ignored) with its number, message class and gate text', (reason) => {
    const a = run(tokenRefusal(reason, 'why'));
    const info = REASON_TABLE[reason];
    if (reason === 'duplicate') {
      const token = expect.any(Object);
      expect(a).toEqual({ kind: 'ignore', reason, reasonNumber: 16, message: 'silent', token, freePass: false });
      return;
    }
    const number = REASONS[reason];
    const message = MESSAGE_CLASS[reason];
    expect(a).toMatchObject({ kind: 'reject', reason, reasonNumber: number, message, detail: 'why' });
    expect(a.kind === 'reject' && a.signal).toEqual({ action: 'reject', message: info.message, text: info.text });
  });
});
