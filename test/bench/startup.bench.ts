/**
 * Start-up benchmark: what a person waits for before the command does anything.
 *
 *  - `faregate --version` (the compiled bin, spawned) against `node -e 0`, alternated round by
 *    round; target: median ratio ≤ 2.0.
 *  - `faregate run` with a TCP scanner (reported, no target): a TCP server on 127.0.0.1 plays the
 *    scanner; the time from spawn to the service's connection being accepted on that server is
 *    "scanner up" (the cleanest signal: no log parsing, nothing the service could report early).
 *    Then SIGTERM, and the time to exit is reported too.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { FAREGATE_BIN } from '../support/cli.ts';
import { busSettings } from '../support/serviceProcess.ts';
import { benchTempDir, removeTempDir } from './benchSupport.ts';
import { median, timeProcess } from './processTiming.ts';
import { hrnow, progress, target, type BenchReport, type TargetCheck } from './stats.ts';

export interface StartupOptions {
  /** Rounds of (`faregate --version`, `node -e 0`), order flipped every round. */
  rounds?: number;
  warmupRounds?: number;
  /** Starts of `faregate run` up to "scanner up". */
  runStarts?: number;
  quiet?: boolean;
}

const DEFAULTS: Required<StartupOptions> = { rounds: 40, warmupRounds: 3, runStarts: 7, quiet: false };

/** Target (issue 9): `faregate --version` ≤ 2 × `node -e 0`. */
export const TARGET_RATIO = 2.0;

function fail(msg: string): never {
  throw new Error(`startup bench invalid: ${msg}`);
}

interface RunStart {
  scannerUpMs: number;
  exitAfterTermMs: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** One `faregate run`: spawn → scanner connection accepted → SIGTERM → exit. */
async function runToScannerUp(dir: string, k: number): Promise<RunStart> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const dataDir = join(dir, `data-${k}`);
  const settingsFile = join(dir, `settings-${k}.json`);
  writeFileSync(
    settingsFile,
    JSON.stringify(
      busSettings(`tcp://127.0.0.1:${port}`, dataDir, { deviceId: 'bench-startup-1', log: { level: 'silent' } }),
    ),
  );
  try {
    const accepted = once(server, 'connection');
    const t0 = hrnow();
    const child = spawn(process.execPath, [FAREGATE_BIN, 'run', '--config', settingsFile], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const first = await Promise.race([accepted.then(() => 'up' as const), exited.then(() => 'exit' as const)]);
    const t1 = hrnow();
    if (first === 'exit') fail(`faregate run exited before connecting to the scanner: ${stderr.slice(0, 400)}`);
    child.kill('SIGTERM');
    const [exitCode, signal] = await exited;
    const t2 = hrnow();
    return { scannerUpMs: Number(t1 - t0) / 1e6, exitAfterTermMs: Number(t2 - t1) / 1e6, exitCode, signal };
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
}

export async function startupBench(opts: StartupOptions = {}): Promise<BenchReport> {
  const o = { ...DEFAULTS, ...opts };
  const started = Date.now();
  const dir = await benchTempDir('startup');
  try {
    const version: number[] = [];
    const bare: number[] = [];
    const versionCpu: number[] = [];
    const bareCpu: number[] = [];
    let versionOutput = '';
    let versionCode: number | null = null;
    for (let round = 0; round < o.warmupRounds + o.rounds; round++) {
      const measured = round >= o.warmupRounds;
      const runVersion = async (): Promise<void> => {
        const r = await timeProcess([FAREGATE_BIN, '--version'], { cwd: dir });
        versionOutput = (r.stdout + r.stderr).trim();
        versionCode = r.code;
        if (measured) {
          version.push(r.ms);
          versionCpu.push(r.cpuMs);
        }
      };
      const runBare = async (): Promise<void> => {
        const r = await timeProcess(['-e', '0'], { cwd: dir });
        if (r.code !== 0) fail(`node -e 0 exited ${r.code}`);
        if (measured) {
          bare.push(r.ms);
          bareCpu.push(r.cpuMs);
        }
      };
      if (round % 2) {
        await runBare();
        await runVersion();
      } else {
        await runVersion();
        await runBare();
      }
    }
    progress(o.quiet, `startup: ${o.runStarts} starts of faregate run up to the TCP scanner`);
    const starts: RunStart[] = [];
    for (let k = 0; k < o.runStarts; k++) starts.push(await runToScannerUp(dir, k));

    const v = median(version);
    const b = median(bare);
    const ratio = v / b;
    const targets: TargetCheck[] = [
      target(
        'faregate --version start-up',
        'median wall time of faregate --version / of node -e 0',
        ratio,
        TARGET_RATIO,
      ),
    ];
    const up = starts.map((s) => s.scannerUpMs);
    const term = starts.map((s) => s.exitAfterTermMs);
    const versionSeemsRight = versionCode === 0 && /\d+\.\d+\.\d+/.test(versionOutput) && !versionOutput.includes('\n');
    return {
      name: 'startup',
      title: 'Start-up: faregate --version against node -e 0; faregate run to scanner up (TCP)',
      tables: [
        {
          title: 'Wall time, spawn to exit (ms)',
          columns: ['command', 'p50', 'min', 'max', 'CPU p50', 'runs'],
          rows: [
            ['node -e 0', b, Math.min(...bare), Math.max(...bare), median(bareCpu), bare.length],
            ['faregate --version', v, Math.min(...version), Math.max(...version), median(versionCpu), version.length],
            ['ratio', ratio.toFixed(3), '', '', (median(versionCpu) / median(bareCpu)).toFixed(3), ''],
          ],
        },
        {
          title: 'faregate run with a TCP scanner on 127.0.0.1 (ms)',
          columns: ['span', 'p50', 'min', 'max', 'starts'],
          rows: [
            ['spawn → scanner connection accepted', median(up), Math.min(...up), Math.max(...up), up.length],
            ['SIGTERM → exit', median(term), Math.min(...term), Math.max(...term), term.length],
          ],
        },
      ],
      targets,
      notes: [
        `rounds: ${o.warmupRounds} warm-up (discarded) + ${o.rounds} measured; faregate --version and node -e 0 alternate, order flipped every round; CPU = the child's user + system time (10 ms resolution), for information: the target is on wall time.`,
        versionSeemsRight
          ? `faregate --version printed ${JSON.stringify(versionOutput)}.`
          : `faregate --version did not print a version (exit ${String(versionCode)}: ${JSON.stringify(versionOutput.slice(0, 80))}); the time is that of what it does today.`,
        `faregate run: bus settings with scanner tcp://127.0.0.1:PORT, dev trust and deny lists, a fresh data dir each start, log level silent; exits after SIGTERM: ${starts.map((s) => s.signal ?? s.exitCode).join(', ')}.`,
        `bench took ${((Date.now() - started) / 1000).toFixed(1)} s.`,
      ],
      data: {
        options: o,
        versionMs: version,
        nodeMs: bare,
        versionCpuMs: versionCpu,
        nodeCpuMs: bareCpu,
        ratio,
        cpuRatio: median(versionCpu) / median(bareCpu),
        versionOutput,
        versionCode,
        run: starts,
      },
    };
  } finally {
    await removeTempDir(dir);
  }
}
