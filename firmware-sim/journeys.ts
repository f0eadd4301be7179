/**
 * JourneyModel: one population of riders travelling between several validators (a bus reader,
 * metro entry and exit gates at several stations), and what each validator should answer them.
 *
 * Riders make journeys: they enter the metro at one station, leave at another, come back later
 * from there, ride the bus. The model keeps what each validator itself knows (every validator has
 * its own store, replay memory and entry memory; nothing is shared between them), so its labels
 * hold under the rules of src/policy and qr-token-v1 §4:
 * - duplicate window and replay memory: per validator, accepted codes only;
 * - anti-passback (metro `in` gates): an entry accepted at this gate within
 *   `antiPassbackSeconds` refuses the next one (`anti_passback`); a refusal is not an entry;
 * - exit matching (metro `out` gates): an exit is flagged `no_entry` unless this gate's own store
 *   holds an entry of the rider (it never does for a gate that only lets riders out).
 * Time windows keep a margin (`marginMs`) on both sides, for transport latency.
 *
 * Token-level rejects (expired, forged, denied, wrong-mode, garbage) come from a per-gate
 * ScenarioGenerator over the same population: they do not depend on journeys.
 */
import type { Direction, ServiceMode as Mode } from '../src/domain/vocabulary.ts';
import { FLAG_NO_ENTRY } from '../src/policy/gatePolicy.ts';
import { allowsMode, MODE_BUS, MODE_METRO, PROFILE_NAMES, type Population, type Rider } from './population.ts';
import type { Prng } from './prng.ts';
import { encodeJtt, type JttEncoding, type JttRider } from './jttRiders.ts';
import {
  EXPECTATIONS,
  parseMix,
  ScenarioGenerator,
  sentAgain,
  type Accepted,
  type FrameSource,
  type JttTraffic,
  type Mix,
  type ScenarioFrame,
  type ScenarioKind,
} from './scenarios.ts';
import { SETTING_DEFAULTS } from '../src/config/schema.ts';

export interface JourneyGate {
  /** The validator's deviceId. */
  id: string;
  mode: Mode;
  /** Route (bus) or station (metro). */
  place: string;
  direction: Direction;
  /** JT/T 1179 riders at this gate (bus gates only: JT/T riders ride the bus); needs `population.jtt`. */
  jtt?: JttTraffic;
}

export interface JourneyOptions {
  population: Population;
  prng: Prng;
  gates: JourneyGate[];
  mix: Mix | string;
  now?: () => number;
  /** The metro gates' `policy.antiPassbackSeconds` (default 600). */
  antiPassbackSeconds?: number;
  /** The metro gates' `policy.maxJourneySeconds` (default 14 400). */
  maxJourneySeconds?: number;
  duplicateWindowSec?: number;
  codeValiditySec?: number;
  skewSec?: number;
  /** Safety margin on every time window (default 1000 ms). */
  marginMs?: number;
  /** Shortest ride between an entry and an exit (default 5000 ms); each ride lasts 1–4 times this. */
  minRideMs?: number;
  avoidBytes?: Iterable<number>;
}

/** What one validator knows: its own accepted codes, riders' last acceptance, entries in its store. */
interface GateMemory {
  gate: JourneyGate;
  accepted: Accepted[];
  lastAccept: Map<string, number>;
  entries: Map<string, number>;
  tokenRejects: ScenarioGenerator;
  cursor: number;
  jttCursor: number;
  jttPrng: Prng;
}

/** Where a rider is: in the street (last seen at a station or route), or inside the metro since an entry. */
interface Whereabouts {
  inside?: { station: string; gate: string; since: number; rideMs: number };
  lastStation?: string;
}

export class JourneyModel {
  private readonly pop: Population;
  private readonly prng: Prng;
  private readonly mix: Mix;
  private readonly now: () => number;
  private readonly dupMs: number;
  private readonly validityMs: number;
  private readonly windowMs: number;
  private readonly maxJourneyMs: number;
  private readonly marginMs: number;
  private readonly minRideMs: number;
  private readonly gates = new Map<string, GateMemory>();
  private readonly where = new Map<string, Whereabouts>();

