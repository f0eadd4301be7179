/**
 * `faregate cmd send --mqtt URL --device D --cmd NAME [--args JSON] --key OPERATOR.jwk.json
 * [--ttl S] [--prefix P] [--timeout S] [--id ID]`: signs a remote command (flattened JWS) with an
 * operator private key, publishes it on `P/gates/D/cmd` (QoS 1), waits for the reply with the
 * same id on `P/gates/D/cmd/reply`, and prints it (one JSON line).
 * Exit 0: the validator did it; 1: refused, or no reply in time; 2: unusable arguments.
 */
import { errorMessage } from '../../errors/faregateError.ts';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { z } from 'zod';
import { topics } from '../../contract/settlement.ts';
import { exchangeCommand, signCommand } from '../../fleet/commandTypes.ts';
import type { CliIo } from '../io.ts';
import { loadJwk } from '../keyFiles.ts';
import { readText } from '../files.ts';
import { CMD_SEND } from '../spec/cmd.ts';
import { numberArg, parseCommand, UsageError } from '../usage.ts';
import { DEVICE_ID_PATTERN, DEVICE_ID_RULE } from '../../domain/vocabulary.ts';

const Args = z.object({
  mqtt: z.string({ error: 'is required' }).regex(/^mqtts?:\/\/[^\s]+$/, 'must be an mqtt:// or mqtts:// URL'),
  device: z.string({ error: 'is required' }).regex(DEVICE_ID_PATTERN, `must be a device id (${DEVICE_ID_RULE})`),
  cmd: z.string({ error: 'is required' }).min(1).max(64),
  args: z.string(),
  key: z.string({ error: 'is required' }).min(1),
  ttl: numberArg.pipe(
    z
      .number()
      .int('must be whole seconds')
      .min(1)
      .max(7 * 86400),
  ),
  prefix: z.string().regex(/^[^#+\s]+$/, 'must not contain wildcards or spaces'),
  timeout: numberArg.pipe(z.number().positive()),
  id: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1..128 of A-Z a-z 0-9 . _ : -')
    .optional(),
  username: z.string().min(1).optional(),
  'password-file': z.string().min(1).optional(),
  ca: z.string().min(1).optional(),
  insecure: z.boolean().default(false),
});

export async function cmdCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'send') throw new UsageError(`cmd: unknown subcommand ${sub ?? '(none)'} (send)`);
  const { values: a } = parseCommand(CMD_SEND, rest, Args);
  let args: unknown;
  try {
    args = JSON.parse(a.args);
  } catch (e) {
    throw new UsageError(`cmd send: --args: not valid JSON (${errorMessage(e)})`);
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    throw new UsageError('cmd send: --args: must be a JSON object');
  const key = loadJwk(a.key, 'operator key', true);
  if (!key.jwk.kid) throw new UsageError(`cmd send: operator key ${a.key} has no kid`);
  const password =
    a['password-file'] !== undefined ? readText(a['password-file'], 'password file').replace(/\r?\n$/, '') : undefined;
  const ca = a.ca !== undefined ? readText(a.ca, 'CA file') : undefined;

  const now = Math.floor(Date.now() / 1000);
  const id = a.id ?? randomUUID();
  const payload = { id, deviceId: a.device, cmd: a.cmd, args, issuedAt: now, expiresAt: now + a.ttl };
  const jws = signCommand(payload, { alg: key.alg, kid: key.jwk.kid, privateKey: key.privateKey! });
  const t = topics(a.prefix, a.device);

  const client = mqtt.connect(a.mqtt, {
    clientId: `faregate-cmd-${randomUUID().slice(0, 8)}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: Math.ceil(a.timeout * 1000),
    ...(a.username !== undefined ? { username: a.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(ca !== undefined ? { ca } : {}),
    ...(a.insecure ? { rejectUnauthorized: false } : {}),
  });
  try {
    const reply = await exchangeCommand(client, t, jws, id, a.timeout * 1000);
    if (!reply) {
      io.error(`faregate cmd send: no reply to ${id} from ${a.device} within ${a.timeout} s`);
      return 1;
    }
    await io.writeLine(JSON.stringify(reply));
    if (reply.ok !== true)
      io.error(`faregate cmd send: refused: ${asText(reply.error)}${reply.detail ? ` (${asText(reply.detail)})` : ''}`);
    return reply.ok === true ? 0 : 1;
  } catch (e) {
    io.error(`faregate cmd send: ${errorMessage(e)}`);
    return 1;
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}

/** A reply field as text: strings as they are, anything else as JSON. */
function asText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
