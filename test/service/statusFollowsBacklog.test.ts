/**
 * One status model feeds the retained status, /healthz and the metrics. The retained status
 * follows the backlog (rate-limited to one publish a second, the last change always sent), so
 * after a drain it says `unsettled: 0` within seconds of the last ack; a clean stop leaves the
 * figures of that moment beside `online: false`. In process: memory broker, fake backend, fake scanner.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MqttLink } from '../../src/mqtt/mqttLink.ts';
import { FleetModel } from '../../src/monitor/fleetModel.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { waitFor } from '../support/pty.ts';
import { freePort, inProcess, type InProcess } from './inProcess.ts';

let running: InProcess[] = [];
afterEach(async () => {
  for (const r of running) await r.svc.stop();
  running = [];
});

function start(o: Parameters<typeof inProcess>[0]): Promise<InProcess> {
  const r = inProcess(o);
  running.push(r);
  return r.svc.start().then(() => r);
}

type Status = Record<string, unknown> & { backlog: { unsettled: number }; online: boolean };
const retained = (r: InProcess): Status => r.broker.retainedJson(r.link!.topics.status) as Status;
const statusPublishes = (r: InProcess) => r.broker.log.filter((m) => m.topic === r.link!.topics.status);

/** A gate whose backend does not ack: four taps unsettled, the backlog_count alarm (3) raised. */
async function fourUnsettled(): Promise<InProcess> {
  const r = inProcess({ mqtt: true, settings: { settlement: { alarms: { unsettledCount: 3 } } } });
  await r.svc.start();
  r.backend!.faults.acking = false;
  r.ride(4);
  await waitFor(() => r.svc.store.counts().unsettled === 4, 'four unsettled');
  r.svc.telemetry.check();
  return r;
}

