/**
 * `faregate monitor --once` (the real CLI process) against a real Mosquitto, and against aedes
 * (the demo broker): known retained statuses, metrics and events for four gates — one offline
 * (its will), one stopped cleanly (offline with its last figures), one with alarms, one with
 * stale lists — come out as exactly those states.
 *
 * Metrics are QoS 0 and never retained, so they are published while the monitor runs: one per
 * 500 ms of a gate clock 5 s ahead of ours (`at` = local time + 5 s), the accept counter one
 * higher each time, so the rate is exactly 120/min whatever the timer jitter.
 */
import { Aedes } from 'aedes';
import { createServer, type AddressInfo, type Server } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSnapshot } from '../../src/monitor/fleetModel.ts';
import { runFaregate, type RunResult } from '../support/cli.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';

const P = 'faregate/v1';
const OFFSET_MS = 5000;

async function publishFleet(url: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, {
    clientId: `fleet-${Math.random().toString(36).slice(2, 8)}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  const now = Date.now();
  const status = (id: string, body: Record<string, unknown>) =>
    c.publishAsync(`${P}/gates/${id}/status`, JSON.stringify(body), { qos: 1, retain: true });
  await status('gate-off', { online: false, deviceId: 'gate-off' });
  await status('gate-stopped', {
    online: false,
    deviceId: 'gate-stopped',
    at: now,
    mode: 'bus',
    place: 'route-9',
    direction: 'board',
    scanner: 'stopped',
    backlog: { unsettled: 72, oldestUnsettledAgeSec: 600, maxAttempts: 2 },
    alarms: [],
    lists: { trustKeys: 2, denyEntries: 1 },
  });
  await status('gate-alarm', {
    online: true,
    deviceId: 'gate-alarm',
    at: now,
    mode: 'bus',
    place: 'route-7',
    direction: 'board',
    scanner: 'up',
    backlog: { unsettled: 12_000, oldestUnsettledAgeSec: 5400, maxAttempts: 6 },
    alarms: ['backlog_count', 'backlog_age', 'upload_failing'],
    lists: { trustKeys: 2, denyEntries: 1 },
  });
  await status('gate-stale', {
    online: true,
    deviceId: 'gate-stale',
    at: now,
    mode: 'metro',
    place: 'station-0215',
    direction: 'in',
    scanner: 'up',
    backlog: { unsettled: 0, oldestUnsettledAgeSec: null, maxAttempts: 0 },
    alarms: [],
    lists: { trust: { version: 7, ageSec: 200_000, stale: true }, deny: { version: 40, ageSec: 60, stale: false } },
  });
  return c;
}

/** Runs the monitor while publishing live metrics and events for gate-alarm. */
async function monitorWhilePublishing(url: string, c: MqttClient, args: string[]): Promise<RunResult> {
  const at0 = Date.now() + OFFSET_MS;
  let stop = false;
  const loop = (async () => {
    for (let n = 1; !stop; n++) {
      // One metrics message per 500 ms of the gate clock, sent when that clock reaches it: the
      // counters lie exactly on the 120/min line (1 per 500 ms = 120/min).
      const at = at0 + n * 500;
      const wait = at - OFFSET_MS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const body = {
        at,
        deviceId: 'gate-alarm',
        backlog: { unsettled: 12_000, oldestUnsettledAgeSec: 5400, maxAttempts: 6 },
        alarms: ['backlog_count', 'backlog_age', 'upload_failing'],
        decisions: { accept: 1000 + n, reject: 50, ignore: 3, byReason: {} },
        scanner: { state: 'up', detail: '', since: at0 },
        memoryRss: 80 * 1024 * 1024,
        uptimeSec: 3600,
      };
      await c.publishAsync(`${P}/gates/gate-alarm/metrics`, JSON.stringify(body), { qos: 0 });
      await c.publishAsync(`${P}/gates/gate-alarm/events`, JSON.stringify({ at, kind: 'reject', reason: 'expired' }), {
        qos: 1,
      });
    }
  })();
  try {
    return await runFaregate(['monitor', '--mqtt', url, '--once', ...args]);
  } finally {
    stop = true;
    await loop;
  }
}

function checkSnapshot(r: RunResult): void {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const s = JSON.parse(lines[0]!) as FleetSnapshot;
  expect(s.gates.map((g) => g.deviceId)).toEqual(['gate-alarm', 'gate-off', 'gate-stale', 'gate-stopped']);
  const [alarm, off, stale, stopped] = s.gates;

  expect(off!).toMatchObject({
    online: false,
    alarms: [],
    listsStale: false,
    attention: true,
    decisionsPerMinute: null,
    clockOffsetMs: null,
  });
  expect(stopped!).toMatchObject({
    online: false,
    scanner: 'stopped',
    place: 'route-9',
    backlog: { unsettled: 72, oldestUnsettledAgeSec: 600 },
    attention: true,
  });

  expect(alarm!).toMatchObject({
    online: true,
    scanner: 'up',
    backlog: { unsettled: 12_000, oldestUnsettledAgeSec: 5400 },
    alarms: ['backlog_count', 'backlog_age', 'upload_failing'],
    listsStale: false,
    lists: { trustKeys: 2, denyEntries: 1 },
    memoryRss: 80 * 1024 * 1024,
    decisionsPerMinute: { accept: 120, reject: 0, ignore: 0 },
    attention: true,
    lastEvent: { kind: 'reject', detail: 'expired' },
  });
  expect(alarm!.decisions?.reject).toBe(50);
  // The gate clock runs 5 s ahead; timer lateness and delivery take a little off.
  expect(alarm!.clockOffsetMs).toBeGreaterThan(OFFSET_MS - 1000);
  expect(alarm!.clockOffsetMs).toBeLessThanOrEqual(OFFSET_MS + 50);

  expect(stale!).toMatchObject({
    online: true,
    scanner: 'up',
    alarms: [],
    listsStale: true,
    attention: true,
    lists: { trust: { version: 7, stale: true } },
  });
  expect(stale!.clockOffsetMs).toBeNull();
}

describe('faregate monitor --once against Mosquitto', () => {
  let broker: Mosquitto;
  let c: MqttClient;
  beforeAll(async () => {
    broker = await startMosquitto();
    c = await publishFleet(broker.url);
  });
  afterAll(async () => {
    await c?.endAsync(true);
    await broker?.stop();
  });

  it('reports exactly the published states as JSON', async () => {
    checkSnapshot(await monitorWhilePublishing(broker.url, c, ['--json']));
  }, 20_000);

  it('prints a readable table without colour when not on a terminal', async () => {
    const r = await monitorWhilePublishing(broker.url, c, ['--protocol', '5', '--wait', '1200']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b[');
    expect(r.stdout).toMatch(/gate-off\s+OFFLINE/);
    expect(r.stdout).toMatch(/gate-stopped\s+OFFLINE\s+stopped\s+72\s+10m/);
    expect(r.stdout).toMatch(/gate-alarm\s+online\s+up\s+12000\s+90m\s+-\s+120\/0\/0\s+\+[45]\.\ds\s+80M/);
    expect(r.stdout).toContain('backlog_count,backlog_age,upload_failing');
    expect(r.stdout).toMatch(/gate-stale .*trust v7 2d STALE deny v40 60s/);
  }, 20_000);

  it('exits 1 with one line when the broker is not there, 2 on bad arguments', async () => {
    const down = await runFaregate(['monitor', '--mqtt', 'mqtt://127.0.0.1:1', '--once']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^faregate monitor: /);
    const bad = await runFaregate(['monitor', '--mqtt', 'http://x', '--once']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--mqtt');
  }, 20_000);
});

describe('faregate monitor --once against aedes (the demo broker)', () => {
  let server: Server;
  let broker: Aedes;
  let c: MqttClient;
  let url: string;
  beforeAll(async () => {
    broker = await Aedes.createBroker();
    server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    c = await publishFleet(url);
  });
  afterAll(async () => {
    await c?.endAsync(true);
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('reports exactly the published states as JSON', async () => {
    checkSnapshot(await monitorWhilePublishing(url, c, ['--json']));
  }, 20_000);
});
