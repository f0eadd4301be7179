/**
 * --tcp: the simulator is a TCP server, the service connects as a client. Nothing is sent before a
 * client is there; every connected client gets every frame; the frames decide as labelled.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ScannerSimulator } from '../../firmware-sim/simulator.ts';
import type { TcpOutput } from '../../firmware-sim/outputs.ts';
import { devValidator, Recorder, Splitter, waitUntil } from './simHarness.ts';

let sim: ScannerSimulator | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await sim?.stop();
  sim = undefined;
});

function connectTo(target: string, onData: (d: Buffer) => void): Promise<Socket> {
  const u = new URL(target);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port) }, () => resolve(s));
    s.on('data', onData);
    s.on('error', reject);
    sockets.push(s);
  });
}

describe('firmware-sim --tcp', () => {
  it('waits for the service to connect, then every frame decides as labelled', async () => {
    sim = new ScannerSimulator({
      seed: 'tcp-test',
      riders: 30,
      count: 30,
      rate: 30,
      suffix: 'lf',
      output: { kind: 'tcp', port: 0, host: '127.0.0.1' },
    });
    const rec = new Recorder(sim, devValidator('bus'));
    let waiting = 0;
    sim.on('waiting', () => waiting++);
    const target = await sim.open();
    expect(target).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    await sim.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(waiting).toBe(1);
    expect(sim.sent).toBe(0);

    const split = new Splitter(rec.onFrame, Buffer.from('\n'));
    await connectTo(target, (d) => split.push(d));
    await sim.finished();
    await waitUntil(() => rec.received.length >= 30, 5000, '30 frames over TCP');
    expect(rec.mismatches()).toEqual([]);
    expect(rec.sentFrames.every((e) => e.receivers === 1)).toBe(true);
    expect(new Set(rec.sentFrames.map((e) => e.scenario)).size).toBeGreaterThanOrEqual(2);
  });

  it('every connected client receives the same frames, split writes reassemble, custom suffix', async () => {
    sim = new ScannerSimulator({
      seed: 'tcp-two',
      count: 12,
      rate: 40,
      split: true,
      suffix: 'custom:03',
      mix: 'valid=1,garbage=1',
      output: { kind: 'tcp', port: 0 },
    });
    const target = await sim.open();
    const got: Buffer[][] = [[], []];
    const splitters = got.map((list) => new Splitter((f) => list.push(f), Buffer.from([0x03])));
    await connectTo(target, (d) => splitters[0]!.push(d));
    await connectTo(target, (d) => splitters[1]!.push(d));
    await waitUntil(() => (sim!.output as TcpOutput).clientCount === 2, 2000, 'two clients');
    const sent: Buffer[] = [];
    sim.on('sent', (e) => sent.push(e.data.subarray(0, -1)));
    await sim.start();
    await sim.finished();
    await waitUntil(() => got[0]!.length >= 12 && got[1]!.length >= 12, 5000, 'both clients');
    expect(got[0]).toEqual(sent);
    expect(got[1]).toEqual(sent);
  });
});
