/**
 * Shared parts of the settlement fault tests: settings with small settlement timings, riders fed
 * through a pty scanner (processes) or a fake scanner link (in-process validators), the validator's SQLite store read from outside, retained MQTT messages
 * read with a fresh client, an in-process logger that keeps lines, and the exactly-once check.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { expect } from 'vitest';
import { ConfigSchema, type Config } from '../../src/config/schema.ts';
import type { IndependentBackend } from '../support/independentBackend.ts';
import { openPtyWriter, sleep, type PtyWriter } from '../support/pty.ts';
import { makeRider, type TestRider } from '../support/riders.ts';
import { busSettings } from '../support/serviceProcess.ts';
import { FakeScanner } from '../service/inProcess.ts';

export const PREFIX = 'faregate/v1';
export const DEVICE = 'test-bus-1';
export const STATUS_TOPIC = `${PREFIX}/gates/${DEVICE}/status`;
export const EVENTS_TOPIC = `${PREFIX}/gates/${DEVICE}/events`;
export const METRICS_TOPIC = `${PREFIX}/gates/${DEVICE}/metrics`;

/**
 * Upper bound of every wait in these tests. Passing runs never wait this long; it is generous
 * because the tests share two cores with brokers, socat and other test runs.
 */
export const WAIT = Number(process.env.SETTLEMENT_WAIT_MS ?? 30_000);

export const FAST_SETTLEMENT = { lingerMs: 50, ackTimeoutMs: 500, maxBackoffMs: 2000, metricsIntervalMs: 1000 };

export function tempDir(prefix = 'faregate-settle-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Bus settings with a broker and small settlement timings; `settlement` is merged over FAST_SETTLEMENT. */
export function settlementSettings(
  scannerPath: string,
  dataDir: string,
  url: string,
  o: { protocolVersion?: 4 | 5; settlement?: Record<string, unknown>; extra?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return busSettings(scannerPath, dataDir, {
    mqtt: { url, protocolVersion: o.protocolVersion ?? 4, reconnectPeriodMs: 200 },
    settlement: { ...FAST_SETTLEMENT, ...o.settlement },
    ...o.extra,
  });
}

/** The same settings, parsed, for an in-process ValidatorService. */
export function settlementConfig(...args: Parameters<typeof settlementSettings>): Config {
  return ConfigSchema.parse(settlementSettings(...args));
}

export interface StoreRow {
  id: string;
  codeId: string;
  settled: number;
  attempts: number;
  fare: number | null;
}

/** Reads the validator's store from outside (read-only; works while the validator runs, WAL). */
export function readStore(dataDir: string): StoreRow[] {
  const file = join(dataDir, 'faregate.sqlite');
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('SELECT id, code_id AS codeId, settled, attempts, fare FROM taps ORDER BY seqno')
      .all() as StoreRow[];
  } finally {
    db.close();
  }
}

/** A scanner on a pty: writes fresh codes of riders, one per frame. */
export class Feeder {
  readonly riders: TestRider[] = [];
  private constructor(private readonly writer: PtyWriter) {}

  static async open(ptyB: string): Promise<Feeder> {
    return new Feeder(await openPtyWriter(ptyB));
  }

  /** Writes `n` new riders' codes with `gapMs` between; stops early when `stop()` says so. Returns how many were written. */
  async feed(n: number, gapMs = 5, stop: () => boolean = () => false): Promise<number> {
    let written = 0;
    for (let i = 0; i < n; i++) {
      if (stop()) break;
      const r = makeRider();
      this.riders.push(r);
      await this.writer.write(r.code() + '\r');
      written++;
      if (gapMs > 0) await sleep(gapMs);
    }
    return written;
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}

/**
 * A scanner with no serial port under it, for in-process validators whose test is about the
 * MQTT wire: pass `scanner` as the platform's scanner transport; `feed` writes fresh codes.
 */
export class FakeFeeder {
  readonly riders: TestRider[] = [];
  readonly scanner = new FakeScanner();

  async feed(n: number, gapMs = 5): Promise<number> {
    for (let i = 0; i < n; i++) {
      const r = makeRider();
      this.riders.push(r);
      this.scanner.feed(r.code());
      if (gapMs > 0) await sleep(gapMs);
    }
    return n;
  }
}

export { captureLogger } from '../support/captureLogger.ts';

/** The tap ids of the accepted decisions among log lines (a service's decision lines or a captured log). */
export function acceptedTapIds(lines: readonly Record<string, unknown>[]): string[] {
  return lines.filter((l) => l.decision === 'accept').map((l) => l.tapId as string);
}

/** The retained message on `topic`, read with a fresh client (undefined when none arrives within `waitMs`). */
export async function readRetained(
  url: string,
  topic: string,
  protocolVersion: 4 | 5 = 4,
  waitMs = 1000,
): Promise<Record<string, unknown> | undefined> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion,
    clean: true,
    reconnectPeriod: 0,
    clientId: `retained-reader-${Math.random().toString(36).slice(2)}`,
  });
  try {
    return await new Promise<Record<string, unknown> | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), waitMs);
      client.on('message', (tp, payload, packet) => {
        if (tp !== topic || !packet.retain) return;
        clearTimeout(t);
        resolve(JSON.parse(payload.toString('utf8')) as Record<string, unknown>);
      });
      client.subscribe(topic, { qos: 1 });
    });
  } finally {
    await client.endAsync(true);
  }
}

