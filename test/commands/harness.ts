/**
 * Test harness for remote commands and gate policy: a real Mosquitto broker, a socat
 * pseudo-terminal as the scanner, the real service process (`faregate run`) with a console gate
 * (its signals are log lines), an operator key pinned in the settings, and a plain mqtt.js
 * client playing the operator (commands, replies, events, retained status).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { DEFAULT_TOPIC_PREFIX, topics } from '../../src/contract/settlement.ts';
import { signCommand } from '../../src/fleet/commandTypes.ts';
import type { JwsSigner } from '../../src/lists/jws.ts';
import { generateKeyPair, publicJwk } from '../../src/mint/keys.ts';
import { ALG_EDDSA, ALG_ES256, type SupportedAlg } from '../../src/token/cose.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { openPtyWriter, startPtyPair, waitFor, type PtyPair, type PtyWriter } from '../support/pty.ts';
import { busSettings, ServiceProcess, type LogLine } from '../support/serviceProcess.ts';

export type Reply = Record<string, unknown> & {
  id: string;
  ok: boolean;
  error?: string;
  result?: Record<string, unknown>;
};

export function operatorSigner(
  alg: SupportedAlg = ALG_EDDSA,
  kid = `op-${randomUUID().slice(0, 8)}`,
): JwsSigner & { publicJwk: Record<string, unknown> } {
  const pair = generateKeyPair(alg);
  const pub = publicJwk(pair);
  return { alg, kid, privateKey: pair.privateKey, publicJwk: { ...pub, kid } };
}

export interface CommandOptions {
  signer?: JwsSigner;
  deviceId?: string;
  id?: string;
  issuedAt?: number;
  expiresAt?: number;
}

export interface HarnessOptions {
  deviceId?: string;
  /** Settings merged over the bus defaults. */
  settings?: Record<string, unknown>;
  /** Start an MQTT broker and pin an operator key (default true). */
  mqtt?: boolean;
}

export class Harness {
  broker: Mosquitto | undefined;
  readonly dir: string;
  readonly settingsFile: string;
  settings: Record<string, unknown>;
  svc!: ServiceProcess;
  scanner!: PtyPair;
  writer!: PtyWriter;
  client: MqttClient | undefined;
  readonly op = operatorSigner(ALG_EDDSA);
  /** A second pinned key (ES256), to show both algorithms work. */
  readonly op2 = operatorSigner(ALG_ES256);
  readonly replies: Reply[] = [];
  readonly events: Record<string, unknown>[] = [];
  readonly statuses: Record<string, unknown>[] = [];
  readonly deviceId: string;
  private t!: ReturnType<typeof topics>;

