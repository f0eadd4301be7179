/**
 * ScannerInput state machine with a scripted transport (the one place a mock is used): backoff
 * schedule, jitter bounds, a stop during a hanging open, no events after stop.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ScannerInput } from '../../src/scanner/scannerInput.ts';
import type { ByteTransport, ScannerState } from '../../src/scanner/types.ts';

class ScriptedTransport extends EventEmitter<{ data: [Buffer]; lost: [reason: string] }> implements ByteTransport {
  readonly target = 'scripted://scanner';
  present = false;
  hang = false;
  isOpen = false;
  opens: number[] = [];
  closes = 0;
  private pendingReject: ((e: Error) => void) | undefined;

  constructor(private readonly now: () => number) {
    super();
  }

  open(): Promise<void> {
    this.opens.push(this.now());
    if (this.hang) return new Promise((_, reject) => (this.pendingReject = reject));
    if (!this.present) return Promise.reject(new Error('ENOENT: no such device'));
    this.isOpen = true;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closes++;
    this.isOpen = false;
    this.pendingReject?.(new Error('closed while opening'));
    this.pendingReject = undefined;
    return Promise.resolve();
  }

  unplug(): void {
    this.present = false;
    this.isOpen = false;
    this.emit('lost', 'disconnected');
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('scanner input backoff and stop', () => {
  it('retries with capped exponential backoff and resets it after a successful open', async () => {
    vi.useFakeTimers({ now: 0 });
    const t = new ScriptedTransport(() => Date.now());
    const input = new ScannerInput({
      transportFactory: () => t,
      initialDelayMs: 250,
      maxDelayMs: 2000,
      random: () => 0,
    });
    const states: [ScannerState, string][] = [];
    input.on('state', (s, d) => states.push([s, d]));
    await input.start();
    expect(input.state).toBe('down');
    await vi.advanceTimersByTimeAsync(250 + 500 + 1000 + 2000 + 2000 + 10);
    expect(t.opens).toEqual([0, 250, 750, 1750, 3750, 5750]);
    expect(states).toEqual([
      ['starting', 'scripted://scanner'],
      ['down', 'open failed: ENOENT: no such device'],
    ]);
    expect(input.counters.failedAttempts).toBe(6);

    t.present = true;
    await vi.advanceTimersByTimeAsync(2000);
    expect(input.state).toBe('up');
    expect(input.counters.since).toBe(7750);

    t.unplug();
    await vi.advanceTimersByTimeAsync(0);
    expect(input.state).toBe('down');
    expect(input.counters.detail).toBe('link lost: disconnected');
    t.present = true;
    const before = t.opens.length;
    await vi.advanceTimersByTimeAsync(250);
    expect(t.opens.length).toBe(before + 1); // back to the initial delay
    expect(input.state).toBe('up');
    expect(input.counters.reconnects).toBe(1);
    await input.stop();
  });

  it('takes at most the jitter fraction off each delay', async () => {
    vi.useFakeTimers({ now: 0 });
    const t = new ScriptedTransport(() => Date.now());
    const input = new ScannerInput({
      transportFactory: () => t,
      initialDelayMs: 1000,
      maxDelayMs: 1000,
      jitter: 0.2,
      random: () => 0.999,
    });
    await input.start();
    await vi.advanceTimersByTimeAsync(3000);
    const gaps = t.opens.slice(1).map((v, i) => v - t.opens[i]!);
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(800);
      expect(g).toBeLessThanOrEqual(1000);
    }
    await input.stop();
  });

  it('stop() during a hanging open aborts it, resolves, and nothing is emitted afterwards', async () => {
    const t = new ScriptedTransport(() => Date.now());
    t.hang = true;
    const input = new ScannerInput({ transportFactory: () => t });
    const events: string[] = [];
    input.on('state', (s) => events.push(s));
    input.on('frame', () => events.push('frame'));
    const started = input.start();
    await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    await input.stop();
    await started;
    expect(Date.now() - t0).toBeLessThan(500);
    expect(events).toEqual(['starting', 'stopped']);
    t.emit('data', Buffer.from('FG1:X\r'));
    t.emit('lost', 'late');
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual(['starting', 'stopped']);
    expect(input.state).toBe('stopped');
  });

  it('does not throw from start() when the transport cannot even be created', async () => {
    const input = new ScannerInput({
      transportFactory: () => {
        throw new Error('invalid scanner target');
      },
    });
    await expect(input.start()).resolves.toBeUndefined();
    expect(input.state).toBe('down');
    expect(input.counters.detail).toMatch(/invalid scanner target/);
    await input.stop();
    expect(input.state).toBe('stopped');
  });
});
