/**
 * Frame-to-gate latency through a real pseudo-terminal (socat), as a USB-serial scanner would
 * deliver it: an in-process ValidatorService (settings from ConfigSchema.parse, scanner.path =
 * pty side A, serialport transport, framer, validator, TapStore NORMAL in a temp dir) and a gate
 * driver that notes process.hrtime when it is told to open. The bench writes one frame
 * (`code\r\n`) to side B every `intervalMs` and notes the time just before the write.
 *
 *   total   = gate signal − write start (what the rider waits for, minus the scanner's own decode)
 *   serial  = frame event − write start (pty, serialport read, framer; measured by a listener
 *             prepended to the service's scanner 'frame' event, so it runs before the decision)
 *   service = gate signal − frame event (decision, durable commit, gate dispatch)
 *
 * Riders are warmed first (their credentials verified once through service.validator.evaluate,
 * nothing remembered), so every frame is a cached-credential accept; every frame must open the
 * gate or the bench throws. No target in the issue: figures are reported.
 */
import os from 'node:os';
import { silentLogger } from '../../src/platform/logger.ts';
import { ValidatorService } from '../../src/service/validatorService.ts';
import { openPtyWriter, startPtyPair, waitFor, type PtyPair, type PtyWriter } from '../support/pty.ts';
import { codeIdOfText } from '../support/riders.ts';
import { benchConfig, benchTempDir, RecordingGate, removeTempDir, RiderPool, sleep } from './benchSupport.ts';
import { hrnow, progress, Samples, summarize, type BenchReport, type Summary, type Table } from './stats.ts';

export interface FrameToGateOptions {
  frames?: number;
  /** Frames thrown away at the start (JIT, first reads). */
  warmupFrames?: number;
  intervalMs?: number;
  riders?: number;
  quiet?: boolean;
}

const DEFAULTS: Required<FrameToGateOptions> = {
  frames: 500,
  warmupFrames: 30,
  intervalMs: 10,
  riders: 400,
  quiet: false,
};

function fail(msg: string): never {
  throw new Error(`frameToGate bench invalid: ${msg}`);
}

