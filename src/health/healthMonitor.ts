/**
 * The validator's health for systemd and Docker.
 *
 * Healthy means: the scanner is up, or was up (or the service started) less than
 * `health.scannerGraceMs` ago — a replug or USB reset is not a failure; and the store is
 * writable: the data directory and database file are writable, the disk is not full, and the
 * last accepted tap was recorded (a failed commit makes it unhealthy until a later one works).
 *
 * - HTTP: `GET /healthz` on `health.host:health.httpPort` (loopback by default; off unless a
 *   port is set) answers 200 with `{healthy, problems, ...status}` when healthy, else 503 with
 *   the same body. For Docker's HEALTHCHECK (curl/wget or node -e fetch).
 * - `GET /metrics` on the same port: Prometheus text format (src/metrics/validatorMetrics.ts),
 *   when the service gives its metrics. Other paths: 404.
 * - systemd (when NOTIFY_SOCKET is set, see sdNotify.ts): READY=1 once started, WATCHDOG=1 every
 *   WATCHDOG_USEC/2 while the store works (none while it does not, so systemd restarts the
 *   service; an unplugged scanner is reported but does not stop the pings), STOPPING=1.
 */
import { accessSync, constants as fsc, existsSync, statfsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HealthSchema, type Config } from '../config/schema.ts';
import { errorFields, errorMessage } from '../errors/faregateError.ts';
import type { Logger } from '../platform/logger.ts';
import type { Component, HealthContribution } from '../platform/component.ts';
import type { Clock } from '../token/validator.ts';
import { SdNotifier } from './sdNotify.ts';

export type HealthConfig = Config['health'];

/** Below this much free space the store is not considered writable. */
export const MIN_FREE_BYTES = 1024 * 1024;

export interface HealthDeps {
  cfg: HealthConfig;
  clock: Clock;
  log: Logger;
  /** The service's status (the body of /healthz). */
  status: () => object;
  /** The scanner's state and the clock time it entered it. */
  scanner: () => { state: string; since: number };
  dataDir: string;
  storeFile: string;
  notifier?: SdNotifier;
  /** The health contributions of the other components (their problems are added). */
  contributions?: () => HealthContribution[];
  /** Prometheus metrics served at `/metrics`; told of every decision (src/metrics/validatorMetrics.ts). */
  metrics?: { decided(): void; prepare(): void; text(): Promise<string>; readonly contentType: string };
}

export interface HealthReport {
  healthy: boolean;
  problems: string[];
}

export class HealthMonitor implements Component {
  readonly name = 'health';
  private server: Server | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastTapFailed = false;
  private wasHealthy = true;
  readonly notifier: SdNotifier;

  constructor(private readonly d: HealthDeps) {
    // Settings built without the schema (older tests, embedders) get the schema's defaults.
    d.cfg = { ...HealthSchema.parse(undefined), ...(d.cfg as Partial<HealthConfig> | undefined) };
    this.notifier = d.notifier ?? new SdNotifier({ log: d.log });
    // With a port, /metrics will be asked: load prom-client now, before the scanner reads a frame.
    if (d.cfg.httpPort !== undefined) d.metrics?.prepare();
  }

  /** Called for every decision outcome: remembers whether the last accepted tap reached the store. */
  noteOutcome(o: { tap?: unknown; reason?: string; decision?: string }): void {
    this.d.metrics?.decided();
    if (o.tap) this.lastTapFailed = false;
    else if (o.reason === 'store_unavailable') this.lastTapFailed = true;
  }

