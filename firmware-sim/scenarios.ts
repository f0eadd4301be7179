/**
 * What the simulated riders show the scanner, and what the validator must answer (the reason
 * codes of qr-token-v1 §4). The generator keeps just enough history (when each sub was last shown,
 * which codes should have been accepted) that its labels stay true under the duplicate window and
 * replay memory of a validator with the spec's defaults.
 */
import type { Mode } from '../src/token/params.ts';
import type { PolicyReason } from '../src/policy/gatePolicy.ts';
import type { DecisionKind, Reason } from '../src/token/reasons.ts';
import { BASE45_ALPHABET } from '../src/token/base45.ts';
import { allowsMode, MODE_BUS, MODE_METRO, type Population, type Rider } from './population.ts';
import {
  encodeJtt,
  JTT_MALFORMED_FULL_LENGTH,
  type JttCodeVariant,
  type JttEncoding,
  type JttMalformedVariant,
  type JttPopulation,
  type JttRider,
} from './jttRiders.ts';
import type { Prng } from './prng.ts';
import { SETTING_DEFAULTS } from '../src/config/schema.ts';

export const SCENARIO_KINDS = [
  'valid',
  'expired',
  'forged',
  'replayed',
  'denied',
  'wrong-mode',
  'garbage',
  'duplicate',
  'passback',
] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

export interface Expectation {
  decision: DecisionKind;
  /** Absent on accept. A token reason (qr-token-v1 §4) or a gate-policy reason (src/policy). */
  reason?: Reason | PolicyReason;
  /** Flags the accepted tap carries (e.g. `no_entry` at a metro exit); absent means none. */
  flags?: string[];
  /** Not printable: a scanner layer may drop it as noise instead of passing it on as `malformed`. */
  droppable?: boolean;
}

export const EXPECTATIONS: Record<ScenarioKind, Expectation> = {
  valid: { decision: 'accept' },
  expired: { decision: 'reject', reason: 'code_expired' },
  forged: { decision: 'reject', reason: 'bad_code_signature' },
  replayed: { decision: 'reject', reason: 'replay' },
  denied: { decision: 'reject', reason: 'denied' },
  'wrong-mode': { decision: 'reject', reason: 'mode_not_allowed' },
  garbage: { decision: 'reject', reason: 'malformed' },
  duplicate: { decision: 'ignore', reason: 'duplicate' },
  passback: { decision: 'reject', reason: 'anti_passback' },
};

export type Mix = ReadonlyArray<{ kind: ScenarioKind; weight: number }>;

export const DEFAULT_MIX_TEXT = 'valid=70,expired=5,forged=5,replayed=5,denied=5,wrong-mode=5,garbage=5';

/**
 * `valid=70,expired=5,...` (weights ≥ 0, normalised to sum 1; kinds left out get 0). A bare kind
 * (`garbage`) means weight 1. Throws an Error with a readable message.
 */
export function parseMix(text: string): Mix {
  const weights = new Map<ScenarioKind, number>();
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const [name, value, ...rest] = part.split('=');
    const kind = name!.trim() as ScenarioKind;
    if (!SCENARIO_KINDS.includes(kind))
      throw new Error(`unknown scenario "${name}" (known: ${SCENARIO_KINDS.join(', ')})`);
    if (weights.has(kind)) throw new Error(`scenario ${kind} given twice`);
    const w = value === undefined ? 1 : Number(value.trim());
    if (rest.length > 0 || !Number.isFinite(w) || w < 0 || value?.trim() === '')
      throw new Error(`weight of ${kind} must be a number ≥ 0 (got "${part}")`);
    weights.set(kind, w);
  }
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  if (total <= 0) throw new Error('the mix needs at least one scenario with a weight > 0');
  return SCENARIO_KINDS.filter((k) => (weights.get(k) ?? 0) > 0).map((k) => ({
    kind: k,
    weight: weights.get(k)! / total,
  }));
}

export function formatMix(mix: Mix): string {
  return mix.map((m) => `${m.kind}=${Math.round(m.weight * 1000) / 10}%`).join(' ');
}

