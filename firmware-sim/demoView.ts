/**
 * What the demo prints: a legend once, then one line per frame holding the frame, what the
 * journey model expected and what the validator answered, and the running tally. Ride codes are
 * never printed (rider labels such as `r007` are the simulator's own).
 */
import type { Expectation } from './scenarios.ts';
import type { Answer, Verdict } from './decisionLedger.ts';
import type { SendingEvent } from './simulator.ts';

export interface ViewGate {
  id: string;
  /** Short column label, e.g. `A-in`. */
  label: string;
  /** e.g. `entry gate at station-A`. */
  what: string;
}

const GREEN = 32;
const RED = 31;
const GREY = 90;
const CYAN = 36;
const YELLOW = 33;

const W = { mark: 10, gate: 6, n: 5, format: 7, scenario: 10, rider: 5, story: 34, expect: 26 };

export class DemoView {
  private readonly labels: Map<string, string>;

  constructor(
    private readonly gates: ViewGate[],
    private readonly colour: boolean,
  ) {
    this.labels = new Map(gates.map((g) => [g.id, g.label]));
  }

  paint(c: number, s: string): string {
    return this.colour ? `\x1b[${c}m${s}\x1b[0m` : s;
  }

  note(s: string): string {
    return this.paint(YELLOW, s);
  }

  legend(antiPassbackSeconds: number): string[] {
    const head = [
      'MARK'.padEnd(W.mark),
      'GATE'.padEnd(W.gate),
      '#'.padEnd(W.n),
      'FORMAT'.padEnd(W.format),
      'FRAME'.padEnd(W.scenario),
      'RIDER'.padEnd(W.rider),
      'JOURNEY'.padEnd(W.story),
      'EXPECTED'.padEnd(W.expect),
      'ANSWER',
    ].join(' ');
    return [
      this.note('Each line is one frame a simulated scanner sent and what that validator answered:'),
      this.note(
        `  MARK      ${this.paint(GREEN, 'ok')} when the answer is what the journey model expected, ${this.paint(RED, 'UNEXPECTED')} (and why) when not`,
      ),
      ...this.gates.map((g, i) =>
        this.note(`  ${i === 0 ? 'GATE' : ''.padEnd(4)}      ${g.label.padEnd(W.gate)} ${g.what}`),
      ),
      this.note(
        "  #         the frame's number at that gate; FRAME the scenario; RIDER a simulated rider (codes are never shown)",
      ),
      this.note(
        '  FORMAT    fg1, or jtt/bin, jtt/hex, jtt/b64: a JT/T 1179 code as raw bytes (binary-mode scanner), hex or base64 text',
      ),
      this.note(
        `  JOURNEY   where the rider is: metro entry gates refuse a second entry within ${antiPassbackSeconds} s (anti_passback);`,
      ),
      this.note(
        '            an exit gate never sees the entry (each validator has its own store), so exits carry [no_entry] for the backend',
      ),
      this.note(
        '  ANSWER    ACCEPT (fare, tap flags), REJECT reason (what the gate shows), IGNORE duplicate (silent), or dropped as noise',
      ),
      '',
      this.paint(GREY, head),
    ];
  }

  line(v: Verdict): string {
    const mark = v.ok ? this.paint(GREEN, 'ok'.padEnd(W.mark)) : this.paint(RED, 'UNEXPECTED'.padEnd(W.mark));
    const gate = this.paint(CYAN, (this.labels.get(v.gate) ?? v.gate).padEnd(W.gate));
    const f = v.frame;
    const n = (f ? `#${f.n}` : '#?').padEnd(W.n);
    const format = this.paint(GREY, fit(f ? formatOf(f) : '', W.format));
    const scenario = fit(f ? f.scenario : '(none)', W.scenario);
    const rider = fit(f?.rider ?? '', W.rider);
    const story = fit(f ? storyOf(f) : '', W.story);
    const expect = fit(f ? expectText(f.expect) : '', W.expect);
    const answer = this.answerText(v);
    const why = v.ok || !v.why ? '' : this.paint(RED, `  ← ${v.why}`);
    return `${mark} ${gate} ${n} ${format} ${scenario} ${rider} ${story} ${this.paint(GREY, expect)} ${answer}${why}`;
  }

