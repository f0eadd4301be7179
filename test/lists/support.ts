/** Helpers for the signed-list tests: root keys, signed documents, issuers, riders, a TCP scanner. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { loadConfig } from '../../src/config/load.ts';
import { generateKeyPair, publicJwk, type KeyPair } from '../../src/mint/keys.ts';
import { issueCredential, makeRideCode } from '../../src/mint/mint.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { signList, type Signer } from '../../src/lists/signedList.ts';
import { ValidatorService } from '../../src/service/validatorService.ts';
import { ALG_EDDSA, type SupportedAlg } from '../../src/token/cose.ts';
import { waitFor } from '../support/pty.ts';
import { busSettings, DEV_ISSUER } from '../support/serviceProcess.ts';
import { readFileSync } from 'node:fs';

export const nowSec = (): number => Math.floor(Date.now() / 1000);

export interface Root {
  signer: Signer;
  jwk: Record<string, unknown>;
}

export function makeRoot(kid = `root-${randomBytes(3).toString('hex')}`, alg: SupportedAlg = ALG_EDDSA): Root {
  const pair = generateKeyPair(alg, Buffer.from(kid));
  return { signer: { alg, kid, privateKey: pair.privateKey }, jwk: { ...publicJwk(pair), kid } };
}

/** A signed document's text. */
export function signed(root: Root, payload: Record<string, unknown>): string {
  return JSON.stringify(signList(payload, root.signer));
}

export const denySnapshot = (
  root: Root,
  version: number,
  body: { sub?: unknown[]; cti?: unknown[] },
  issuedAt = nowSec(),
) => signed(root, { type: 'deny', version, issuedAt, kind: 'snapshot', sub: body.sub ?? [], cti: body.cti ?? [] });

export const denyDelta = (
  root: Root,
  version: number,
  baseVersion: number,
  add: Record<string, unknown[]>,
  remove: Record<string, string[]> = {},
  issuedAt = nowSec(),
) => signed(root, { type: 'deny', version, issuedAt, kind: 'delta', baseVersion, add, remove });

export const trustSnapshot = (root: Root, version: number, keys: unknown[], issuedAt = nowSec()) =>
  signed(root, { type: 'trust', version, issuedAt, kind: 'snapshot', keys });

/** The dev issuer's public JWK (what config/dev/trust.json holds). */
export function devIssuerPublic(): Record<string, unknown> {
  const { d: _d, ...pub } = JSON.parse(readFileSync(DEV_ISSUER, 'utf8')) as Record<string, unknown>;
  return pub;
}

export interface Issuer {
  pair: KeyPair;
  /** Trust-list JWK (kid = base64url of the COSE kid), with optional nbf/exp. */
  jwk(o?: { nbf?: number; exp?: number }): Record<string, unknown>;
  /** A rider whose credential this issuer signed. */
  rider(sub?: string): { sub: string; cti: string; code(): string };
}

export function makeIssuer(alg: SupportedAlg = ALG_EDDSA): Issuer {
  const pair = generateKeyPair(alg);
  return {
    pair,
    jwk: (o = {}) => ({ ...publicJwk(pair), ...o }),
    rider(sub = randomBytes(8).toString('hex')) {
      const key = generateKeyPair(ALG_EDDSA);
      const cti = randomBytes(8);
      const now = nowSec();
      const credential = issueCredential({
        issuerAlg: pair.alg,
        issuerKey: pair.privateKey,
        kid: pair.kid,
        riderPublicKey: key.publicKey,
        sub: Buffer.from(sub, 'hex'),
        cti,
        exp: now + 86400,
        iat: now - 60,
      });
      let seq = 0;
      return {
        sub,
        cti: cti.toString('hex'),
        code: () => makeRideCode({ credential, riderAlg: key.alg, riderKey: key.privateKey, ts: nowSec(), seq: ++seq }),
      };
    },
  };
}