export interface ScenarioFrame {
  /** The kind the mix asked for. */
  requested: ScenarioKind;
  /** The kind actually produced (differs when a kind is not possible yet: e.g. replayed → valid). */
  scenario: ScenarioKind;
  /** Sub-kind: `bad-code-signature`/`unknown-issuer` (forged), `printable`/`fg1-junk`/`bytes` (garbage), `setup`/`resend` (duplicate). */
  variant?: string;
  expect: Expectation;
  /** What the scanner read, before the AIM prefix and terminator are added. */
  payload: Buffer;
  codeId?: string;
  /** Hex sub of the credential. */
  sub?: string;
  rider?: string;
  /** Wait this long before sending (the resend of a duplicate pair). */
  delayMs?: number;
  /** Where the rider is in a journey, for people reading the demo (e.g. `entered A 12 s ago`). */
  story?: string;
  /** The ride-code format of a code frame (absent for garbage that is neither). */
  format?: RideCodeFormat;
  /** How a JT/T frame is encoded on the wire. */
  encoding?: JttEncoding;
}

/** The format ids decisions carry (jtt1179-reading §6). */
export type RideCodeFormat = 'fg1' | 'jtt1179';

/** JT/T riders in a scanner's traffic: the share of code frames that are JT/T, and their encodings. */
export interface JttTraffic {
  /** 0..1: the chance a frame that can be of either format is a JT/T code. */
  share: number;
  /** Encodings to pick from, uniformly (default hex). */
  encodings?: readonly JttEncoding[];
}

/** What §4 decides for each JT/T code variant. */
export const JTT_VARIANT_EXPECTATIONS: Record<Exclude<JttCodeVariant, 'valid'>, Expectation> = {
  'code-expired': { decision: 'reject', reason: 'code_expired' },
  'issuer-cert-expired': { decision: 'reject', reason: 'issuer_cert_expired' },
  'authorisation-expired': { decision: 'reject', reason: 'credential_expired' },
  'root-signature': { decision: 'reject', reason: 'bad_root_signature' },
  'issuer-authorisation': { decision: 'reject', reason: 'bad_issuer_signature' },
  'user-signature': { decision: 'reject', reason: 'bad_code_signature' },
  'unknown-root': { decision: 'reject', reason: 'unknown_key' },
};
const JTT_EXPIRED: readonly JttCodeVariant[] = ['code-expired', 'issuer-cert-expired', 'authorisation-expired'];
const JTT_FORGED: readonly JttCodeVariant[] = [
  'root-signature',
  'issuer-authorisation',
  'user-signature',
  'unknown-root',
];

/** What a simulator sends: the next frame(s) of one scanner. */
export interface FrameSource {
  next(): ScenarioFrame[];
  /** A code that never reached the validator (nobody read it). */
  forget(codeId: string): void;
  /** `n` random bytes satisfying `ok`, never a terminator byte (for noise bursts). */
  randomFrom(n: number, ok: (b: number) => boolean): Buffer;
}

export interface ScenarioOptions {
  population: Population;
  prng: Prng;
  /** The service's mode. */
  mode: Mode;
  mix: Mix;
  /** Clock in Unix milliseconds (default Date.now). */
  now?: () => number;
  /** The validator's parameters the labels depend on (spec defaults). */
  duplicateWindowSec?: number;
  codeValiditySec?: number;
  skewSec?: number;
  /** Safety margin on every time window, for transport latency (default 1000 ms). */
  marginMs?: number;
  /** Bytes garbage must not contain (line terminators, the custom suffix). CR and LF are always avoided. */
  avoidBytes?: Iterable<number>;
  /** JT/T riders (needs `population.jtt`); none when absent or with share 0. */
  jtt?: JttTraffic;
}

/** A code a validator accepted, kept to send again as a duplicate or replay. Holds a whole ride code. */
export interface Accepted {
  /** The frame's payload as latin1 (a binary JT/T payload round-trips). */
  text: string;
  codeId: string;
  subHex: string;
  rider: string;
  at: number;
  format?: RideCodeFormat;
  encoding?: JttEncoding;
}

