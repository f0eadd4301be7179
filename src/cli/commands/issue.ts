/**
 * `faregate issue`: mints a level-1 credential for a rider public key (the operator's job),
 * written as base64url of the COSE_Sign1 bytes.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { issueCredential } from '../../mint/mint.ts';
import { writePublic } from '../files.ts';
import type { CliIo } from '../io.ts';
import { loadJwk } from '../keyFiles.ts';
import { ISSUE } from '../spec/issue.ts';
import { parseCommand } from '../usage.ts';
import { SERVICE_MODES } from '../../domain/vocabulary.ts';
import { MODE_BITS } from '../../token/params.ts';

const hexOf = (min: number, max: number) =>
  z
    .string()
    .regex(/^(?:[0-9a-fA-F]{2})+$/, 'must be hex')
    .refine((h) => h.length / 2 >= min && h.length / 2 <= max, `must be ${min}..${max} bytes`);
const uintArg = z.string().regex(/^\d+$/, 'must be a whole number ≥ 0').transform(Number);

const Args = z
  .object({
    issuer: z.string({ error: 'is required' }),
    rider: z.string({ error: 'is required' }),
    sub: hexOf(1, 32),
    cti: hexOf(1, 16).optional(),
    exp: uintArg.optional(),
    'valid-for': uintArg.optional(),
    nbf: uintArg.optional(),
    iat: uintArg.optional(),
    iss: z.string().optional(),
    profile: uintArg.optional(),
    cap: uintArg.optional(),
    modes: z
      .string()
      .transform((s, ctx) => {
        if (/^\d+$/.test(s)) return Number(s);
        let m = 0;
        for (const part of s.split(',')) {
          const mode = SERVICE_MODES.find((w) => w === part);
          if (mode !== undefined) m |= MODE_BITS[mode];
          else {
            ctx.addIssue({ code: 'custom', message: `unknown mode ${part} (${SERVICE_MODES.join(', ')} or a number)` });
            return z.NEVER;
          }
        }
        return m;
      })
      .optional(),
    cv: uintArg.refine((v) => v >= 1 && v <= 3600, 'must be 1..3600').optional(),
    untagged: z.boolean().default(false),
    out: z.string().optional(),
  })
  .refine((a) => !(a.exp !== undefined && a['valid-for'] !== undefined), {
    message: 'give --exp or --valid-for, not both',
    path: ['exp'],
  });

export async function issueCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: a } = parseCommand(ISSUE, argv, Args);
  const issuer = loadJwk(a.issuer, 'issuer key', true);
  const rider = loadJwk(a.rider, 'rider key', false);
  const iat = a.iat ?? Math.floor(Date.now() / 1000);
  const cred = issueCredential({
    issuerAlg: issuer.alg,
    issuerKey: issuer.privateKey!,
    kid: issuer.kid,
    riderPublicKey: rider.publicKey,
    sub: Buffer.from(a.sub, 'hex'),
    cti: a.cti ? Buffer.from(a.cti, 'hex') : randomBytes(8),
    exp: a.exp ?? iat + (a['valid-for'] ?? 7 * 86400),
    iat,
    ...(a.nbf !== undefined ? { nbf: a.nbf } : {}),
    ...(a.iss !== undefined ? { iss: a.iss } : {}),
    ...(a.profile !== undefined ? { profile: a.profile } : {}),
    ...(a.cap !== undefined ? { cap: a.cap } : {}),
    ...(a.modes !== undefined ? { modes: a.modes } : {}),
    ...(a.cv !== undefined ? { cv: a.cv } : {}),
    tagged: !a.untagged,
  });
  const text = Buffer.from(cred).toString('base64url');
  if (a.out) writePublic(a.out, text + '\n');
  else await io.writeLine(text);
  return 0;
}
