/**
 * The tap as a row of the store's `taps` table (src/store/migrations.ts) and the one mapping
 * between it and the domain's Tap (src/domain/tap.ts), used by the store and its reader.
 * Column names are the schema's; only `fare`, `cap` and `format` (NULL when absent) and `flags` (a JSON
 * array, NULL when none) change form.
 */
import type { StoredTap, Tap, TapFormat } from '../domain/tap.ts';
import type { Direction, ServiceMode } from '../domain/vocabulary.ts';

/** The columns of a tap that the validator writes (the rest are the store's bookkeeping). */
export interface TapColumns {
  id: string;
  device_id: string;
  at: number;
  mode: ServiceMode;
  place: string;
  direction: Direction;
  sub: string;
  cti: string;
  code_id: string;
  ts: number;
  seq: number;
  profile: number;
  fare: number | null;
  currency: string;
  flags: string | null;
  /** The credential's per-trip cap (NULL when none); TAP_STORE step 5, BACKEND_STORE step 2. */
  cap: number | null;
  /** The ride-code format that decided (NULL on older taps: FG1); TAP_STORE step 6, BACKEND_STORE step 3. */
  format: TapFormat | null;
}

/** A whole row of `taps`, as `SELECT *` reads it. */
export interface TapRow extends TapColumns {
  seqno: number;
  settled: number;
  settled_at: number | null;
  attempts: number;
  last_sent_at: number | null;
  next_attempt_at: number;
}

/** The tap's columns in insert order, for `INSERT INTO taps (...) VALUES (@...)`. */
export const TAP_COLUMNS = [
  'id',
  'device_id',
  'at',
  'mode',
  'place',
  'direction',
  'sub',
  'cti',
  'code_id',
  'ts',
  'seq',
  'profile',
  'fare',
  'currency',
  'flags',
  'cap',
  'format',
] as const satisfies readonly (keyof TapColumns)[];

export function flagsFromColumn(flags: string | null): string[] | undefined {
  return flags === null || flags === '' ? undefined : (JSON.parse(flags) as string[]);
}

export function tapToRow(t: Tap): TapColumns {
  return {
    id: t.id,
    device_id: t.deviceId,
    at: t.at,
    mode: t.mode,
    place: t.place,
    direction: t.direction,
    sub: t.sub,
    cti: t.cti,
    code_id: t.codeId,
    ts: t.ts,
    seq: t.seq,
    profile: t.profile,
    fare: t.fare ?? null,
    currency: t.currency,
    flags: t.flags?.length ? JSON.stringify(t.flags) : null,
    cap: t.cap ?? null,
    format: t.format ?? null,
  };
}

export function tapFromRow(r: TapColumns): Tap {
  const t: Tap = {
    id: r.id,
    deviceId: r.device_id,
    at: r.at,
    mode: r.mode,
    place: r.place,
    direction: r.direction,
    sub: r.sub,
    cti: r.cti,
    codeId: r.code_id,
    ts: r.ts,
    seq: r.seq,
    profile: r.profile,
    currency: r.currency,
  };
  if (r.fare !== null) t.fare = r.fare;
  // A row read without the column (a backend store of schema 1) has no cap.
  if (r.cap !== null && r.cap !== undefined) t.cap = r.cap;
  // …and one read without `format` (older schemas, older taps) none either.
  if (r.format !== null && r.format !== undefined) t.format = r.format;
  const flags = flagsFromColumn(r.flags);
  if (flags !== undefined) t.flags = flags;
  return t;
}

export function storedTapFromRow(r: TapColumns & { settled: number }): StoredTap {
  return { ...tapFromRow(r), settled: r.settled === 1 };
}
