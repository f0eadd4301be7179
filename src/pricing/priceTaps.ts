/**
 * The fare engine: settled taps → priced journeys (docs/fares.md). A pure function of the taps
 * and the fare file: the taps are sorted (by `at`, then id) and grouped by account first, so the
 * same set in any order — late taps of a gate that was offline for a week included — gives
 * exactly the same journeys; a late tap re-prices its account's business day. Integer minor
 * units throughout; no I/O, no clock.
 *
 * Per account, in time order:
 * 1. Journeys. A bus `board` is a journey. A metro `in` opens one, closed by the account's next
 *    `out` within `metro.maxJourneyMinutes`; an entry not closed so (a later `in`, a bus ride, the
 *    time passed, or no more taps) is a missing exit; an `out` with no open entry is an exit
 *    without entry. An `out` at the entry station within `metro.reEntry.withinMinutes` is a
 *    re-entry.
 * 2. Gross fare: bus — the tap's `fare` (bus.useTapFare) or the route's / default fare; metro —
 *    the station pair, else the zone pair, else `maxFare.unknownPair`; a missing exit or an exit
 *    without entry — its max fare; a re-entry — its fee; a free-pass tap — 0.
 * 3. Concession of the profile (not on a tap's own fare, a re-entry fee or a free pass).
 * 4. Transfer: the first rule for (previous journey's mode → this one's) whose window, from the
 *    previous journey's end to this one's start, holds (not on max fares, re-entries, free passes).
 * 5. Per-trip cap: the credential's `cap` carried by the tap, when it is.
 * 6. Daily cap: what the account paid earlier that business day (journeys in time order) plus
 *    this journey is at most `dailyCap`.
 */
import type { Direction, Profile, ServiceMode } from '../domain/vocabulary.ts';
import { PROFILES, TAP_FLAGS } from '../domain/vocabulary.ts';
import { businessDayOf } from './businessDay.ts';
import type { FareFile, Reduction } from './fareFile.ts';
import { afterPercentOff, type Rounding } from './money.ts';

/** What the engine reads of a tap (a settlement-mqtt-v1 tap message has all of it). */
export interface PricingTap {
  id: string;
  deviceId: string;
  at: number;
  mode: ServiceMode;
  place: string;
  direction: Direction;
  /** The rider's account. */
  sub: string;
  profile: Profile;
  /** The validator's fare, minor units (a bus tap; a metro exit where the operator set one). */
  fare?: number;
  currency: string;
  flags?: string[];
  /** The credential's per-trip cap (qr-token-v1 `cap`), minor units, when the tap carries it. */
  cap?: number;
}

/** Flags of a journey (docs/fares.md). */
export const JOURNEY_FLAGS = {
  maxFareMissingExit: 'max_fare_missing_exit',
  exitWithoutEntry: 'exit_without_entry',
  reEntry: 're_entry',
  noFareForPair: 'no_fare_for_pair',
  tapFare: 'tap_fare',
  freePass: 'free_pass',
  concession: 'concession',
  transfer: 'transfer',
  cappedTrip: 'capped_trip',
  cappedDaily: 'capped_daily',
} as const;
export type JourneyFlag = (typeof JOURNEY_FLAGS)[keyof typeof JOURNEY_FLAGS];

/** One tap of a journey. */
export interface Leg {
  tapId: string;
  deviceId: string;
  place: string;
  direction: Direction;
  at: number;
}

export type DiscountKind = 'concession' | 'transfer' | 'trip_cap' | 'daily_cap';

export interface Discount {
  kind: DiscountKind;
  /** Minor units taken off (> 0). */
  amount: number;
}

