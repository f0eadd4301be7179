/**
 * Signed remote commands over a real Mosquitto broker to the real service process:
 * free_pass (an invalid code opens the gate; a valid one is a tap with fare 0 flagged
 * free_pass), out_of_service, status, log_level and reload_config (fares change live), each
 * answered on the reply topic with the same id and raised as a `command` event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { killAllServices } from '../support/serviceProcess.ts';
import { Harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h?.stop();
  await killAllServices();
});

// A new rider per tap: the same rider twice within the duplicate window (3 s) would be ignored.
const rider = { code: () => makeRider().code() };
const other = { code: () => makeRider({ profile: 1 }).code() };

describe('signed remote commands', () => {
  it('status: answers with the full status now, under the same id', async () => {
    const r = await h.send('status', {}, { id: 'status-1' });
    expect(r).toMatchObject({ id: 'status-1', ok: true, deviceId: h.deviceId, cmd: 'status' });
    const status = r.result!.status as Record<string, any>;
    expect(status.deviceId).toBe(h.deviceId);
    expect(status.policy.modes).toEqual({ free_pass: { on: false }, out_of_service: { on: false } });
    expect(status.commands.enabled).toBe(true);
    expect(status.mqtt.connected).toBe(true);
    await waitFor(() => h.events.find((e) => e.kind === 'command' && e.id === 'status-1'), 'status event');
    expect(h.events.find((e) => e.id === 'status-1')).toMatchObject({ kind: 'command', cmd: 'status', ok: true });
  });

  it('free_pass: the gate opens for everyone; valid codes are taps with fare 0, flagged', async () => {
    // Before: an invalid code is turned away, a valid one pays.
    expect((await h.scanAndGate('NOT-A-RIDE-CODE')).gate.action).toBe('reject');
    const paid = await h.scan(rider.code());
    expect(paid).toMatchObject({ decision: 'accept', fare: 200 });

    const on = await h.send('free_pass', { on: true }, { id: 'evac-on' });
    expect(on).toMatchObject({ id: 'evac-on', ok: true, result: { mode: 'free_pass', on: true, changed: true } });
    await waitFor(() => h.lastStatus()?.freePass === true, 'retained status shows free pass');
    expect((h.lastStatus()!.modes as any).free_pass).toMatchObject({ on: true, by: 'evac-on' });

    const invalid = await h.scanAndGate('NOT-A-RIDE-CODE');
    expect(invalid.decision).toMatchObject({ decision: 'reject', reason: 'malformed', freePass: true });
    expect(invalid.gate.action).toBe('open');
    const forged = other.code().slice(0, -4) + 'AAAA';
    expect((await h.scanAndGate(forged)).gate.action).toBe('open');

    const free = await h.scanAndGate(other.code());
    expect(free.decision).toMatchObject({ decision: 'accept', fare: 0, flags: ['free_pass'] });
    expect(free.gate.action).toBe('open');
    const tap = h.taps().find((t) => t.id === free.decision.tapId);
    expect(tap).toMatchObject({ fare: 0, flags: JSON.stringify(['free_pass']) });
    // Invalid codes opened the gate but were never taps.
    expect(h.taps().length).toBe(2);

    const off = await h.send('free_pass', { on: false }, { id: 'evac-off' });
    expect(off).toMatchObject({ ok: true, result: { on: false, changed: true } });
    await waitFor(() => h.lastStatus()?.freePass === false, 'retained status without free pass');
    expect((await h.scanAndGate('NOT-A-RIDE-CODE')).gate.action).toBe('reject');
    expect(await h.scan(rider.code())).toMatchObject({ decision: 'accept', fare: 200 });
    expect(h.events.filter((e) => e.kind === 'command' && (e.id === 'evac-on' || e.id === 'evac-off')).length).toBe(2);
  });

  it('out_of_service: every frame is turned away, nothing is recorded; then back in service', async () => {
    const before = h.taps().length;
    expect(await h.send('out_of_service', { on: true }, { id: 'oos-on' })).toMatchObject({
      ok: true,
      result: { on: true, changed: true },
    });
    await waitFor(() => h.lastStatus()?.outOfService === true, 'retained status shows out of service');
    const r = await h.scanAndGate(rider.code());
    expect(r.decision).toMatchObject({ decision: 'reject', reason: 'out_of_service' });
    expect(r.gate).toMatchObject({ action: 'reject', message: 'see_staff' });
    expect(h.taps().length).toBe(before);
    await waitFor(() => h.events.find((e) => e.kind === 'reject' && e.reason === 'out_of_service'), 'reject event');

    expect(await h.send('out_of_service', { on: false }, { id: 'oos-off' })).toMatchObject({
      ok: true,
      result: { on: false, changed: true },
    });
    await waitFor(() => h.lastStatus()?.outOfService === false, 'retained status in service');
    expect(await h.scan(rider.code())).toMatchObject({ decision: 'accept', fare: 200 });
    expect(h.taps().length).toBe(before + 1);
  });

  it('log_level: changes the level of every component at once', async () => {
    const r = await h.send('log_level', { level: 'warn' }, { id: 'lvl-warn' });
    expect(r).toMatchObject({ ok: true, result: { previous: 'debug', level: 'warn' } });
    const from = h.svc.lines.length;
    const tapsBefore = h.taps().length;
    await h.writer.write(rider.code() + '\r');
    await waitFor(() => h.taps().length === tapsBefore + 1, 'tap committed while logging at warn');
    await new Promise((r) => setTimeout(r, 200));
    expect(h.svc.lines.slice(from).filter((l) => l.decision === 'accept')).toEqual([]);
    expect(await h.send('log_level', { level: 'debug' }, { id: 'lvl-debug' })).toMatchObject({
      ok: true,
      result: { previous: 'warn', level: 'debug' },
    });
    expect(await h.scan(rider.code())).toMatchObject({ decision: 'accept' });
    expect(await h.send('log_level', { level: 'loud' })).toMatchObject({ ok: false, error: 'bad_args' });
  });

  it('reload_config: fares change live; what needs a restart is named', async () => {
    const s = h.settings as any;
    h.settings = {
      ...s,
      fare: { ...s.fare, bus: { ...s.fare.bus, adult: 300 } },
      scanner: { ...s.scanner, baudRate: 19200 },
      log: { ...s.log, level: 'info' },
    };
    h.writeSettings();
    const r = await h.send('reload_config', {}, { id: 'reload-1' });
    expect(r).toMatchObject({ id: 'reload-1', ok: true, cmd: 'reload_config' });
    expect(r.result!.applied).toEqual(expect.arrayContaining(['fare.bus.adult', 'log.level']));
    expect(r.result!.needsRestart).toEqual(['scanner.baudRate']);
    expect(r.result!.lists).toMatchObject({ trustKeys: 1 });
    const from = h.svc.lines.length;
    const tapsBefore = h.taps().length;
    await h.writer.write(rider.code() + '\r');
    const accept = await h.svc.waitForLine((l) => l.decision === 'accept', 'accept at info level', 10_000, from);
    expect(accept.fare).toBe(300);
    expect(h.taps().length).toBe(tapsBefore + 1);
    expect(h.taps().at(-1)!.fare).toBe(300);
    // A broken settings file applies nothing.
    writeBroken(h);
    expect(await h.send('reload_config')).toMatchObject({ ok: false, error: 'failed' });
    expect(await h.scan(rider.code())).toMatchObject({ decision: 'accept', fare: 300 });
  });
});

function writeBroken(x: Harness): void {
  x.settings = { ...x.settings, fare: { currency: 'yen' } };
  x.writeSettings();
}
