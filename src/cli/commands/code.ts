/** `faregate code`: a level-2 ride code from a credential and the rider's private key (the phone's job). */
import { z } from 'zod';
import { makeRideCode } from '../../mint/mint.ts';
import { readText } from '../files.ts';
import type { CliIo } from '../io.ts';
import { loadJwk } from '../keyFiles.ts';
import { CODE } from '../spec/code.ts';
import { parseCommand, UsageError } from '../usage.ts';

const uintArg = z.string().regex(/^\d+$/, 'must be a whole number ≥ 0').transform(Number);
const Args = z.object({
  credential: z.string({ error: 'is required' }),
  rider: z.string({ error: 'is required' }),
  seq: uintArg,
  ts: uintArg.optional(),
  untagged: z.boolean().default(false),
});

export async function codeCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: a } = parseCommand(CODE, argv, Args);
  const credText = readText(a.credential, 'credential').trim();
  if (!/^[A-Za-z0-9_-]+$/.test(credText))
    throw new UsageError(`credential ${a.credential}: not base64url (as written by faregate issue)`);
  const rider = loadJwk(a.rider, 'rider key', true);
  const text = makeRideCode({
    credential: Buffer.from(credText, 'base64url'),
    riderAlg: rider.alg,
    riderKey: rider.privateKey!,
    ts: a.ts ?? Math.floor(Date.now() / 1000),
    seq: a.seq,
    tagged: !a.untagged,
  });
  await io.writeLine(text);
  return 0;
}