/** A network scanner the service connects to (tcp://127.0.0.1:PORT): the test writes frames. */
export class TcpScanner {
  private sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}
  static async start(): Promise<TcpScanner> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    const s = new TcpScanner(server, typeof addr === 'object' && addr ? addr.port : 0);
    server.on('connection', (sock) => {
      s.sockets.add(sock);
      sock.on('close', () => s.sockets.delete(sock));
      sock.on('error', () => undefined);
    });
    return s;
  }
  get path(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }
  async scan(text: string): Promise<void> {
    await waitFor(() => this.sockets.size > 0, 'scanner connection', 5000);
    for (const s of this.sockets) s.write(text + '\r');
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export interface TestGate {
  svc: ValidatorService;
  dir: string;
  scanner: TcpScanner;
  /** Scans a code and resolves with the outcome the service reached for it. */
  tap(code: string): Promise<{ decision: string; reason?: string; flags?: string[] }>;
  stop(): Promise<void>;
}

/** An in-process bus validator with signed lists, a TCP scanner and (optionally) a broker. */
export async function startGate(o: {
  root: Root | Root[];
  mqttUrl?: string;
  dir?: string;
  deviceId?: string;
  lists?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}): Promise<TestGate> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'faregate-lists-'));
  const roots = Array.isArray(o.root) ? o.root : [o.root];
  writeFileSync(join(dir, 'roots.json'), JSON.stringify({ keys: roots.map((r) => r.jwk) }));
  // Fresh bootstrap files (their mtime is their issuedAt).
  writeFileSync(join(dir, 'trust.json'), JSON.stringify({ keys: [devIssuerPublic()] }));
  writeFileSync(join(dir, 'deny.json'), JSON.stringify({ sub: [], cti: [] }));
  const scanner = await TcpScanner.start();
  const settings = busSettings(scanner.path, join(dir, 'data'), {
    deviceId: o.deviceId ?? `gate-${randomBytes(3).toString('hex')}`,
    trust: { file: join(dir, 'trust.json') },
    deny: { file: join(dir, 'deny.json') },
    lists: { rootKeys: join(dir, 'roots.json'), ...o.lists },
    ...(o.mqttUrl ? { mqtt: { url: o.mqttUrl, reconnectPeriodMs: 200 } } : {}),
    log: { level: 'silent', format: 'json' },
    ...o.extra,
  });
  const file = join(dir, 'settings.json');
  writeFileSync(file, JSON.stringify(settings));
  const { config } = loadConfig(file, {});
  const svc = new ValidatorService(config, { logger: silentLogger });
  const outcomes: { codeId?: string; decision: string; reason?: string; flags?: string[] }[] = [];
  svc.onOutcome((oc) => {
    const reason = oc.reason;
    const flags = oc.tap?.flags;
    outcomes.push({ decision: oc.decision, ...(reason ? { reason } : {}), ...(flags ? { flags } : {}) });
  });
  await svc.start();
  if (o.mqttUrl) await waitFor(() => svc.link?.connected, 'mqtt connected', 5000);
  return {
    svc,
    dir,
    scanner,
    async tap(code) {
      const n = outcomes.length;
      await scanner.scan(code);
      return waitFor(() => outcomes[n], 'decision', 5000, 5);
    },
    async stop() {
      await svc.stop();
      await scanner.close();
    },
  };
}

/**
 * Hands a signed document to a gate's list sync as if it came from the broker (applied,
 * persisted): rule tests need no broker; the wire is proven by denyWithinASecond.test.ts.
 */
export async function feed(gate: TestGate, type: 'trust' | 'deny', doc: string): Promise<void> {
  const r = await gate.svc.listSync!.receive(type, Buffer.from(doc), 'mqtt');
  if (r.outcome === 'refused') throw new Error(`${type} list refused: ${r.reason} ${r.detail}`);
}

/** An MQTT client for the test (backend side, or watching events). */
export async function client(url: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: `t-${randomBytes(4).toString('hex')}`, reconnectPeriod: 0 });
}

/** Publishes a signed document like `faregate lists publish` (snapshots retained). */
export async function publishList(c: MqttClient, topic: string, doc: string, retain = true): Promise<void> {
  await c.publishAsync(topic, doc, { qos: 1, retain });
}

/** Collects the events a gate publishes. */
export async function watchEvents(
  url: string,
  deviceId: string,
): Promise<{ events: Record<string, unknown>[]; close(): Promise<void> }> {
  const c = await client(url);
  const events: Record<string, unknown>[] = [];
  c.on('message', (_t, p) => events.push(JSON.parse(p.toString()) as Record<string, unknown>));
  await c.subscribeAsync(`faregate/v1/gates/${deviceId}/events`, { qos: 1 });
  return { events, close: () => c.endAsync() };
}

/** n distinct random 8-byte hex ids. */
export function randomIds(n: number, bytes = 8): string[] {
  const buf = randomBytes(n * bytes);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = buf.toString('hex', i * bytes, (i + 1) * bytes);
  return out;
}