export async function frameToGateBench(opts: FrameToGateOptions = {}): Promise<BenchReport> {
  const o: Required<FrameToGateOptions> = { ...DEFAULTS, ...opts };
  const started = Date.now();
  const total = o.warmupFrames + o.frames;
  if (o.riders * o.intervalMs <= 3000)
    fail(`riders=${o.riders} at ${o.intervalMs} ms re-sees a rider within the 3 s duplicate window`);

  progress(o.quiet, `frameToGate: ${o.riders} riders, pty pair, service ...`);
  const pool = new RiderPool(o.riders);
  let pair: PtyPair | undefined;
  let writer: PtyWriter | undefined;
  let service: ValidatorService | undefined;
  let dir: string | undefined;
  try {
    dir = await benchTempDir('f2g');
    pair = await startPtyPair();
    const gate = new RecordingGate();
    const config = benchConfig(pair.a, dir);
    service = new ValidatorService(config, { logger: silentLogger, gateDriver: gate });
    const svc = service;
    // Warm the credential cache (no replay-memory entries, so no duplicate-window effects).
    const nowSec = Date.now() / 1000;
    for (const r of pool.riders) {
      const d = svc.validator.evaluate(r.code(Math.floor(nowSec)), nowSec);
      if (d.decision !== 'accept') fail(`warm-up: ${d.decision}/${d.reason ?? ''}`);
    }
    const frameAt = new Map<string, bigint>(); // frame text → frame event time (no decoding here: it would delay the decision)
    const tapCode = new Map<string, string>(); // tapId → codeId
    const other: string[] = [];
    svc.scanner.prependListener('frame', (text) => {
      if (typeof text === 'string') frameAt.set(text, hrnow());
    });
    svc.onOutcome((out) => {
      if (out.tap) tapCode.set(out.tap.id, out.tap.codeId);
      else other.push(`${out.decision}/${out.reason ?? ''}${out.detail ? ` ${out.detail}` : ''}`);
    });
    await svc.start();
    await waitFor(() => svc.scanner.state === 'up', 'scanner up on the pty', 5000);
    writer = await openPtyWriter(pair.b);

    // Codes made now (valid ~90 s): every rider's next code, in frame order.
    const texts: string[] = [];
    const tsSec = Math.floor(Date.now() / 1000);
    for (let i = 0; i < total; i++) texts.push(pool.next().code(tsSec) + '\r\n');
    const codeIds = texts.map((t) => codeIdOfText(t.slice(0, -2)));
    const writeAt: bigint[] = [];

    progress(o.quiet, `frameToGate: ${total} frames every ${o.intervalMs} ms ...`);
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + i * o.intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      writeAt.push(hrnow());
      await writer.write(texts[i]!);
    }
    await waitFor(() => tapCode.size + other.length >= total || undefined, 'every frame decided', 10_000).catch(
      () => undefined,
    );
    await svc.gate.idle();
    if (other.length) fail(`${other.length} frames were not accepted: ${other.slice(0, 5).join(', ')}`);

    const opens = new Map<string, bigint>(); // codeId → gate open time
    for (const [tapId, t] of gate.opens) {
      const c = tapCode.get(tapId);
      if (c) opens.set(c, t);
    }
    const totalS = new Samples(o.frames);
    const serialS = new Samples(o.frames);
    const serviceS = new Samples(o.frames);
    let missing = 0;
    for (let i = o.warmupFrames; i < total; i++) {
      const c = codeIds[i]!;
      const g = opens.get(c);
      const f = frameAt.get(texts[i]!.slice(0, -2));
      if (g === undefined || f === undefined) {
        missing++;
        continue;
      }
      totalS.pushSpan(writeAt[i]!, g);
      serialS.pushSpan(writeAt[i]!, f);
      serviceS.pushSpan(f, g);
    }
    if (missing) fail(`${missing} frames have no gate signal or no frame event`);
    const sum: Record<'total' | 'serial' | 'service', Summary> = {
      total: summarize(totalS),
      serial: summarize(serialS),
      service: summarize(serviceS),
    };
    const status = svc.status();

    const table: Table = {
      title: `Latency per frame (µs), ${o.frames} frames every ${o.intervalMs} ms through a socat pty`,
      columns: ['span', 'n', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'],
      rows: [
        [
          'write → gate signal (total)',
          sum.total.n,
          sum.total.p50Us,
          sum.total.p90Us,
          sum.total.p99Us,
          sum.total.p999Us,
          sum.total.maxUs,
          sum.total.meanUs,
        ],
        [
          'write → frame event (pty, serialport, framer)',
          sum.serial.n,
          sum.serial.p50Us,
          sum.serial.p90Us,
          sum.serial.p99Us,
          sum.serial.p999Us,
          sum.serial.maxUs,
          sum.serial.meanUs,
        ],
        [
          'frame event → gate signal (decide, commit, dispatch)',
          sum.service.n,
          sum.service.p50Us,
          sum.service.p90Us,
          sum.service.p99Us,
          sum.service.p999Us,
          sum.service.maxUs,
          sum.service.meanUs,
        ],
      ],
    };
    const elapsed = (Date.now() - started) / 1000;
    const notes = [
      `${o.warmupFrames} warm-up frames discarded; ${o.riders} riders (dev issuer, EdDSA) in rotation, credentials verified once before (cached path); every frame was an accept (${status.decisions.accept} accepts, gate delivered ${status.gate.delivered}).`,
      "write time = process.hrtime just before the write to pty side B; frame event = a listener prepended to the scanner's frame event; gate signal = when GateDriver.signal(open) is called (the dispatcher calls it synchronously when its queue is empty).",
      'store: TapStore synchronous=NORMAL (default) in a temp dir; no MQTT. No target in the issue: reported only.',
      `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, load average ${os.loadavg()[0]!.toFixed(2)} (shared); node ${process.version}; bench took ${elapsed.toFixed(1)} s.`,
    ];
    return {
      name: 'frameToGate',
      title: 'Frame to gate signal through a real pty (socat → serialport → ValidatorService → GateDriver)',
      tables: [table],
      targets: [],
      notes,
      data: { options: o, elapsedSeconds: elapsed, results: sum },
    };
  } finally {
    await writer?.close();
    await service?.stop().catch(() => undefined);
    await pair?.stop();
    await removeTempDir(dir);
    if (pair) await removeTempDir(pair.dir);
  }
}
