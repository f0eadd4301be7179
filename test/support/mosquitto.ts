/**
 * A real Mosquitto broker for tests: its own config, persistence and log in a temp dir, listening
 * on a free loopback port (never 1883). `restart` reuses the same port, so clients reconnect to
 * the same URL; `kill` simulates a crash (with SIGKILL the broker does not save its database).
 *
 * Mosquitto 2.0 refuses to start when its config has an error, and refuses some errors only in
 * its log file; every failure to start throws with the broker's stderr and log attached.
 * When the tests run as root, the config says `user root` (otherwise Mosquitto drops to the
 * `mosquitto` user, which cannot write the root-owned temp dir).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

export interface MosquittoOptions {
  /** Seconds between database saves while running (0: only on clean shutdown). Default 0. */
  autosaveIntervalS?: number;
  /** How long to wait for the broker to accept connections (ms). Default 5000. */
  readyTimeoutMs?: number;
  /** Extra config lines (appended after the generated ones). */
  extraConfig?: string[];
  /** Also listen with TLS on a second free loopback port (PEM files). */
  tls?: { cafile: string; certfile: string; keyfile: string; requireCertificate?: boolean };
  /** A mosquitto_passwd file: clients must log in (anonymous access is refused). */
  passwordFile?: string;
  /** An ACL file (acl_file). */
  aclFile?: string;
}

export interface Mosquitto {
  /** `mqtt://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** `mqtts://127.0.0.1:TLSPORT` when started with `tls`. */
  readonly tlsUrl: string | undefined;
  readonly tlsPort: number | undefined;
  /** Temp dir with mosquitto.conf, the persistence database and mosquitto.log. */
  readonly dir: string;
  readonly pid: number | undefined;
  /** Stops the broker (SIGTERM, then SIGKILL after 3 s) and deletes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Sends `signal` (default SIGTERM) and waits for the broker to exit. The dir is kept. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the broker if running and starts it again on the same port. */
  restart(opts: { keepPersistence: boolean }): Promise<void>;
  /** The broker's log file so far (for failure messages). */
  log(): Promise<string>;
}

const live = new Set<Mosquitto>();
process.once('exit', () => {
  // Last resort if a test forgot stop(): never leave brokers behind.
  for (const m of live)
    if (m.pid !== undefined)
      try {
        process.kill(m.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
});

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it; never 1883). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port !== 1883 && port > 0) return port;
  }
}

function config(port: number, tlsPort: number | undefined, dir: string, o: MosquittoOptions): string {
  const lines = [
    // Listener settings (allow_anonymous) apply to all listeners unless per_listener_settings.
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${o.passwordFile ? 'false' : 'true'}`,
    ...(o.passwordFile ? [`password_file ${o.passwordFile}`] : []),
    ...(o.aclFile ? [`acl_file ${o.aclFile}`] : []),
    'persistence true',
    `persistence_location ${dir}/`,
    'persistence_file mosquitto.db',
    `autosave_interval ${o.autosaveIntervalS ?? 0}`,
    `log_dest file ${join(dir, 'mosquitto.log')}`,
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
    'log_timestamp true',
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    ...(o.tls && tlsPort !== undefined
      ? [
          `listener ${tlsPort} 127.0.0.1`,
          `cafile ${o.tls.cafile}`,
          `certfile ${o.tls.certfile}`,
          `keyfile ${o.tls.keyfile}`,
          `require_certificate ${o.tls.requireCertificate ? 'true' : 'false'}`,
        ]
      : []),
    ...(o.extraConfig ?? []),
  ];
  return lines.join('\n') + '\n';
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.setTimeout(500);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  hasExited: () => boolean;
  stderr: () => string;
}

function spawnBroker(confFile: string): Running {
  const child = spawn(MOSQUITTO, ['-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let done = false;
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      done = true;
      resolve();
    });
    child.once('error', (e) => {
      stderr += `spawn error: ${e.message}\n`;
      done = true;
      resolve();
    });
  });
  return { child, exited, hasExited: () => done, stderr: () => stderr };
}

async function readLog(dir: string): Promise<string> {
  try {
    return await readFile(join(dir, 'mosquitto.log'), 'utf8');
  } catch {
    return '';
  }
}

class StartError extends Error {
  constructor(
    message: string,
    readonly addressInUse: boolean,
  ) {
    super(message);
  }
}

async function waitReady(r: Running, port: number, dir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (r.hasExited()) {
      const log = await readLog(dir);
      const detail = `${r.stderr()}\n${log}`.trim();
      throw new StartError(
        `mosquitto exited during start (code ${r.child.exitCode}, signal ${r.child.signalCode}) on port ${port}:\n${detail}`,
        /address already in use/i.test(detail),
      );
    }
    if (await canConnect(port)) return;
    if (Date.now() > deadline) {
      r.child.kill('SIGKILL');
      await r.exited;
      throw new StartError(
        `mosquitto did not accept connections on 127.0.0.1:${port} within ${timeoutMs} ms:\n${r.stderr()}\n${await readLog(dir)}`,
        false,
      );
    }
    await sleep(25);
  }
}

async function terminate(r: Running | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!r || r.hasExited()) return;
  r.child.kill(signal);
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 3000);
  await r.exited;
  clearTimeout(timer);
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'faregate-mosquitto-'));
  const confFile = join(dir, 'mosquitto.conf');
  const readyTimeoutMs = options.readyTimeoutMs ?? 5000;
  let port = 0;
  let tlsPort: number | undefined;
  let running: Running | undefined;
  let stopped = false;

  const launch = async (retriesOnAddrInUse: number, newPortOnConflict: boolean): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      await writeFile(confFile, config(port, tlsPort, dir, options));
      const r = spawnBroker(confFile);
      try {
        await waitReady(r, port, dir, readyTimeoutMs);
        running = r;
        return;
      } catch (e) {
        if (!(e instanceof StartError) || !e.addressInUse || attempt >= retriesOnAddrInUse) throw e;
        // The free port was taken between our probe and the broker's bind (first start: pick
        // another one), or is still held (restart: same port, wait a little).
        if (newPortOnConflict) {
          port = await freePort();
          if (tlsPort !== undefined) tlsPort = await freePort();
        }
        await sleep(100);
      }
    }
  };

  port = await freePort();
  if (options.tls)
    do tlsPort = await freePort();
    while (tlsPort === port);
  try {
    await launch(3, true);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }

  const broker: Mosquitto = {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    tlsUrl: tlsPort !== undefined ? `mqtts://127.0.0.1:${tlsPort}` : undefined,
    tlsPort,
    dir,
    get pid() {
      return running && !running.hasExited() ? running.child.pid : undefined;
    },
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      await terminate(running, signal);
    },
    async restart({ keepPersistence }) {
      if (stopped) throw new Error('mosquitto was stopped');
      await terminate(running, 'SIGTERM');
      if (!keepPersistence) await rm(join(dir, 'mosquitto.db'), { force: true });
      // Same port: the clients' URL must not change. SO_REUSEADDR makes it immediate, but retry
      // briefly in case the old socket is still being torn down.
      await launch(20, false);
    },
    async log() {
      return readLog(dir);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate(running, 'SIGTERM');
      live.delete(broker);
      if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
    },
  };
  live.add(broker);
  return broker;
}
