/**
 * Shared replay memory within a group: the time from an accept at gate 1 to gate 2 knowing it,
 * through a real Mosquitto on loopback. Two in-process ValidatorServices of one group (real
 * MqttLink, real TapStore in temp dirs, fake scanners fed in process, silent logs) share the
 * broker. For each ride code fed to gate 1:
 *
 *   start = gate 1's outcome (the accept, emitted after the commit and the gate signal)
 *   end   = gate 2's replay memory has merged the code (ReplayMemory.merge returned true)
 *
 * The span covers signing (after the gate signal), the QoS 1 publish, the broker, gate 2's
 * verification and the merge. Target (issue 11): p99 ≤ 50 ms.
 */
import os from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/platform/logger.ts';
import { ValidatorService } from '../../src/service/validatorService.ts';
import { FakeScanner } from '../service/inProcess.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { waitFor } from '../support/pty.ts';
import { groupKeys } from '../replay/groupHarness.ts';
import { benchConfig, benchTempDir, NoopGate, removeTempDir, RiderPool, sleep } from './benchSupport.ts';
import { hrnow, progress, Samples, summarize, target, type BenchReport } from './stats.ts';

export interface ReplayShareOptions {
  accepts?: number;
  warmup?: number;
  intervalMs?: number;
  quiet?: boolean;
}

const DEFAULTS: Required<ReplayShareOptions> = { accepts: 500, warmup: 20, intervalMs: 20, quiet: false };

function fail(msg: string): never {
  throw new Error(`replayShare bench invalid: ${msg}`);
}

export async function replayShareBench(opts: ReplayShareOptions = {}): Promise<BenchReport> {
  const o: Required<ReplayShareOptions> = { ...DEFAULTS, ...opts };
  const started = Date.now();
  const total = o.warmup + o.accepts;
  let broker: Mosquitto | undefined;
  const services: ValidatorService[] = [];
  let dir: string | undefined;
  try {
    progress(o.quiet, `replayShare: mosquitto, two gates of one group, ${total} accepts every ${o.intervalMs} ms ...`);
    broker = await startMosquitto();
    dir = await benchTempDir('replay');
    const keys = groupKeys(['bench-gate-1', 'bench-gate-2']);
    const scanners = [new FakeScanner(), new FakeScanner()];
    for (const [i, id] of ['bench-gate-1', 'bench-gate-2'].entries()) {
      const config = benchConfig('/dev/bench-fake', join(dir, id), {
        deviceId: id,
        mqtt: { url: broker.url, reconnectPeriodMs: 200 },
        group: { id: 'bench-station', keys: keys.keysFile, signingKey: keys.signingKeyFile(id) },
      });
      const scanner = scanners[i]!;
      services.push(
        new ValidatorService(config, {
          logger: silentLogger,
          gateDriver: new NoopGate(),
          scannerTransport: () => scanner,
        }),
      );
    }
    const [g1, g2] = services as [ValidatorService, ValidatorService];
    const acceptedAt = new Map<string, bigint>();
    const knownAt = new Map<string, bigint>();
    const other: string[] = [];
    g1.onOutcome((out) => {
      if (out.tap) acceptedAt.set(out.tap.codeId, hrnow());
      else other.push(`${out.decision}/${out.reason ?? ''}`);
    });
    const replay = g2.validator.replay;
    const merge = replay.merge.bind(replay);
    replay.merge = (codeId, sub, at) => {
      const r = merge(codeId, sub, at);
      if (r) knownAt.set(codeId, hrnow());
      return r;
    };
    for (const s of services) await s.start();
    await waitFor(() => services.every((s) => s.link?.connected) || undefined, 'both gates connected', 10_000);
    await sleep(200); // subscriptions granted

    const pool = new RiderPool(Math.max(300, Math.ceil(4000 / o.intervalMs)));
    const texts = Array.from({ length: total }, () => pool.next().code());
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const wait = t0 + i * o.intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      scanners[0]!.feed(texts[i]!);
    }
    await waitFor(() => knownAt.size >= total || undefined, 'gate 2 knows every accept', 10_000).catch(() => undefined);
    if (other.length) fail(`${other.length} codes were not accepted at gate 1: ${other.slice(0, 5).join(', ')}`);
    if (knownAt.size < total) fail(`gate 2 merged ${knownAt.size} of ${total} accepts`);

    const spans = new Samples(o.accepts);
    const ordered = [...acceptedAt.entries()];
    for (const [codeId, a] of ordered.slice(o.warmup)) spans.pushSpan(a, knownAt.get(codeId)!);
    const s = summarize(spans);
    const share2 = g2.replayShare!.stats;
    const elapsed = (Date.now() - started) / 1000;
    return {
      name: 'replayShare',
      title: 'Accept at gate 1 → gate 2 knows it (signed announcement through Mosquitto on loopback)',
      tables: [
        {
          title: `Latency per accept (µs), ${o.accepts} accepts every ${o.intervalMs} ms`,
          columns: ['span', 'n', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'],
          rows: [['accept at gate 1 → merged at gate 2', s.n, s.p50Us, s.p90Us, s.p99Us, s.p999Us, s.maxUs, s.meanUs]],
        },
      ],
      targets: [target('accept → gate 2 knows it, p99 (ms)', 'p99 of the span, ms', s.p99Us / 1000, 50)],
      notes: [
        `${o.warmup} warm-up accepts discarded; gate 2 merged ${share2.merged}, ` +
          `refused ${JSON.stringify(share2.refused)}.`,
        'Both gates in one process (one hrtime clock), real MqttLink (QoS 1) and a real Mosquitto on 127.0.0.1; EdDSA.',
        'Store synchronous NORMAL (the default) in temp dirs; the uploader publishes the taps on the same links.',
        `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ` +
          `load average ${os.loadavg()[0]!.toFixed(2)} (shared); node ${process.version}; ` +
          `bench took ${elapsed.toFixed(1)} s.`,
      ],
      data: { options: o, elapsedSeconds: elapsed, results: s },
    };
  } finally {
    for (const svc of services.reverse()) await svc.stop().catch(() => undefined);
    await broker?.stop();
    await removeTempDir(dir);
  }
}
