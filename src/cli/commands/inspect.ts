/**
 * `faregate inspect [RIDE-CODE ...]`: decodes ride codes (arguments, or each stdin line) to
 * readable JSON without trusting them: no signature is checked, no list is consulted. FG1 text
 * and JT/T 1179 codes given as hex or base64 (jtt1179-reading §1).
 * Exit 0: every code decoded; 1: one did not (why, on stderr: not base45, not CBOR, ...);
 * 2: no ride code at all.
 */
import { importCoseKey } from '../../token/coseKey.ts';
import { decodeJttText } from '../../token/jtt/text.ts';
import { stripFrame } from '../../token/frame.ts';
import { parseCredential, parseRideCodeText, type CredentialIds, type Level2Result } from '../../token/rideCode.ts';
import type { CliIo } from '../io.ts';
import { readLines } from '../lineReader.ts';
import { INSPECT } from '../spec/inspect.ts';
import { parseCommand, UsageError } from '../usage.ts';
import { z } from 'zod';

const iso = (s: number) =>
  Number.isFinite(s * 1000) && s * 1000 < 8.64e15 ? new Date(s * 1000).toISOString() : undefined;

/** What a decoding error means, in words: the layer that failed, then its detail. */
export function decodeProblem(e: unknown, level: 'ride code' | 'credential'): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const layer: Record<string, string> = {
    Base45Error: 'not base45',
    CborError: 'not CBOR',
    CoseError: 'not a COSE_Sign1',
    KeyFormatError: 'rider key unusable',
  };
  const what = layer[err.name];
  const detail = err.message.replace(/^(base45|cbor|cose):\s*/i, '');
  if (what) return `${level}: ${what} (${detail})`;
  if (err.name === 'MalformedError') return `${level}: not an FG1 ${level} (${err.message})`;
  return `${level}: ${err.message}`;
}

/** A JT/T code's fields; loaded for the first JT/T code (its SM2 library is a slow import). */
let describeJtt: ((bytes: Uint8Array) => Record<string, unknown>) | undefined;

/** Decodes an FG1 code, or a JT/T code once {@link loadJttDescriber} has run. */
export function describeRideCode(frame: string): Record<string, unknown> {
  const jtt = decodeJttText(stripFrame(frame));
  if (jtt && describeJtt) return describeJtt(jtt);
  const l2: Level2Result = {};
  const ids: CredentialIds = {};
  let level: 'ride code' | 'credential' = 'ride code';
  try {
    const body = parseRideCodeText(stripFrame(frame), l2);
    level = 'credential';
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
    return { verified: false, malformed: decodeProblem(e, level), codeId: l2.codeId, sub: ids.subHex, cti: ids.ctiHex };
  }
}

export async function loadJttDescriber(): Promise<void> {
  describeJtt ??= (await import('./inspectJtt.ts')).describeJttCode;
}

export async function inspectCommand(argv: string[], io: CliIo): Promise<number> {
  const { positionals } = parseCommand(INSPECT, argv, z.object({}));
  let seen = 0;
  let bad = 0;
  const one = async (where: string, text: string): Promise<void> => {
    seen++;
    if (decodeJttText(stripFrame(text))) await loadJttDescriber();
    const d = describeRideCode(text);
    if (d.malformed !== undefined) {
      bad++;
      io.error(
        `faregate inspect: ${where}: ${typeof d.malformed === 'string' ? d.malformed : JSON.stringify(d.malformed)}`,
      );
    }
    await io.writeLine(JSON.stringify(d));
  };
  if (positionals.length > 0) {
    for (const [i, p] of positionals.entries())
      await one(positionals.length > 1 ? `argument ${i + 1}` : 'the argument', p);
  } else {
    if (process.stdin.isTTY && io.stdin === process.stdin)
      throw new UsageError('inspect: no ride code: give one as an argument, or pipe codes on stdin (one per line)');
    let n = 0;
    for await (const line of readLines(io.stdin)) {
      n++;
      if (line.overlong) {
        seen++;
        bad++;
        io.error(`faregate inspect: line ${n}: longer than any ride code`);
        await io.writeLine(JSON.stringify({ verified: false, malformed: 'line too long' }));
      } else if (line.text.trim() !== '') await one(`line ${n}`, line.text);
    }
  }
  if (seen === 0) throw new UsageError('inspect: no ride code: no argument, and nothing on stdin');
  return bad > 0 ? 1 : 0;
}
