/**
 * Decisions per minute over time, for the dashboard's charts: a pure ring of samples taken from
 * FleetModel snapshots (src/monitor/fleetModel.ts computes each gate's rate from its metrics;
 * nothing is computed twice here). One series per gate and one per place (station or route: the
 * sum of the gates that report that place). A gate with no rate in a sample (offline, or no two
 * metrics yet) adds nothing to it. Times are the dashboard's clock, milliseconds.
 */
import type { FleetSnapshot, OutcomeCounts } from '../monitor/fleetModel.ts';

export interface RatePoint extends OutcomeCounts {
  at: number;
}

export interface FleetHistoryView {
  /** Sample times, oldest first. */
  at: number[];
  gates: Record<string, RatePoint[]>;
  places: Record<string, RatePoint[]>;
}

export class FleetHistory {
  private readonly gates = new Map<string, RatePoint[]>();
  private readonly places = new Map<string, RatePoint[]>();
  private readonly times: number[] = [];

  /** `keep`: samples kept per series (default 120: ten minutes at one sample per 5 s). */
  constructor(private readonly keep = 120) {}

  sample(snap: FleetSnapshot): void {
    const at = snap.at;
    this.times.push(at);
    if (this.times.length > this.keep) this.times.shift();
    const byPlace = new Map<string, OutcomeCounts>();
    for (const g of snap.gates) {
      const r = g.decisionsPerMinute;
      if (!r || g.online === false) continue;
      this.push(this.gates, g.deviceId, { at, ...r });
      const place = g.place ?? '(no place)';
      const sum = byPlace.get(place) ?? { accept: 0, reject: 0, ignore: 0 };
      byPlace.set(place, {
        accept: sum.accept + r.accept,
        reject: sum.reject + r.reject,
        ignore: sum.ignore + r.ignore,
      });
    }
    for (const [place, c] of byPlace) this.push(this.places, place, { at, ...c });
    // Series whose every point is older than the kept window are forgotten.
    const oldest = this.times[0]!;
    for (const m of [this.gates, this.places])
      for (const [k, pts] of m) {
        while (pts.length > 0 && pts[0]!.at < oldest) pts.shift();
        if (pts.length === 0) m.delete(k);
      }
  }

  view(): FleetHistoryView {
    const copy = (m: Map<string, RatePoint[]>) =>
      Object.fromEntries([...m].map(([k, v]) => [k, v.map((p) => ({ ...p }))]));
    return { at: [...this.times], gates: copy(this.gates), places: copy(this.places) };
  }

  private push(m: Map<string, RatePoint[]>, key: string, p: RatePoint): void {
    let pts = m.get(key);
    if (!pts) m.set(key, (pts = []));
    pts.push(p);
    if (pts.length > this.keep) pts.shift();
  }
}