export interface Journey {
  /** The id of its first tap. */
  id: string;
  account: string;
  profile: Profile;
  mode: ServiceMode;
  /** Route (bus) or entry station; undefined for an exit without entry. */
  from: string | undefined;
  /** Route (bus) or exit station; undefined for a missing exit. */
  to: string | undefined;
  /** Unix ms of the first tap / the last tap; undefined where that tap is missing. */
  start: number | undefined;
  end: number | undefined;
  /** The business day (YYYY-MM-DD) the journey counts on: its first tap's. */
  day: string;
  /** Its taps, in time order (one or two). */
  legs: Leg[];
  currency: string;
  gross: number;
  /** In the order they were applied; net = gross − their sum. */
  discounts: Discount[];
  net: number;
  flags: JourneyFlag[];
}

export interface PricingOptions {
  /**
   * The time the taps were read, Unix ms: an entry younger than `metro.maxJourneyMinutes` then
   * is still open (the rider may be on the train): it is left out of the journeys and counted in
   * `flags.open_entry`. Default: every unclosed entry is a missing exit.
   */
  asOf?: number;
}

export interface PricingResult {
  /**
   * Account by account (in the order of each account's first tap), each account's journeys in
   * time order: the same for the same set of taps, whatever order they came in.
   */
  journeys: Journey[];
  /**
   * Counts of every journey flag, plus taps in no journey: `other_currency`, `duplicate_id` (the
   * same id and time again: a replayed batch), `open_entry` (see {@link PricingOptions.asOf}).
   */
  flags: Record<string, number>;
}