/** A code accepted before, shown again: expected as a duplicate (within the window) or a replay. */
export function sentAgain(
  kind: 'duplicate' | 'replayed',
  a: Accepted,
  o: { delayMs?: number; story?: string } = {},
): ScenarioFrame {
  const f: ScenarioFrame = {
    requested: kind,
    scenario: kind,
    expect: { ...EXPECTATIONS[kind] },
    payload: Buffer.from(a.text, 'latin1'),
    codeId: a.codeId,
    sub: a.subHex,
    rider: a.rider,
  };
  if (kind === 'duplicate') f.variant = 'resend';
  if (a.format !== undefined) f.format = a.format;
  if (a.encoding !== undefined) f.encoding = a.encoding;
  if (o.story !== undefined) f.story = o.story;
  if (o.delayMs !== undefined && o.delayMs > 0) f.delayMs = o.delayMs;
  return f;
}

export class ScenarioGenerator implements FrameSource {
  private readonly pop: Population;
  private readonly prng: Prng;
  private readonly mix: Mix;
  private readonly now: () => number;
  private readonly modeBit: number;
  private readonly otherModeBit: number;
  private readonly dupMs: number;
  private readonly validityMs: number;
  private readonly validitySec: number;
  private readonly skewSec: number;
  private readonly marginMs: number;
  private readonly avoid: Set<number>;
  private readonly lastUse = new Map<string, number>();
  private accepted: Accepted[] = [];
  private cursor = 0;
  private deniedCursor = 0;
  private rogueCursor = 0;
  private readonly jttPop: JttPopulation | undefined;
  private readonly jttShare: number;
  private readonly jttEncodings: readonly JttEncoding[];
  private readonly jttPrng: Prng;
  private jttCursor = 0;
  private readonly jttTurns = { expired: 0, forged: 0, denied: 0, garbage: 0 };

  constructor(o: ScenarioOptions) {
    this.pop = o.population;
    this.prng = o.prng;
    this.mix = o.mix;
    this.now = o.now ?? Date.now;
    this.modeBit = o.mode === 'bus' ? MODE_BUS : MODE_METRO;
    this.otherModeBit = o.mode === 'bus' ? MODE_METRO : MODE_BUS;
    this.dupMs = (o.duplicateWindowSec ?? SETTING_DEFAULTS.token.duplicateWindow) * 1000;
    this.validitySec = o.codeValiditySec ?? SETTING_DEFAULTS.token.codeValidity;
    this.validityMs = this.validitySec * 1000;
    this.skewSec = o.skewSec ?? SETTING_DEFAULTS.token.skew;
    this.marginMs = o.marginMs ?? 1000;
    this.avoid = new Set([0x0d, 0x0a, ...(o.avoidBytes ?? [])]);
    this.jttShare = o.jtt?.share ?? 0;
    if (!(this.jttShare >= 0 && this.jttShare <= 1)) throw new Error('the JT/T share must be in 0..1');
    this.jttPop = this.jttShare > 0 ? o.population.jtt : undefined;
    if (this.jttShare > 0 && !this.jttPop) throw new Error('JT/T traffic needs a population with JT/T riders');
    this.jttEncodings = o.jtt?.encodings?.length ? o.jtt.encodings : ['hex'];
    // Its own stream: a run without JT/T riders draws exactly what it drew before they existed.
    this.jttPrng = o.prng.fork('jtt');
  }

  /** Whether the next frame that may be of either format is a JT/T code. */
  private jttTurn(): JttPopulation | undefined {
    return this.jttPop && this.jttPrng.chance(this.jttShare) ? this.jttPop : undefined;
  }

  private jttEncoding(): JttEncoding {
    return this.jttEncodings.length === 1 ? this.jttEncodings[0]! : this.jttPrng.pick(this.jttEncodings);
  }

  private jttFrame(
    requested: ScenarioKind,
    scenario: ScenarioKind,
    r: JttRider,
    payload: Buffer,
    codeId: string | undefined,
    variant?: string,
  ): ScenarioFrame {
    const encoding = this.jttEncoding();
    const f: ScenarioFrame = {
      requested,
      scenario,
      expect: { ...EXPECTATIONS[scenario] },
      payload: encodeJtt(payload, encoding),
      sub: r.subHex,
      rider: r.id,
      format: 'jtt1179',
      encoding,
    };
    if (codeId !== undefined) f.codeId = codeId;
    if (variant !== undefined) f.variant = variant;
    return f;
  }

