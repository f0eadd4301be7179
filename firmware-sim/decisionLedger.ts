/**
 * Pairs each frame a simulator sent to one validator with what the validator did about it, in the
 * order the frames reached the service, and says whether that is what the simulator expected.
 *
 * A frame is announced (`sending`) before its first byte is written, so every answer finds its
 * frame already waiting. An answer is matched to a waiting frame by the text the scanner layer
 * handed to the validator (the frame's payload, or the printable tail of a noisy frame); frames
 * waiting before it got no answer: as expected only for `droppable` frames (dropped as noise).
 * A frame nothing answers within `settleMs` is settled the same way.
 */
import type { DropReason } from '../src/scanner/types.ts';
import type { Outcome } from '../src/service/tapProcessor.ts';
import type { DecisionKind } from '../src/token/reasons.ts';
import type { Expectation } from './scenarios.ts';
import type { SendingEvent } from './simulator.ts';

/** What the validator did with a frame, as the rider and the demo see it. */
export interface Answer {
  decision: DecisionKind;
  /** Token reason, or the policy's / lists' / store's reason; absent on accept. */
  reason?: string;
  /** The gate's message class (`go`, `see_staff`, `scan_again`, ...). */
  message: string;
  /** Flags of the accepted tap. */
  flags: string[];
  /** Fare in minor units (absent: priced by the backend). */
  fare?: number;
  currency?: string;
}

export function answerOf(o: Outcome): Answer {
  const a: Answer = { decision: o.decision, message: o.message, flags: o.tap?.flags ? [...o.tap.flags] : [] };
  if (o.reason !== undefined) a.reason = o.reason;
  if (o.tap?.fare !== undefined) {
    a.fare = o.tap.fare;
    a.currency = o.tap.currency;
  }
  return a;
}

export type Ending = 'answered' | 'dropped' | 'no-answer' | 'unexplained';

export interface Verdict {
  gate: string;
  /** Absent for an answer no frame explains. */
  frame?: SendingEvent;
  answer?: Answer;
  /** Frames the scanner layer dropped (noise, overlong, ...) while this frame was the one being read. */
  drops: DropReason[];
  ending: Ending;
  ok: boolean;
  /** Why it is unexpected. */
  why?: string;
}

/** Whether `answer` (none: the frame was dropped or not answered) is what `expect` says. */
export function judge(expect: Expectation, answer: Answer | undefined): { ok: boolean; why?: string } {
  if (!answer) return expect.droppable ? { ok: true } : { ok: false, why: 'no answer' };
  // A noisy frame may be answered as not a ride code at all (malformed, or "scan again").
  if (
    expect.droppable &&
    answer.decision === 'reject' &&
    (answer.reason === 'malformed' || answer.message === 'scan_again')
  )
    return { ok: true };
  const said = (d: string, r?: string) => (r ? `${d} ${r}` : d);
  if (answer.decision !== expect.decision || (answer.reason ?? '') !== (expect.reason ?? ''))
    return {
      ok: false,
      why: `got ${said(answer.decision, answer.reason)}, expected ${said(expect.decision, expect.reason)}`,
    };
  const want = [...(expect.flags ?? [])].sort().join(',');
  const got = [...answer.flags].sort().join(',');
  if (want !== got) return { ok: false, why: `flags [${got}], expected [${want}]` };
  return { ok: true };
}

interface Waiting {
  frame: SendingEvent;
  text: string;
  drops: DropReason[];
}

export class GateLedger {
  private readonly waiting: Waiting[] = [];
  private frameText: string | undefined;

  constructor(
    readonly gate: string,
    private readonly verdict: (v: Verdict) => void,
    /** A frame with no answer after this long is settled (dropped or unanswered). */
    private readonly settleMs = 5000,
  ) {}

  get pending(): number {
    return this.waiting.length;
  }

  /** Frames waiting that must get an answer (not counting ones that may be dropped as noise). */
  get awaitingAnswer(): number {
    return this.waiting.filter((x) => x.frame.expect.droppable !== true).length;
  }

  /** The simulator is about to write a frame. */
  sending(frame: SendingEvent): void {
    this.waiting.push({ frame, text: frame.payload.toString('latin1'), drops: [] });
  }

  /**
   * The scanner layer passed a frame to the validator (called just before its outcome): text, or
   * the bytes of a binary frame (a JT/T code from a scanner in binary mode), matched as latin1.
   */
  frame(text: string | Uint8Array): void {
    this.frameText = typeof text === 'string' ? text : Buffer.from(text).toString('latin1');
  }

  /** The validator's outcome (after `frame`, synchronously). */
  outcome(o: Outcome): void {
    const text = this.frameText;
    this.frameText = undefined;
    const w = this.waiting;
    let i = text === undefined ? -1 : w.findIndex((x) => x.text === text);
    // The printable tail of a noisy frame, or a frame whose first bytes looked like an AIM prefix.
    if (i < 0 && text !== undefined && text.length > 0)
      i = w.findIndex((x) => x.frame.scenario === 'garbage' && x.text.endsWith(text));
    // An answer to junk that is not its text (e.g. "scan again" for a noisy line).
    if (i < 0) i = w.findIndex((x) => x.frame.expect.droppable === true);
    const answer = answerOf(o);
    if (i < 0) {
      this.verdict({
        gate: this.gate,
        answer,
        drops: [],
        ending: 'unexplained',
        ok: false,
        why: 'an answer to no frame the simulator sent',
      });
      return;
    }
    this.settleBefore(i, 'a later frame was answered first');
    const x = w.shift()!;
    const j = judge(x.frame.expect, answer);
    this.verdict({ gate: this.gate, frame: x.frame, answer, drops: x.drops, ending: 'answered', ...j });
  }

  /** The scanner layer dropped input: noise of the first waiting frame that may be dropped. */
  dropped(reason: DropReason): void {
    const x = this.waiting.find((y) => y.frame.expect.droppable === true) ?? this.waiting[0];
    if (x) x.drops.push(reason);
    else
      this.verdict({
        gate: this.gate,
        drops: [reason],
        ending: 'unexplained',
        ok: false,
        why: `input dropped (${reason}) while no frame was being sent`,
      });
  }

  /** Settles frames older than `settleMs`. */
  tick(nowMs: number): void {
    let n = 0;
    while (n < this.waiting.length && nowMs - this.waiting[n]!.frame.at >= this.settleMs) n++;
    this.settleBefore(n, `no answer within ${this.settleMs / 1000} s`);
  }

  /** Settles everything still waiting (the run is over). */
  flush(): void {
    this.settleBefore(this.waiting.length, 'no answer before the demo stopped');
  }

  private settleBefore(n: number, why: string): void {
    for (let k = 0; k < n; k++) {
      const x = this.waiting.shift()!;
      const j = judge(x.frame.expect, undefined);
      const v: Verdict = {
        gate: this.gate,
        frame: x.frame,
        drops: x.drops,
        ending: x.frame.expect.droppable ? 'dropped' : 'no-answer',
        ok: j.ok,
      };
      if (!j.ok) v.why = x.drops.length ? `dropped by the scanner layer (${x.drops.join(', ')})` : why;
      this.verdict(v);
    }
  }
}
