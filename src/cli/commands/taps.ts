/**
 * `faregate taps --data-dir DIR`: recent taps of a gate's store, newest first, and the counts.
 * Read-only, safe while the service runs; no store in DIR exits 2 (nothing is created).
 */
import { z } from 'zod';
import { NoStoreError, StoreReader, type TapView } from '../../store/storeReader.ts';
import type { CliIo } from '../io.ts';
import { TAPS } from '../spec/storeViews.ts';
import { table, utcTime } from '../table.ts';
import { numberArg, parseCommand, UsageError } from '../usage.ts';

const Args = z.object({
  'data-dir': z.string().min(1),
  limit: numberArg.pipe(
    z.number().int('must be a whole number').min(1, 'must be 1 or more').max(100_000, 'must be 100000 or less'),
  ),
  unsettled: z.boolean(),
  json: z.boolean(),
});

export function openReader(command: string, dataDir: string): StoreReader {
  try {
    return StoreReader.open(dataDir);
  } catch (e) {
    if (e instanceof NoStoreError) throw new UsageError(`${command}: ${e.message}`);
    throw e;
  }
}

function settledText(t: TapView): string {
  if (t.settled) {
    if (t.settledAt === null) return 'yes';
    const when = utcTime(t.settledAt);
    // The time alone when settled the day of the tap (the usual case), else date and time.
    return `yes ${when.slice(0, 10) === utcTime(t.at).slice(0, 10) ? when.slice(11) : when}`;
  }
  if (t.state === 'rejected') return `REJECTED ${t.rejectedReason ?? ''}`.trimEnd();
  return t.attempts > 0 ? `no (sent ${t.attempts}×)` : 'no';
}

export async function tapsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: a } = parseCommand(TAPS, argv, Args);
  const reader = openReader('taps', a['data-dir']);
  let view;
  try {
    view = reader.taps({ limit: a.limit, unsettledOnly: a.unsettled });
  } finally {
    reader.close();
  }
  if (a.json) {
    await io.writeLine(JSON.stringify({ store: reader.file, counts: view.counts, taps: view.taps }));
    return 0;
  }
  const c = view.counts;
  const byBackend = c.backendRejected ? `, ${c.backendRejected} rejected by the backend` : '';
  await io.writeLine(
    `${reader.file}: ${c.total} taps, ${c.unsettled} unsettled, ${c.settled} settled${byBackend}; ` +
      `${c.rejected} rejected (faregate events)`,
  );
  if (view.taps.length === 0) {
    await io.writeLine(a.unsettled ? 'no unsettled taps' : 'no taps');
    return 0;
  }
  const rows = view.taps.map((t) => [
    utcTime(t.at),
    t.id,
    t.sub,
    t.profile,
    t.fare === null ? '-' : t.fare,
    t.currency,
    `${t.mode} ${t.place} ${t.direction}`,
    settledText(t),
    t.format ?? '-',
    t.flags.join(','),
  ]);
  const shown = a.unsettled ? `newest ${view.taps.length} unsettled` : `newest ${view.taps.length}`;
  await io.writeLine(`${shown} (times UTC, fares in minor units):`);
  for (const line of table(
    ['time (UTC)', 'tap id', 'sub', 'profile', 'fare', 'cur', 'where', 'settled', 'format', 'flags'],
    rows,
    new Set([3, 4]),
  ))
    await io.writeLine(line);
  return 0;
}
