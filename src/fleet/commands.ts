/**
 * Signed remote commands (settlement-mqtt-v1 `P/gates/D/cmd` → `P/gates/D/cmd/reply`, QoS 1).
 *
 * A command is a flattened JWS signed by an operator key pinned in `commands.operatorKeys`; its
 * payload names the command id, the target device (or "*"), the command, its arguments, and
 * when it was issued and expires. In order: signature (pinned kid, alg of the pinned key),
 * payload shape, device, time window (with `commands.skewSeconds`), lifetime bound, then the id
 * is claimed in SQLite (a replay — also after a restart — does nothing), then the command runs.
 * Anything refused does nothing but a refusal reply (when an id can be read), a log line and an
 * event; every command and its result is logged and raised as an event `{"kind": "command", …}`.
 * Commands are handled one at a time, in the order they arrive (the signature check is async).
 */
import { errorFields, errorMessage, FaregateError, isFaregateError } from '../errors/faregateError.ts';
import { formatIssues } from '../lists/issues.ts';
import type { MqttPort } from '../mqtt/mqttPort.ts';
import type { Logger } from '../platform/logger.ts';
import type { Clock } from '../token/validator.ts';
import type { CommandLedger } from './commandLedger.ts';
import {
  COMMAND_ARGS,
  COMMAND_ID,
  COMMAND_TYP,
  COMMAND_NAMES,
  CommandPayloadSchema,
  type CommandError,
  type CommandName,
  type CommandReply,
} from './commandTypes.ts';
import { unverifiedPayload, verifyFlattenedJws, type JwsKeySet } from '../lists/jws.ts';
import type { EventSink } from './events.ts';

export * from './commandTypes.ts';

/**
 * What the service lets commands do. Each returns the reply's `result`; throwing refuses with
 * `failed` (the detail is the error's message, e.g. FG-503 when a mode cannot be persisted).
 */
export interface CommandTarget {
  setMode(mode: 'free_pass' | 'out_of_service', on: boolean, commandId: string): Record<string, unknown>;
  reloadConfig(): Record<string, unknown>;
  status(): Record<string, unknown>;
  setLogLevel(level: string): Record<string, unknown>;
}

export interface RemoteCommandsDeps {
  deviceId: string;
  link: MqttPort;
  ledger: CommandLedger;
  /** The pinned operator keys (read on every command: a reload may change them). */
  keys: () => JwsKeySet;
  settings: () => { skewSeconds: number; maxLifetimeSeconds: number };
  clock: Clock;
  logger: Logger;
  /** Events on `P/gates/D/events` (the one event path, src/fleet/events.ts). */
  events: EventSink;
  target: CommandTarget;
}

/** Ids are purged with the largest skew a setting allows, so a later skew change cannot re-open a window. */
const PURGE_SKEW = 601;

/** A refused command (FG-501); `error` is the reply's. */
export class CommandRefused extends FaregateError {
  override name = 'CommandRefused';
  constructor(
    readonly error: CommandError,
    readonly detail: string,
  ) {
    super('COMMAND_REFUSED', detail);
  }
}

