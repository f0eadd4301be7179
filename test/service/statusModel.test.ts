/**
 * The status model as a pure function: one build from the sources, three projections (retained
 * status, /healthz body, metrics) with their own fields; and the status publisher's rate limit
 * (at most one publish per interval, the change inside an interval sent at its end, none after
 * stop).
 */
import { describe, expect, it } from 'vitest';
import {
  buildStatus,
  metricsBody,
  retainedStatus,
  serviceStatus,
  type StatusSources,
} from '../../src/service/status.ts';
import { StatusPublisher } from '../../src/service/statusPublisher.ts';
import type { ReplayShareStatus } from '../../src/fleet/replayShare.ts';
import { MemoryBroker, MemoryMqttLink } from '../support/memoryMqtt.ts';

function sources(over: Partial<StatusSources> = {}): StatusSources {
  return {
    now: () => 1_800_000_090_000,
    startedAt: 1_800_000_000_000,
    config: { deviceId: 'gate-s-1', mode: 'metro', place: 'central', direction: 'in' },
    scanner: () => ({ state: 'up', detail: '/dev/ttyACM0', since: 1_800_000_000_500 }),
    decisions: () => ({ accept: 5, reject: 2, ignore: 1, byReason: { code_expired: 2 }, dropped: { noise: 1 } }),
    storeCounts: () => ({ taps: 5, unsettled: 3, events: 4 }),
    storeBytes: () => 4096,
    replayMemory: () => 5,
    trustKeys: () => 2,
    denyEntries: () => 7,
    gate: () => ({ delivered: 8, failed: 0, timedOut: 0, dropped: 0 }),
    backlog: () => ({ unsettled: 3, oldestUnsettledAgeSec: 40, maxAttempts: 1, rejected: 0 }),
    alarms: () => [{ alarm: 'backlog_count', value: 3, threshold: 2, since: 1 }],
    listAlarms: () => ['lists_stale'],
    mqtt: () => ({ configured: true, connected: true }),
    upload: () => undefined,
    lists: () => undefined,
    policy: () => ({
      modes: { free_pass: null, out_of_service: null } as never,
      antiPassbackSeconds: 60,
      entriesRemembered: 4,
    }),
    freePass: () => false,
    outOfService: () => true,
    commands: () => ({ enabled: false, accepted: 0, refused: 0 }),
    memoryRss: () => 50_000_000,
    group: () => undefined,
    jtt: () => undefined,
    jttRootsList: () => undefined,
    ...over,
  };
}

describe('the status model', () => {
  it('projects one build into the retained status, the /healthz body and the metrics', () => {
    const m = buildStatus(sources());
    expect(retainedStatus(m)).toEqual({
      at: 1_800_000_090_000,
      startedAt: 1_800_000_000_000,
      mode: 'metro',
      place: 'central',
      direction: 'in',
      scanner: 'up',
      backlog: { unsettled: 3, oldestUnsettledAgeSec: 40, maxAttempts: 1, rejected: 0 },
      alarms: ['backlog_count', 'lists_stale'],
      lists: { trustKeys: 2, denyEntries: 7 },
      freePass: false,
      outOfService: true,
      modes: { free_pass: null, out_of_service: null },
    });
    const s = serviceStatus(m);
    expect(s).not.toHaveProperty('upload');
    expect(s).not.toHaveProperty('lists');
    expect(s).not.toHaveProperty('group'); // no group configured: in none of the three
    expect(s).toMatchObject({
      deviceId: 'gate-s-1',
      store: { taps: 5, unsettled: 3, events: 4 },
      alarms: [{ alarm: 'backlog_count' }],
    });
    expect(s.policy).toEqual({
      modes: { free_pass: null, out_of_service: null },
      antiPassbackSeconds: 60,
      entriesRemembered: 4,
    });
    expect(metricsBody(m)).toEqual({
      deviceId: 'gate-s-1',
      decisions: { accept: 5, reject: 2, ignore: 1, byReason: { code_expired: 2 } },
      upload: undefined,
      store: { bytes: 4096, taps: 5, unsettled: 3, events: 4 },
      scanner: { state: 'up', detail: '/dev/ttyACM0', since: 1_800_000_000_500 },
      memoryRss: 50_000_000,
      uptimeSec: 90,
    });
  });

  it('with a group, the retained status, the /healthz body and the metrics carry the same one group object', () => {
    const group: ReplayShareStatus = {
      id: 'station-1',
      announced: 12,
      queued: 3,
      droppedQueued: 1,
      heard: 9,
      merged: 6,
      known: 1,
      refused: { bad_signature: 1, stale: 1 },
      kept: 6,
      notKept: 0,
      lastHeardAt: { 'gate-s-2': 1_800_000_089_000, 'gate-s-3': null },
    };
    const m = buildStatus(sources({ group: () => group }));
    expect(retainedStatus(m).group).toEqual(group);
    expect(serviceStatus(m).group).toEqual(group);
    expect(metricsBody(m).group).toEqual(group);
    // Only that one field is new: everything else is as without a group.
    const without = buildStatus(sources());
    const { group: _r, ...retained } = retainedStatus(m);
    expect(retained).toEqual(retainedStatus(without));
    const { group: _m, ...metrics } = metricsBody(m);
    expect(metrics).toEqual(metricsBody(without));
    const { group: _s, ...service } = serviceStatus(m);
    expect(service).toEqual(serviceStatus(without));
  });

  it('reads each source once per build', () => {
    let reads = 0;
    const m = buildStatus(
      sources({ backlog: () => (reads++, { unsettled: 0, oldestUnsettledAgeSec: null, maxAttempts: 0, rejected: 0 }) }),
    );
    retainedStatus(m);
    serviceStatus(m);
    metricsBody(m);
    expect(reads).toBe(1);
  });
});

describe('StatusPublisher', () => {
  it('publishes a change at once, one inside the interval at its end, and nothing after stop', async () => {
    const broker = new MemoryBroker();
    const link = new MemoryMqttLink(broker, 'gate-s-2');
    link.start();
    const base = link.statusPublishes;
    const p = new StatusPublisher(link, 200);
    p.start();
    p.changed();
    expect(link.statusPublishes).toBe(base + 1);
    for (let i = 0; i < 10; i++) p.changed(); // a burst: one trailing publish
    expect(link.statusPublishes).toBe(base + 1);
    await new Promise((r) => setTimeout(r, 260));
    expect(link.statusPublishes).toBe(base + 2);
    // A change inside the interval, then stop: the pending publish is dropped, later ones too.
    p.changed();
    p.stop();
    await new Promise((r) => setTimeout(r, 260));
    p.changed();
    await new Promise((r) => setTimeout(r, 260));
    expect(link.statusPublishes).toBe(base + 2);
  });
});
