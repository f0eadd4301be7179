/**
 * --unplug-every/--unplug-for: over a pty the simulator kills socat and starts it again with the
 * same link names; the service side reopens the same path and frames flow again. Over TCP the
 * clients are dropped and the port refuses connections until the replug.
 */
import { existsSync, realpathSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import type { PtyOutput } from '../../firmware-sim/outputs.ts';
import { ScannerSimulator } from '../../firmware-sim/simulator.ts';
import { closeReader, devValidator, openReader, Recorder, Splitter, waitUntil } from './simHarness.ts';
import { systemErrorCode } from '../../src/errors/faregateError.ts';

let sim: ScannerSimulator | undefined;
let reader: SerialPort | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  await closeReader(reader);
  for (const s of sockets.splice(0)) s.destroy();
  await sim?.stop();
  sim = undefined;
  reader = undefined;
});

describe('firmware-sim unplug and replug', () => {
  it('pty: socat is restarted with the same link, the service side reopens it and frames flow again', async () => {
    sim = new ScannerSimulator({
      seed: 'unplug',
      riders: 40,
      mix: 'valid',
      count: 12,
      rate: 25,
      unplug: { every: 4, forMs: 400 },
      output: { kind: 'pty' },
    });
    const out = sim.output as PtyOutput;
    const rec = new Recorder(sim, devValidator('bus'));
    const path = await sim.open();
    const firstPid = out.socatPid;
    const pids = new Set([firstPid]);
    const events: string[] = [];
    let split = new Splitter(rec.onFrame);
    reader = await openReader(path, (d) => split.push(d));

    // Plays the service: on unplug the port dies; after replug it opens the same path again.
    sim.on('unplug', () => {
      events.push('unplug');
      expect(existsSync(path)).toBe(false);
      void closeReader(reader);
    });
    sim.on('replug', (e) => {
      events.push('replug');
      expect(e.target).toBe(path);
      expect(existsSync(path)).toBe(true);
      expect(realpathSync(path)).toMatch(/^\/dev\/pts\/\d+$/);
      pids.add(out.socatPid);
      split = new Splitter(rec.onFrame);
      // A service notices the port is back a little later (it polls); serialport flushes on open,
      // so frames written before that would be lost: the simulator must hold them back.
      setTimeout(() => void openReader(path, (d) => split.push(d)).then((p) => (reader = p)), 250);
    });
    let waited = 0;
    sim.on('waiting', () => waited++);

    await sim.start();
    await sim.finished();
    await waitUntil(() => rec.received.length >= 12, 5000, '12 frames across two replugs');
    expect(events).toEqual(['unplug', 'replug', 'unplug', 'replug']);
    expect(pids.size).toBe(3); // a new socat each time
    expect(waited).toBe(2); // it held frames back until the port was open again, after each replug
    expect(rec.mismatches()).toEqual([]);
    expect(rec.received.map((r) => r.decision.decision)).toEqual(Array(12).fill('accept'));
  });

  it('tcp: clients are dropped, connections refused while unplugged, frames flow after reconnecting', async () => {
    sim = new ScannerSimulator({
      seed: 'unplug-tcp',
      riders: 40,
      count: 10,
      rate: 25,
      unplug: { every: 5, forMs: 500 },
      output: { kind: 'tcp', port: 0 },
    });
    const rec = new Recorder(sim, devValidator('bus'));
    const target = new URL(await sim.open());
    const port = Number(target.port);
    let closed = 0;
    const dial = (): Promise<Socket | Error> =>
      new Promise((resolve) => {
        const split = new Splitter(rec.onFrame);
        const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
        s.on('data', (d) => split.push(d));
        s.on('error', (e) => resolve(e));
        s.on('close', () => closed++);
        sockets.push(s);
      });
    expect(await dial()).not.toBeInstanceOf(Error);
    let refused: unknown;
    sim.on('unplug', () => {
      void dial().then((r) => (refused = r));
    });
    sim.on('replug', () => {
      void dial();
    });
    await sim.start();
    await sim.finished();
    await waitUntil(() => rec.received.length >= 10, 5000, '10 frames over two connections');
    expect(closed).toBeGreaterThanOrEqual(1);
    expect(systemErrorCode(refused)).toBe('ECONNREFUSED');
    expect(rec.mismatches()).toEqual([]);
  });
});
