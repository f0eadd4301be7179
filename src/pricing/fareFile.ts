/**
 * The fare file: how the backend prices journeys (docs/fares.md). One zod schema, a description
 * on every field (the docs are written from them); amounts are integers in the currency's minor
 * unit. Pure: parsing text and reading files is src/fare/loadFareFile.ts.
 */
import { z } from 'zod';
import { PROFILES, SERVICE_MODES } from '../domain/vocabulary.ts';
import { FaregateError } from '../errors/faregateError.ts';

const minor = z.number().int().nonnegative();
const minutes = z.number().int().nonnegative();

/** A percentage off (0..100, at most two decimals: 12.5 is allowed) or a fixed amount off. */
const Reduction = z.union([
  z.strictObject({
    percentOff: z
      .number()
      .min(0)
      .max(100)
      .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, { message: 'at most two decimals' })
      .describe('percent taken off the amount (0..100, two decimals at most); the rest is rounded by `rounding`'),
  }),
  z.strictObject({ amountOff: minor.describe('minor units taken off the amount (never below 0)') }),
]);
export type Reduction = z.infer<typeof Reduction>;

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const BusFares = z
  .strictObject({
    useTapFare: z
      .boolean()
      .default(true)
      .describe(
        "take a bus tap's `fare` (the validator's flat fare for the profile, already capped by the credential) " +
          'as the gross fare when the tap carries one; concessions are then not applied again',
      ),
    default: minor.describe('gross fare of a bus ride on a route not listed in `routes` (and of a tap without a fare)'),
    routes: z
      .record(z.string().min(1), minor)
      .default({})
      .describe('gross fare by route id (the tap `place`), for the adult profile'),
  })
  .describe('bus rides: one tap (`board`) is one journey');

const ZonePair = z.strictObject({
  zones: z
    .tuple([z.string().min(1), z.string().min(1)])
    .describe(
      'the two zones (either order: the price is the same both ways); the same zone twice for a ride within it',
    ),
  amount: minor.describe('gross adult fare between the two zones'),
});

const StationPair = z.strictObject({
  stations: z
    .tuple([z.string().min(1), z.string().min(1)])
    .describe('the two stations (either order); a pair here takes precedence over the zone fare'),
  amount: minor.describe('gross adult fare between the two stations'),
});

const MetroFares = z
  .strictObject({
    zones: z
      .record(z.string().min(1), z.string().min(1))
      .default({})
      .describe('zone of each station: station id (the tap `place`) → zone name'),
    zoneFares: z.array(ZonePair).default([]).describe('gross fare by pair of zones'),
    stationFares: z
      .array(StationPair)
      .default([])
      .describe('gross fare by pair of stations (a station-pair matrix); checked before the zones'),
    maxJourneyMinutes: minutes
      .min(1)
      .default(180)
      .describe('an entry with no exit of the same account within this many minutes is a missing exit'),
    maxFare: z
      .strictObject({
        missingExit: minor.describe('charged for an entry with no exit (flag `max_fare_missing_exit`)'),
        exitWithoutEntry: minor.describe('charged for an exit with no entry (flag `exit_without_entry`)'),
        unknownPair: minor
          .optional()
          .describe(
            'charged for a journey whose stations have no fare (flag `no_fare_for_pair`); default: missingExit',
          ),
      })
      .describe('maximum fares, charged when a journey cannot be priced from its two ends'),
    reEntry: z
      .strictObject({
        withinMinutes: minutes.describe('an exit at the entry station within this many minutes is a re-entry'),
        fee: minor.default(0).describe('charged for a re-entry (0: free), as it is: no concession, no transfer'),
      })
      .optional()
      .describe('a rider who taps out where they tapped in, soon after (they changed their mind); flag `re_entry`'),
  })
  .describe('metro journeys: an `in` tap and the next `out` tap of the same account');

const Transfer = z
  .strictObject({
    from: z.enum(SERVICE_MODES).describe('mode of the previous journey'),
    to: z.enum(SERVICE_MODES).describe('mode of the journey discounted (the second leg)'),
    withinMinutes: minutes.describe("the second journey starts at most this many minutes after the previous one's end"),
  })
  .and(Reduction)
  .describe('a discount off the second of two journeys (flag `transfer`)');

