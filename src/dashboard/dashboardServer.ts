/**
 * `faregate dashboard`'s server: a FleetModel fed by an MqttFleetSource (both src/monitor, as
 * `faregate monitor` uses them), a FleetHistory of decisions per minute sampled from it, and a
 * small HTTP server for the page (dashboardPage.ts) and its JSON.
 *
 *   GET  /                       the page (`/?token=T` sets the access cookie, then redirects to /)
 *   GET  /api/fleet              {snapshot, history, commands}
 *   POST /api/commands/prepare   {device, cmd, args} → what to confirm (only with an operator key)
 *   POST /api/commands/confirm   {confirmId} → the gate's reply
 *
 * Access: with a token, every request needs `Authorization: Bearer T` or the cookie set by
 * `/?token=T` (compared in constant time). Without one (loopback only, the command refuses
 * anything else) the Host header must name the loopback address the server listens on, so a
 * page elsewhere cannot reach it through DNS rebinding. POSTs need `content-type:
 * application/json` and `x-faregate-dashboard: 1`, which a cross-site form or simple request
 * cannot send.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JwsSigner } from '../lists/jws.ts';
import { FleetModel } from '../monitor/fleetModel.ts';
import { MqttFleetSource, type FleetSourceOptions } from '../monitor/mqttFleetSource.ts';
import { dashboardPageHtml } from './dashboardPage.ts';
import { FleetHistory } from './fleetHistory.ts';
import { OperatorCommands } from './operatorCommands.ts';

export interface DashboardOptions {
  source: FleetSourceOptions;
  host: string;
  /** 0: any free port. */
  port: number;
  token?: string;
  /** Signs commands; without it the dashboard is read-only. */
  operatorKey?: JwsSigner;
  /** How often the charts take a sample, ms (default 5000). */
  sampleMs?: number;
  commandReplyTimeoutMs?: number;
}

export const COOKIE = 'faregate_dashboard';
const MAX_BODY = 4096;

/** 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export class DashboardServer {
  readonly model: FleetModel;
  readonly history = new FleetHistory();
  private readonly source: MqttFleetSource;
  private readonly commands: OperatorCommands | undefined;
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private port = 0;

  constructor(private readonly o: DashboardOptions) {
    this.model = new FleetModel(o.source.prefix);
    this.source = new MqttFleetSource(o.source, this.model);
    if (o.operatorKey) this.commands = new OperatorCommands(o.source, o.operatorKey, o.commandReplyTimeoutMs);
  }

  /** Connects to the broker, then listens; resolves with the page's address. */
  async start(): Promise<string> {
    await this.source.start();
    const server = createServer((req, res) => {
      this.route(req, res).catch((e: unknown) => text(res, 500, `dashboard: ${String(e)}`));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.history.sample(this.model.snapshot());
    this.timer = setInterval(() => this.history.sample(this.model.snapshot()), this.o.sampleMs ?? 5000);
    this.timer.unref();
    const h = this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host;
    return `http://${h}:${this.port}/`;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    await this.source.stop();
  }

  private tokenOk(given: string | undefined): boolean {
    const t = this.o.token;
    return t !== undefined && given !== undefined && timingSafeEqual(digest(given), digest(t));
  }

  private authorised(req: IncomingMessage): boolean {
    if (this.o.token === undefined) {
      const host = req.headers.host ?? '';
      const name = host.replace(/:\d+$/, '');
      return isLoopbackHost(name) && host.endsWith(`:${this.port}`);
    }
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && this.tokenOk(auth.slice(7))) return true;
    const cookie = (req.headers.cookie ?? '')
      .split(';')
      .map((c) => c.trim())
      .find((c) => c.startsWith(`${COOKIE}=`));
    return this.tokenOk(cookie === undefined ? undefined : decodeURIComponent(cookie.slice(COOKIE.length + 1)));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    const asked = url.searchParams.get('token');
    if (req.method === 'GET' && path === '/' && asked !== null && this.o.token !== undefined) {
      if (!this.tokenOk(asked)) return text(res, 401, 'dashboard: wrong access token');
      res.writeHead(303, {
        location: '/',
        'set-cookie': `${COOKIE}=${encodeURIComponent(asked)}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
      });
      res.end();
      return;
    }
    if (!this.authorised(req)) {
      const why =
        this.o.token === undefined
          ? 'dashboard: open it at its loopback address'
          : 'dashboard: needs the access token: open /?token=TOKEN once, or send Authorization: Bearer TOKEN';
      return text(res, this.o.token === undefined ? 403 : 401, why);
    }
    if (req.method === 'GET' && path === '/') {
      return send(res, 200, 'text/html; charset=utf-8', dashboardPageHtml({ commands: this.commands !== undefined }));
    }
    if (req.method === 'GET' && path === '/api/fleet') {
      return json(res, 200, {
        snapshot: this.model.snapshot(),
        history: this.history.view(),
        commands: this.commands !== undefined,
      });
    }
    if (req.method === 'POST' && (path === '/api/commands/prepare' || path === '/api/commands/confirm')) {
      if (!this.commands)
        return json(res, 403, { error: 'read-only dashboard: start it with --operator-key FILE to send commands' });
      if (
        !/^application\/json\b/.test(req.headers['content-type'] ?? '') ||
        req.headers['x-faregate-dashboard'] !== '1'
      )
        return json(res, 400, { error: 'send JSON with the header x-faregate-dashboard: 1' });
      const body = await readJson(req);
      if ('error' in body) return json(res, 400, body);
      if (path === '/api/commands/prepare') {
        const p = this.commands.prepare(body.value);
        return json(res, 'error' in p ? 400 : 200, p);
      }
      const r = await this.commands.confirm(body.value.confirmId);
      return json(res, r.sent ? 200 : 400, r);
    }
    return text(res, 404, 'not found');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy':
      "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  });
  res.end(body);
}

const text = (res: ServerResponse, status: number, body: string) =>
  send(res, status, 'text/plain; charset=utf-8', body);
const json = (res: ServerResponse, status: number, body: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));

function readJson(req: IncomingMessage): Promise<{ value: Record<string, unknown> } | { error: string }> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY) {
        resolve({ error: `a body of at most ${MAX_BODY} bytes` });
        req.destroy();
      } else parts.push(d);
    });
    req.on('end', () => {
      try {
        const v: unknown = JSON.parse(Buffer.concat(parts).toString('utf8'));
        if (typeof v !== 'object' || v === null || Array.isArray(v))
          resolve({ error: 'the body must be a JSON object' });
        else resolve({ value: v as Record<string, unknown> });
      } catch {
        resolve({ error: 'the body is not JSON' });
      }
    });
    req.on('error', reject);
  });
}
