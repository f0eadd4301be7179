/**
 * The service's parts share one lifecycle: started in list order, stopped in reverse from the same
 * list; a part that fails to start stops those already started; nothing publishes after the MQTT
 * link has stopped. In process (fake scanner, recording gate, in-memory MQTT).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isFaregateError } from '../../src/errors/faregateError.ts';
import { MqttLink } from '../../src/mqtt/mqttLink.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import type { Component } from '../../src/platform/component.ts';
import { Lifecycle } from '../../src/service/lifecycle.ts';
import { waitFor } from '../support/pty.ts';
import { inProcess, type InProcess } from './inProcess.ts';

let running: InProcess[] = [];
afterEach(async () => {
  for (const r of running) await r.svc.stop();
  running = [];
});

function recorder(calls: string[], name: string, failStart = false): Component {
  return {
    name,
    async start() {
      calls.push(`start ${name}`);
      if (failStart) throw new Error(`${name} is broken`);
    },
    stop() {
      calls.push(`stop ${name}`);
      if (name === 'b') throw new Error('b fails to stop');
    },
  };
}

describe('Lifecycle', () => {
  it('starts in list order and stops in reverse from the same list, also past a part that fails to stop', async () => {
    const calls: string[] = [];
    const l = new Lifecycle(
      ['a', 'b', 'c'].map((n) => recorder(calls, n)),
      silentLogger,
    );
    await l.start();
    await l.stop();
    expect(calls).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    // A second stop stops nothing again.
    await l.stop();
    expect(calls).toHaveLength(6);
  });

  it('stops what already started, in reverse, when a part fails to start, and says which part', async () => {
    const calls: string[] = [];
    const l = new Lifecycle(
      [recorder(calls, 'a'), recorder(calls, 'c'), recorder(calls, 'x', true), recorder(calls, 'd')],
      silentLogger,
    );
    const err = await l.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFaregateError(err, 'COMPONENT_START_FAILED')).toBe(true);
    expect((err as Error).message).toBe('x failed to start: x is broken');
    expect(calls).toEqual(['start a', 'start c', 'start x', 'stop c', 'stop a']);
  });
});

describe('ValidatorService lifecycle', () => {
  it('lists its parts with the store first, the link before what publishes, the scanner and health last', () => {
    const r = inProcess({ mqtt: true });
    expect(r.svc.lifecycle.order).toEqual([
      'store',
      'gate',
      'housekeeping',
      'mqtt',
      'status',
      'telemetry',
      'uploader',
      'scanner',
      'health',
    ]);
    const bare = inProcess();
    expect(bare.svc.lifecycle.order).toEqual(['store', 'gate', 'housekeeping', 'telemetry', 'scanner', 'health']);
  });

  it('decides a frame waiting in the scanner at start against the replay memory restored from the store', async () => {
    const first = inProcess();
    await first.svc.start();
    const [code] = first.ride(1);
    await waitFor(() => first.svc.store.counts().taps === 1, 'first tap stored');
    await first.svc.stop();

    // Same data directory, the same code waiting in the scanner's buffer at power-up.
    const second = inProcess({ settings: { dataDir: first.dataDir } });
    running.push(second);
    second.scanner.pending.push(code!);
    await second.svc.start();
    const c = second.svc.processor.counters;
    await waitFor(() => c.accept + c.reject + c.ignore === 1, 'the waiting frame decided');
    // Remembered (a re-read of the same code is ignored, not accepted again): no second tap.
    expect(c.accept).toBe(0);
    expect(c.byReason).toMatchObject({ duplicate: 1 });
    expect(second.svc.store.counts().taps).toBe(1);
  });

  it('stops what started when the gate fails to start: store closed, scanner never opened', async () => {
    const r = inProcess({ mqtt: true });
    r.gate.start = () => Promise.reject(new Error('relay board not found'));
    const err = await r.svc.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFaregateError(err, 'COMPONENT_START_FAILED')).toBe(true);
    expect((err as Error).message).toContain('gate failed to start');
    expect(() => r.svc.store.database).toThrow();
    expect(r.scanner.opens).toBe(0);
    expect(r.link?.connected).toBe(false);
    expect(r.log.lines.find((l) => l.msg === 'component failed to start: stopping the others')).toMatchObject({
      component: 'gate',
    });
  });

  it('publishes nothing after the MQTT link stopped, with uploads, alarms and a scanner change in flight', async () => {
    const r = inProcess({ mqtt: true, settings: { settlement: { alarms: { unsettledCount: 3 } } } });
    await r.svc.start();
    r.backend!.faults.acking = false;
    r.ride(5);
    await waitFor(() => r.backend!.batches >= 1, 'a batch sent');
    r.svc.telemetry.check();
    r.scanner.unplug();
    await r.svc.stop();
    expect(r.link!.publishesAfterStop).toEqual([]);
    // Timers of the stopped parts fire nothing later either.
    await new Promise((res) => setTimeout(res, 1300));
    expect(r.link!.publishesAfterStop).toEqual([]);
    expect(r.log.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('refuses a publish after the real link was stopped, without writing to the ended connection', async () => {
    const link = new MqttLink(
      {
        url: 'mqtt://127.0.0.1:1',
        protocolVersion: 4,
        keepalive: 30,
        reconnectPeriodMs: 10_000,
        topicPrefix: 'faregate/v1',
      } as never,
      'gate-stopped',
      () => ({}),
      silentLogger,
    );
    link.start();
    await link.stop();
    const err = await link.publish(link.topics.events, { at: 1, kind: 'x' }, { qos: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFaregateError(err, 'MQTT_LINK_STOPPED')).toBe(true);
    await link.publishStatus(); // never throws, sends nothing
  });
});