export const FareFileSchema = z
  .strictObject({
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code (3 capital letters)')
      .describe('ISO 4217 code; taps in another currency are not priced (counted as `other_currency`)'),
    exponent: z
      .number()
      .int()
      .min(0)
      .max(4)
      .default(2)
      .describe('digits of the minor unit (2: 160.00 CNY is 16000 minor units)'),
    rounding: z
      .enum(['half_up', 'half_even', 'down'])
      .default('half_up')
      .describe('how a percentage that leaves a fraction of a minor unit is rounded to whole minor units'),
    businessDay: z
      .strictObject({
        start: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)')
          .default('04:30')
          .describe('local time a business day starts (a journey before it belongs to the day before)'),
        timeZone: z
          .string()
          .refine(validTimeZone, 'must be an IANA time zone (e.g. Asia/Shanghai)')
          .default('Asia/Shanghai')
          .describe('IANA time zone of the business day'),
      })
      .default({ start: '04:30', timeZone: 'Asia/Shanghai' })
      .describe('the day a daily cap counts over'),
    bus: BusFares,
    metro: MetroFares,
    transfers: z
      .array(Transfer)
      .default([])
      .describe('transfer discounts; the first that matches the two modes applies'),
    dailyCap: minor
      .optional()
      .describe('most an account pays in one business day (flag `capped_daily`); absent: no cap'),
    concessions: z
      .partialRecord(z.enum(PROFILES), Reduction)
      .default({})
      .describe('reduction by profile name (adult, child, student, senior, disabled, staff); flag `concession`'),
  })
  .superRefine((f, ctx) => {
    for (const p of zoneProblems(f)) ctx.addIssue({ code: 'custom', ...p });
  })
  .describe('a faregate fare file (docs/fares.md)');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A zone fare naming a zone no station is in. Read from the file as given, so that it is listed
 * even when other fields are wrong (zod skips a refinement over an object that failed).
 */
function zoneProblems(input: unknown): { path: (string | number)[]; message: string }[] {
  const metro = isObject(input) ? input.metro : undefined;
  if (!isObject(metro)) return [];
  const zones = new Set(isObject(metro.zones) ? Object.values(metro.zones) : []);
  const out: { path: (string | number)[]; message: string }[] = [];
  (Array.isArray(metro.zoneFares) ? metro.zoneFares : []).forEach((p: unknown, i) => {
    const named = isObject(p) && Array.isArray(p.zones) ? (p.zones as unknown[]) : [];
    named.forEach((z, j) => {
      if (typeof z === 'string' && z !== '' && !zones.has(z))
        out.push({ path: ['metro', 'zoneFares', i, 'zones', j], message: `zone ${z} has no station in metro.zones` });
    });
  });
  return out;
}

/** Every problem of a fare file that failed its checks, `path: message`, the zone check included. */
function problemLines(input: unknown, issues: readonly { path: PropertyKey[]; message: string }[]): string[] {
  const line = (path: PropertyKey[], message: string) => `${path.length ? path.join('.') : '(root)'}: ${message}`;
  const lines = issues.map((i) => line(i.path, i.message));
  for (const p of zoneProblems(input)) {
    const l = line(p.path, p.message);
    if (!lines.includes(l)) lines.push(l);
  }
  return lines;
}

/** The fare file as given (before defaults). */
export type FareFileInput = z.input<typeof FareFileSchema>;
/** The fare file with its defaults filled in. */
export type FareFile = z.infer<typeof FareFileSchema>;

/** One line per problem, `path: message` (`metro.maxFare.missingExit: Invalid input…`). */
export function fareFileProblems(input: unknown): string[] {
  const r = FareFileSchema.safeParse(input);
  if (r.success) return [];
  return problemLines(input, r.error.issues);
}

/** The fare file checked, defaults filled in; throws an Error listing every problem otherwise. */
export function parseFareFile(input: unknown, name = 'fare file'): FareFile {
  const r = FareFileSchema.safeParse(input);
  if (r.success) return r.data;
  const lines = problemLines(input, r.error.issues).map((l) => `  ${l}`);
  const message = `${name}: ${lines.length} problem${lines.length === 1 ? '' : 's'}\n${lines.join('\n')}`;
  throw new FaregateError('FARE_FILE_INVALID', message);
}
