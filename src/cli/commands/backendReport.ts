/**
 * `faregate backend report`: the settled taps priced into journeys by a fare file (docs/fares.md)
 * and summed per business day, device, station pair or profile; amounts as currency
 * (`160.00 CNY`), profiles by name, journey flags counted. A table by default; `--json` (one
 * document) and `--csv` (a header, then one line per row) for clearing tools. The taps are
 * priced every time it runs, so a late tap re-prices its day.
 */
import { z } from 'zod';
import type { DeviceCounters } from '../../backend/backendStore.ts';
import { PgStore, PgTapReader } from '../../backend/pgStore.ts';
import { isPostgresUrl, redactDbUrl } from '../../backend/settlementStore.ts';
import { SqliteTapReader, type TapRange, type TapReader } from '../../backend/tapReader.ts';
import { PROFILES } from '../../domain/vocabulary.ts';
import { errorMessage, FaregateError, isFaregateError, systemErrorCode } from '../../errors/faregateError.ts';
import { exampleFareFilePath, loadFareFile } from '../../fare/loadFareFile.ts';
import type { FareFile } from '../../pricing/fareFile.ts';
import { decimal, money } from '../../pricing/money.ts';
import { JOURNEY_FLAGS, priceTaps, type Journey } from '../../pricing/priceTaps.ts';
import type { CliIo } from '../io.ts';
import { BACKEND_REPORT } from '../spec/backendReport.ts';
import { table } from '../table.ts';
import { parseCommand, UsageError } from '../usage.ts';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day, YYYY-MM-DD')
  .refine((d) => {
    const t = Date.parse(`${d}T00:00:00Z`);
    return Number.isFinite(t) && new Date(t).toISOString().startsWith(d);
  }, 'is not a calendar day');

const ReportArgs = z
  .object({
    db: z.string({ error: 'is required' }).min(1),
    fares: z.string().min(1).optional(),
    from: day.optional(),
    to: day.optional(),
    by: z.enum(['day', 'device', 'station-pair', 'profile', 'format']),
    json: z.boolean().default(false),
    csv: z.boolean().default(false),
  })
  .refine((a) => !(a.json && a.csv), { message: 'give either --json or --csv', path: ['csv'] })
  .refine((a) => a.from === undefined || a.to === undefined || a.from <= a.to, {
    message: 'must not be before --from',
    path: ['to'],
  });

export type ReportBy = 'day' | 'device' | 'station-pair' | 'profile' | 'format';

/** Counts of the journey flags a report shows in its columns (the JSON has every flag). */
const FLAG_COLUMNS = [
  [JOURNEY_FLAGS.maxFareMissingExit, 'missing exit'],
  [JOURNEY_FLAGS.exitWithoutEntry, 'no entry'],
  [JOURNEY_FLAGS.reEntry, 're-entry'],
  [JOURNEY_FLAGS.transfer, 'transfer'],
  [JOURNEY_FLAGS.cappedDaily, 'capped daily'],
  [JOURNEY_FLAGS.cappedTrip, 'capped trip'],
] as const;

export interface FareReportRow {
  /** The day, device, `from → to`, profile name or ride-code format (`fg1`, `jtt1179`) the row sums. */
  key: string;
  /** `--by station-pair`: the journeys' mode; `--by profile`: the profile number. */
  mode?: string;
  profile?: number;
  journeys: number;
  /** Taps in those journeys. */
  taps: number;
  /** Minor units; `*Text` the same as currency (`160.00 CNY`). */
  gross: number;
  discounts: number;
  net: number;
  grossText: string;
  discountsText: string;
  netText: string;
  /** Journeys by flag (max_fare_missing_exit, exit_without_entry, re_entry, transfer, …). */
  flags: Record<string, number>;
}

export interface FareReport {
  fares: { file: string; currency: string; exponent: number };
  by: ReportBy;
  /** Business days reported (null: every day with journeys). */
  from: string | null;
  to: string | null;
  rows: FareReportRow[];
  totals: Omit<FareReportRow, 'key' | 'mode' | 'profile'>;
  /** Taps not in a journey: an entry still within its journey time, another currency, an id held twice. */
  notPriced: { openEntries: number; otherCurrency: number; duplicateIds: number };
  devices: DeviceCounters[];
}

function profileLabel(p: number): string {
  return PROFILES[p] ?? `profile ${p}`;
}

/** The format of a tap by id; a tap without one was decided by a validator that read FG1 only. */
export type FormatOf = (tapId: string) => string;

function keyOf(j: Journey, by: ReportBy, formatOf: FormatOf): { key: string; mode?: string; profile?: number } {
  switch (by) {
    case 'format':
      return { key: formatOf(j.legs[0]!.tapId) };
    case 'day':
      return { key: j.day };
    case 'device':
      return { key: j.legs[0]!.deviceId };
    case 'station-pair':
      return { key: `${j.from ?? '?'} → ${j.to ?? '?'}`, mode: j.mode };
    case 'profile':
      return { key: profileLabel(j.profile), profile: j.profile };
  }
}

