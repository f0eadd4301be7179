/**
 * Rules of the demo's ledger (firmware-sim/decisionLedger.ts): each frame gets exactly one
 * verdict, in the order sent; an answer is paired with the frame whose text reached the
 * validator; a frame that may be dropped as noise is as expected whether it is dropped or
 * answered "scan again"; a ride code with no answer, a wrong reason or wrong tap flags is not.
 */
import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/service/tapProcessor.ts';
import type { Tap } from '../../src/store/tapStore.ts';
import { GateLedger, judge, type Verdict } from '../../firmware-sim/decisionLedger.ts';
import type { Expectation } from '../../firmware-sim/scenarios.ts';
import type { SendingEvent } from '../../firmware-sim/simulator.ts';

let n = 0;
function frame(text: string, expect: Expectation, at = 1000): SendingEvent {
  return {
    n: ++n,
    scenario: expect.droppable ? 'garbage' : 'valid',
    requested: 'valid',
    expect,
    at,
    payload: Buffer.from(text, 'latin1'),
  };
}

function accepted(flags?: string[]): Outcome {
  const tap = { id: 't', fare: 200, currency: 'CNY', ...(flags ? { flags } : {}) } as unknown as Tap;
  return { decision: 'accept', reasonNumber: 0, message: 'go', at: 1, tap };
}

function rejected(reason: string | undefined, message = 'see_staff'): Outcome {
  const o: Outcome = { decision: 'reject', reasonNumber: 1, message: message as 'see_staff', at: 1 };
  if (reason) o.reason = reason as 'malformed';
  return o;
}

function ledger(): { l: GateLedger; out: Verdict[] } {
  const out: Verdict[] = [];
  return { l: new GateLedger('A-in', (v) => out.push(v), 3000), out };
}

describe('decision ledger', () => {
  it('pairs answers with their frames in order and reads the policy reason', () => {
    const { l, out } = ledger();
    l.sending(frame('CODE-1', { decision: 'accept' }));
    l.sending(frame('CODE-2', { decision: 'reject', reason: 'anti_passback' }));
    l.frame('CODE-1');
    l.outcome(accepted());
    l.frame('CODE-2');
    l.outcome(rejected('anti_passback', 'see_staff'));
    expect(out.map((v) => [v.frame?.payload.toString(), v.ending, v.ok, v.answer?.reason])).toEqual([
      ['CODE-1', 'answered', true, undefined],
      ['CODE-2', 'answered', true, 'anti_passback'],
    ]);
  });

  it('a noisy frame is as expected dropped as noise or answered scan_again; a ride code without an answer is not', () => {
    const { l, out } = ledger();
    l.sending(frame('\x01\x02junk', { decision: 'reject', reason: 'malformed', droppable: true }));
    l.sending(frame('\x03more\x04', { decision: 'reject', reason: 'malformed', droppable: true }));
    l.sending(frame('CODE-3', { decision: 'accept' }));
    l.sending(frame('CODE-4', { decision: 'accept' }));
    l.dropped('noise');
    l.dropped('noise');
    l.outcome(rejected('scan_again_whatever', 'scan_again')); // an answer to junk with no frame text
    l.frame('CODE-4'); // CODE-3 never reached the validator
    l.outcome(accepted());
    expect(out.map((v) => [v.frame?.n, v.ending, v.ok])).toEqual([
      [n - 3, 'answered', true], // the answer to junk goes to the oldest frame that may be junk
      [n - 2, 'dropped', true],
      [n - 1, 'no-answer', false],
      [n, 'answered', true],
    ]);
    expect(out[2]!.why).toBe('a later frame was answered first');
  });

  it('settles frames nothing answers, and flags an answer no frame explains', () => {
    const { l, out } = ledger();
    l.sending(frame('\x01', { decision: 'reject', reason: 'malformed', droppable: true }, 1000));
    l.sending(frame('CODE-5', { decision: 'accept' }, 1500));
    l.tick(3999);
    expect(out).toEqual([]);
    l.tick(4600);
    expect(out.map((v) => [v.ending, v.ok])).toEqual([
      ['dropped', true],
      ['no-answer', false],
    ]);
    l.frame('CODE-6');
    l.outcome(accepted());
    expect(out[2]).toMatchObject({ ending: 'unexplained', ok: false });
  });

  it('judges decision, reason and tap flags', () => {
    expect(
      judge({ decision: 'accept', flags: ['no_entry'] }, { decision: 'accept', message: 'go', flags: ['no_entry'] }).ok,
    ).toBe(true);
    expect(
      judge({ decision: 'accept', flags: ['no_entry'] }, { decision: 'accept', message: 'go', flags: [] }),
    ).toEqual({ ok: false, why: 'flags [], expected [no_entry]' });
    expect(
      judge({ decision: 'accept' }, { decision: 'reject', reason: 'anti_passback', message: 'see_staff', flags: [] }),
    ).toEqual({ ok: false, why: 'got reject anti_passback, expected accept' });
    expect(
      judge(
        { decision: 'reject', reason: 'replay' },
        { decision: 'reject', reason: 'anti_passback', message: 'see_staff', flags: [] },
      ).why,
    ).toBe('got reject anti_passback, expected reject replay');
    // scan_again is accepted for noise only, not for a ride code expected to be refused for another reason.
    expect(
      judge(
        { decision: 'reject', reason: 'denied' },
        { decision: 'reject', reason: 'malformed', message: 'scan_again', flags: [] },
      ).ok,
    ).toBe(false);
    expect(judge({ decision: 'ignore', reason: 'duplicate' }, undefined)).toEqual({ ok: false, why: 'no answer' });
  });
});