  constructor(o: JourneyOptions) {
    this.pop = o.population;
    this.prng = o.prng;
    this.mix = typeof o.mix === 'string' ? parseMix(o.mix) : o.mix;
    this.now = o.now ?? Date.now;
    this.dupMs = (o.duplicateWindowSec ?? SETTING_DEFAULTS.token.duplicateWindow) * 1000;
    this.validityMs = (o.codeValiditySec ?? SETTING_DEFAULTS.token.codeValidity) * 1000;
    this.windowMs = (o.antiPassbackSeconds ?? SETTING_DEFAULTS.policy.antiPassbackSeconds) * 1000;
    this.maxJourneyMs = (o.maxJourneySeconds ?? SETTING_DEFAULTS.policy.maxJourneySeconds) * 1000;
    this.marginMs = o.marginMs ?? 1000;
    this.minRideMs = o.minRideMs ?? 5000;
    for (const g of o.gates) {
      if (this.gates.has(g.id)) throw new Error(`gate ${g.id} given twice`);
      const sc: ConstructorParameters<typeof ScenarioGenerator>[0] = {
        population: this.pop,
        prng: o.prng.fork(`gate/${g.id}`),
        mode: g.mode,
        mix: this.mix,
        now: this.now,
      };
      if (o.avoidBytes !== undefined) sc.avoidBytes = o.avoidBytes;
      if (o.duplicateWindowSec !== undefined) sc.duplicateWindowSec = o.duplicateWindowSec;
      if (o.codeValiditySec !== undefined) sc.codeValiditySec = o.codeValiditySec;
      if (o.skewSec !== undefined) sc.skewSec = o.skewSec;
      if (o.marginMs !== undefined) sc.marginMs = o.marginMs;
      if (g.jtt && g.jtt.share > 0) {
        if (g.mode !== 'bus') throw new Error(`gate ${g.id}: JT/T riders ride the bus only (the journey model)`);
        sc.jtt = g.jtt;
      }
      this.gates.set(g.id, {
        gate: g,
        accepted: [],
        lastAccept: new Map(),
        entries: new Map(),
        tokenRejects: new ScenarioGenerator(sc),
        cursor: 0,
        jttCursor: 0,
        jttPrng: o.prng.fork(`gate/${g.id}/journey-jtt`),
      });
    }
  }

  /** The frames of one gate's scanner. */
  source(gateId: string): FrameSource {
    const m = this.gates.get(gateId);
    if (!m) throw new Error(`unknown gate ${gateId}`);
    return {
      next: () => this.next(m),
      forget: (codeId) => this.forget(m, codeId),
      randomFrom: (n, ok) => m.tokenRejects.randomFrom(n, ok),
    };
  }

  /** Riders inside the metro now (entered, not yet left). */
  get insideCount(): number {
    let n = 0;
    for (const w of this.where.values()) if (w.inside) n++;
    return n;
  }

  private next(m: GateMemory): ScenarioFrame[] {
    const kind = this.pickKind();
    switch (kind) {
      case 'valid':
        return [this.valid(m, 'valid')];
      case 'passback':
        return [this.passback(m)];
      case 'replayed':
        return [this.replayed(m)];
      case 'duplicate':
        return this.duplicate(m);
      default:
        return m.tokenRejects.produce(kind);
    }
  }

  private pickKind(): ScenarioKind {
    let x = this.prng.next();
    for (const k of this.mix) {
      x -= k.weight;
      if (x < 0) return k.kind;
    }
    return this.mix[this.mix.length - 1]!.kind;
  }

  /** Where the rider is (an empty record for riders the demo has not seen: street, no station). */
  private whereabouts(r: Rider): Whereabouts {
    return this.where.get(r.id) ?? {};
  }

  private moved(r: Rider): Whereabouts {
    let w = this.where.get(r.id);
    if (!w) this.where.set(r.id, (w = {}));
    return w;
  }

  /** Not accepted at this gate within the duplicate window (+ margin). */
  private quietAt(m: GateMemory, r: Rider, t: number): boolean {
    const last = m.lastAccept.get(r.subHex);
    return last === undefined || t - last >= this.dupMs + this.marginMs;
  }

  private modeBit(m: GateMemory): number {
    return m.gate.mode === 'bus' ? MODE_BUS : MODE_METRO;
  }

  /** The first rider (round robin from the gate's cursor) that passes `ok`, trying `preferred` first. */
  private findRider(m: GateMemory, ok: (r: Rider) => boolean, preferred?: (r: Rider) => boolean): Rider | undefined {
    const riders = this.pop.riders;
    const passes = preferred ? [preferred, undefined] : [undefined];
    for (const pref of passes) {
      for (let i = 0; i < riders.length; i++) {
        const idx = (m.cursor + i) % riders.length;
        const r = riders[idx]!;
        if (!allowsMode(r, this.modeBit(m)) || !ok(r) || (pref && !pref(r))) continue;
        m.cursor = (idx + 1) % riders.length;
        return r;
      }
    }
    return undefined;
  }