describe('the status model', () => {
  it('gives the retained status, /healthz and the metrics exactly their documented fields', async () => {
    const port = await freePort();
    const r = await start({ mqtt: true, settings: { health: { httpPort: port } } });
    await waitFor(() => r.svc.status().scanner.state === 'up', 'scanner up');
    r.ride(2);
    await waitFor(() => r.svc.store.counts().taps === 2, 'two taps');
    await r.svc.telemetry.publishMetrics();
    r.svc.statusPublisher.changed();
    await waitFor(() => (retained(r).scanner as string) === 'up', 'status with the scanner up', 3000);

    expect(Object.keys(retained(r)).sort()).toEqual(
      [
        'alarms',
        'at',
        'backlog',
        'deviceId',
        'direction',
        'freePass',
        'lists',
        'mode',
        'modes',
        'online',
        'outOfService',
        'place',
        'scanner',
        'startedAt',
        'upload',
      ].sort(),
    );
    expect(retained(r)).toMatchObject({
      online: true,
      deviceId: 'test-bus-1',
      mode: 'bus',
      place: 'route-7',
      direction: 'board',
    });
    expect(retained(r).lists).toEqual({ trustKeys: 1, denyEntries: expect.any(Number) });
    expect(retained(r).upload).toEqual({ ackMode: r.svc.uploader!.stats.ackMode });

    const body = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      [
        'healthy',
        'problems',
        'deviceId',
        'scanner',
        'decisions',
        'store',
        'replayMemory',
        'trustKeys',
        'denyEntries',
        'gate',
        'backlog',
        'alarms',
        'mqtt',
        'upload',
        'policy',
        'commands',
      ].sort(),
    );
    expect(body).toMatchObject({ healthy: true, store: { taps: 2 }, mqtt: { configured: true, connected: true } });
    expect(body.scanner).toMatchObject({ state: 'up', detail: 'fake://scanner' });
    expect(Object.keys(body.policy as object).sort()).toEqual(['antiPassbackSeconds', 'entriesRemembered', 'modes']);

    const metrics = r.broker.messages(r.link!.topics.metrics).at(-1) as Record<string, unknown>;
    expect(Object.keys(metrics).sort()).toEqual(
      [
        'at',
        'backlog',
        'alarms',
        'deviceId',
        'decisions',
        'upload',
        'store',
        'scanner',
        'memoryRss',
        'uptimeSec',
      ].sort(),
    );
    expect(metrics.decisions).toEqual({ accept: 2, reject: 0, ignore: 0, byReason: expect.any(Object) });
    expect(metrics.store).toMatchObject({ bytes: expect.any(Number), taps: 2 });
  });

  it('shows backlog 0 in the retained status within a few seconds of the last ack', async () => {
    const r = await start({ mqtt: true });
    r.backend!.faults.acking = false;
    r.ride(12);
    await waitFor(() => retained(r).backlog.unsettled === 12, 'retained status with a backlog of 12', 5000);

    // The backend acks again (the uploader re-sends after its timeout): the store drains.
    let lastAckAt = 0;
    r.broker.watch(r.link!.topics.acks, () => (lastAckAt = Date.now()));
    r.backend!.faults.acking = true;
    r.clock.advance(60_000);
    await waitFor(() => r.svc.store.counts().unsettled === 0, 'store drained', 5000);
    await waitFor(() => retained(r).backlog.unsettled === 0, 'retained status with an empty backlog', 8000);
    const lag = Date.now() - lastAckAt;
    // Backlog checked every 2 s, status at most once a second: about 3 s at worst on an idle machine.
    expect(lag).toBeLessThan(5000);
    expect(retained(r)).toMatchObject({ online: true, backlog: { unsettled: 0, oldestUnsettledAgeSec: null } });
  });

  it('re-publishes at most once a second while riders keep coming, and the last figures always', async () => {
    const r = await start({ mqtt: true });
    const before = statusPublishes(r).length;
    const t0 = Date.now();
    // A rider every 100 ms for 3 s; each tap moves the backlog up and the acks down again.
    while (Date.now() - t0 < 3000) {
      r.ride(1);
      r.svc.telemetry.check();
      await new Promise((res) => setTimeout(res, 100));
    }
    await waitFor(() => r.svc.store.counts().unsettled === 0, 'drained', 5000);
    await waitFor(() => retained(r).backlog.unsettled === 0, 'last figures published', 5000);
    const published = statusPublishes(r).slice(before);
    const spanSec = (Date.now() - t0) / 1000;
    expect(published.length).toBeGreaterThan(1);
    expect(published.length).toBeLessThanOrEqual(Math.ceil(spanSec) + 1);
  });

  it('keeps the last figures beside online: false after a clean stop', async () => {
    const r = await fourUnsettled();
    await r.svc.stop();
    const st = retained(r);
    expect(st).toMatchObject({
      online: false,
      deviceId: 'test-bus-1',
      mode: 'bus',
      place: 'route-7',
      direction: 'board',
      backlog: { unsettled: 4 },
      alarms: ['backlog_count'],
    });
    expect(typeof st.at).toBe('number');
  });

  it('counts the backlog at a clean stop: the offline status does not carry figures a check old', async () => {
    const r = await fourUnsettled();
    expect(r.svc.telemetry.backlog.unsettled).toBe(4);
    // Two settle just before the stop (as an ack would), between two backlog checks.
    const ids = r.svc.store
      .allTaps()
      .slice(0, 2)
      .map((t) => t.id);
    r.svc.store.markSettled(ids, r.clock.now());
    await r.svc.stop();
    expect(retained(r)).toMatchObject({ online: false, backlog: { unsettled: 2 }, alarms: [] });
  });

  it('leaves the will {online: false, deviceId} on an unclean loss, and the monitor keeps the last figures', async () => {
    const r = await start({ mqtt: true });
    r.backend!.faults.acking = false;
    r.ride(3);
    await waitFor(() => retained(r).backlog.unsettled === 3, 'status with a backlog of 3', 5000);
    const monitor = new FleetModel('faregate/v1');
    const feed = () => monitor.handle(r.link!.topics.status, r.broker.retained.get(r.link!.topics.status)!);
    feed();
    r.link!.die();
    expect(retained(r)).toEqual({ online: false, deviceId: 'test-bus-1' });
    feed();
    expect(monitor.snapshot().gates[0]).toMatchObject({ online: false, place: 'route-7', backlog: { unsettled: 3 } });
    // The real link's will is the same message.
    const cfg = r.config.mqtt!;
    const will = new MqttLink(cfg, 'test-bus-1', () => ({}), silentLogger).clientOptions().will!;
    expect(JSON.parse(String(will.payload))).toEqual({ online: false, deviceId: 'test-bus-1' });
    expect(will).toMatchObject({ topic: r.link!.topics.status, retain: true, qos: 1 });
  });
});
