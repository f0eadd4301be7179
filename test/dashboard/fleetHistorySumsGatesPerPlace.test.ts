/**
 * The dashboard's chart series (src/dashboard/fleetHistory.ts) from FleetModel snapshots: one
 * series per gate, one per place summing its gates; a gate gone offline adds nothing; only the
 * newest `keep` samples stay.
 */
import { describe, expect, it } from 'vitest';
import { FleetHistory } from '../../src/dashboard/fleetHistory.ts';
import { FleetModel } from '../../src/monitor/fleetModel.ts';

const P = 'faregate/v1';

function fleet() {
  let now = 1_000_000;
  const model = new FleetModel(P, { now: () => now });
  const metrics = (id: string, at: number, accept: number, reject = 0) =>
    model.handle(`${P}/gates/${id}/metrics`, JSON.stringify({ at, decisions: { accept, reject, ignore: 0 } }));
  const status = (id: string, body: Record<string, unknown>) =>
    model.handle(`${P}/gates/${id}/status`, JSON.stringify(body));
  return { model, metrics, status, tick: (ms: number) => (now += ms) };
}

describe('FleetHistory', () => {
  it('keeps a series per gate and per place, the place the sum of its gates', () => {
    const f = fleet();
    const h = new FleetHistory();
    for (const [id, place] of [
      ['a-in', 'station-A'],
      ['a-out', 'station-A'],
      ['bus', 'route-42'],
    ])
      f.status(id!, { online: true, place });
    f.metrics('a-in', 0, 0);
    f.metrics('a-out', 0, 0);
    f.metrics('bus', 0, 0);
    f.tick(60_000);
    f.metrics('a-in', 60_000, 30, 2);
    f.metrics('a-out', 60_000, 10);
    f.metrics('bus', 60_000, 5);
    h.sample(f.model.snapshot());
    const v = h.view();
    expect(v.gates['a-in']).toEqual([{ at: 1_060_000, accept: 30, reject: 2, ignore: 0 }]);
    expect(v.places['station-A']).toEqual([{ at: 1_060_000, accept: 40, reject: 2, ignore: 0 }]);
    expect(v.places['route-42']).toEqual([{ at: 1_060_000, accept: 5, reject: 0, ignore: 0 }]);

    // a-out goes offline (its will): the place is a-in alone from then on.
    f.status('a-out', { online: false });
    f.tick(60_000);
    f.metrics('a-in', 120_000, 90, 2);
    h.sample(f.model.snapshot());
    expect(h.view().places['station-A']!.at(-1)).toEqual({ at: 1_120_000, accept: 60, reject: 0, ignore: 0 });
    expect(h.view().gates['a-out']).toHaveLength(1);
  });

  it('keeps only the newest samples and forgets a series older than all of them', () => {
    const f = fleet();
    const h = new FleetHistory(3);
    f.status('g1', { online: true, place: 'p' });
    f.metrics('g1', 0, 0);
    for (let i = 1; i <= 5; i++) {
      f.tick(1000);
      f.metrics('g1', i * 1000, i * 10);
      h.sample(f.model.snapshot());
    }
    expect(h.view().gates.g1!.map((p) => p.accept)).toEqual([600, 600, 600]);
    expect(h.view().at).toHaveLength(3);
    f.status('g1', { online: false });
    for (let i = 0; i < 3; i++) {
      f.tick(1000);
      h.sample(f.model.snapshot());
    }
    expect(h.view().gates.g1).toBeUndefined();
    expect(h.view().places.p).toBeUndefined();
  });
});