  private frame(
    requested: ScenarioKind,
    scenario: ScenarioKind,
    r: Rider,
    text: string,
    codeId: string,
    story?: string,
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
    if (story !== undefined) f.story = story;
    if (variant !== undefined) f.variant = variant;
    return f;
  }

  private secondsAgo(t: number, at: number): string {
    return `${Math.round((t - at) / 1000)} s ago`;
  }

  /** A JT/T rider's fresh code on the bus: a rider not accepted at this gate within the duplicate window. */
  private jttValid(m: GateMemory, requested: ScenarioKind, variant?: string): ScenarioFrame {
    const t = this.now();
    const pop = this.pop.jtt!;
    let r: JttRider | undefined;
    for (let i = 0; i < pop.riders.length && !r; i++) {
      const x = pop.riders[(m.jttCursor + i) % pop.riders.length]!;
      const last = m.lastAccept.get(x.subHex);
      if (last === undefined || t - last >= this.dupMs + this.marginMs) {
        r = x;
        m.jttCursor = (m.jttCursor + i + 1) % pop.riders.length;
      }
    }
    r ??= pop.add();
    const encodings = m.gate.jtt?.encodings?.length ? m.gate.jtt.encodings : (['hex'] as const);
    const encoding: JttEncoding = encodings.length === 1 ? encodings[0]! : m.jttPrng.pick(encodings);
    const c = pop.code(r, Math.floor(t / 1000), this.validityMs / 1000);
    const f: ScenarioFrame = {
      requested,
      scenario: 'valid',
      expect: { ...EXPECTATIONS.valid },
      payload: encodeJtt(c.payload, encoding),
      codeId: c.codeId,
      sub: r.subHex,
      rider: r.id,
      story: 'boards the bus (JT/T code)',
      format: 'jtt1179',
      encoding,
    };
    if (variant !== undefined) f.variant = variant;
    this.accepted(m, {
      text: f.payload.toString('latin1'),
      codeId: c.codeId,
      subHex: r.subHex,
      rider: r.id,
      at: t,
      format: 'jtt1179',
      encoding,
    });
    return f;
  }

  /** A fresh code that this gate accepts, from a rider whose journey allows it; the model moves the rider. */
  private valid(m: GateMemory, requested: ScenarioKind, variant?: string): ScenarioFrame {
    const t = this.now();
    const g = m.gate;
    if (g.jtt && g.jtt.share > 0 && this.pop.jtt && m.jttPrng.chance(g.jtt.share))
      return this.jttValid(m, requested, variant);
    let r: Rider | undefined;
    let story: string | undefined;
    if (g.mode === 'bus') {
      r = this.findRider(m, (x) => !this.whereabouts(x).inside && this.quietAt(m, x, t));
      story = r ? `boards the bus (${PROFILE_NAMES[r.profile] ?? 'adult'})` : undefined;
    } else if (g.direction === 'in') {
      // Riders come back from where they left the metro (or start here): nobody leaves at B and enters at A at once.
      const free = (x: Rider) => {
        const w = this.whereabouts(x);
        const e = m.entries.get(x.subHex);
        return (
          !w.inside &&
          (w.lastStation === undefined || w.lastStation === g.place) &&
          this.quietAt(m, x, t) &&
          (e === undefined || t - e >= this.windowMs + this.marginMs)
        );
      };
      r = this.findRider(m, free, (x) => this.whereabouts(x).lastStation === g.place);
      const back = r && this.whereabouts(r).lastStation === g.place;
      story = back ? `came back to ${g.place}, enters` : `enters at ${g.place}`;
    } else {
      const rode = (x: Rider) => {
        const w = this.whereabouts(x).inside;
        return w !== undefined && t - w.since >= w.rideMs && this.quietAt(m, x, t);
      };
      r = this.findRider(m, rode, (x) => this.whereabouts(x).inside!.station !== g.place);
      // Busy exit: whoever has been inside a little while, rather than nobody.
      r ??= this.findRider(m, (x) => {
        const w = this.whereabouts(x).inside;
        return w !== undefined && t - w.since >= 2000 && this.quietAt(m, x, t);
      });
      if (r) {
        const w = this.whereabouts(r).inside!;
        story = `entered ${w.station} ${this.secondsAgo(t, w.since)}, leaves`;
      } else {
        // Nobody has ridden long enough yet: a rider no gate has seen came in before the demo started.
        r = this.findRider(m, (x) => !this.where.has(x.id));
        story = 'entered before the demo, leaves';
      }
    }
    if (!r) {
      r = this.pop.add({ modes: MODE_BUS | MODE_METRO });
      story =
        g.mode === 'bus'
          ? `new rider boards the bus (${PROFILE_NAMES[r.profile] ?? 'adult'})`
          : g.direction === 'in'
            ? `new rider enters at ${g.place}`
            : 'entered before the demo, leaves';
    }
    const c = this.pop.code(r, Math.floor(t / 1000));
    const f = this.frame(requested, 'valid', r, c.text, c.codeId, story, variant);
    const flags = this.tapFlags(m, r, t);
    if (flags.length) f.expect.flags = flags;
    this.accepted(m, { text: c.text, codeId: c.codeId, subHex: r.subHex, rider: r.id, at: t, format: 'fg1' });
    const w = this.moved(r);
    if (g.mode === 'metro' && g.direction === 'in') {
      m.entries.set(r.subHex, t);
      w.inside = { station: g.place, gate: g.id, since: t, rideMs: this.prng.int(this.minRideMs, 4 * this.minRideMs) };
    } else if (g.mode === 'metro') {
      m.entries.delete(r.subHex);
      delete w.inside;
      w.lastStation = g.place;
    }
    return f;
  }