/** Polls the retained message until `pred` holds. */
export async function waitRetained(
  url: string,
  topic: string,
  pred: (m: Record<string, unknown>) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> | undefined;
  for (;;) {
    last = await readRetained(url, topic, 4, 500);
    if (last && pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last retained: ${JSON.stringify(last)}`);
    await sleep(100);
  }
}

/** A client that collects every message on some topics (e.g. events, metrics). */
export async function collect(
  url: string,
  topics: string[],
): Promise<{
  messages: { topic: string; body: Record<string, unknown>; retain: boolean }[];
  close: () => Promise<void>;
}> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 200,
    clientId: `collector-${Math.random().toString(36).slice(2)}`,
  });
  const messages: { topic: string; body: Record<string, unknown>; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => {
    try {
      messages.push({
        topic,
        body: JSON.parse(payload.toString('utf8')) as Record<string, unknown>,
        retain: packet.retain,
      });
    } catch {
      /* not JSON: not ours */
    }
  });
  await client.subscribeAsync(topics, { qos: 1 });
  return { messages, close: () => client.endAsync(true).then(() => undefined) };
}

/** Waits until the store has no unsettled tap and at least `minTaps` taps. */
export async function waitStoreSettled(dataDir: string, minTaps: number, timeoutMs: number): Promise<StoreRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = readStore(dataDir);
    if (rows.length >= minTaps && rows.every((r) => r.settled === 1)) return rows;
    if (Date.now() > deadline)
      throw new Error(
        `timed out: store has ${rows.length} taps (want >= ${minTaps}), ${rows.filter((r) => r.settled === 0).length} unsettled`,
      );
    await sleep(50);
  }
}

export interface ExactlyOnce {
  accepted: number;
  settled: number;
  duplicateReceipts: number;
  maxReceipts: number;
}

/**
 * Exactly once: the accepted taps (the store's rows, which must include every logged accept) are
 * exactly the ids the backend settled; each id settled once and each ride (code id) under one
 * tap id only; every re-sent copy had the same content; the store marks every tap settled.
 */
export function expectExactlyOnce(
  rows: StoreRow[],
  backend: IndependentBackend,
  loggedAcceptIds: string[] = [],
): ExactlyOnce {
  const storeIds = new Set(rows.map((r) => r.id));
  expect(storeIds.size, 'tap ids in the store are unique').toBe(rows.length);
  const lost = loggedAcceptIds.filter((id) => !storeIds.has(id));
  expect(lost, 'logged accepts missing from the store').toEqual([]);
  const unsettledAtBackend = rows.filter((r) => !backend.settled.has(r.id)).map((r) => r.id);
  expect(unsettledAtBackend, 'accepted taps never settled at the backend').toEqual([]);
  const foreign = [...backend.settled].filter((id) => !storeIds.has(id));
  expect(foreign, 'ids settled at the backend that the validator never accepted').toEqual([]);
  expect(backend.settlements.length, 'one settlement per id').toBe(backend.settled.size);
  expect(new Set(backend.settlements.map((s) => s.id)).size).toBe(backend.settlements.length);
  const doubleRides = [...backend.settledByCode].filter(([, ids]) => ids.length > 1);
  expect(doubleRides, 'a ride settled under two tap ids').toEqual([]);
  expect(backend.conflicts, 'a tap re-sent with different content').toEqual([]);
  expect(
    rows.filter((r) => r.settled !== 1).map((r) => r.id),
    'taps the store still holds unsettled',
  ).toEqual([]);
  for (const r of rows) expect(backend.receipts.get(r.id) ?? 0).toBeGreaterThanOrEqual(1);
  return {
    accepted: rows.length,
    settled: backend.settled.size,
    duplicateReceipts: backend.duplicateReceipts,
    maxReceipts: Math.max(0, ...backend.receipts.values()),
  };
}

/** One line for the test output (numbers for the report). */
export function report(name: string, r: object): void {
  console.log(`[settlement] ${name}: ${JSON.stringify(r)}`);
}