/** The order of taps: by `at`, then id. */
function byTime(a: PricingTap, b: PricingTap): number {
  return a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function leg(t: PricingTap): Leg {
  return { tapId: t.id, deviceId: t.deviceId, place: t.place, direction: t.direction, at: t.at };
}

function reduce(amount: number, r: Reduction, rounding: Rounding): number {
  if ('percentOff' in r) return afterPercentOff(amount, r.percentOff, rounding);
  return Math.max(0, amount - r.amountOff);
}

/** The priced-fare lookups built once from a fare file. */
class FareTable {
  private readonly stationPairs = new Map<string, number>();
  private readonly zonePairs = new Map<string, number>();

  constructor(private readonly f: FareFile) {
    for (const p of f.metro.stationFares) this.stationPairs.set(pairKey(p.stations[0], p.stations[1]), p.amount);
    for (const p of f.metro.zoneFares) this.zonePairs.set(pairKey(p.zones[0], p.zones[1]), p.amount);
  }

  metro(from: string, to: string): number | undefined {
    const s = this.stationPairs.get(pairKey(from, to));
    if (s !== undefined) return s;
    const zf = this.f.metro.zones[from];
    const zt = this.f.metro.zones[to];
    return zf !== undefined && zt !== undefined ? this.zonePairs.get(pairKey(zf, zt)) : undefined;
  }

  bus(route: string): number {
    return this.f.bus.routes[route] ?? this.f.bus.default;
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

/** A journey before its discounts: what was ridden and its gross fare. */
interface Ride {
  first: PricingTap;
  legs: Leg[];
  mode: ServiceMode;
  from: string | undefined;
  to: string | undefined;
  start: number | undefined;
  end: number | undefined;
  gross: number;
  flags: JourneyFlag[];
  /** Concessions and transfers may apply (not to max fares, re-entry fees, free passes). */
  discountable: boolean;
  /** The concession may apply (not to a fare the validator already set per profile). */
  concessionable: boolean;
  cap: number | undefined;
}

function isFreePass(t: PricingTap): boolean {
  return t.flags?.includes(TAP_FLAGS.freePass) === true;
}

/** The smallest per-trip cap carried by the journey's taps. */
function capOf(taps: readonly PricingTap[]): number | undefined {
  let cap: number | undefined;
  for (const t of taps) if (t.cap !== undefined) cap = cap === undefined ? t.cap : Math.min(cap, t.cap);
  return cap;
}

/** Pairs one account's taps (in time order) into rides with their gross fares. */
function ridesOf(taps: readonly PricingTap[], f: FareFile, table: FareTable, opts: PricingOptions, counts: Counts) {
  const rides: Ride[] = [];
  const maxJourneyMs = f.metro.maxJourneyMinutes * 60_000;
  let open: PricingTap | undefined;

  const missingExit = (entry: PricingTap): void => {
    const free = isFreePass(entry);
    rides.push({
      first: entry,
      legs: [leg(entry)],
      mode: 'metro',
      from: entry.place,
      to: undefined,
      start: entry.at,
      end: undefined,
      gross: free ? 0 : f.metro.maxFare.missingExit,
      flags: free ? [JOURNEY_FLAGS.maxFareMissingExit, JOURNEY_FLAGS.freePass] : [JOURNEY_FLAGS.maxFareMissingExit],
      discountable: false,
      concessionable: false,
      cap: capOf([entry]),
    });
  };

  for (const t of taps) {
    if (open && t.at - open.at > maxJourneyMs) {
      missingExit(open);
      open = undefined;
    }
    if (t.mode === 'bus' || t.direction === 'board') {
      if (open) {
        missingExit(open);
        open = undefined;
      }
      const flags: JourneyFlag[] = [];
      let gross: number;
      let concessionable = true;
      if (isFreePass(t)) {
        gross = 0;
        flags.push(JOURNEY_FLAGS.freePass);
      } else if (f.bus.useTapFare && t.fare !== undefined) {
        gross = t.fare;
        concessionable = false;
        flags.push(JOURNEY_FLAGS.tapFare);
      } else gross = table.bus(t.place);
      rides.push({
        first: t,
        legs: [leg(t)],
        mode: 'bus',
        from: t.place,
        to: t.place,
        start: t.at,
        end: t.at,
        gross,
        flags,
        discountable: !isFreePass(t),
        concessionable,
        cap: capOf([t]),
      });
    } else if (t.direction === 'in') {
      if (open) missingExit(open);
      open = t;
    } else {
      // a metro exit
      if (!open) {
        const free = isFreePass(t);
        rides.push({
          first: t,
          legs: [leg(t)],
          mode: 'metro',
          from: undefined,
          to: t.place,
          start: undefined,
          end: t.at,
          gross: free ? 0 : f.metro.maxFare.exitWithoutEntry,
          flags: free ? [JOURNEY_FLAGS.exitWithoutEntry, JOURNEY_FLAGS.freePass] : [JOURNEY_FLAGS.exitWithoutEntry],
          discountable: false,
          concessionable: false,
          cap: capOf([t]),
        });
        continue;
      }
      const entry = open;
      open = undefined;
      const flags: JourneyFlag[] = [];
      let gross: number;
      let discountable = true;
      const reEntry = f.metro.reEntry;
      if (isFreePass(entry) || isFreePass(t)) {
        gross = 0;
        discountable = false;
        flags.push(JOURNEY_FLAGS.freePass);
      } else if (reEntry && entry.place === t.place && t.at - entry.at <= reEntry.withinMinutes * 60_000) {
        gross = reEntry.fee;
        discountable = false;
        flags.push(JOURNEY_FLAGS.reEntry);
      } else {
        const amount = table.metro(entry.place, t.place);
        if (amount !== undefined) gross = amount;
        else {
          gross = f.metro.maxFare.unknownPair ?? f.metro.maxFare.missingExit;
          discountable = false;
          flags.push(JOURNEY_FLAGS.noFareForPair);
        }
      }
      rides.push({
        first: entry,
        legs: [leg(entry), leg(t)],
        mode: 'metro',
        from: entry.place,
        to: t.place,
        start: entry.at,
        end: t.at,
        gross,
        flags,
        discountable,
        concessionable: discountable,
        cap: capOf([entry, t]),
      });
    }
  }
  if (open) {
    if (opts.asOf !== undefined && opts.asOf - open.at <= maxJourneyMs) counts.add('open_entry');
    else missingExit(open);
  }
  return rides;
}

class Counts {
  readonly byFlag: Record<string, number> = {};
  add(flag: string, n = 1): void {
    this.byFlag[flag] = (this.byFlag[flag] ?? 0) + n;
  }
}

/** Prices the taps by the fare file (module comment: the rules and their order). */
export function priceTaps(taps: readonly PricingTap[], fares: FareFile, opts: PricingOptions = {}): PricingResult {
  const counts = new Counts();
  const table = new FareTable(fares);
  const dayOf = businessDayOf(fares.businessDay.timeZone, fares.businessDay.start);
  const concessions = fares.concessions as Partial<Record<string, Reduction>>;

  const sorted = taps.filter((t) => {
    if (t.currency === fares.currency) return true;
    counts.add('other_currency');
    return false;
  });
  sorted.sort(byTime);
  const byAccount = new Map<string, PricingTap[]>();
  let last: PricingTap | undefined;
  for (const t of sorted) {
    // A tap delivered twice (a replayed batch) sorts next to itself: priced once.
    if (last !== undefined && last.id === t.id && last.at === t.at) {
      counts.add('duplicate_id');
      continue;
    }
    last = t;
    let list = byAccount.get(t.sub);
    if (!list) byAccount.set(t.sub, (list = []));
    list.push(t);
  }

  const journeys: Journey[] = [];
  for (const [account, list] of byAccount) {
    const rides = ridesOf(list, fares, table, opts, counts);
    // Charge order: by the time of the journey's first tap (rides of one account are built in
    // the order of the taps that closed them; a missing exit is closed late).
    rides.sort((a, b) => byTime(a.first, b.first));
    const paidOn = new Map<string, number>();
    let previous: Ride | undefined;
    for (const r of rides) {
      const flags = [...r.flags];
      const discounts: Discount[] = [];
      let amount = r.gross;
      const take = (kind: DiscountKind, to: number): void => {
        if (to < amount) {
          discounts.push({ kind, amount: amount - to });
          amount = to;
        }
      };
      const name = PROFILES[r.first.profile];
      const concession = name !== undefined ? concessions[name] : undefined;
      if (r.discountable && r.concessionable && concession) {
        const before = amount;
        take('concession', reduce(amount, concession, fares.rounding));
        if (amount < before) flags.push(JOURNEY_FLAGS.concession);
      }
      if (r.discountable && r.start !== undefined && previous?.end !== undefined && previous.discountable) {
        const gap = r.start - previous.end;
        const rule = fares.transfers.find(
          (x) => x.from === previous!.mode && x.to === r.mode && gap >= 0 && gap <= x.withinMinutes * 60_000,
        );
        if (rule) {
          const before = amount;
          take('transfer', reduce(amount, rule, fares.rounding));
          if (amount < before) flags.push(JOURNEY_FLAGS.transfer);
        }
      }
      if (r.cap !== undefined && amount > r.cap) {
        take('trip_cap', r.cap);
        flags.push(JOURNEY_FLAGS.cappedTrip);
      }
      const day = dayOf(r.first.at);
      if (fares.dailyCap !== undefined) {
        const paid = paidOn.get(day) ?? 0;
        if (paid + amount > fares.dailyCap) {
          take('daily_cap', Math.max(0, fares.dailyCap - paid));
          flags.push(JOURNEY_FLAGS.cappedDaily);
        }
        paidOn.set(day, paid + amount);
      }
      for (const fl of flags) counts.add(fl);
      journeys.push({
        id: r.first.id,
        account,
        profile: r.first.profile,
        mode: r.mode,
        from: r.from,
        to: r.to,
        start: r.start,
        end: r.end,
        day,
        legs: r.legs,
        currency: fares.currency,
        gross: r.gross,
        discounts,
        net: amount,
        flags,
      });
      previous = r;
    }
  }
  return { journeys, flags: counts.byFlag };
}