  /** The flags this gate puts on an accepted tap (src/policy/gatePolicy.ts `admit`). */
  private tapFlags(m: GateMemory, r: Rider, t: number): string[] {
    if (m.gate.mode !== 'metro' || m.gate.direction !== 'out') return [];
    const e = m.entries.get(r.subHex);
    return e !== undefined && t - e <= this.maxJourneyMs - this.marginMs ? [] : [FLAG_NO_ENTRY];
  }

  private accepted(m: GateMemory, a: Accepted): void {
    m.accepted.push(a);
    m.lastAccept.set(a.subHex, a.at);
    const t = a.at;
    if (t - m.accepted[0]!.at > this.validityMs) m.accepted = m.accepted.filter((x) => t - x.at <= this.validityMs);
    if (m.accepted.length > 10_000) m.accepted = m.accepted.slice(-5_000);
  }

  /** A rider who entered here and has not left tries to enter again, within the anti-passback window. */
  private passback(m: GateMemory): ScenarioFrame {
    const t = this.now();
    const g = m.gate;
    if (g.mode !== 'metro' || g.direction !== 'in') return this.valid(m, 'passback');
    const r = this.findRider(m, (x) => {
      const w = this.whereabouts(x).inside;
      const e = m.entries.get(x.subHex);
      return (
        w?.gate === g.id &&
        e !== undefined &&
        t - e >= this.dupMs + this.marginMs &&
        t - e <= this.windowMs - this.marginMs &&
        this.quietAt(m, x, t)
      );
    });
    if (!r) return this.valid(m, 'passback');
    const c = this.pop.code(r, Math.floor(t / 1000));
    return this.frame(
      'passback',
      'passback',
      r,
      c.text,
      c.codeId,
      `entered here ${this.secondsAgo(t, m.entries.get(r.subHex)!)}, again`,
    );
  }

  /** A code this gate accepted a while ago (beyond the duplicate window, within its validity), shown again. */
  private replayed(m: GateMemory): ScenarioFrame {
    const t = this.now();
    const quiet = this.dupMs + this.marginMs;
    const candidates = m.accepted.filter((a) => {
      if (t - a.at < quiet || t - a.at > this.validityMs - this.marginMs) return false;
      const last = m.lastAccept.get(a.subHex);
      return last === undefined || t - last >= quiet;
    });
    if (candidates.length === 0) return this.valid(m, 'replayed');
    const a = this.prng.pick(candidates);
    return sentAgain('replayed', a, { story: `code used here ${this.secondsAgo(t, a.at)}` });
  }

  /** The last code this gate accepted, again within 1 s (a fresh valid code first if there is none). */
  private duplicate(m: GateMemory): ScenarioFrame[] {
    const t = this.now();
    const within = Math.min(1000, this.dupMs - this.marginMs);
    const last = m.accepted[m.accepted.length - 1];
    const resend = (a: Accepted, delayMs: number): ScenarioFrame =>
      sentAgain('duplicate', a, { delayMs, story: 'same code read twice' });
    if (last && t - last.at < within) return [resend(last, 0)];
    const setup = this.valid(m, 'duplicate', 'setup');
    const a = m.accepted[m.accepted.length - 1]!;
    return [setup, resend(a, this.prng.int(100, Math.max(100, Math.min(500, within - 200))))];
  }

  private forget(m: GateMemory, codeId: string): void {
    m.accepted = m.accepted.filter((a) => a.codeId !== codeId);
  }
}
