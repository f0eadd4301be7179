/**
 * Helpers shared by the service-level benchmarks (durableCommit, frameToGate, backlogDrain):
 * temp dirs, a gate driver that does nothing (or records when it is told to open), a pool of
 * riders from the test-only dev issuer, and settings built with the real ConfigSchema.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema, type Config } from '../../src/config/schema.ts';
import type { GateDriver, GateSignal } from '../../src/gate/types.ts';
import { busSettings } from '../support/serviceProcess.ts';
import { makeRider, type TestRider } from '../support/riders.ts';
import { hrnow, percentile, type Samples } from './stats.ts';

export async function benchTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `faregate-bench-${prefix}-`));
}

export async function removeTempDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** A gate that does nothing (the dispatcher still queues and times out as in production). */
export class NoopGate implements GateDriver {
  readonly name = 'bench-noop';
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async signal(_s: GateSignal): Promise<void> {}
}

/** A gate that notes process.hrtime (ns) when it is told to open, by tap id. */
export class RecordingGate implements GateDriver {
  readonly name = 'bench-recording';
  readonly opens = new Map<string, bigint>();
  rejects = 0;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async signal(s: GateSignal): Promise<void> {
    const t = hrnow();
    if (s.action === 'open') this.opens.set(s.tapId ?? `#${this.opens.size}`, t);
    else if (s.action === 'reject') this.rejects++;
  }
}

/**
 * Riders from the dev issuer (test/support/riders.ts). With the spec's 3 s duplicate window a
 * rider may come back only after > 3 s (of real or synthetic time): `next()` rotates through
 * the pool, so the pool must be larger than 3 s / (time between frames).
 */
export class RiderPool {
  readonly riders: TestRider[] = [];
  private i = 0;
  constructor(n: number) {
    for (let k = 0; k < n; k++) this.riders.push(makeRider({ sub: `be${k.toString(16).padStart(14, '0')}` }));
  }
  next(): TestRider {
    const r = this.riders[this.i]!;
    this.i = (this.i + 1) % this.riders.length;
    return r;
  }
  get size(): number {
    return this.riders.length;
  }
}

/** A bus reader's settings through the real schema (defaults filled in); `extra` overrides. */
export function benchConfig(scannerPath: string, dataDir: string, extra: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse(
    busSettings(scannerPath, dataDir, {
      deviceId: 'bench-bus-1',
      place: 'route-bench',
      log: { level: 'silent' },
      ...extra,
    }),
  );
}

/** A synthetic clock (Unix ms) the benchmark sets before each call. */
export class ManualClock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** p-th percentile in µs of a Samples (ns), nearest rank. */
export function pUs(s: Samples, p: number): number {
  return percentile(s.sorted(), p) / 1000;
}
