/**
 * The business day of an instant: the local date (in an IANA time zone, through Intl) of the
 * instant, less one day before the day's start time (04:30 by default: a ride at 01:00 on the
 * 3rd belongs to the 2nd). Pure; no time-zone library.
 */

/** A function from Unix ms to the business day, `YYYY-MM-DD`. */
export type BusinessDayOf = (at: number) => string;

const QUARTER_HOUR = 15 * 60_000;

/**
 * The business day function for a zone and a start (`HH:MM`). The zone's offset is read once per
 * UTC quarter hour and cached (every zone in use changes its offset on a quarter hour), so pricing
 * a million taps asks Intl a few thousand times, not a million.
 */
export function businessDayOf(timeZone: string, start: string): BusinessDayOf {
  const [h, m] = start.split(':').map(Number) as [number, number];
  const startMs = (h * 60 + m) * 60_000;
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  const offsets = new Map<number, number>();
  /** Local wall-clock time minus UTC, in ms, at the quarter hour `q`. */
  const offsetAt = (q: number): number => {
    let off = offsets.get(q);
    if (off === undefined) {
      const at = q * QUARTER_HOUR;
      const p: Record<string, string> = {};
      for (const part of format.formatToParts(at)) p[part.type] = part.value;
      const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute));
      off = wall - at;
      if (offsets.size > 100_000) offsets.clear();
      offsets.set(q, off);
    }
    return off;
  };
  // Where the start and the offset are whole quarter hours (every zone in use today, and starts
  // such as 04:30), the day is the same for a whole UTC quarter hour: cached too.
  const days = new Map<number, string>();
  const wholeStart = startMs % QUARTER_HOUR === 0;
  return (at: number): string => {
    const q = Math.floor(at / QUARTER_HOUR);
    const cached = days.get(q);
    if (cached !== undefined) return cached;
    const off = offsetAt(q);
    const day = new Date(at + off - startMs).toISOString().slice(0, 10);
    if (wholeStart && off % QUARTER_HOUR === 0) {
      if (days.size > 100_000) days.clear();
      days.set(q, day);
    }
    return day;
  };
}