/** Sums priced journeys into report rows (ordered by key; station pairs by mode, then key). */
export function fareReportRows(
  journeys: readonly Journey[],
  f: FareFile,
  by: ReportBy,
  formatOf: FormatOf = () => 'fg1',
): FareReportRow[] {
  const rows = new Map<string, FareReportRow>();
  for (const j of journeys) {
    const k = keyOf(j, by, formatOf);
    const id = `${k.mode ?? ''}\u0000${k.profile ?? ''}\u0000${k.key}`;
    let r = rows.get(id);
    if (!r) rows.set(id, (r = { ...k, ...emptySums(f) }));
    add(r, j, f);
  }
  return [...rows.entries()]
    .sort(([a, ra], [b, rb]) => (by === 'profile' ? ra.profile! - rb.profile! : a < b ? -1 : a > b ? 1 : 0))
    .map(([, r]) => r);
}

function emptySums(f: FareFile): Omit<FareReportRow, 'key' | 'mode' | 'profile'> {
  const zero = money(0, f.currency, f.exponent);
  return {
    journeys: 0,
    taps: 0,
    gross: 0,
    discounts: 0,
    net: 0,
    grossText: zero,
    discountsText: zero,
    netText: zero,
    flags: {},
  };
}

function add(r: Omit<FareReportRow, 'key'>, j: Journey, f: FareFile): void {
  r.journeys++;
  r.taps += j.legs.length;
  r.gross += j.gross;
  r.net += j.net;
  r.discounts += j.gross - j.net;
  r.grossText = money(r.gross, f.currency, f.exponent);
  r.discountsText = money(r.discounts, f.currency, f.exponent);
  r.netText = money(r.net, f.currency, f.exponent);
  for (const fl of j.flags) r.flags[fl] = (r.flags[fl] ?? 0) + 1;
}

/** The taps to read for business days `from`..`to`: two days and a journey time either side. */
function readRange(f: FareFile, from: string | undefined, to: string | undefined): TapRange {
  const margin = 2 * 86_400_000 + f.metro.maxJourneyMinutes * 60_000;
  const range: TapRange = {};
  if (from !== undefined) range.from = Math.max(0, Date.parse(`${from}T00:00:00Z`) - margin);
  if (to !== undefined) range.to = Date.parse(`${to}T00:00:00Z`) + 86_400_000 + margin;
  return range;
}

/** Prices what `reader` holds and sums it (`asOf`: the time the taps were read, for entries still open). */
export async function fareReport(
  reader: TapReader,
  f: FareFile,
  opts: { faresFile: string; by: ReportBy; from?: string; to?: string; asOf: number },
): Promise<FareReport> {
  const taps = await reader.taps(readRange(f, opts.from, opts.to));
  const priced = priceTaps(taps, f, { asOf: opts.asOf });
  const journeys = priced.journeys.filter(
    (j) => (opts.from === undefined || j.day >= opts.from) && (opts.to === undefined || j.day <= opts.to),
  );
  const totals = emptySums(f);
  for (const j of journeys) add(totals, j, f);
  return {
    fares: { file: opts.faresFile, currency: f.currency, exponent: f.exponent },
    by: opts.by,
    from: opts.from ?? null,
    to: opts.to ?? null,
    rows: fareReportRows(journeys, f, opts.by, formatLookup(taps)),
    totals,
    notPriced: {
      openEntries: priced.flags.open_entry ?? 0,
      otherCurrency: priced.flags.other_currency ?? 0,
      duplicateIds: priced.flags.duplicate_id ?? 0,
    },
    devices: reader.devices ? await reader.devices() : [],
  };
}

/** A journey counts under the format of its first tap (absent on taps from before `format`: FG1). */
function formatLookup(taps: readonly { id: string; format?: string }[]): FormatOf {
  const byId = new Map<string, string>();
  for (const t of taps) if (t.format !== undefined) byId.set(t.id, t.format);
  return (id) => byId.get(id) ?? 'fg1';
}

const BY_LABEL: Record<ReportBy, string> = {
  day: 'business day',
  device: 'device',
  'station-pair': 'from → to',
  profile: 'profile',
  format: 'format',
};

