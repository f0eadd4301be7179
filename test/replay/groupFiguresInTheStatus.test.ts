/**
 * The replay-sharing figures of a running gate in its one status model: announced, heard,
 * merged, refused by reason, kept in the store, and when each other gate was last heard, in
 * the retained status, the /healthz body (`status()`) and the metrics, as one `group` object;
 * a gate without a group has none. Whole ValidatorServices in process on a memory broker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { groupTopics } from '../../src/contract/settlement.ts';
import { MemoryBroker } from '../support/memoryMqtt.ts';
import { makeRider } from '../support/riders.ts';
import { inProcess, ManualClock } from '../service/inProcess.ts';
import { groupGate, groupKeys, until, type GroupGate } from './groupHarness.ts';

const started: { svc: { stop(): Promise<void> } }[] = [];
async function start(...gates: GroupGate[]): Promise<void> {
  for (const g of gates) {
    await g.svc.start();
    started.push(g);
  }
}
afterEach(async () => {
  for (const g of started.splice(0).reverse()) await g.svc.stop();
});

describe('replay-sharing figures in the status', () => {
  it('count what each gate announced, heard, merged and refused, and when it last heard each other gate', async () => {
    const broker = new MemoryBroker();
    const keys = groupKeys(['gate-1', 'gate-2', 'gate-3']);
    const clock = new ManualClock();
    const g1 = groupGate(broker, keys, 'gate-1', { clock });
    const g2 = groupGate(broker, keys, 'gate-2', { clock });
    await start(g1, g2);
    g1.scanner.feed(makeRider().code(Math.floor(clock.now() / 1000)));
    await until(() => g2.svc.replayShare!.stats.merged === 1, 2000, 'gate 2 to merge');
    // A forgery on the group's topic (not a JWS) and a message over 2 KiB: both refused malformed.
    const topic = groupTopics('faregate/v1', 'station-1').accepts;
    broker.inject(topic, '{"deviceId":"gate-1","codeId":"00","sub":"00","at":0}');
    broker.inject(topic, 'x'.repeat(3000));
    await until(() => g2.svc.replayShare!.stats.heard === 3, 2000, 'gate 2 to hear three');
    await until(() => g2.svc.groupAccepts.written === 1, 2000, 'the entry kept');

    const heardAt = g2.svc.replayShare!.stats.lastHeardAt['gate-1']!;
    expect(heardAt).toBeGreaterThan(0);
    const expected = {
      id: 'station-1',
      announced: 0,
      queued: 0,
      droppedQueued: 0,
      heard: 3,
      merged: 1,
      known: 0,
      refused: { malformed: 2 },
      kept: 1,
      notKept: 0,
      lastHeardAt: { 'gate-1': heardAt, 'gate-3': null },
    };
    expect(g2.svc.status().group).toEqual(expected);
    await g2.link.publishStatus();
    const retained = broker.retainedJson(g2.link.topics.status) as Record<string, unknown>;
    expect(retained.group).toEqual(expected);
    await g2.svc.telemetry.publishMetrics();
    const metrics = broker.messages(g2.link.topics.metrics).at(-1) as Record<string, unknown>;
    expect(metrics.group).toEqual(expected);

    await until(() => g1.svc.replayShare!.stats.announced === 1, 2000, 'gate 1 to announce');
    expect(g1.svc.status().group).toMatchObject({
      announced: 1,
      heard: 2, // the two forgeries: gate 2 never announced anything
      merged: 0,
      refused: { malformed: 2 },
      lastHeardAt: { 'gate-2': null, 'gate-3': null },
    });
  });

  it('a gate without a group has no group object anywhere', async () => {
    const p = inProcess({ mqtt: true, settings: { settlement: { acceptUnsignedAcks: true } } });
    await p.svc.start();
    started.push(p);
    expect(p.svc.status()).not.toHaveProperty('group');
    await p.link!.publishStatus();
    expect(p.broker.retainedJson(p.link!.topics.status)).not.toHaveProperty('group');
    await p.svc.telemetry.publishMetrics();
    expect(p.broker.messages(p.link!.topics.metrics).at(-1)).not.toHaveProperty('group');
  });
});
