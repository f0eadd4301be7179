/**
 * An in-process validator for rule tests: TapProcessor with a real SQLite TapStore in a temp dir,
 * the real GateDispatcher with a gate driver that records what it is told (and whether the store
 * already held the tap it names), a manual clock, the gate policy attached to the store, and the
 * FG1 format with the test issuer (test/support/fixtures.ts). No process, broker or pty.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdmissionSettings, ListFreshness } from '../../src/admission/admit.ts';
import { GateDispatcher } from '../../src/gate/gateDispatcher.ts';
import type { GateDriver, GateSignal } from '../../src/gate/types.ts';
import { GatePolicy } from '../../src/policy/gatePolicy.ts';
import { TapProcessor, type Outcome } from '../../src/service/tapProcessor.ts';
import { TapStore } from '../../src/store/tapStore.ts';
import { credentialRouter } from '../../src/token/formats.ts';
import type { ValidationParams } from '../../src/token/params.ts';
import { captureLogger } from '../support/captureLogger.ts';
import { bytes, makeValidator, NOW, rideCode } from '../support/fixtures.ts';

/** What the gate was told, with what the store held at that moment. */
export interface Told {
  signal: GateSignal;
  tapInStore: boolean;
  tapsInStore: number;
}

export class RecordingGate implements GateDriver {
  readonly name = 'recording';
  readonly told: Told[] = [];
  constructor(private readonly store: () => TapStore) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async signal(s: GateSignal): Promise<void> {
    const store = this.store();
    const tapInStore = s.tapId !== undefined && store.tap(s.tapId) !== undefined;
    this.told.push({ signal: s, tapInStore, tapsInStore: store.counts().taps });
  }
}

export class ManualClock {
  constructor(public ms: number = NOW * 1000) {}
  now(): number {
    return this.ms;
  }
}

export function busSettings(o: Partial<AdmissionSettings> = {}): AdmissionSettings {
  return {
    deviceId: 'gate-1',
    mode: 'bus',
    place: 'route-7',
    direction: 'board',
    fare: { currency: 'CNY', bus: { adult: 200, child: 100 } },
    policy: { antiPassbackSeconds: 600, maxJourneySeconds: 14_400 },
    ...o,
  };
}

export function metroSettings(direction: 'in' | 'out', o: Partial<AdmissionSettings> = {}): AdmissionSettings {
  return busSettings({ mode: 'metro', place: 'station-12', direction, fare: { currency: 'CNY' }, ...o });
}

export interface Rig {
  readonly processor: TapProcessor;
  readonly driver: RecordingGate;
  readonly gate: GateDispatcher;
  readonly policy: GatePolicy;
  readonly store: TapStore;
  readonly log: ReturnType<typeof captureLogger>;
  readonly outcomes: Outcome[];
  readonly clock: ManualClock;
  /** The gate's answers so far as `action message` (after the dispatcher is idle). */
  answers(): Promise<string[]>;
  /** Closes the store and opens it again with a new processor and policy (a restart, in process). */
  restart(cfg?: AdmissionSettings): Rig;
  close(): void;
}

export interface RigOptions {
  dir?: string;
  clock?: ManualClock;
  lists?: { freshness(): ListFreshness };
  /** Token parameters (e.g. a shorter duplicate window). */
  token?: Partial<ValidationParams>;
}

export function makeRig(cfg: AdmissionSettings = busSettings(), o: RigOptions = {}): Rig {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'faregate-rig-'));
  const clock = o.clock ?? new ManualClock();
  const store = new TapStore({ file: join(dir, 'faregate.sqlite'), synchronous: 'NORMAL', logger: captureLogger() });
  store.open();
  const log = captureLogger();
  const driver = new RecordingGate(() => store);
  const gate = new GateDispatcher(driver, { timeoutMs: 1000 }, log);
  const policy = new GatePolicy(cfg);
  policy.attach(store.database, clock.now());
  const outcomes: Outcome[] = [];
  const processor = new TapProcessor({
    credentials: credentialRouter({ fg1: makeValidator({ params: { ...o.token, mode: cfg.mode } }) }),
    store,
    gate,
    config: cfg,
    clock,
    logger: log,
    policy,
    onOutcome: (out) => outcomes.push(out),
    ...(o.lists ? { lists: o.lists } : {}),
  });
  return {
    processor,
    driver,
    gate,
    policy,
    store,
    log,
    outcomes,
    clock,
    async answers() {
      await gate.idle();
      return driver.told.map((t) => `${t.signal.action} ${t.signal.message}`);
    },
    restart(next = cfg) {
      store.close();
      return makeRig(next, { ...o, dir, clock });
    },
    close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A rider of the test issuer: an account (8 bytes hex) with a profile and an optional cap. */
export class Rider {
  private static seq = 0;
  constructor(
    readonly sub: string,
    private readonly claims: { profile?: number; cap?: number } = {},
  ) {}

  /** A fresh code made at the clock's time. */
  code(clock: ManualClock): string {
    const claims: Record<number, number | Uint8Array> = { 2: bytes(this.sub), [-70001]: this.claims.profile ?? 0 };
    if (this.claims.cap !== undefined) claims[-70002] = this.claims.cap;
    return rideCode({ ts: Math.floor(clock.ms / 1000), seq: ++Rider.seq, credential: { claims } }).text;
  }
}