/** The report as readable tables. */
export function formatFareReport(r: FareReport): string[] {
  const out: string[] = [];
  if (r.rows.length === 0) out.push('no journeys');
  else {
    const pair = r.by === 'station-pair';
    const header = [
      BY_LABEL[r.by],
      ...(pair ? ['mode'] : []),
      'journeys',
      'taps',
      'gross',
      'discounts',
      'net',
      ...FLAG_COLUMNS.map(([, label]) => label),
    ];
    const first = pair ? 2 : 1;
    out.push(
      ...table(
        header,
        r.rows.map((x) => [
          x.key,
          ...(pair ? [x.mode ?? ''] : []),
          x.journeys,
          x.taps,
          x.grossText,
          x.discountsText,
          x.netText,
          ...FLAG_COLUMNS.map(([flag]) => x.flags[flag] ?? 0),
        ]),
        new Set(header.map((_, i) => i).filter((i) => i >= first)),
      ),
    );
  }
  const t = r.totals;
  out.push(
    '',
    `total: ${t.journeys} journeys, ${t.taps} taps, net ${t.netText} ` +
      `(gross ${t.grossText}, discounts ${t.discountsText})`,
  );
  const flags = Object.entries(t.flags)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k} ${v}`);
  if (flags.length) out.push(`flags: ${flags.join(', ')}`);
  const np = r.notPriced;
  const notPriced = [
    np.openEntries ? `${np.openEntries} open entries (within their journey time)` : '',
    np.otherCurrency ? `${np.otherCurrency} taps in another currency than ${r.fares.currency}` : '',
    np.duplicateIds ? `${np.duplicateIds} repeated tap ids` : '',
  ].filter(Boolean);
  if (notPriced.length) out.push(`not priced: ${notPriced.join(', ')}`);
  out.push(`fares: ${r.fares.file}`);
  if (r.devices.length) {
    out.push('');
    out.push(
      ...table(
        ['device', 'batches', 'malformed', 'taps', 'duplicates', 'conflicts'],
        r.devices.map((d) => [d.deviceId, d.batches, d.malformed, d.taps, d.duplicates, d.conflicts]),
        new Set([1, 2, 3, 4, 5]),
      ),
    );
  }
  return out;
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The rows as CSV: amounts as decimals in the currency's unit (`160.00`), with a currency column. */
export function fareReportCsv(r: FareReport): string[] {
  const keyColumns =
    r.by === 'station-pair' ? ['from_to', 'mode'] : r.by === 'profile' ? ['profile', 'profile_number'] : [r.by];
  const header = [
    ...keyColumns,
    'journeys',
    'taps',
    'gross',
    'discounts',
    'net',
    'currency',
    ...FLAG_COLUMNS.map(([flag]) => flag),
  ];
  const e = r.fares.exponent;
  return [
    header.join(','),
    ...r.rows.map((x) =>
      [
        x.key,
        ...(r.by === 'station-pair' ? [x.mode ?? ''] : r.by === 'profile' ? [x.profile ?? ''] : []),
        x.journeys,
        x.taps,
        decimal(x.gross, e),
        decimal(x.discounts, e),
        decimal(x.net, e),
        r.fares.currency,
        ...FLAG_COLUMNS.map(([flag]) => x.flags[flag] ?? 0),
      ]
        .map(csvCell)
        .join(','),
    ),
  ];
}

/** A SQLite file (usage error when unusable) or a PostgreSQL URL (exit 1 when unreachable). */
async function openReader(db: string): Promise<TapReader> {
  if (isPostgresUrl(db)) {
    try {
      return new PgTapReader(await new PgStore({ url: db, readonly: true }).open());
    } catch (e) {
      // As `faregate backend`: a store of another kind or a newer schema keeps its own code, an
      // unreachable database is STORE_UNAVAILABLE (exit 1).
      const where = redactDbUrl(db);
      if (isFaregateError(e)) throw new FaregateError(e.code, `backend: --db ${where}: ${e.message}`, { cause: e });
      const why = errorMessage(e).split('\n')[0] || (systemErrorCode(e) ?? 'connection failed');
      throw new FaregateError('STORE_UNAVAILABLE', `backend: --db ${where}: cannot use the database: ${why}`, {
        cause: e,
      });
    }
  }
  try {
    return new SqliteTapReader(db);
  } catch (e) {
    const why = systemErrorCode(e) === 'SQLITE_CANTOPEN' ? 'no such store' : errorMessage(e).split('\n')[0];
    throw new UsageError(`backend: --db ${db}: ${why}`, 'USAGE', { cause: e });
  }
}

export async function backendReportCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: a } = parseCommand(BACKEND_REPORT, argv, ReportArgs);
  const faresFile = a.fares ?? exampleFareFilePath();
  const fares = loadFareFile(faresFile);
  const reader = await openReader(a.db);
  let report: FareReport;
  try {
    report = await fareReport(reader, fares, {
      faresFile,
      by: a.by,
      asOf: Date.now(),
      ...(a.from !== undefined ? { from: a.from } : {}),
      ...(a.to !== undefined ? { to: a.to } : {}),
    });
  } finally {
    await reader.close();
  }
  const lines = a.json ? [JSON.stringify(report)] : a.csv ? fareReportCsv(report) : formatFareReport(report);
  for (const line of lines) await io.writeLine(line);
  return 0;
}