  private answerText(v: Verdict): string {
    if (v.answer) return answerText(v.answer, (c, s) => this.paint(c, s));
    if (v.ending === 'dropped') return this.paint(GREY, 'dropped as noise');
    return this.paint(RED, 'no answer');
  }

  tally(ok: number, total: number): string {
    const s = `${ok} of ${total} decisions as expected`;
    return ok === total ? this.paint(GREEN, s) : this.paint(RED, `${s} (${total - ok} UNEXPECTED)`);
  }
}

/** What a frame without a journey shows the scanner (by variant, else scenario). */
const SHOWS: Record<string, string> = {
  printable: 'random text, not a ride code',
  'fg1-junk': '"FG1:" and junk',
  bytes: 'random bytes (line noise)',
  'bad-code-signature': 'code signed with a wrong key',
  'unknown-issuer': 'credential of an unknown issuer',
  expired: 'code made hours ago',
  denied: 'rider on the deny list',
  'wrong-mode': 'credential not for this mode',
  // JT/T 1179 (firmware-sim/jttRiders.ts)
  'code-expired': 'code made hours ago',
  'issuer-cert-expired': 'issuer certificate expired',
  'authorisation-expired': 'issuer authorisation expired',
  'root-signature': 'certificate not signed by the root',
  'issuer-authorisation': 'limit raised after the issuer signed',
  'user-signature': 'signed by a key not authorised',
  'unknown-root': 'certificate under an unknown root',
  'by-sub': 'account on the deny list',
  'by-cti': 'payment account on the deny list',
  'bad-version': 'JT/T code of version 0x81',
  'bad-cert-header': 'JT/T code, bad certificate header',
  'bad-cert-format': 'JT/T code, bad certificate format',
  'bad-cert-month': 'JT/T code, certificate month 13',
  'bad-signature-tag': 'JT/T code, signature tag not 0x15',
  truncated: 'JT/T code cut short',
};

const ENCODING_SHORT: Record<string, string> = { binary: 'bin', hex: 'hex', base64: 'b64' };

/** `fg1`, `jtt/bin`, `jtt/hex`, `jtt/b64`, or nothing for junk that is neither. */
export function formatOf(f: Pick<SendingEvent, 'format' | 'encoding'>): string {
  if (f.format === 'jtt1179') return `jtt/${ENCODING_SHORT[f.encoding ?? ''] ?? '?'}`;
  return f.format ?? '';
}

function storyOf(f: SendingEvent): string {
  return f.story ?? SHOWS[f.variant ?? ''] ?? SHOWS[f.scenario] ?? f.variant ?? '';
}

function fit(s: string, w: number): string {
  return s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w);
}

export function expectText(e: Expectation): string {
  const flags = e.flags?.length ? ` [${e.flags.join(',')}]` : '';
  if (e.droppable) return `${e.decision} ${e.reason} / noise`;
  return `${e.decision}${e.reason ? ` ${e.reason}` : ''}${flags}`;
}

export function answerText(a: Answer, paint: (c: number, s: string) => string = (_c, s) => s): string {
  const flags = a.flags.length ? ` [${a.flags.join(',')}]` : '';
  if (a.decision === 'accept') {
    const fare = a.fare === undefined ? 'fare by backend' : `${(a.fare / 100).toFixed(2)} ${a.currency ?? ''}`.trim();
    return paint(GREEN, 'ACCEPT') + ` ${fare}${flags}`;
  }
  if (a.decision === 'ignore') return paint(GREY, `IGNORE ${a.reason ?? ''} (silent)`);
  return paint(RED, 'REJECT') + ` ${a.reason ?? '(no reason)'} (gate shows ${a.message})`;
}