  /** A JT/T rider not shown within the duplicate window (+ margin); adds one if none. */
  private freshJttRider(pop: JttPopulation, t: number): JttRider {
    const riders = pop.riders;
    for (let i = 0; i < riders.length; i++) {
      const r = riders[(this.jttCursor + i) % riders.length]!;
      const last = this.lastUse.get(r.subHex);
      if (last !== undefined && t - last < this.dupMs + this.marginMs) continue;
      this.jttCursor = (this.jttCursor + i + 1) % riders.length;
      return r;
    }
    this.jttCursor = 0;
    return pop.add();
  }

  private jttValid(pop: JttPopulation, requested: ScenarioKind, variant?: string): ScenarioFrame {
    const t = this.now();
    const r = this.freshJttRider(pop, t);
    const c = pop.code(r, this.nowSec(t), this.validitySec);
    this.lastUse.set(r.subHex, t);
    const f = this.jttFrame(requested, 'valid', r, c.payload, c.codeId, variant);
    this.accepted.push({
      text: f.payload.toString('latin1'),
      codeId: c.codeId,
      subHex: r.subHex,
      rider: r.id,
      at: t,
      format: 'jtt1179',
      encoding: f.encoding!,
    });
    this.prune(t);
    return f;
  }

  /** A code with something wrong at one link (or in time): the reason §4 gives that variant. */
  private jttBroken(
    pop: JttPopulation,
    kind: 'expired' | 'forged',
    variants: readonly JttCodeVariant[],
  ): ScenarioFrame {
    const t = this.now();
    const variant = variants[this.jttTurns[kind]++ % variants.length]!;
    const r = this.prng.pick(pop.riders);
    const ts =
      variant === 'code-expired'
        ? this.nowSec(t) - this.validitySec - this.skewSec - this.prng.int(600, 7200)
        : this.nowSec(t);
    const c = pop.code(r, ts, this.validitySec, variant);
    const f = this.jttFrame(kind, kind, r, c.payload, c.codeId, variant);
    f.expect = { ...JTT_VARIANT_EXPECTATIONS[variant as Exclude<JttCodeVariant, 'valid'>] };
    return f;
  }

  private jttDenied(pop: JttPopulation): ScenarioFrame {
    const r = pop.deniedRiders[this.jttTurns.denied++ % pop.deniedRiders.length]!;
    const c = pop.code(r, this.nowSec(this.now()), this.validitySec);
    return this.jttFrame('denied', 'denied', r, c.payload, c.codeId, `by-${r.denied!}`);
  }

  private jttGarbage(pop: JttPopulation): ScenarioFrame {
    const encoding = this.jttEncoding();
    // A binary framer takes 3 + D bytes: a binary frame keeps its length, text may be cut short.
    const variants: readonly JttMalformedVariant[] =
      encoding === 'binary' ? JTT_MALFORMED_FULL_LENGTH : [...JTT_MALFORMED_FULL_LENGTH, 'truncated'];
    const variant = variants[this.jttTurns.garbage++ % variants.length]!;
    const r = this.prng.pick(pop.riders);
    const bytes = pop.malformed(r, this.nowSec(this.now()), this.validitySec, variant, this.prng);
    return {
      requested: 'garbage',
      scenario: 'garbage',
      variant,
      expect: { ...EXPECTATIONS.garbage },
      payload: encodeJtt(bytes, encoding),
      rider: r.id,
      format: 'jtt1179',
      encoding,
    };
  }

  /** The next frame(s): one, or two for a duplicate pair (a fresh valid code, then its resend). */
  next(): ScenarioFrame[] {
    return this.produce(this.pickKind());
  }

  pickKind(): ScenarioKind {
    let x = this.prng.next();
    for (const m of this.mix) {
      x -= m.weight;
      if (x < 0) return m.kind;
    }
    return this.mix[this.mix.length - 1]!.kind;
  }

