/**
 * `faregate monitor` shows ack trouble at a glance: the acks a gate refused (`upload.ackRefused`
 * in its metrics: forged, unsigned, replayed) and the taps its backend rejected
 * (`backlog.rejected`) as `REFUSED n` / `REJECTED n` in the ACKS column, red on a terminal, the
 * gate marked for attention and counted in the header. The first case feeds the monitor's model
 * with what a real ValidatorService (in process, memory broker) published after a forged ack and
 * a genuine signed ack that rejected a tap, so the names are the status's own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TapBatch } from '../../src/contract/settlement.ts';
import { FleetModel } from '../../src/monitor/fleetModel.ts';
import { renderFleet } from '../../src/monitor/render.ts';
import { devAckKey, signAck } from '../support/independentBackend.ts';
import { waitFor } from '../support/pty.ts';
import { inProcess, type InProcess } from '../service/inProcess.ts';

const P = 'faregate/v1';
let r: InProcess | undefined;
afterEach(async () => {
  await r?.svc.stop();
  r = undefined;
});

/** The model fed with every status and metrics message the gate published, in order. */
function monitorOf(p: InProcess): FleetModel {
  const m = new FleetModel(P);
  const topics: string[] = [p.link!.topics.status, p.link!.topics.metrics];
  for (const msg of p.broker.log) if (topics.includes(msg.topic)) m.handle(msg.topic, JSON.stringify(msg.payload));
  return m;
}

describe('faregate monitor: refused acks and rejected taps', () => {
  it("shows a real gate's refused acks and rejected taps as REFUSED and REJECTED, in red", async () => {
    r = inProcess({ mqtt: true });
    r.backend!.faults.acking = false; // the test sends the acks
    await r.svc.start();
    r.ride(2);
    await waitFor(() => r!.backend!.settled.size === 2, 'two taps at the backend');
    const batch = (r.broker.messages(r.link!.topics.taps) as TapBatch[])[0]!;
    const [kept, refused] = batch.taps.map((t) => t.id) as [string, string];
    const acks = r.link!.topics.acks;
    r.broker.inject(acks, JSON.stringify({ batchId: batch.batchId, tapIds: [kept, refused] })); // unsigned: refused
    const body = { batchId: batch.batchId, deviceId: batch.deviceId, at: Date.now(), tapIds: [kept] };
    r.broker.inject(
      acks,
      signAck({ ...body, rejected: [{ id: refused, reason: 'duplicate_id_conflict' }] }, devAckKey()),
    );
    await waitFor(() => r!.svc.uploader!.stats.tapsRejected === 1, 'the rejection taken');
    expect(r.svc.uploader!.stats.ackRefused).toBe(1);
    r.svc.telemetry.check(); // the backlog as its 2 s check finds it
    await r.link!.publishStatus();
    await r.svc.telemetry.publishMetrics();

    const snap = monitorOf(r).snapshot();
    expect(snap.gates[0]).toMatchObject({ ackRefused: 1, backlog: { rejected: 1 }, attention: true });
    const lines = renderFleet(snap, { color: false });
    expect(lines[0]).toContain('with ack trouble 1');
    const header = lines.find((l) => l.startsWith('GATE'))!;
    const row = lines.find((l) => l.startsWith(batch.deviceId))!;
    expect(header).toMatch(/\bOLDEST\s+ACKS\s+ACC\/REJ\/IGN/);
    expect(row.slice(header.indexOf('ACKS'))).toMatch(/^REFUSED 1 REJECTED 1\s/);
    expect(renderFleet(snap, { color: true }).join('\n')).toContain('\x1b[31mREFUSED 1 REJECTED 1');
  });

  it('shows - for a gate without trouble and each count alone, and keeps rejected from the status', () => {
    const m = new FleetModel(P, { now: () => 1_800_000_000_000 });
    const status = (id: string, backlog: Record<string, unknown>) =>
      m.handle(`${P}/gates/${id}/status`, JSON.stringify({ online: true, deviceId: id, scanner: 'up', backlog }));
    status('g-ok', { unsettled: 0, oldestUnsettledAgeSec: null, rejected: 0 });
    status('g-rej', { unsettled: 0, oldestUnsettledAgeSec: null, rejected: 2 });
    status('g-ref', { unsettled: 1, oldestUnsettledAgeSec: 5 });
    const metrics = { at: 1_800_000_000_000, upload: { ackRefused: 3 }, backlog: { unsettled: 1 } };
    m.handle(`${P}/gates/g-ref/metrics`, JSON.stringify(metrics));
    // A later status of g-rej from an older gate without `rejected` keeps the count last seen.
    status('g-rej', { unsettled: 0, oldestUnsettledAgeSec: null });
    const lines = renderFleet(m.snapshot(), { color: false });
    const at = lines.find((l) => l.startsWith('GATE'))!.indexOf('ACKS');
    const cell = (id: string) =>
      lines
        .find((l) => l.startsWith(id))!
        .slice(at)
        .split(/\s{2,}/)[0];
    expect([cell('g-ok'), cell('g-ref'), cell('g-rej')]).toEqual(['-', 'REFUSED 3', 'REJECTED 2']);
    expect(m.snapshot().gates.map((g) => [g.deviceId, g.attention])).toEqual([
      ['g-ok', false],
      ['g-ref', true],
      ['g-rej', true],
    ]);
    expect(lines[0]).toContain('with ack trouble 2');
  });

  it('a fleet without ack trouble keeps the header line as before', () => {
    const m = new FleetModel(P, { now: () => 1_800_000_000_000 });
    m.handle(`${P}/gates/g-ok/status`, JSON.stringify({ online: true, deviceId: 'g-ok', backlog: { rejected: 0 } }));
    const head = renderFleet(m.snapshot(), { color: false })[0]!;
    expect(head).toMatch(/gates 1, online 1, with alarms 0$/);
  });
});
