/**
 * `faregate inspect [TEXT]`: decodes a ride code (argument, or each stdin line) to readable JSON
 * without trusting it: no signature is checked, no list is consulted.
 */
import { importCoseKey } from '../../token/coseKey.ts';
import { stripFrame } from '../../token/frame.ts';
import { parseCredential, parseRideCodeText, type CredentialIds, type Level2Result } from '../../token/rideCode.ts';
import type { CliIo } from '../io.ts';
import { readLines } from '../lineReader.ts';
import { parseCommand } from '../usage.ts';
import { z } from 'zod';

export const INSPECT_USAGE = 'faregate inspect [RIDE-CODE]   (or ride codes on stdin, one per line)';

const iso = (s: number) => (Number.isFinite(s * 1000) && s * 1000 < 8.64e15 ? new Date(s * 1000).toISOString() : undefined);

export function describeRideCode(frame: string): Record<string, unknown> {
  const l2: Level2Result = {};
  const ids: CredentialIds = {};
  try {
    const body = parseRideCodeText(stripFrame(frame), l2);
    const c = parseCredential(body.credentialBytes, importCoseKey, ids);
    return {
      verified: false,
      codeId: body.codeId,
      code: { alg: String(body.alg), ts: body.ts, tsIso: iso(body.ts), seq: body.seq },
      credential: {
        alg: String(c.alg),
        kid: Buffer.from(c.kidHex, 'hex').toString('base64url'),
        iss: c.iss,
        sub: c.subHex,
        cti: c.ctiHex,
        exp: c.exp,
        expIso: iso(c.exp),
        nbf: c.nbf,
        iat: c.iat,
        profile: c.profile,
        cap: c.cap,
        modes: c.modes,
        cv: c.cv,
        riderKey: c.riderKey.kty === 'OKP' ? 'OKP Ed25519' : 'EC2 P-256',
      },
    };
  } catch (e) {
    return { verified: false, malformed: (e as Error).message, codeId: l2.codeId, sub: ids.subHex, cti: ids.ctiHex };
  }
}

export async function inspectCommand(argv: string[], io: CliIo): Promise<number> {
  const { positionals } = parseCommand('inspect', argv, {}, z.object({}), true);
  if (positionals.length > 0) {
    for (const p of positionals) await io.writeLine(JSON.stringify(describeRideCode(p)));
    return 0;
  }
  for await (const line of readLines(io.stdin)) {
    await io.writeLine(JSON.stringify(line.overlong ? { verified: false, malformed: 'line too long' } : describeRideCode(line.text)));
  }
  return 0;
}
