/**
 * `faregate verify` (qr-token-v1 §5): stdin lines → one JSON decision per line on stdout.
 */
import {
  checkDenyFile,
  checkTrustFile,
  buildDenyList,
  buildTrustList,
  ListFileError,
} from '../../lists/listFileShape.ts';
import type { DenyList } from '../../token/denyList.ts';
import { stripFrame } from '../../token/frame.ts';
import type { ServiceMode } from '../../domain/vocabulary.ts';
import { unrecognised } from '../../token/credentialFormat.ts';
import type { Decision } from '../../token/decision.ts';
import { credentialRouter } from '../../token/formats.ts';
import type { JttFormat } from '../../token/jtt/jttFormat.ts';
import type { JttRoots } from '../../token/jtt/roots.ts';
import { JTT_FORMAT } from '../../token/jtt/text.ts';
import { TrustList } from '../../token/trustList.ts';
import { RideCodeValidator } from '../../token/validator.ts';
import { NUMBER_ARG, readArgs, type RawValues } from '../args.ts';
import { ArgumentError, UsageError } from '../errors.ts';
import { readJson } from '../files.ts';
import { readLineBatches, type Line } from '../lineReader.ts';
import { LineBatchWriter } from '../lineWriter.ts';
import { VERIFY } from '../spec/verify.ts';
import { OutputClosedError, type CliIo } from '../io.ts';

// No zod on this command's start: its import is ~0.1 s, a twentieth of a 20,000-line run that
// users time (test/bench/verifyProcess.bench.ts). The options and the lists are checked by hand;
// a list file that fails the hand check goes to its zod schema, which words every problem.

interface VerifyArgs {
  trust?: string;
  jttRoots?: string;
  deny?: string;
  mode: ServiceMode;
  now?: number;
  skew: number;
  codeValidity: number;
  duplicateWindow: number;
}

/** The declaration (readArgs) has checked names, choices and required options; this checks the numbers, every problem in one line. */
function verifyArgs(values: RawValues): VerifyArgs {
  const problems: string[] = [];
  const seconds = (name: string, positive = false): number | undefined => {
    const v = values[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !NUMBER_ARG.test(v)) return void problems.push(`--${name}: must be a number`);
    const n = Number(v);
    if (positive && n <= 0) problems.push(`--${name}: must be more than 0`);
    return n;
  };
  const now = seconds('now');
  const a: VerifyArgs = {
    mode: values.mode === 'metro' ? 'metro' : 'bus',
    skew: seconds('skew') ?? 0,
    codeValidity: seconds('code-validity', true) ?? 0,
    duplicateWindow: seconds('duplicate-window') ?? 0,
  };
  if (typeof values.trust === 'string') a.trust = values.trust;
  if (typeof values['jtt-roots'] === 'string') a.jttRoots = values['jtt-roots'];
  if (a.trust === undefined && a.jttRoots === undefined) problems.push('give --trust, --jtt-roots or both');
  if (typeof values.deny === 'string') a.deny = values.deny;
  if (now !== undefined) a.now = now;
  if (problems.length) throw new ArgumentError(VERIFY.path, problems.join('; '));
  return a;
}

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

/**
 * The spec's output object (qr-token-v1 §5, jtt1179-reading §6): decision, reason (absent on
 * accept), format, codeId, sub, cti, profile; JT/T lines add cap and cardType, and a JT/T
 * `malformed` carries only decision, reason and format.
 */
export function decisionLine(d: Decision): string {
  const o: Record<string, unknown> = { decision: d.decision };
  if (d.reason !== undefined) o.reason = d.reason;
  if (d.format !== undefined) o.format = d.format;
  if (d.format === JTT_FORMAT) {
    if (d.reason === 'malformed') return JSON.stringify(o);
    o.codeId = d.codeId;
    o.sub = d.subHex;
    o.cti = d.ctiHex;
    o.profile = d.profile;
    o.cap = d.cap;
    o.cardType = d.cardType;
    return JSON.stringify(o);
  }
  if (d.codeId !== undefined) o.codeId = d.codeId;
  if (d.subHex !== undefined) o.sub = d.subHex;
  if (d.ctiHex !== undefined) o.cti = d.ctiHex;
  if (d.profile !== undefined) o.profile = d.profile;
  return JSON.stringify(o);
}

