/** `faregate keys generate`: an issuer or rider key pair as JWK; the private part only to a 0600 file. */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { generateKeyPair, privateJwk, publicJwk } from '../../mint/keys.ts';
import { algFromName } from '../../token/coseKey.ts';
import { writePrivate, writePublic } from '../files.ts';
import type { CliIo } from '../io.ts';
import { parseCommand, UsageError } from '../usage.ts';

export const KEYS_USAGE =
  'faregate keys generate --alg EdDSA|ES256 --out PRIVATE.jwk.json [--public-out PUBLIC.jwk.json] [--kid BASE64URL] [--print-private]';

const Args = z
  .object({
    alg: z.enum(['EdDSA', 'ES256']).default('EdDSA'),
    out: z.string().optional(),
    'public-out': z.string().optional(),
    kid: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url')
      .refine((k) => {
        const n = Buffer.from(k, 'base64url').length;
        return n >= 1 && n <= 16;
      }, 'must be 1..16 bytes')
      .optional(),
    'print-private': z.boolean().default(false),
  })
  .refine((a) => a.out !== undefined || a['print-private'], { message: 'give --out FILE for the private key (or --print-private)', path: ['out'] });

export async function keysCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'generate') throw new UsageError(`keys: unknown subcommand ${sub ?? '(none)'}; usage: ${KEYS_USAGE}`);
  const { values: a } = parseCommand(
    'keys generate',
    rest,
    { alg: { type: 'string' }, out: { type: 'string' }, 'public-out': { type: 'string' }, kid: { type: 'string' }, 'print-private': { type: 'boolean' } },
    Args,
  );
  const pair = generateKeyPair(algFromName(a.alg)!, a.kid ? Buffer.from(a.kid, 'base64url') : randomBytes(8));
  const pub = JSON.stringify(publicJwk(pair), null, 2) + '\n';
  if (a.out) writePrivate(a.out, JSON.stringify(privateJwk(pair), null, 2) + '\n');
  if (a['public-out']) writePublic(a['public-out'], pub);
  await io.writeLine(JSON.stringify(a['print-private'] ? privateJwk(pair) : publicJwk(pair)));
  return 0;
}
