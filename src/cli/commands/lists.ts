/**
 * `faregate lists sign` makes a signed trust, deny or JT/T root list (docs/signed-lists.md) with a
 * root key; `faregate lists publish` puts one on the broker (`P/trust`, `P/deny` or
 * `P/jtt-roots`, QoS 1; snapshots
 * retained, deltas not, so the retained message stays the snapshot a new gate starts from).
 */
import { errorMessage } from '../../errors/faregateError.ts';
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { ALG_EDDSA } from '../../token/cose.ts';
import { ListFileError } from '../../lists/listErrors.ts';
import { ListRefused, parsePayload, signList } from '../../lists/signedList.ts';
import { readJson, readText } from '../files.ts';
import type { CliIo } from '../io.ts';
import { loadJwk } from '../keyFiles.ts';
import { LISTS_PUBLISH, LISTS_SIGN } from '../spec/lists.ts';
import { parseCommand, UsageError } from '../usage.ts';

const int = (what: string) => z.string().regex(/^\d+$/, `${what} must be a whole number`).transform(Number);

const SignArgs = z
  .object({
    type: z.enum(['trust', 'deny', 'jtt-roots']),
    kind: z.enum(['snapshot', 'delta']),
    in: z.string().min(1),
    version: int('--version').pipe(z.number().int().min(1)),
    base: int('--base').pipe(z.number().int().min(1)).optional(),
    'issued-at': int('--issued-at').optional(),
    key: z.string().min(1),
    out: z.string().min(1),
  })
  .superRefine((a, ctx) => {
    if (a.kind === 'delta' && a.base === undefined)
      ctx.addIssue({ code: 'custom', path: ['base'], message: 'a delta needs --base N (the version it applies to)' });
    if (a.kind === 'snapshot' && a.base !== undefined)
      ctx.addIssue({ code: 'custom', path: ['base'], message: 'only a delta has --base' });
    if (a.base !== undefined && a.base >= a.version)
      ctx.addIssue({ code: 'custom', path: ['base'], message: 'must be below --version' });
    if (a.type === 'trust' && a.kind === 'delta')
      ctx.addIssue({ code: 'custom', path: ['kind'], message: 'trust lists are snapshots only' });
    if (a.type === 'jtt-roots' && a.kind === 'delta')
      ctx.addIssue({ code: 'custom', path: ['kind'], message: 'JT/T root lists are snapshots only' });
  });

