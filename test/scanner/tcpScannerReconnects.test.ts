/**
 * A network scanner (or the simulator) at tcp://host:port: a local net.Server plays the scanner.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTransport, parseTcpTarget, TransportConfigError } from '../../src/scanner/createTransport.ts';
import { ScannerInput } from '../../src/scanner/scannerInput.ts';
import { SerialTransport } from '../../src/scanner/serialTransport.ts';
import { TcpTransport } from '../../src/scanner/tcpTransport.ts';
import type { ScannerState, ScannerFrame } from '../../src/scanner/types.ts';
import { waitFor } from '../support/pty.ts';

const CODE_A = 'FG1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0BGJLFX3R3VHXK';
const CODE_B = 'FG1:NCFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N IOP-IA%NFQGRJPC%OQHIZC4';

/** A scanner that listens on 127.0.0.1 and can stop accepting and come back on the same port. */
class FakeNetworkScanner {
  server: Server | undefined;
  readonly sockets = new Set<Socket>();
  port = 0;
  accepted = 0;

  async listen(port = 0): Promise<void> {
    const server = createServer((s) => {
      this.accepted++;
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  send(data: string): void {
    for (const s of this.sockets) s.write(Buffer.from(data, 'latin1'));
  }

  /** Drops every connection and stops listening. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

describe('tcp scanner', () => {
  it('reads frames, goes down when the server drops the connection and reconnects when it accepts again', async () => {
    const scanner = new FakeNetworkScanner();
    await scanner.listen();
    cleanups.push(() => scanner.down());
    const target = `tcp://127.0.0.1:${scanner.port}`;
    const input = new ScannerInput({
      transportFactory: () =>
        createTransport({ path: target, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 }),
      initialDelayMs: 50,
      maxDelayMs: 400,
    });
    cleanups.push(() => input.stop());
    const frames: ScannerFrame[] = [];
    const states: [ScannerState, string][] = [];
    input.on('frame', (t) => frames.push(t));
    input.on('state', (s, d) => states.push([s, d]));

    await input.start();
    expect(input.state).toBe('up');
    expect(input.counters.target).toBe(target);
    await waitFor(() => scanner.sockets.size === 1, 'connection accepted');
    scanner.send(`${CODE_A}\r\n]Q1${CODE_B}`);
    scanner.send('\r');
    await waitFor(() => frames.length === 2, '2 frames');
    expect(frames).toEqual([CODE_A, CODE_B]);

    // Server goes away: connection dropped, new connections refused for a while.
    scanner.send('FG1:half');
    await waitFor(() => input.counters.bytes >= CODE_A.length + CODE_B.length + 6 + 8, 'half frame received');
    const port = scanner.port;
    await scanner.down();
    await waitFor(() => input.state === 'down', "state 'down'", 3000);
    await waitFor(() => input.counters.failedAttempts >= 2, 'refused reconnect attempts', 3000);
    expect(input.counters.dropped.stale).toBe(1);

    await scanner.listen(port);
    await waitFor(() => input.state === 'up', "state 'up' again", 3000);
    await waitFor(() => scanner.sockets.size === 1, 'reconnection accepted');
    expect(input.counters.reconnects).toBe(1);
    scanner.send(`${CODE_B}\n`);
    await waitFor(() => frames.length === 3, 'frame after reconnect');
    expect(frames).toEqual([CODE_A, CODE_B, CODE_B]);
    expect(states.map(([s]) => s)).toEqual(['starting', 'up', 'down', 'up']);

    await input.stop();
    const after = states.length;
    expect(states[after - 1]![0]).toBe('stopped');
    scanner.send(`${CODE_A}\n`);
    await new Promise((r) => setTimeout(r, 100));
    expect(frames).toHaveLength(3);
    expect(states).toHaveLength(after);
    expect(scanner.sockets.size).toBe(0);
  });

  it('starts down when nothing listens, and comes up when the scanner starts listening', async () => {
    // Find a free port, then release it.
    const probe = new FakeNetworkScanner();
    await probe.listen();
    const port = probe.port;
    await probe.down();

    const input = new ScannerInput({
      transportFactory: () => new TcpTransport({ host: '127.0.0.1', port, connectTimeoutMs: 1000 }),
      initialDelayMs: 50,
      maxDelayMs: 300,
    });
    cleanups.push(() => input.stop());
    await input.start();
    expect(input.state).toBe('down');
    expect(input.counters.detail).toMatch(/ECONNREFUSED/);

    const scanner = new FakeNetworkScanner();
    await scanner.listen(port);
    cleanups.push(() => scanner.down());
    await waitFor(() => input.state === 'up', "state 'up'", 3000);
    const frames: ScannerFrame[] = [];
    input.on('frame', (t) => frames.push(t));
    await waitFor(() => scanner.sockets.size === 1, 'connection accepted');
    scanner.send(`${CODE_A}\r`);
    await waitFor(() => frames.length === 1, 'frame');
    expect(frames).toEqual([CODE_A]);
  });

  it('stop() during backoff cancels retries and emits nothing afterwards', async () => {
    const probe = new FakeNetworkScanner();
    await probe.listen();
    const port = probe.port;
    await probe.down();
    let opens = 0;
    const input = new ScannerInput({
      transportFactory: () => {
        const t = new TcpTransport({ host: '127.0.0.1', port });
        const open = t.open.bind(t);
        t.open = () => {
          opens++;
          return open();
        };
        return t;
      },
      initialDelayMs: 20,
      maxDelayMs: 40,
    });
    const events: string[] = [];
    input.on('state', (s) => events.push(s));
    await input.start();
    await waitFor(() => opens >= 3, 'a few attempts');
    await input.stop();
    await input.stop(); // idempotent
    const seen = opens;
    const n = events.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(opens).toBe(seen);
    expect(events).toHaveLength(n);
    expect(events.at(-1)).toBe('stopped');
  });
});

describe('createTransport', () => {
  const base = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 } as const;

  it('chooses TCP for tcp:// and serial otherwise', () => {
    const tcp = createTransport({ ...base, path: 'tcp://127.0.0.1:9100' });
    expect(tcp).toBeInstanceOf(TcpTransport);
    expect(tcp.target).toBe('tcp://127.0.0.1:9100');
    const v6 = createTransport({ ...base, path: 'tcp://[::1]:9100' });
    expect(v6.target).toBe('tcp://[::1]:9100');
    const serial = createTransport({ ...base, path: '/dev/serial/by-id/usb-Acme_Scanner_1234-if00' });
    expect(serial).toBeInstanceOf(SerialTransport);
    expect(serial.target).toBe('/dev/serial/by-id/usb-Acme_Scanner_1234-if00');
  });

  it('validates tcp host:port', () => {
    expect(parseTcpTarget('tcp://scanner.local:9100')).toEqual({ host: 'scanner.local', port: 9100 });
    for (const bad of [
      'tcp://127.0.0.1',
      'tcp://127.0.0.1:0',
      'tcp://127.0.0.1:70000',
      'tcp://:9100',
      'tcp://h:9100/x',
      'tcp://u:p@h:1',
      'tcp://h:abc',
    ]) {
      expect(() => createTransport({ ...base, path: bad }), bad).toThrow(TransportConfigError);
    }
    expect(() => createTransport({ ...base, path: 'udp://127.0.0.1:9100' })).toThrow(TransportConfigError);
  });
});