  produce(kind: ScenarioKind): ScenarioFrame[] {
    switch (kind) {
      case 'valid':
        return [this.valid('valid')];
      case 'expired': {
        const jtt = this.jttTurn();
        return [jtt ? this.jttBroken(jtt, 'expired', JTT_EXPIRED) : this.expired()];
      }
      case 'forged': {
        const jtt = this.jttTurn();
        return [jtt ? this.jttBroken(jtt, 'forged', JTT_FORGED) : this.forged()];
      }
      case 'replayed':
        return [this.replayed()];
      case 'denied': {
        const jtt = this.jttTurn();
        return [jtt ? this.jttDenied(jtt) : this.denied()];
      }
      case 'wrong-mode':
        // A JT/T code carries no mode restriction (jtt1179-reading §4): always an FG1 credential.
        return [this.wrongMode()];
      case 'garbage': {
        const jtt = this.jttTurn();
        return [jtt ? this.jttGarbage(jtt) : this.garbage()];
      }
      case 'duplicate':
        return this.duplicate();
      case 'passback':
        // Needs journeys across gates (firmware-sim/journeys.ts); a lone scanner sends a valid code.
        return [this.valid('passback')];
    }
  }

  private nowSec(t: number): number {
    return Math.floor(t / 1000);
  }

  private codeFrame(
    requested: ScenarioKind,
    scenario: ScenarioKind,
    r: Rider,
    text: string,
    codeId: string,
    variant?: string,
  ): ScenarioFrame {
    const f: ScenarioFrame = {
      requested,
      scenario,
      expect: { ...EXPECTATIONS[scenario] },
      payload: Buffer.from(text, 'latin1'),
      codeId,
      sub: r.subHex,
      rider: r.id,
      format: 'fg1',
    };
    if (variant !== undefined) f.variant = variant;
    return f;
  }

  /** A regular rider of this mode not shown within the duplicate window (+ margin); adds one if none. */
  private freshRider(t: number): Rider {
    const riders = this.pop.riders;
    for (let i = 0; i < riders.length; i++) {
      const r = riders[(this.cursor + i) % riders.length]!;
      if (!allowsMode(r, this.modeBit)) continue;
      const last = this.lastUse.get(r.subHex);
      if (last !== undefined && t - last < this.dupMs + this.marginMs) continue;
      this.cursor = (this.cursor + i + 1) % riders.length;
      return r;
    }
    const r = this.pop.add({ modes: 3 });
    this.cursor = 0;
    return r;
  }

  private anyRiderOfMode(): Rider {
    const ok = this.pop.riders.filter((r) => allowsMode(r, this.modeBit));
    return ok.length ? this.prng.pick(ok) : this.pop.add({ modes: 3 });
  }

  private valid(requested: ScenarioKind, variant?: string): ScenarioFrame {
    const jtt = this.jttTurn();
    if (jtt) return this.jttValid(jtt, requested, variant);
    const t = this.now();
    const r = this.freshRider(t);
    const c = this.pop.code(r, this.nowSec(t));
    this.lastUse.set(r.subHex, t);
    const a: Accepted = { text: c.text, codeId: c.codeId, subHex: r.subHex, rider: r.id, at: t, format: 'fg1' };
    this.accepted.push(a);
    this.prune(t);
    return this.codeFrame(requested, 'valid', r, c.text, c.codeId, variant);
  }

  private prune(t: number): void {
    if (this.accepted.length > 0 && t - this.accepted[0]!.at > this.validityMs)
      this.accepted = this.accepted.filter((a) => t - a.at <= this.validityMs);
    if (this.accepted.length > 10_000) this.accepted = this.accepted.slice(-5_000);
  }

  private expired(): ScenarioFrame {
    const t = this.now();
    const r = this.anyRiderOfMode();
    const ts = this.nowSec(t) - this.validitySec - this.skewSec - this.prng.int(600, 7200);
    const c = this.pop.code(r, ts);
    return this.codeFrame('expired', 'expired', r, c.text, c.codeId);
  }

  private forged(): ScenarioFrame {
    const t = this.now();
    if (this.prng.chance(0.25)) {
      const r = this.pop.rogueRiders[this.rogueCursor++ % this.pop.rogueRiders.length]!;
      const c = this.pop.code(r, this.nowSec(t));
      const f = this.codeFrame('forged', 'forged', r, c.text, c.codeId, 'unknown-issuer');
      f.expect = { decision: 'reject', reason: 'unknown_key' };
      return f;
    }
    const r = this.anyRiderOfMode();
    const c = this.pop.code(r, this.nowSec(t), this.pop.forgerKey(r.alg));
    return this.codeFrame('forged', 'forged', r, c.text, c.codeId, 'bad-code-signature');
  }

