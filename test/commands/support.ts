/**
 * In-process remote commands for rule tests: the real wiring (setupRemoteCommands) on settings
 * loaded from a file, a real store (SQLite in a temp dir, opened by TapStore so that its
 * migrations create the tables), the in-memory MQTT broker, a manual clock and a capturing logger.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { setupRemoteCommands, type CommandsSetup } from '../../src/fleet/commandsWiring.ts';
import { signCommand } from '../../src/fleet/commandTypes.ts';
import { EventOutbox } from '../../src/fleet/events.ts';
import type { JwsSigner } from '../../src/lists/jws.ts';
import { generateKeyPair, publicJwk } from '../../src/mint/keys.ts';
import { GatePolicy } from '../../src/policy/gatePolicy.ts';
import { TapStore } from '../../src/store/tapStore.ts';
import { ALG_EDDSA, ALG_ES256, type SupportedAlg } from '../../src/token/cose.ts';
import { RideCodeValidator } from '../../src/token/validator.ts';
import { captureLogger } from '../support/captureLogger.ts';
import { MemoryBroker, MemoryMqttLink } from '../support/memoryMqtt.ts';
import { waitFor } from '../support/pty.ts';
import { busSettings } from '../support/serviceProcess.ts';

export type Reply = Record<string, unknown> & {
  id: string;
  ok: boolean;
  error?: string;
  detail?: string;
  result?: any;
};

export function operatorSigner(alg: SupportedAlg = ALG_EDDSA, kid = `op-${randomUUID().slice(0, 8)}`) {
  const pair = generateKeyPair(alg);
  return { alg, kid, privateKey: pair.privateKey, publicJwk: { ...publicJwk(pair), kid } } as JwsSigner & {
    publicJwk: Record<string, unknown>;
  };
}

export interface CommandOptions {
  signer?: JwsSigner;
  deviceId?: string;
  id?: string;
  issuedAt?: number;
  expiresAt?: number;
}

export class CommandBench {
  readonly dir = mkdtempSync(join(tmpdir(), 'faregate-cmd-unit-'));
  readonly settingsFile = join(this.dir, 'settings.json');
  readonly broker = new MemoryBroker();
  readonly deviceId = `gate-${randomUUID().slice(0, 8)}`;
  readonly op = operatorSigner(ALG_EDDSA);
  readonly op2 = operatorSigner(ALG_ES256);
  readonly log = captureLogger();
  /** Unix ms, moved by the test. */
  nowMs = Date.now();
  readonly clock = { now: () => this.nowMs };
  settings: Record<string, any>;
  config!: Config;
  store!: TapStore;
  policy!: GatePolicy;
  validator!: RideCodeValidator;
  link!: MemoryMqttLink;
  setup!: CommandsSetup;

  constructor(extra: Record<string, unknown> = {}) {
    const keys = join(this.dir, 'operators.json');
    writeFileSync(keys, JSON.stringify({ keys: [this.op.publicJwk, this.op2.publicJwk] }));
    this.settings = busSettings('/dev/null', join(this.dir, 'data'), {
      deviceId: this.deviceId,
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      commands: { operatorKeys: keys },
      ...extra,
    });
    this.writeSettings();
  }

  writeSettings(): void {
    writeFileSync(this.settingsFile, JSON.stringify(this.settings, null, 2));
  }

  /** Builds the commands like the service does; `modes` false leaves the gate modes off the store. */
  start(o: { modes?: boolean } = {}): this {
    this.config = loadConfig(this.settingsFile, {}).config;
    this.validator = new RideCodeValidator({ params: { skew: this.config.token.skew } });
    this.policy = new GatePolicy(this.config);
    this.store = new TapStore({
      file: join(this.dir, 'data', 'faregate.sqlite'),
      synchronous: 'FULL',
      logger: this.log,
    });
    this.link = new MemoryMqttLink(this.broker, this.deviceId);
    this.setup = setupRemoteCommands({
      config: this.config,
      configFile: this.settingsFile,
      validator: this.validator,
      policy: this.policy,
      link: this.link,
      events: new EventOutbox(this.link),
      clock: this.clock,
      rootLogger: this.log,
      logger: this.log.child({ component: 'commands' }),
      status: () => ({ deviceId: this.deviceId, modes: this.policy.modes.status() }),
    });
    this.store.open();
    if (o.modes ?? true) this.policy.attach(this.store.database, this.nowMs);
    this.setup.ledger.attach(this.store.database);
    this.setup.commands!.start();
    this.link.connect();
    return this;
  }

  /** A restart: the same settings, store and data directory, new parts. */
  restart(): this {
    this.stop();
    return this.start();
  }

  stop(): void {
    this.setup.commands?.stop();
    void this.link.stop();
    this.store.close();
  }

  dispose(): void {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  sign(cmd: string, args: Record<string, unknown> = {}, o: CommandOptions = {}) {
    const now = Math.floor(this.nowMs / 1000);
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

  /** Publishes on the command topic as the operator; resolves with the reply naming `id` (undefined: none). */
  async sendRaw(text: string, id?: string): Promise<Reply | undefined> {
    const from = this.replies().length;
    const stats = this.setup.commands!.stats;
    const handled = stats.accepted + stats.refused;
    this.broker.inject(this.link.topics.cmd, text);
    await waitFor(() => stats.accepted + stats.refused > handled, 'command handled', 5000, 1);
    if (id === undefined) return undefined;
    // The reply is published once the command is decided (no reply: no id could be read).
    await this.idle();
    return this.replies()
      .slice(from)
      .find((r) => r.id === id);
  }

  async send(cmd: string, args: Record<string, unknown> = {}, o: CommandOptions = {}): Promise<Reply> {
    const { payload, jws } = this.sign(cmd, args, o);
    const r = await this.sendRaw(JSON.stringify(jws), payload.id);
    if (!r) throw new Error(`no reply to ${payload.id}`);
    return r;
  }

  /** Lets the queued commands and their replies finish. */
  async idle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  }

  replies(): Reply[] {
    return this.broker.messages(this.link.topics.cmdReply) as Reply[];
  }

  events(): Record<string, unknown>[] {
    return this.broker.messages(this.link.topics.events) as Record<string, unknown>[];
  }

  modes(): { free_pass: boolean; out_of_service: boolean } {
    const m = this.policy.modes.status();
    return { free_pass: m.free_pass.on, out_of_service: m.out_of_service.on };
  }
}
