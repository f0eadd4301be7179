/**
 * Signed remote commands (docs/remote-commands.md): the payload inside the operator's JWS, the
 * arguments of each command, and the reply on `P/gates/D/cmd/reply`.
 */
import { DEVICE_ID_RULE, isDeviceId } from '../domain/vocabulary.ts';
import { z } from 'zod';
import { signFlattenedJws, type FlattenedJws, type JwsSigner } from '../lists/jws.ts';
import type { MqttClient } from 'mqtt';

/** The JWS `typ` of a command (a signed list or other document cannot pass as a command). */
export const COMMAND_TYP = 'faregate-cmd+json';

export const COMMAND_NAMES = ['free_pass', 'out_of_service', 'reload_config', 'status', 'log_level'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const COMMAND_ID = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1..128 of A-Z a-z 0-9 . _ : -');

/** The JWS payload. */
export const CommandPayloadSchema = z.object({
  id: COMMAND_ID,
  /** The target validator, or "*" for every validator that receives it. */
  deviceId: z.string().refine((s) => s === '*' || isDeviceId(s), `must be a device id (${DEVICE_ID_RULE}) or *`),
  cmd: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()).default({}),
  /** Unix seconds. */
  issuedAt: z.number().int().nonnegative(),
  expiresAt: z.number().int().nonnegative(),
});
export type CommandPayload = z.infer<typeof CommandPayloadSchema>;

const onOff = z.strictObject({ on: z.boolean({ error: 'must be true or false' }) });

export const COMMAND_ARGS = {
  free_pass: onOff,
  out_of_service: onOff,
  reload_config: z.strictObject({}),
  status: z.strictObject({}),
  log_level: z.strictObject({ level: z.enum(LOG_LEVELS) }),
} satisfies Record<CommandName, z.ZodType>;

/** Why a command was refused (the reply's `error`). */
export type CommandError =
  | 'malformed' // not a flattened JWS / not JSON
  | 'wrong_typ'
  | 'unsupported_alg'
  | 'unknown_kid'
  | 'alg_mismatch'
  | 'key_not_valid'
  | 'bad_signature'
  | 'bad_payload'
  | 'wrong_device'
  | 'expired'
  | 'not_yet_valid'
  | 'lifetime_too_long'
  | 'replayed'
  | 'unknown_command'
  | 'bad_args'
  | 'failed';

export interface CommandReplyOk {
  id: string;
  ok: true;
  deviceId: string;
  cmd: CommandName;
  at: number;
  result: Record<string, unknown>;
}

export interface CommandReplyRefused {
  id: string;
  ok: false;
  deviceId: string;
  cmd?: string;
  at: number;
  error: CommandError;
  detail: string;
}

export type CommandReply = CommandReplyOk | CommandReplyRefused;

export const CommandReplySchema = z.looseObject({
  id: z.string(),
  ok: z.boolean(),
  deviceId: z.string(),
  error: z.string().optional(),
  detail: z.string().optional(),
  result: z.record(z.string(), z.unknown()).optional(),
});

/** Signs a command payload as a flattened JWS with `typ` faregate-cmd+json. */
export function signCommand(payload: CommandPayload | Record<string, unknown>, signer: JwsSigner): FlattenedJws {
  return signFlattenedJws(payload, signer, { typ: COMMAND_TYP });
}

/**
 * The operator side of a remote command (`faregate cmd send`, the dashboard): once `client` is
 * connected, subscribes to the gate's `cmd/reply`, publishes the signed command `jws` on its
 * `cmd`, and resolves with the reply whose `id` is the command's, or undefined after `timeoutMs`.
 * Rejects on a client error or a failed subscribe/publish.
 */
export function exchangeCommand(
  client: MqttClient,
  t: { cmd: string; cmdReply: string },
  jws: unknown,
  id: string,
  timeoutMs: number,
): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    client.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    client.on('message', (_topic, buf) => {
      let json: unknown;
      try {
        json = JSON.parse(buf.toString('utf8'));
      } catch {
        return;
      }
      const r = CommandReplySchema.safeParse(json);
      if (r.success && r.data.id === id) {
        clearTimeout(timer);
        resolve(r.data);
      }
    });
    client.once('connect', () => {
      client
        .subscribeAsync(t.cmdReply, { qos: 1 })
        .then(() => client.publishAsync(t.cmd, JSON.stringify(jws), { qos: 1 }))
        .catch((e: Error) => {
          clearTimeout(timer);
          reject(e);
        });
    });
  });
}
