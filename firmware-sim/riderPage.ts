/**
 * The demo's rider page: a phone wallet in a browser, on loopback, with TEST-ONLY keys. Choose a
 * rider and a fare profile; the page shows a live FG1 ride code as a QR code, made again every
 * few seconds the way a phone makes it: the rider's private key is in the page and the level-2
 * COSE_Sign1 is signed there with WebCrypto (Ed25519 or ECDSA P-256; riderPageHtml.ts). Where the
 * browser has no WebCrypto (a page opened over plain http from another host is not a secure
 * context) or no Ed25519, the page asks this server to sign instead and says so.
 *
 * The server does the operator's part: it issues the level-1 credential for the chosen rider key
 * and profile with the TEST-ONLY issuer key of config/dev (the demo's validators trust it).
 * The QR code is drawn in the page by the `qrcode` package, bundled for the browser with esbuild
 * once at start. Bound to 127.0.0.1 unless told otherwise.
 *
 *   GET  /                          the page
 *   GET  /qrcode.js                 the `qrcode` package for the browser
 *   GET  /api/riders                riders and profiles
 *   GET  /api/wallet?rider=&profile= the rider's private JWK (TEST-ONLY) and a credential
 *   POST /api/code {rider, profile} a ride code signed here (the fallback)
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { generateKeyPair, privateJwk, type Jwk, type KeyPair } from '../src/mint/keys.ts';
import { issueCredential, makeRideCode } from '../src/mint/mint.ts';
import { ALG_EDDSA, ALG_ES256 } from '../src/token/cose.ts';
import { algName } from '../src/token/coseKey.ts';
import { PROFILE_NAMES, PROFILES, type IssuerKey, type ProfileName } from './population.ts';
import { riderPageHtml } from './riderPageHtml.ts';

/** The demo's riders: two of each key algorithm. */
export const RIDER_PAGE_RIDERS = [
  { id: 'li-na', name: 'Li Na', alg: ALG_EDDSA },
  { id: 'wang-wei', name: 'Wang Wei', alg: ALG_ES256 },
  { id: 'chen-jie', name: 'Chen Jie', alg: ALG_EDDSA },
  { id: 'zhao-min', name: 'Zhao Min', alg: ALG_ES256 },
] as const;

export interface RiderPageOptions {
  /** The TEST-ONLY issuer key (config/dev/issuer-TEST-ONLY.jwk.json). */
  issuer: IssuerKey;
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  /** How often the page makes a new code, seconds (default 5). */
  refreshSec?: number;
  /** Issue time of the credentials, Unix seconds (default now). */
  nowSec?: () => number;
}

interface WalletRider {
  id: string;
  name: string;
  keys: KeyPair;
  sub: Buffer;
  /** Credentials by profile, issued on first use. */
  credentials: Map<ProfileName, { cti: Buffer; bytes: Uint8Array }>;
  /** The server-side (fallback) sequence: far above the page's own counter. */
  serverSeq: number;
}

const DAY = 86_400;
const MAX_BODY = 1024;

let qrcodeBundle: Promise<string> | undefined;