  check(): HealthReport {
    const problems: string[] = [];
    const now = this.d.clock.now();
    const sc = this.d.scanner();
    if (sc.state !== 'up') {
      const forMs = Math.max(0, now - sc.since);
      if (forMs >= this.d.cfg.scannerGraceMs) problems.push(`scanner ${sc.state} for ${Math.round(forMs / 1000)} s`);
    }
    try {
      accessSync(this.d.dataDir, fsc.W_OK);
      if (existsSync(this.d.storeFile)) accessSync(this.d.storeFile, fsc.W_OK);
    } catch (e) {
      problems.push(`store not writable: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
    }
    try {
      const fs = statfsSync(this.d.dataDir);
      if (fs.bavail * fs.bsize < MIN_FREE_BYTES) problems.push('disk full');
    } catch {
      /* statfs unsupported: the access check stands */
    }
    if (this.lastTapFailed) problems.push('last accepted tap could not be recorded');
    for (const c of this.d.contributions?.() ?? []) problems.push(...c.problems);
    return { healthy: problems.length === 0, problems };
  }

  /** The bound HTTP port (useful with port 0 in tests), or undefined. */
  get httpPort(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  async start(): Promise<void> {
    const { cfg, log } = this.d;
    if (cfg.httpPort !== undefined) {
      const server = createServer((req, res) => {
        if ((req.url ?? '/').split('?')[0] === '/metrics' && this.d.metrics) void this.answerMetrics(req, res);
        else this.answer(req, res);
      });
      server.keepAliveTimeout = 1000;
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(cfg.httpPort, cfg.host, () => {
            server.removeListener('error', reject);
            resolve();
          });
        });
        this.server = server;
        server.on('error', (err) => log.warn({ err: err.message }, 'health endpoint error'));
        log.info({ host: cfg.host, port: this.httpPort }, 'health endpoint listening');
      } catch (e) {
        // Health is not money: a taken port must not stop the gate from taking riders.
        log.error({ host: cfg.host, port: cfg.httpPort, ...errorFields(e) }, 'health endpoint could not listen');
      }
    }
    if (cfg.sdNotify && this.notifier.enabled) {
      const r = this.check();
      await this.notifier.notify('READY=1', `STATUS=${r.healthy ? 'healthy' : r.problems.join('; ')}`);
      const wd = this.notifier.watchdogMs();
      if (wd !== undefined) {
        this.watchdog = setInterval(() => void this.watchdogTick(), Math.max(500, Math.floor(wd / 2)));
        this.watchdog.unref();
        log.info({ watchdogMs: wd }, 'systemd watchdog enabled');
      }
    }
  }

  /**
   * Pings systemd while the process runs and its store works. A scanner that is unplugged is a
   * problem a restart does not fix (the scanner input already retries), so it is reported in
   * STATUS and /healthz but does not stop the pings; a store that cannot take taps does, so
   * systemd restarts the service after WatchdogSec. A hung event loop stops them too.
   */
  private async watchdogTick(): Promise<void> {
    const r = this.check();
    const restartWorthy = r.problems.filter((p) => !p.startsWith('scanner '));
    const ok = restartWorthy.length === 0;
    if (ok !== this.wasHealthy) {
      if (ok) this.d.log.info({}, 'store healthy again: watchdog pings resume');
      else
        this.d.log.warn(
          { problems: restartWorthy },
          'store unhealthy: watchdog pings paused (systemd restarts the service after WatchdogSec)',
        );
      this.wasHealthy = ok;
    }
    if (ok)
      await this.notifier.notify(
        'WATCHDOG=1',
        `STATUS=${r.healthy ? 'healthy' : `degraded: ${r.problems.join('; ')}`}`,
      );
    else await this.notifier.notify(`STATUS=unhealthy: ${r.problems.join('; ')}`);
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res
        .writeHead(path === '/healthz' ? 405 : 404, { 'content-type': 'text/plain' })
        .end(path === '/healthz' ? 'method not allowed\n' : 'not found\n');
      return;
    }
    let body: string;
    let healthy: boolean;
    try {
      const r = this.check();
      healthy = r.healthy;
      body = JSON.stringify({ healthy: r.healthy, problems: r.problems, ...this.d.status() });
    } catch (e) {
      healthy = false;
      body = JSON.stringify({ healthy: false, problems: [`status failed: ${errorMessage(e)}`] });
    }
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private async answerMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    try {
      const body = await this.d.metrics!.text();
      res.writeHead(200, { 'content-type': this.d.metrics!.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      this.d.log.warn(errorFields(e), 'metrics could not be collected');
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${errorMessage(e)}\n`);
    }
  }

  async stop(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    if (this.d.cfg.sdNotify && this.notifier.enabled) await this.notifier.notify('STOPPING=1');
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }
}
