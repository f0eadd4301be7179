/**
 * The dashboard's signed commands (docs/remote-commands.md), only when `faregate dashboard` was
 * given `--operator-key FILE`: each is first prepared (checked, summarised, held for
 * {@link CONFIRM_TTL_MS} under a one-time id) and sent only when that id is confirmed. Sending
 * signs the payload with the operator key, publishes it on `P/gates/D/cmd` (QoS 1) from a client
 * of its own and waits for the reply with the same id, as `faregate cmd send` does.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { topics } from '../contract/settlement.ts';
import { isDeviceId } from '../domain/vocabulary.ts';
import { errorMessage } from '../errors/faregateError.ts';
import { COMMAND_ARGS, COMMAND_NAMES, exchangeCommand, signCommand, type CommandName } from '../fleet/commandTypes.ts';
import type { JwsSigner } from '../lists/jws.ts';
import type { FleetSourceOptions } from '../monitor/mqttFleetSource.ts';

export const CONFIRM_TTL_MS = 60_000;
/** Lifetime of a sent command (its `expiresAt - issuedAt`). */
export const COMMAND_TTL_SEC = 60;

export interface PreparedCommand {
  confirmId: string;
  deviceId: string;
  cmd: CommandName;
  args: Record<string, unknown>;
  /** What the confirmation step shows. */
  summary: string;
  expiresAt: number;
}

export type SendResult =
  { sent: true; id: string; reply: Record<string, unknown> | null } | { sent: false; error: string };

export class OperatorCommands {
  private readonly pending = new Map<string, PreparedCommand>();

  constructor(
    private readonly source: FleetSourceOptions,
    private readonly signer: JwsSigner,
    private readonly replyTimeoutMs = 10_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Checks a command; returns what to confirm, or why it cannot be sent. */
  prepare(body: { device?: unknown; cmd?: unknown; args?: unknown }): PreparedCommand | { error: string } {
    const device = body.device;
    if (typeof device !== 'string' || !isDeviceId(device)) return { error: 'device must be a gate id' };
    const cmd = body.cmd;
    if (typeof cmd !== 'string' || !(COMMAND_NAMES as readonly string[]).includes(cmd))
      return { error: `cmd must be one of ${COMMAND_NAMES.join(', ')}` };
    const name = cmd as CommandName;
    const args = COMMAND_ARGS[name].safeParse(body.args ?? {});
    if (!args.success) return { error: `args of ${name}: ${args.error.issues.map((i) => i.message).join('; ')}` };
    this.expire();
    const p: PreparedCommand = {
      confirmId: randomBytes(16).toString('hex'),
      deviceId: device,
      cmd: name,
      args: args.data,
      summary: `${name} ${JSON.stringify(args.data)} to ${device}, signed with operator key ${this.signer.kid}`,
      expiresAt: this.now() + CONFIRM_TTL_MS,
    };
    this.pending.set(p.confirmId, p);
    return p;
  }

  /** Sends a prepared command once; an unknown, used or expired confirmation sends nothing. */
  async confirm(confirmId: unknown): Promise<SendResult> {
    this.expire();
    const p = typeof confirmId === 'string' ? this.pending.get(confirmId) : undefined;
    if (!p) return { sent: false, error: 'no such command to confirm (expired, or already sent): prepare it again' };
    this.pending.delete(p.confirmId);
    return this.send(p);
  }

  private expire(): void {
    const now = this.now();
    for (const [k, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(k);
  }

  private async send(p: PreparedCommand): Promise<SendResult> {
    const nowSec = Math.floor(Date.now() / 1000);
    const id = randomUUID();
    const payload = {
      id,
      deviceId: p.deviceId,
      cmd: p.cmd,
      args: p.args,
      issuedAt: nowSec,
      expiresAt: nowSec + COMMAND_TTL_SEC,
    };
    const jws = signCommand(payload, this.signer);
    const t = topics(this.source.prefix, p.deviceId);
    const s = this.source;
    const client = mqtt.connect(s.url, {
      clientId: `faregate-dashboard-cmd-${randomBytes(4).toString('hex')}`,
      protocolVersion: s.protocolVersion,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: this.replyTimeoutMs,
      ...(s.username !== undefined ? { username: s.username } : {}),
      ...(s.password !== undefined ? { password: s.password } : {}),
      ...(s.ca !== undefined ? { ca: s.ca } : {}),
      ...(s.rejectUnauthorized !== undefined ? { rejectUnauthorized: s.rejectUnauthorized } : {}),
    });
    try {
      const reply = (await exchangeCommand(client, t, jws, id, this.replyTimeoutMs)) ?? null;
      return { sent: true, id, reply };
    } catch (e) {
      return { sent: false, error: errorMessage(e) };
    } finally {
      await client.endAsync(true).catch(() => undefined);
    }
  }
}