export class RemoteCommands {
  private readonly log: Logger;
  private purgeTimer: NodeJS.Timeout | undefined;
  readonly stats = { accepted: 0, refused: 0 };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: RemoteCommandsDeps) {
    this.log = deps.logger;
  }

  start(): void {
    const { link } = this.deps;
    this.purge();
    this.purgeTimer = setInterval(() => this.purge(), 600_000);
    this.purgeTimer.unref();
    link.subscribe(link.topics.cmd, (_topic, payload) => {
      void this.handle(payload).then((reply) => (reply ? this.reply(reply) : undefined));
    });
  }

  stop(): void {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
  }

  private purge(): void {
    try {
      this.deps.ledger.purge(this.deps.clock.now() / 1000, PURGE_SKEW);
    } catch (e) {
      this.log.warn(errorFields(e), 'could not purge old command ids');
    }
  }

  private async reply(r: CommandReply): Promise<void> {
    const { link } = this.deps;
    try {
      await link.publish(link.topics.cmdReply, r, { qos: 1 });
    } catch (e) {
      this.log.warn({ id: r.id, ...errorFields(e) }, 'command reply could not be published');
    }
  }

  /**
   * Decides and runs one command message, after those that came before it; resolves with the
   * reply to publish (none when no id can be read). Never rejects for a refusal.
   */
  handle(raw: Buffer | string): Promise<CommandReply | undefined> {
    const p = this.queue.then(() => this.decide(raw));
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async decide(raw: Buffer | string): Promise<CommandReply | undefined> {
    const { clock, deviceId } = this.deps;
    const nowMs = clock.now();
    const at = Math.floor(nowMs);
    let id: string | undefined;
    let cmd: string | undefined;
    try {
      const skewSec = this.deps.settings().skewSeconds;
      const v = await verifyFlattenedJws(raw, this.deps.keys(), { nowSec: nowMs / 1000, skewSec, typ: COMMAND_TYP });
      if (!v.ok) {
        // Quote the id only to answer the refusal; nothing of an unverified payload is used otherwise.
        const p = unverifiedPayload(raw) as { id?: unknown; cmd?: unknown } | undefined;
        if (COMMAND_ID.safeParse(p?.id).success) id = p!.id as string;
        if (typeof p?.cmd === 'string' && p.cmd.length <= 64) cmd = p.cmd;
        throw new CommandRefused(v.error, v.detail);
      }
      let json: unknown;
      try {
        json = JSON.parse(v.payload.toString('utf8'));
      } catch {
        throw new CommandRefused('bad_payload', 'payload is not JSON');
      }
      const maybe = json as { id?: unknown; cmd?: unknown } | null;
      if (COMMAND_ID.safeParse(maybe?.id).success) id = maybe!.id as string;
      if (typeof maybe?.cmd === 'string' && maybe.cmd.length <= 64) cmd = maybe.cmd;
      const r = CommandPayloadSchema.safeParse(json);
      if (!r.success) throw new CommandRefused('bad_payload', formatIssues(r.error.issues));
      const c = r.data;
      const { skewSeconds, maxLifetimeSeconds } = this.deps.settings();
      const now = nowMs / 1000;
      const refuse = (error: CommandError, detail: string): never => {
        throw new CommandRefused(error, detail);
      };
      if (c.deviceId !== '*' && c.deviceId !== deviceId)
        refuse('wrong_device', `command is for ${c.deviceId}, this is ${deviceId}`);
      if (c.expiresAt < c.issuedAt) refuse('bad_payload', 'expiresAt is before issuedAt');
      if (now > c.expiresAt + skewSeconds) refuse('expired', `expired ${Math.round(now - c.expiresAt)} s ago`);
      if (c.issuedAt > now + skewSeconds)
        refuse('not_yet_valid', `issued ${Math.round(c.issuedAt - now)} s in the future`);
      const lifetime = c.expiresAt - c.issuedAt;
      if (lifetime > maxLifetimeSeconds)
        refuse('lifetime_too_long', `lifetime ${lifetime} s exceeds ${maxLifetimeSeconds} s`);
      if (!(COMMAND_NAMES as readonly string[]).includes(c.cmd)) refuse('unknown_command', `unknown command ${c.cmd}`);
      const name = c.cmd as CommandName;
      const args = COMMAND_ARGS[name].safeParse(c.args);
      if (!args.success) throw new CommandRefused('bad_args', formatIssues(args.error.issues));
      // Claimed before it runs: durable in SQLite, so a replay after a crash or restart does nothing.
      if (!this.deps.ledger.claim(c.id, c.expiresAt, nowMs, name))
        refuse('replayed', `command id ${c.id} was already used`);
      let result: Record<string, unknown>;
      try {
        result = this.run(name, args.data, c.id);
      } catch (e) {
        // Our errors carry their code: `FG-503: free_pass not changed: ...`.
        throw new CommandRefused('failed', isFaregateError(e) ? `${e.tag}: ${e.message}` : errorMessage(e));
      }
      this.stats.accepted++;
      this.log.info({ commandId: c.id, cmd: name, args: c.args, kid: v.key.kid, ok: true, result }, 'command done');
      const done = { id: c.id, cmd: name, ok: true, kid: v.key.kid, args: c.args, result: summary(name, result) };
      this.deps.events.event({ at, kind: 'command', ...done });
      return { id: c.id, ok: true, deviceId, cmd: name, at, result };
    } catch (caught) {
      // Anything else (the store gone, say) refuses the command too: nothing has run.
      const e = caught instanceof CommandRefused ? caught : new CommandRefused('failed', errorMessage(caught));
      this.stats.refused++;
      this.log.warn({ commandId: id, cmd, ok: false, error: e.error, detail: e.detail }, 'command refused');
      const named = { ...(id ? { id } : {}), ...(cmd ? { cmd } : {}) };
      this.deps.events.event({ at, kind: 'command', ...named, ok: false, error: e.error, detail: e.detail });
      if (id === undefined) return undefined;
      return { id, ok: false, deviceId, ...(cmd ? { cmd } : {}), at, error: e.error, detail: e.detail };
    }
  }

  private run(name: CommandName, args: Record<string, unknown>, id: string): Record<string, unknown> {
    const t = this.deps.target;
    switch (name) {
      case 'free_pass':
      case 'out_of_service':
        return t.setMode(name, args.on as boolean, id);
      case 'reload_config':
        return t.reloadConfig();
      case 'status':
        return t.status();
      case 'log_level':
        return t.setLogLevel(args.level as string);
    }
  }
}

/** The event carries the result without the (large) status body. */
function summary(name: CommandName, result: Record<string, unknown>): Record<string, unknown> {
  return name === 'status' ? {} : result;
}
