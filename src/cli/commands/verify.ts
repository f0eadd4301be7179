/**
 * `faregate verify` (qr-token-v1 §5): stdin lines → one JSON decision per line on stdout.
 */
import { z } from 'zod';
import { denyListFromJson } from '../../lists/denyFile.ts';
import { ListFileError, trustListFromJson } from '../../lists/trustFile.ts';
import { stripFrame } from '../../token/frame.ts';
import { REASONS } from '../../token/reasons.ts';
import { RideCodeValidator, type Decision } from '../../token/validator.ts';
import { readJson } from '../files.ts';
import { readLineBatches, type Line } from '../lineReader.ts';
import { LineBatchWriter } from '../lineWriter.ts';
import { VERIFY } from '../spec/verify.ts';
import { numberArg, parseCommand, UsageError } from '../usage.ts';
import { OutputClosedError, type CliIo } from '../io.ts';

const seconds = numberArg;

const VerifyArgs = z.object({
  trust: z.string({ error: 'is required' }),
  deny: z.string().optional(),
  mode: z.enum(['bus', 'metro']),
  now: seconds.optional(),
  skew: seconds,
  'code-validity': seconds.pipe(z.number().positive()),
  'duplicate-window': seconds,
});

/**
 * A JSON input line (spec §5): `{"qr": "...", "at": UNIX}`, `at` optional; other members are
 * ignored. Checked by hand: this runs once per line, and a zod parse costs as much as the rest of
 * the line's bookkeeping. Undefined when the line is not such an object (answered malformed).
 */
function jsonLine(text: string): { qr: string; at?: number } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const { qr, at } = v as { qr?: unknown; at?: unknown };
  if (typeof qr !== 'string') return undefined;
  if (at === undefined) return { qr };
  return typeof at === 'number' && Number.isFinite(at) ? { qr, at } : undefined;
}

/** The spec's output object: decision, reason (absent on accept), codeId, sub, cti, profile. */
export function decisionLine(d: Decision): string {
  const o: Record<string, unknown> = { decision: d.decision };
  if (d.reason !== undefined) o.reason = d.reason;
  if (d.codeId !== undefined) o.codeId = d.codeId;
  if (d.subHex !== undefined) o.sub = d.subHex;
  if (d.ctiHex !== undefined) o.cti = d.ctiHex;
  if (d.profile !== undefined) o.profile = d.profile;
  return JSON.stringify(o);
}

function malformedAt(at: number): Decision {
  return { decision: 'reject', reason: 'malformed', reasonNumber: REASONS.malformed, message: 'scan_again', at };
}

function loadList<T>(path: string, what: string, build: (json: unknown) => T): T {
  const json = readJson(path, what);
  try {
    return build(json);
  } catch (e) {
    if (e instanceof ListFileError) throw new UsageError(`${what} ${path} is unusable: ${e.message}`);
    throw e;
  }
}

export async function verifyCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: a } = parseCommand(VERIFY, argv, VerifyArgs);
  const trust = loadList(a.trust, 'trust list', trustListFromJson);
  const deny = a.deny === undefined ? undefined : loadList(a.deny, 'deny list', denyListFromJson);
  const validator = new RideCodeValidator({
    trust,
    ...(deny ? { deny } : {}),
    params: { mode: a.mode, skew: a.skew, codeValidity: a['code-validity'], duplicateWindow: a['duplicate-window'] },
  });
  const nowOf = (): number => a.now ?? Date.now() / 1000;

  const decideLine = (line: Line): Decision => {
    if (line.overlong) return malformedAt(nowOf());
    const text = stripFrame(line.text);
    if (!text.startsWith('{')) return validator.decide(text, nowOf());
    const parsed = jsonLine(text);
    return parsed ? validator.decide(stripFrame(parsed.qr), parsed.at ?? nowOf()) : malformedAt(nowOf());
  };

  // The answers to one input chunk go out in one write, before the next chunk is awaited.
  const out = new LineBatchWriter(io);
  try {
    for await (const lines of readLineBatches(io.stdin)) {
      for (const line of lines) out.push(decisionLine(decideLine(line)));
      await out.flush();
    }
  } catch (e) {
    if (!(e instanceof OutputClosedError)) throw e;
    io.error(`faregate verify: ${e.message}; stopped reading input`);
  }
  return 0;
}
