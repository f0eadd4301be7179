/**
 * The passenger display server: one page (src/display/page.ts) on loopback for the kiosk browser
 * on the gate's screen, each outcome pushed to it over Server-Sent Events the moment the tap
 * processor emits it (after the gate signal: the display never delays the gate), the gate's
 * modes (free pass, out of service) as the idle screen, and the sounds.
 *
 *   GET /          the page
 *   GET /events    text/event-stream: `mode` on connect and on a change, `outcome` per outcome
 *   GET /sounds/F  a sound of the sounds folder; tone-<family>.wav is made in code when absent
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DisplayConfig } from '../config/schema.ts';
import { errorMessage } from '../errors/faregateError.ts';
import type { Component } from '../platform/component.ts';
import type { Logger } from '../platform/logger.ts';
import { packagePath } from '../platform/packageRoot.ts';
import { renderPage } from './page.ts';
import {
  screenOf,
  SCREENS,
  TONE_OF,
  TONES,
  type DisplayedOutcome,
  type DisplayMessage,
  type OutcomeScreen,
} from './screens.ts';
import { loadDisplayTexts, type DisplayTexts } from './texts.ts';
import { toneWav } from './tones.ts';

export interface GateModes {
  freePass: boolean;
  outOfService: boolean;
}

export interface DisplayServerDeps {
  cfg: DisplayConfig;
  /** The gate's modes, read on connect and every `modePollMs`. */
  modes: () => GateModes;
  log: Logger;
  modePollMs?: number;
}

/** The shipped texts and sounds (config/display in the package). */
export function shippedDisplayFolder(): string {
  return packagePath('config', 'display');
}

const SOUND_NAME = /^[A-Za-z0-9_.-]+\.wav$/;
/** Bytes a page may leave unread before it is dropped. */
const MAX_BUFFERED = 256 * 1024;

export class DisplayServer implements Component {
  readonly name = 'display';
  private server: Server | undefined;
  private readonly clients = new Set<ServerResponse>();
  private readonly folder: string;
  private readonly page: string;
  private readonly tones = new Map<string, Buffer>();
  private mode: GateModes = { freePass: false, outOfService: false };
  private poll: NodeJS.Timeout | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  /** Outcomes pushed (for status and tests). */
  pushed = 0;

  private constructor(
    private readonly d: DisplayServerDeps,
    texts: Record<string, DisplayTexts>,
    folder: string,
  ) {
    this.folder = folder;
    for (const t of TONES) this.tones.set(`tone-${t}.wav`, toneWav(t));
    this.page = renderPage({ languages: d.cfg.language, texts, sounds: this.soundPlan() });
  }

  /** The server, or the problems of its texts (a start-up problem, like a bad settings file). */
  static create(d: DisplayServerDeps): { display?: DisplayServer; problems: string[] } {
    const folder = d.cfg.texts ?? shippedDisplayFolder();
    const { texts, problems } = loadDisplayTexts(folder, d.cfg.language);
    if (problems.length) return { problems };
    return { display: new DisplayServer(d, texts, folder), problems: [] };
  }

  /** What each outcome screen plays: its family's tone, then the spoken prompt of each language that has one. */
  private soundPlan(): Partial<Record<OutcomeScreen, string[]>> {
    const plan: Partial<Record<OutcomeScreen, string[]>> = {};
    if (this.d.cfg.sounds === 'off') return plan;
    for (const s of SCREENS) {
      if (s === 'idle') continue;
      const list = [`sounds/tone-${TONE_OF[s]}.wav`];
      if (this.d.cfg.sounds === 'speech')
        for (const lang of this.d.cfg.language)
          if (existsSync(join(this.folder, 'sounds', `${s}.${lang}.wav`))) list.push(`sounds/${s}.${lang}.wav`);
      plan[s] = list;
    }
    return plan;
  }

  /** The address the page is served on (after start). */
  get url(): string {
    const a = this.server?.address() as AddressInfo | null | undefined;
    if (!a) return '';
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}/`;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Pushes one outcome to every open page; `ignore` changes nothing. Never throws. */
  show(o: DisplayedOutcome): DisplayMessage | undefined {
    const m = screenOf(o, this.d.cfg);
    if (!m || this.clients.size === 0) return m;
    this.pushed++;
    this.send('outcome', m);
    return m;
  }

  private send(event: string, data: unknown): void {
    const chunk = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) {
      // A page that stopped reading (a hung browser) is dropped rather than buffered without end;
      // the browser reconnects by itself.
      if (c.writableLength > MAX_BUFFERED) {
        this.clients.delete(c);
        c.destroy();
        continue;
      }
      try {
        c.write(chunk);
      } catch {
        this.clients.delete(c);
      }
    }
  }

  private checkModes(): void {
    let m: GateModes;
    try {
      m = this.d.modes();
    } catch {
      return;
    }
    if (m.freePass === this.mode.freePass && m.outOfService === this.mode.outOfService) return;
    this.mode = { freePass: m.freePass, outOfService: m.outOfService };
    this.send('mode', this.mode);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(this.page);
      return;
    }
    if (path === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.socket?.setNoDelay(true);
      res.write(`retry: 1000\n\n`);
      this.clients.add(res);
      const m = this.d.modes();
      this.mode = { freePass: m.freePass, outOfService: m.outOfService };
      res.write(`event: mode\ndata: ${JSON.stringify(this.mode)}\n\n`);
      const drop = () => this.clients.delete(res);
      req.on('close', drop);
      res.on('error', drop);
      return;
    }
    if (path.startsWith('/sounds/')) {
      const name = decodeURIComponent(path.slice('/sounds/'.length));
      if (SOUND_NAME.test(name)) {
        const file = join(this.folder, 'sounds', name);
        const body = existsSync(file) ? readFileSync(file) : this.tones.get(name);
        if (body) {
          res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length }).end(body);
          return;
        }
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      try {
        this.handle(req, res);
      } catch (e) {
        this.d.log.warn({ err: errorMessage(e) }, 'display request failed');
        if (!res.headersSent) res.writeHead(500).end();
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.d.cfg.port, this.d.cfg.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.poll = setInterval(() => this.checkModes(), this.d.modePollMs ?? 250);
    this.poll.unref();
    // A comment line now and then keeps proxies and the browser from closing a quiet stream.
    this.keepAlive = setInterval(() => {
      for (const c of this.clients) c.write(': keep-alive\n\n');
    }, 15_000);
    this.keepAlive.unref();
    this.d.log.info({ url: this.url, languages: this.d.cfg.language }, 'passenger display served');
  }

  async stop(): Promise<void> {
    clearInterval(this.poll);
    clearInterval(this.keepAlive);
    for (const c of this.clients) c.end();
    this.clients.clear();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
