/**
 * Unplug and replug of a serial scanner, played with socat pseudo-terminals: killing socat is the
 * cable being pulled, starting it again with the same link names is the scanner coming back.
 */
import { lstat, readlink, rename, stat, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ScannerInput } from '../../src/scanner/scannerInput.ts';
import { SerialTransport } from '../../src/scanner/serialTransport.ts';
import type { DropReason, ScannerState, ScannerFrame } from '../../src/scanner/types.ts';
import {
  makeTempDir,
  openPtyWriter,
  removeDir,
  startPtyPair,
  stopAllPtyPairs,
  waitFor,
  type PtyPair,
  type PtyWriter,
} from '../support/pty.ts';

const CODE = 'FG1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0BGJLFX3R3VHXK';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});
afterAll(async () => {
  await stopAllPtyPairs();
});

function track<T extends PtyPair | PtyWriter | ScannerInput>(thing: T): T {
  if (thing instanceof ScannerInput) cleanups.push(() => thing.stop());
  else if ('stop' in thing) cleanups.push(() => thing.stop('SIGKILL'));
  else cleanups.push(() => thing.close());
  return thing;
}

function observe(input: ScannerInput): {
  frames: ScannerFrame[];
  drops: [DropReason, number][];
  states: [ScannerState, string, number][];
} {
  const o = {
    frames: [] as ScannerFrame[],
    drops: [] as [DropReason, number][],
    states: [] as [ScannerState, string, number][],
  };
  input.on('frame', (t) => o.frames.push(t));
  input.on('dropped', (r, n) => o.drops.push([r, n]));
  input.on('state', (s, d) => o.states.push([s, d, Date.now()]));
  return o;
}

describe('serial scanner unplugged mid-frame', () => {
  it('goes down within 2 s, never emits the half frame, and comes back up by itself on replug', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => removeDir(dir));
    let pty = track(await startPtyPair({ dir }));
    const input = track(
      new ScannerInput({
        transportFactory: () => new SerialTransport({ path: pty.a, baudRate: 9600 }), // default pollMs 1000
        initialDelayMs: 100,
        maxDelayMs: 1000,
      }),
    );
    const o = observe(input);
    await input.start();
    expect(input.state).toBe('up');

    let writer = track(await openPtyWriter(pty.b));
    await writer.write(`${CODE}\r`);
    await waitFor(() => o.frames.length === 1, 'first frame');
    const half = CODE.slice(0, 30);
    await writer.write(half);
    await waitFor(() => input.counters.bytes === CODE.length + 1 + half.length, 'half frame received');

    const pulledAt = Date.now();
    await pty.stop('SIGKILL');
    await writer.close();
    await waitFor(() => input.state === 'down', "state 'down'", 2500);
    expect(Date.now() - pulledAt).toBeLessThan(2500);
    expect(o.frames).toEqual([CODE]);
    expect(o.drops).toEqual([['stale', half.length]]);
    expect(o.states.at(-1)![1]).toMatch(/^link lost: /);
    // SIGKILL leaves socat's links dangling; the helper removes them (as udev would) so the
    // retrying reader cannot pick up another test's terminal that reuses the pts number.
    await expect(lstat(pty.a)).rejects.toMatchObject({ code: 'ENOENT' });

    // Let a few reopen attempts fail, then plug the "same" scanner back in.
    await waitFor(() => input.counters.failedAttempts >= 2, 'failed reopen attempts', 5000);
    expect(input.state).toBe('down');
    pty = track(await startPtyPair({ dir }));
    await waitFor(() => input.state === 'up', "state 'up' again", 5000);
    expect(input.counters.reconnects).toBe(1);

    writer = track(await openPtyWriter(pty.b));
    await writer.write(`${CODE}\r\n`);
    await waitFor(() => o.frames.length === 2, 'frame after replug');
    expect(o.frames).toEqual([CODE, CODE]);
    expect(o.states.map(([s]) => s)).toEqual(['starting', 'up', 'down', 'up']);
    expect(input.counters.frames).toBe(2);
  });

  it('starts down when the device is absent and goes up when it appears', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => removeDir(dir));
    const path = join(dir, 'A');
    const input = track(
      new ScannerInput({
        transportFactory: () => new SerialTransport({ path, baudRate: 9600 }),
        initialDelayMs: 100,
        maxDelayMs: 800,
      }),
    );
    const o = observe(input);
    await expect(input.start()).resolves.toBeUndefined();
    expect(input.state).toBe('down');
    expect(input.counters.detail).toMatch(/open failed/);
    await waitFor(() => input.counters.failedAttempts >= 3, 'retries while absent', 5000);

    const pty = track(await startPtyPair({ dir }));
    await waitFor(() => input.state === 'up', "state 'up'", 5000);
    expect(input.counters.reconnects).toBe(0);
    const writer = track(await openPtyWriter(pty.b));
    await writer.write(`]Q1${CODE}\r`);
    await waitFor(() => o.frames.length === 1, 'frame');
    expect(o.frames).toEqual([CODE]);
    expect(o.states.map(([s]) => s)).toEqual(['starting', 'down', 'up']);
  });

  it('restarts socat over the dangling links a SIGKILL left behind', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => removeDir(dir));
    const first = track(await startPtyPair({ dir }));
    await first.stop('SIGKILL', { keepLinks: true });
    expect((await lstat(first.a)).isSymbolicLink()).toBe(true);
    await expect(stat(first.a)).rejects.toMatchObject({ code: 'ENOENT' });

    const again = track(await startPtyPair({ dir }));
    const transport = new SerialTransport({ path: again.a, baudRate: 9600 });
    cleanups.push(() => transport.close());
    const got: Buffer[] = [];
    transport.on('data', (d) => got.push(d));
    await transport.open();
    const writer = track(await openPtyWriter(again.b));
    await writer.write('ping\r');
    await waitFor(() => Buffer.concat(got).toString('latin1') === 'ping\r', 'bytes through the new pair');
  });

  it('notices by polling when the device name vanishes or another device takes it over', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => removeDir(dir));
    const first = track(await startPtyPair({ dir, names: ['A1', 'B1'] }));
    const second = track(await startPtyPair({ dir, names: ['A2', 'B2'] }));
    // A stable by-id style name pointing at whichever device is plugged in.
    const byId = join(dir, 'usb-Acme_Scanner_1234-if00');
    await symlink(await readlink(first.a), byId);

    const transport = new SerialTransport({ path: byId, baudRate: 9600, pollMs: 100 });
    cleanups.push(() => transport.close());
    const lost: string[] = [];
    transport.on('lost', (r) => lost.push(r));

    // Another device takes over the name; the old port itself stays open and silent.
    await transport.open();
    const tmp = `${byId}.new`;
    await symlink(await readlink(second.a), tmp);
    await rename(tmp, byId);
    await waitFor(() => lost.length > 0, 'lost (device replaced)', 2000);
    expect(lost).toEqual(['a different device now sits at the path']);
    await transport.close();
    await transport.close(); // idempotent

    // Reopen (now the second device), then the name vanishes.
    await transport.open();
    await unlink(byId);
    await waitFor(() => lost.length > 1, 'lost (path vanished)', 2000);
    expect(lost).toEqual(['a different device now sits at the path', 'device path vanished']);
    // At most once per open.
    await new Promise((r) => setTimeout(r, 300));
    expect(lost).toHaveLength(2);
    await transport.close();
    await expect(transport.open()).rejects.toThrow();
  });
});