function malformedAt(at: number): Decision {
  return unrecognised(at, 'not a ride-code line');
}

/** A list file: the hand check for the usual, valid file; the zod schema (loaded then) for any other. */
async function loadList<T, D>(
  path: string,
  what: string,
  check: (json: unknown) => D | undefined,
  build: (data: D) => T,
  explain: () => Promise<(json: unknown) => T>,
): Promise<T> {
  const json = readJson(path, what);
  try {
    const data = check(json);
    return data !== undefined ? build(data) : (await explain())(json);
  } catch (e) {
    if (e instanceof ListFileError) throw new UsageError(`${what} ${path} is unusable: ${e.message}`);
    throw e;
  }
}

/** The §5 root-key file of jtt1179-reading (empty without a path); an unusable one exits 2 with what is wrong. */
async function loadJttRoots(path: string | undefined): Promise<JttRoots> {
  const { JttRoots } = await import('../../token/jtt/roots.ts');
  if (path === undefined) return JttRoots.EMPTY;
  const json = readJson(path, 'JT/T root-key file');
  const { jttRootsAllProblems } = await import('../../lists/jttRootsFile.ts');
  const r = jttRootsAllProblems(json);
  if (!r.roots) throw new UsageError(`JT/T root-key file ${path} is unusable: ${r.problems.join('; ')}`);
  return r.roots;
}

/**
 * Whether a line may be a JT/T code: it holds no `FG1:`. The JT/T format (and its SM2 library, a
 * slow import) is loaded only for a run that meets one, or that names `--jtt-roots`.
 */
const mayBeJtt = (line: Line): boolean => !line.overlong && !line.text.includes('FG1:');

export async function verifyCommand(argv: string[], io: CliIo): Promise<number> {
  const a = verifyArgs(readArgs(VERIFY, argv).values);
  const trust: TrustList =
    a.trust === undefined
      ? TrustList.EMPTY
      : await loadList(
          a.trust,
          'trust list',
          checkTrustFile,
          buildTrustList,
          async () => (await import('../../lists/trustFile.ts')).trustListFromJson,
        );
  const deny: DenyList | undefined =
    a.deny === undefined
      ? undefined
      : await loadList(
          a.deny,
          'deny list',
          checkDenyFile,
          buildDenyList,
          async () => (await import('../../lists/denyFile.ts')).denyListFromJson,
        );
  const fg1 = new RideCodeValidator({
    trust,
    ...(deny ? { deny } : {}),
    params: { mode: a.mode, skew: a.skew, codeValidity: a.codeValidity, duplicateWindow: a.duplicateWindow },
  });
  let formats = credentialRouter({ fg1 });
  let jtt1179: JttFormat | undefined;
  const loadJtt = async (): Promise<void> => {
    const roots = await loadJttRoots(a.jttRoots);
    const { JttFormat } = await import('../../token/jtt/jttFormat.ts');
    // One replay memory for both formats (jtt1179-reading §4 notes).
    jtt1179 = new JttFormat({
      roots,
      ...(deny ? { deny } : {}),
      params: { skew: a.skew, duplicateWindow: a.duplicateWindow },
      replay: fg1.replay,
    });
    formats = credentialRouter({ fg1, jtt1179 });
  };
  if (a.jttRoots !== undefined) await loadJtt();
  const nowOf = (): number => a.now ?? Date.now() / 1000;

  const decideLine = (line: Line): Decision => {
    if (line.overlong) return malformedAt(nowOf());
    const text = stripFrame(line.text);
    // A JSON object may start with white space (RFC 8259); no ride code does.
    if (!text.trimStart().startsWith('{')) return formats.decide(text, nowOf());
    const parsed = jsonLine(text);
    return parsed ? formats.decide(stripFrame(parsed.qr), parsed.at ?? nowOf()) : malformedAt(nowOf());
  };

  // The answers to one input chunk go out in one write, before the next chunk is awaited.
  const out = new LineBatchWriter(io);
  try {
    for await (const lines of readLineBatches(io.stdin)) {
      if (jtt1179 === undefined && lines.some(mayBeJtt)) await loadJtt();
      for (const line of lines) out.push(decisionLine(decideLine(line)));
      await out.flush();
    }
  } catch (e) {
    if (!(e instanceof OutputClosedError)) throw e;
    io.error(`faregate verify: ${e.message}; stopped reading input`);
  }
  return 0;
}
