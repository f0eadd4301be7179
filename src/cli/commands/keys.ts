/**
 * `faregate keys generate`: an issuer or rider key pair as JWK; the private part only to a 0600
 * file. An existing --out / --public-out file is kept unless --force; every file is written
 * whole or not at all (temporary file, then one rename or link).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { generateKeyPair, privateJwk, publicJwk } from '../../mint/keys.ts';
import { algFromName } from '../../token/coseKey.ts';
import { refuseExisting, writeWhole } from '../files.ts';
import type { CliIo } from '../io.ts';
import { KEYS_GENERATE } from '../spec/keys.ts';
import { parseCommand, UsageError } from '../usage.ts';

const Args = z
  .object({
    alg: z.enum(['EdDSA', 'ES256']),
    out: z.string().min(1).optional(),
    'public-out': z.string().min(1).optional(),
    kid: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url')
      .refine((k) => {
        const n = Buffer.from(k, 'base64url').length;
        return n >= 1 && n <= 16;
      }, 'must be 1..16 bytes')
      // Read as bytes, a non-canonical text would come back as another kid ("audit-m" as audit-k).
      .superRefine((k, ctx) => {
        const back = Buffer.from(k, 'base64url').toString('base64url');
        if (back !== k && back.length > 0)
          ctx.addIssue({
            code: 'custom',
            message: `is not canonical base64url (its last character's unused bits are not 0): it would be written as ${back}`,
          });
      })
      .optional(),
    'print-private': z.boolean(),
    force: z.boolean(),
  })
  .refine((a) => a.out !== undefined || a['print-private'], {
    message: 'give --out FILE for the private key (or --print-private)',
    path: ['out'],
  })
  .refine((a) => a.out === undefined || a['public-out'] === undefined || resolve(a.out) !== resolve(a['public-out']), {
    message: 'must not be the same file as --out',
    path: ['public-out'],
  });

export async function keysCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'generate') throw new UsageError(`keys: unknown subcommand ${sub ?? '(none)'} (generate)`);
  const { values: a } = parseCommand(KEYS_GENERATE, rest, Args);
  if (!a.force) {
    if (a.out !== undefined) refuseExisting(a.out, 'keys generate: --out');
    if (a['public-out'] !== undefined) refuseExisting(a['public-out'], 'keys generate: --public-out');
  }
  const pair = generateKeyPair(algFromName(a.alg)!, a.kid ? Buffer.from(a.kid, 'base64url') : randomBytes(8));
  const pub = JSON.stringify(publicJwk(pair), null, 2) + '\n';
  if (a.out)
    writeWhole(a.out, JSON.stringify(privateJwk(pair), null, 2) + '\n', {
      mode: 0o600,
      replace: a.force,
      what: 'keys generate: --out',
    });
  if (a['public-out']) {
    try {
      writeWhole(a['public-out'], pub, { mode: 0o644, replace: a.force, what: 'keys generate: --public-out' });
    } catch (e) {
      // Not half a key pair: the private file this run created goes too.
      if (a.out && !a.force) rmSync(a.out, { force: true });
      throw e;
    }
  }
  await io.writeLine(JSON.stringify(a['print-private'] ? privateJwk(pair) : publicJwk(pair)));
  return 0;
}