  private replayed(): ScenarioFrame {
    const t = this.now();
    this.prune(t);
    const quiet = this.dupMs + this.marginMs;
    const candidates = this.accepted.filter((a) => {
      if (t - a.at < quiet || t - a.at > this.validityMs - this.marginMs) return false;
      const last = this.lastUse.get(a.subHex);
      return last === undefined || t - last >= quiet;
    });
    if (candidates.length === 0) return this.valid('replayed');
    const a = this.prng.pick(candidates);
    this.lastUse.set(a.subHex, t);
    return sentAgain('replayed', a);
  }

  private denied(): ScenarioFrame {
    const list = this.pop.deniedRiders;
    if (list.length === 0) return this.valid('denied');
    const r = list[this.deniedCursor++ % list.length]!;
    const c = this.pop.code(r, this.nowSec(this.now()));
    return this.codeFrame('denied', 'denied', r, c.text, c.codeId);
  }

  private wrongMode(): ScenarioFrame {
    const other = this.pop.riders.filter((r) => r.modes !== undefined && (r.modes & this.modeBit) === 0);
    const r = other.length ? this.prng.pick(other) : this.pop.add({ modes: this.otherModeBit });
    const c = this.pop.code(r, this.nowSec(this.now()));
    return this.codeFrame('wrong-mode', 'wrong-mode', r, c.text, c.codeId);
  }

  private duplicate(): ScenarioFrame[] {
    const t = this.now();
    const last = this.accepted[this.accepted.length - 1];
    const within = Math.min(1000, this.dupMs - this.marginMs);
    if (last && t - last.at < within) return [this.resend(last, 0)];
    const setup = this.valid('duplicate', 'setup');
    const a = this.accepted[this.accepted.length - 1]!;
    return [setup, this.resend(a, this.prng.int(100, Math.max(100, Math.min(500, within - 200))))];
  }

  private resend(a: Accepted, delayMs: number): ScenarioFrame {
    return sentAgain('duplicate', a, { delayMs });
  }

  private garbage(): ScenarioFrame {
    const x = this.prng.next();
    const base: Omit<ScenarioFrame, 'payload' | 'variant'> = {
      requested: 'garbage',
      scenario: 'garbage',
      expect: { ...EXPECTATIONS.garbage },
    };
    if (x < 0.5) {
      const n = this.prng.int(6, 80);
      return { ...base, variant: 'printable', payload: this.randomFrom(n, (b) => b >= 0x20 && b <= 0x7e) };
    }
    if (x < 0.7) {
      const alphabet = Buffer.from(BASE45_ALPHABET, 'latin1');
      const body = Buffer.alloc(this.prng.int(10, 200));
      for (let i = 0; i < body.length; i++) body[i] = alphabet[this.prng.int(0, alphabet.length - 1)]!;
      return { ...base, variant: 'fg1-junk', payload: Buffer.concat([Buffer.from('FG1:'), body]) };
    }
    const n = this.prng.int(4, 40);
    // Below 0x80: a frame beginning with a byte ≥ 0x80 is a binary JT/T frame to the scanner layer (§1).
    const head = this.randomFrom(1, (b) => b < 0x20 || b === 0x7f);
    return {
      ...base,
      variant: 'bytes',
      expect: { ...base.expect, droppable: true },
      payload: Buffer.concat([head, this.randomFrom(n - 1, () => true)]),
    };
  }

  /** A code that never reached the validator: not a candidate for replay or duplicate. */
  forget(codeId: string): void {
    this.accepted = this.accepted.filter((a) => a.codeId !== codeId);
  }

  /** `n` random bytes satisfying `ok` and not in the avoid set. */
  randomFrom(n: number, ok: (b: number) => boolean): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      let b: number;
      do b = this.prng.int(0, 255);
      while (!ok(b) || this.avoid.has(b));
      out[i] = b;
    }
    return out;
  }
}