  private constructor(o: HarnessOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'faregate-cmd-'));
    this.settingsFile = join(this.dir, 'settings.json');
    this.deviceId = o.deviceId ?? `gate-${randomUUID().slice(0, 8)}`;
    this.settings = {};
  }

  static async start(o: HarnessOptions = {}): Promise<Harness> {
    const h = new Harness(o);
    h.scanner = await startPtyPair();
    const useMqtt = o.mqtt ?? true;
    const keysFile = join(h.dir, 'operators.json');
    writeFileSync(keysFile, JSON.stringify({ keys: [h.op.publicJwk, h.op2.publicJwk] }, null, 2));
    if (useMqtt) h.broker = await startMosquitto();
    h.settings = busSettings(h.scanner.a, join(h.dir, 'data'), {
      deviceId: h.deviceId,
      ...(h.broker
        ? { mqtt: { url: h.broker.url, reconnectPeriodMs: 200 }, commands: { operatorKeys: keysFile } }
        : {}),
      ...o.settings,
    });
    h.writeSettings();
    if (h.broker) {
      h.t = topics(DEFAULT_TOPIC_PREFIX, h.deviceId);
      const client = mqtt.connect(h.broker.url, {
        clientId: `op-${randomUUID().slice(0, 8)}`,
        clean: true,
        reconnectPeriod: 200,
      });
      client.on('message', (topic, buf) => {
        let json: Record<string, unknown>;
        try {
          json = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
        } catch {
          return;
        }
        if (topic === h.t.cmdReply) h.replies.push(json as Reply);
        else if (topic === h.t.events) h.events.push(json);
        else if (topic === h.t.status) h.statuses.push(json);
      });
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
      await client.subscribeAsync([h.t.cmdReply, h.t.events, h.t.status], { qos: 1 });
      h.client = client;
    }
    await h.startService();
    return h;
  }

  writeSettings(): void {
    writeFileSync(this.settingsFile, JSON.stringify(this.settings, null, 2));
  }

  /** Starts the service (again) on the same settings file and store; waits until it takes frames and commands. */
  async startService(): Promise<void> {
    this.svc = new ServiceProcess(this.settingsFile);
    await this.svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up', 15_000);
    if (!this.writer) this.writer = await openPtyWriter(this.scanner.b);
    if (this.broker) await this.ready();
  }

  async restartService(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.svc.kill(signal);
    await this.startService();
  }

  /** Waits until the service answers commands (its subscription is in place). */
  async ready(): Promise<Reply> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await this.send('status', {}, {}, 700).catch(() => undefined);
      if (r) return r;
      if (Date.now() > deadline)
        throw new Error(`service does not answer commands; last lines: ${JSON.stringify(this.svc.lines.slice(-5))}`);
    }
  }

  sign(cmd: string, args: Record<string, unknown> = {}, o: CommandOptions = {}) {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      id: o.id ?? randomUUID(),
      deviceId: o.deviceId ?? this.deviceId,
      cmd,
      args,
      issuedAt: o.issuedAt ?? now,
      expiresAt: o.expiresAt ?? now + 60,
    };
    return { payload, jws: signCommand(payload, o.signer ?? this.op) };
  }

  /** Signs and sends a command; resolves with its reply. */
  async send(
    cmd: string,
    args: Record<string, unknown> = {},
    o: CommandOptions = {},
    timeoutMs = 5000,
  ): Promise<Reply> {
    const { payload, jws } = this.sign(cmd, args, o);
    return this.sendRaw(JSON.stringify(jws), payload.id, timeoutMs);
  }

  /** Publishes anything on the command topic; resolves with the reply naming `id`. */
  async sendRaw(text: string, id: string, timeoutMs = 5000): Promise<Reply> {
    const from = this.replies.length;
    await this.client!.publishAsync(this.t.cmd, text, { qos: 1 });
    return waitFor(() => this.replies.slice(from).find((r) => r.id === id), `reply to ${id}`, timeoutMs, 10);
  }

  /** Writes a frame as the scanner and returns the decision log line for it. */
  async scan(text: string): Promise<LogLine> {
    const from = this.svc.lines.length;
    await this.writer.write(text + '\r');
    return this.svc.waitForLine((l) => typeof l.decision === 'string', `decision for a frame`, 10_000, from);
  }

  /** Writes a frame and waits for what the gate was told (console gate log line). */
  async scanAndGate(text: string): Promise<{ decision: LogLine; gate: LogLine }> {
    const from = this.svc.lines.length;
    await this.writer.write(text + '\r');
    const decision = await this.svc.waitForLine((l) => typeof l.decision === 'string', 'decision', 10_000, from);
    const gate = await this.svc.waitForLine(
      (l) => l.component === 'gate' && (l.action === 'open' || l.action === 'reject'),
      'gate signal',
      10_000,
      from,
    );
    return { decision, gate };
  }

  /** The taps in the store (read-only; the service keeps running). */
  taps(): {
    id: string;
    fare: number | null;
    flags: string | null;
    sub: string;
    direction: string;
    place: string;
    profile: number;
  }[] {
    const db = new Database(join(this.dir, 'data', 'faregate.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return db
        .prepare('SELECT id, fare, flags, sub, direction, place, profile FROM taps ORDER BY seqno')
        .all() as ReturnType<Harness['taps']>;
    } finally {
      db.close();
    }
  }

  lastStatus(): Record<string, unknown> | undefined {
    return this.statuses.filter((s) => s.online === true).at(-1);
  }

  async stop(): Promise<void> {
    await this.svc?.kill('SIGKILL');
    await this.writer?.close();
    await this.scanner?.stop();
    await this.client?.endAsync(true).catch(() => undefined);
    await this.broker?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