/** The `qrcode` package's browser entry bundled into one script (global `QRCode`). */
export function qrcodeBrowserBundle(): Promise<string> {
  qrcodeBundle ??= (async () => {
    const { build } = await import('esbuild');
    const require = createRequire(import.meta.url);
    const out = await build({
      entryPoints: [require.resolve('qrcode/lib/browser.js')],
      bundle: true,
      format: 'iife',
      globalName: 'QRCode',
      platform: 'browser',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    return out.outputFiles[0]!.text;
  })();
  return qrcodeBundle;
}

export class RiderPage {
  private server: Server | undefined;
  private readonly riders = new Map<string, WalletRider>();
  private readonly now: () => number;

  constructor(private readonly o: RiderPageOptions) {
    this.now = o.nowSec ?? (() => Math.floor(Date.now() / 1000));
    for (const r of RIDER_PAGE_RIDERS) {
      this.riders.set(r.id, {
        id: r.id,
        name: r.name,
        keys: generateKeyPair(r.alg),
        sub: randomBytes(8),
        credentials: new Map(),
        serverSeq: 1_000_000_000,
      });
    }
  }

  /** Listens; resolves with the page's address. */
  async start(): Promise<string> {
    await qrcodeBrowserBundle();
    const server = createServer((req, res) => {
      this.route(req, res).catch((e: unknown) => send(res, 500, 'text/plain', `rider page: ${String(e)}`));
    });
    this.server = server;
    const host = this.o.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? 0, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://rider.invalid');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/') {
      return send(res, 200, 'text/html; charset=utf-8', riderPageHtml({ refreshSec: this.o.refreshSec ?? 5 }));
    }
    if (req.method === 'GET' && path === '/qrcode.js')
      return send(res, 200, 'text/javascript; charset=utf-8', await qrcodeBrowserBundle());
    if (req.method === 'GET' && path === '/api/riders') {
      const riders = [...this.riders.values()].map((r) => ({ id: r.id, name: r.name, alg: algName(r.keys.alg) }));
      return json(res, 200, { riders, profiles: PROFILE_NAMES });
    }
    if (req.method === 'GET' && path === '/api/wallet') {
      const picked = this.pick(url.searchParams.get('rider'), url.searchParams.get('profile'));
      if ('error' in picked) return json(res, 400, picked);
      const { rider, profile } = picked;
      const jwk: Jwk = privateJwk(rider.keys);
      const key = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.y ? { y: jwk.y } : {}), d: jwk.d };
      return json(res, 200, {
        rider: rider.id,
        profile,
        alg: algName(rider.keys.alg),
        privateJwk: key,
        credential: Buffer.from(this.credential(rider, profile)).toString('base64url'),
      });
    }
    if (req.method === 'POST' && path === '/api/code') {
      const body = await readBody(req);
      if (body === undefined) return json(res, 413, { error: `a body of at most ${MAX_BODY} bytes` });
      let asked: { rider?: unknown; profile?: unknown };
      try {
        asked = JSON.parse(body) as typeof asked;
      } catch {
        return json(res, 400, { error: 'the body must be JSON: {"rider": "...", "profile": "..."}' });
      }
      const picked = this.pick(asked.rider, asked.profile);
      if ('error' in picked) return json(res, 400, picked);
      const { rider, profile } = picked;
      const code = makeRideCode({
        credential: this.credential(rider, profile),
        riderAlg: rider.keys.alg,
        riderKey: rider.keys.privateKey,
        ts: this.now(),
        seq: rider.serverSeq++,
      });
      return json(res, 200, { code, seq: rider.serverSeq - 1 });
    }
    return send(res, 404, 'text/plain', 'not found');
  }

  private pick(
    riderId: unknown,
    profileName: unknown,
  ): { rider: WalletRider; profile: ProfileName } | { error: string } {
    const rider = typeof riderId === 'string' ? this.riders.get(riderId) : undefined;
    if (!rider) return { error: `rider must be one of ${[...this.riders.keys()].join(', ')}` };
    if (typeof profileName !== 'string' || !(PROFILE_NAMES as readonly string[]).includes(profileName))
      return { error: `profile must be one of ${PROFILE_NAMES.join(', ')}` };
    return { rider, profile: profileName as ProfileName };
  }

  /** The rider's level-1 credential for `profile` (all modes, 30 days), issued once. */
  private credential(rider: WalletRider, profile: ProfileName): Uint8Array {
    let c = rider.credentials.get(profile);
    if (!c) {
      const iat = Math.floor(this.now() / DAY) * DAY - DAY;
      const cti = randomBytes(8);
      const bytes = issueCredential({
        issuerAlg: this.o.issuer.alg,
        issuerKey: this.o.issuer.privateKey,
        kid: this.o.issuer.kid,
        riderPublicKey: rider.keys.publicKey,
        iss: 'faregate-demo',
        sub: rider.sub,
        cti,
        iat,
        exp: iat + 30 * DAY,
        profile: PROFILES[profile],
      });
      c = { cti, bytes };
      rider.credentials.set(profile, c);
    }
    return c.bytes;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // The page loads nothing from elsewhere.
    'content-security-policy': "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'",
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
      } else parts.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}