const PublishArgs = z.object({
  mqtt: z.string().regex(/^mqtts?:\/\/[^\s/]+(:\d+)?\/?$/, 'must be mqtt://host[:port] or mqtts://host[:port]'),
  file: z.string().min(1),
  prefix: z
    .string()
    .regex(/^[^#+\s/][^#+\s]*[^#+\s/]$|^[^#+\s/]$/, 'must not contain wildcards or spaces, nor start or end with /'),
  protocol: z.enum(['4', '5']).transform(Number),
  username: z.string().optional(),
  'password-file': z.string().optional(),
  'retain-delta': z.boolean().default(false),
});

async function sign(argv: string[], io: CliIo): Promise<number> {
  const { values: a } = parseCommand(LISTS_SIGN, argv, SignArgs);
  const key = loadJwk(a.key, 'root key', true);
  if (!a.key || key.jwk.kid === undefined || key.jwk.kid === '')
    throw new UsageError(`lists sign: root key ${a.key} has no "kid" (the validators pick the root key by it)`);
  const input = readJson(a.in, 'list input');
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new UsageError(`lists sign: ${a.in}: must be a JSON object`);
  const body = input as Record<string, unknown>;
  const payload: Record<string, unknown> = {
    type: a.type,
    version: a.version,
    issuedAt: a['issued-at'] ?? Math.floor(Date.now() / 1000),
    kind: a.kind,
    ...(a.base !== undefined ? { baseVersion: a.base } : {}),
  };
  if (a.type === 'trust') payload.keys = body.keys;
  else if (a.type === 'jtt-roots') payload.roots = body.roots;
  else if (a.kind === 'snapshot') {
    payload.sub = body.sub ?? [];
    payload.cti = body.cti ?? [];
  } else {
    payload.add = body.add ?? {};
    payload.remove = body.remove ?? {};
  }
  const allowed =
    a.type === 'trust'
      ? ['keys']
      : a.type === 'jtt-roots'
        ? ['roots']
        : a.kind === 'snapshot'
          ? ['sub', 'cti']
          : ['add', 'remove'];
  // A §5 root-key file may carry other top-level members (ignored there): only roots is signed.
  const extra = a.type === 'jtt-roots' ? [] : Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length)
    throw new UsageError(
      `lists sign: ${a.in}: unexpected field(s) ${extra.join(', ')} for a ${a.type} ${a.kind} (expected ${allowed.join(', ')})`,
    );
  // The validators' own checks, so that a list that would be refused is never signed.
  try {
    if (a.type === 'jtt-roots') {
      const { parseJttRootsPayload } = await import('../../lists/signedListJttRoots.ts');
      parseJttRootsPayload(payload);
    } else {
      const p = parsePayload(payload);
      if ('keys' in p) {
        const { trustListFromJson } = await import('../../lists/trustFile.ts');
        trustListFromJson({ keys: p.keys });
      }
    }
  } catch (e) {
    if (e instanceof ListRefused || e instanceof ListFileError)
      throw new UsageError(`lists sign: ${a.in}: ${e.message}`);
    throw e;
  }
  const jws = signList(payload, { alg: key.alg, kid: key.jwk.kid, privateKey: key.privateKey! });
  writeFileSync(a.out, JSON.stringify(jws) + '\n');
  await io.writeLine(
    JSON.stringify({
      out: a.out,
      type: a.type,
      kind: a.kind,
      version: a.version,
      issuedAt: payload.issuedAt,
      kid: key.jwk.kid,
      alg: key.alg === ALG_EDDSA ? 'EdDSA' : 'ES256',
    }),
  );
  return 0;
}

/** Reads the (unverified) payload header of a signed list: what to publish where. */
function peekHeader(text: string, file: string): { type: string; kind: string; version: number } {
  try {
    const env = JSON.parse(text) as { payload?: unknown };
    if (typeof env.payload !== 'string')
      throw new Error('no "payload" member (expected the JWS flattened JSON serialization)');
    const p = JSON.parse(Buffer.from(env.payload, 'base64url').toString('utf8')) as {
      type?: unknown;
      kind?: unknown;
      version?: unknown;
    };
    if (p.type !== 'trust' && p.type !== 'deny' && p.type !== 'jtt-roots')
      throw new Error('payload type must be trust, deny or jtt-roots');
    return { type: p.type, kind: String(p.kind), version: Number(p.version) };
  } catch (e) {
    throw new UsageError(`lists publish: ${file}: not a signed list (${errorMessage(e)})`);
  }
}

async function publish(argv: string[], io: CliIo): Promise<number> {
  const { values: a } = parseCommand(LISTS_PUBLISH, argv, PublishArgs);
  const text = readText(a.file, 'signed list');
  const h = peekHeader(text, a.file);
  const topic = `${a.prefix}/${h.type}`;
  const retain = h.kind === 'snapshot' || a['retain-delta'];
  const { default: mqtt } = await import('mqtt');
  const client = await mqtt
    .connectAsync(a.mqtt, {
      protocolVersion: a.protocol as 4 | 5,
      clientId: `faregate-lists-${process.pid}-${Date.now().toString(36)}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      ...(a.username !== undefined ? { username: a.username } : {}),
      ...(a['password-file'] !== undefined
        ? { password: readText(a['password-file'], 'password file').replace(/\r?\n$/, '') }
        : {}),
    })
    .catch((e: Error) => {
      throw new UsageError(`lists publish: cannot connect to ${a.mqtt}: ${e.message}`);
    });
  try {
    await client.publishAsync(topic, text.replace(/\s+$/, ''), { qos: 1, retain });
  } finally {
    await client.endAsync();
  }
  await io.writeLine(
    JSON.stringify({ topic, type: h.type, kind: h.kind, version: h.version, retain, bytes: Buffer.byteLength(text) }),
  );
  return 0;
}

export async function listsCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'sign') return sign(rest, io);
  if (sub === 'publish') return publish(rest, io);
  throw new UsageError(`lists: unknown subcommand ${sub ?? '(none)'} (sign, publish)`);
}
