/**
 * faregate-sim: drives a validator service with synthetic riders through a pty (default), a serial
 * device or TCP. Usage: npm run sim -- --help
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { formatIssues } from '../src/lists/issues.ts';
import type { OutputSpec } from './outputs.ts';
import { DEFAULT_MIX_TEXT, formatMix, parseMix, SCENARIO_KINDS, type Expectation } from './scenarios.ts';
import { ScannerSimulator, suffixBytes, type SentEvent, type SimulatorOptions, type SuffixName } from './simulator.ts';
import { UsageError } from '../src/cli/errors.ts';
import { errorMessage } from '../src/errors/faregateError.ts';
import { SETTING_DEFAULTS } from '../src/config/schema.ts';
import { JTT_ENCODINGS, type JttEncoding } from './jttRiders.ts';

export const USAGE = `faregate-sim: a synthetic QR scanner for the faregate validator service

usage: npm run sim -- [output] [traffic] [scanner behaviour] [--json]

output (one of):
  --pty                    socat pseudo-terminal pair (default); prints the path the service opens
  --pty-dir DIR            put the pty links in DIR (default: a new /tmp/faregate-sim-XXXX)
  --no-wait                pty: send even while no process has the scanner side open
                           (default: wait for the service to open it; Linux /proc only)
  --device PATH            write to a serial device or path  [--baud N, default 9600]
  --tcp PORT               serve TCP; the service connects to tcp://HOST:PORT  [--host, default 127.0.0.1]

traffic:
  --mix SPEC               scenario weights, default ${DEFAULT_MIX_TEXT}
                           kinds: ${SCENARIO_KINDS.join(', ')}
  --rate N                 frames per second (default 1)
  --burst N --burst-every MS   N frames every MS instead of a steady rate  [--gap MS between frames]
  --count N                stop after N frames (default: until Ctrl-C)
  --riders N               population size (default 50)
  --seed S                 reproducible riders and scenario sequence (default: random, printed)
  --mode bus|metro         the service's mode (default bus)
  --issuer FILE            issuer private JWK (default config/dev/issuer-TEST-ONLY.jwk.json)
  --deny FILE              deny list the service uses (default config/dev/deny.json)
  --duplicate-window S     the service's duplicate window (default 3)
  --code-validity S        the service's code validity (default 60; JT/T codes carry it as their validity)

JT/T 1179 riders (national transit QR codes, TEST-ONLY roots; docs/spec/jtt1179-reading.md):
  --jtt-share P            share (0..1) of the frames that are JT/T codes instead of FG1 (default 0);
                           wrong-mode frames stay FG1 (a JT/T code names no mode)
  --jtt-encoding E[,E...]  binary (raw bytes as a scanner in binary mode: may hold CR/LF),
                           hex or base64 (text mode); several: picked at random (default hex)
  --jtt-riders N           JT/T riders (default: as many as --riders)
  --jtt-dir DIR            write jtt-roots.json (the root-key file) and deny.json (--deny plus the
                           JT/T riders denied by sub and by cti) here; the service loads both
                           (default: a new /tmp/faregate-sim-jtt-XXXX, removed on exit)

scanner behaviour:
  --suffix cr|lf|crlf|none|custom:HEX   frame terminator (default cr)
  --aim                    prefix frames with the AIM identifier ]Q1
  --split                  write each frame in 2-4 chunks with short pauses
  --noise P                probability (0..1) of a burst of non-printable bytes before a frame
  --unplug-every N         unplug after every N frames (pty: socat restarted; tcp: clients dropped)
  --unplug-for MS          how long to stay unplugged (default 2000)

output format:
  --json                   one JSON object per line instead of text
  --linger MS              keep the port open this long after --count is reached (default 1000)
  -h, --help
`;

const OPTIONS = {
  pty: { type: 'boolean' },
  'pty-dir': { type: 'string' },
  'no-wait': { type: 'boolean' },
  device: { type: 'string' },
  baud: { type: 'string' },
  tcp: { type: 'string' },
  host: { type: 'string' },
  mix: { type: 'string' },
  rate: { type: 'string' },
  burst: { type: 'string' },
  'burst-every': { type: 'string' },
  gap: { type: 'string' },
  count: { type: 'string' },
  riders: { type: 'string' },
  seed: { type: 'string' },
  mode: { type: 'string' },
  issuer: { type: 'string' },
  deny: { type: 'string' },
  'duplicate-window': { type: 'string' },
  'code-validity': { type: 'string' },
  'jtt-share': { type: 'string' },
  'jtt-encoding': { type: 'string' },
  'jtt-riders': { type: 'string' },
  'jtt-dir': { type: 'string' },
  suffix: { type: 'string' },
  aim: { type: 'boolean' },
  split: { type: 'boolean' },
  noise: { type: 'string' },
  'unplug-every': { type: 'string' },
  'unplug-for': { type: 'string' },
  json: { type: 'boolean' },
  linger: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be ${min}..${max}`);
const num = (pred: (n: number) => boolean, what: string) =>
  z
    .string()
    .transform(Number)
    .refine((n) => Number.isFinite(n) && pred(n), what);

const Args = z
  .object({
    pty: z.boolean().default(false),
    'pty-dir': z.string().min(1).optional(),
    'no-wait': z.boolean().default(false),
    device: z.string().min(1).optional(),
    baud: int(50, 4_000_000).default(SETTING_DEFAULTS.serial.baudRate),
    tcp: int(0, 65535).optional(),
    host: z.string().min(1).default('127.0.0.1'),
    mix: z
      .string()
      .default(DEFAULT_MIX_TEXT)
      .transform((s, ctx) => {
        try {
          return parseMix(s);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: errorMessage(e) });
          return z.NEVER;
        }
      }),
    rate: num((n) => n > 0 && n <= 1000, 'must be a number in (0, 1000]').optional(),
    burst: int(1, 10_000).optional(),
    'burst-every': int(1).optional(),
    gap: int(0, 60_000).optional(),
    count: int(1).optional(),
    riders: int(1, 100_000).default(50),
    seed: z.string().min(1).optional(),
    mode: z.enum(['bus', 'metro'], { error: 'must be bus or metro' }).default('bus'),
    issuer: z.string().min(1).optional(),
    deny: z.string().min(1).optional(),
    'duplicate-window': int(0, 3600).default(SETTING_DEFAULTS.token.duplicateWindow),
    'code-validity': int(1, 3600).default(SETTING_DEFAULTS.token.codeValidity),
    'jtt-share': num((n) => n >= 0 && n <= 1, 'must be a share in 0..1').default(0),
    'jtt-encoding': z
      .string()
      .default('hex')
      .transform((s, ctx) => {
        const list = s.split(',').map((e) => e.trim());
        const bad = list.filter((e) => !(JTT_ENCODINGS as readonly string[]).includes(e));
        if (bad.length > 0) {
          ctx.addIssue({
            code: 'custom',
            message: `must be ${JTT_ENCODINGS.join(', ')} or a comma list of them (got "${s}")`,
          });
          return z.NEVER;
        }
        return [...new Set(list)] as JttEncoding[];
      }),
    'jtt-riders': int(1, 100_000).optional(),
    'jtt-dir': z.string().min(1).optional(),
    suffix: z
      .string()
      .default('cr')
      .refine(
        (s) => ['cr', 'lf', 'crlf', 'none'].includes(s) || /^custom:(?:[0-9a-fA-F]{2}){1,8}$/.test(s),
        'must be cr, lf, crlf, none or custom:HEX (1..8 bytes)',
      )
      .transform((s) => s as SuffixName),
    aim: z.boolean().default(false),
    split: z.boolean().default(false),
    noise: num((n) => n >= 0 && n <= 1, 'must be a probability in 0..1').default(0),
    'unplug-every': int(1).optional(),
    'unplug-for': int(0, 3_600_000).optional(),
    json: z.boolean().default(false),
    linger: int(0, 3_600_000).default(1000),
    help: z.boolean().default(false),
  })
  .superRefine((a, ctx) => {
    const outputs = [a.pty && '--pty', a.device !== undefined && '--device', a.tcp !== undefined && '--tcp'].filter(
      Boolean,
    );
    if (outputs.length > 1)
      ctx.addIssue({ code: 'custom', path: ['pty'], message: `choose one output (got ${outputs.join(', ')})` });
    if (a['pty-dir'] !== undefined && (a.device !== undefined || a.tcp !== undefined))
      ctx.addIssue({ code: 'custom', path: ['pty-dir'], message: 'only with --pty' });
    if (a.rate !== undefined && a.burst !== undefined)
      ctx.addIssue({ code: 'custom', path: ['rate'], message: 'give --rate or --burst, not both' });
    if ((a.burst === undefined) !== (a['burst-every'] === undefined))
      ctx.addIssue({ code: 'custom', path: ['burst'], message: '--burst and --burst-every go together' });
    if (a['unplug-for'] !== undefined && a['unplug-every'] === undefined)
      ctx.addIssue({ code: 'custom', path: ['unplug-for'], message: 'needs --unplug-every' });
    if (a['unplug-every'] !== undefined && a.device !== undefined)
      ctx.addIssue({ code: 'custom', path: ['unplug-every'], message: 'works with --pty and --tcp only' });
    if (a['jtt-share'] === 0)
      for (const k of ['jtt-riders', 'jtt-dir'] as const)
        if (a[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'needs --jtt-share above 0' });
    if (a['jtt-share'] > 0 && a['jtt-encoding'].includes('binary') && a.suffix.startsWith('custom:'))
      ctx.addIssue({
        code: 'custom',
        path: ['jtt-encoding'],
        message: 'binary frames end with --suffix cr, lf, crlf or none (a scanner drops one terminator only)',
      });
  });

type Parsed = z.infer<typeof Args>;

export function parseCli(argv: string[]): Parsed {
  let values;
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError(errorMessage(e).replace(/\s*\n\s*/g, ' '));
  }
  const r = Args.safeParse(values);
  if (!r.success) throw new UsageError(formatIssues(r.error.issues).replace(/(^|; )([\w-]+):/g, '$1--$2:'));
  return r.data;
}

export function toOptions(a: Parsed): SimulatorOptions {
  const output: OutputSpec =
    a.device !== undefined
      ? { kind: 'device', path: a.device, baudRate: a.baud }
      : a.tcp !== undefined
        ? { kind: 'tcp', port: a.tcp, host: a.host }
        : {
            kind: 'pty',
            baudRate: a.baud,
            waitForReader: !a['no-wait'],
            ...(a['pty-dir'] !== undefined ? { dir: a['pty-dir'] } : {}),
          };
  const o: SimulatorOptions = {
    output,
    riders: a.riders,
    mix: a.mix,
    mode: a.mode,
    suffix: a.suffix,
    aim: a.aim,
    split: a.split,
    noise: a.noise,
    duplicateWindowSec: a['duplicate-window'],
    codeValiditySec: a['code-validity'],
  };
  if (a.seed !== undefined) o.seed = a.seed;
  if (a.rate !== undefined) o.rate = a.rate;
  if (a.burst !== undefined) o.burst = { size: a.burst, everyMs: a['burst-every']! };
  if (a.gap !== undefined) o.gapMs = a.gap;
  if (a.count !== undefined) o.count = a.count;
  if (a.issuer !== undefined) o.issuerPath = a.issuer;
  if (a.deny !== undefined) o.denyPath = a.deny;
  if (a['jtt-share'] > 0)
    o.jtt = {
      share: a['jtt-share'],
      encodings: a['jtt-encoding'],
      ...(a['jtt-riders'] !== undefined ? { riders: a['jtt-riders'] } : {}),
      ...(a['jtt-dir'] !== undefined ? { dir: resolve(a['jtt-dir']) } : {}),
    };
  if (a['unplug-every'] !== undefined) o.unplug = { every: a['unplug-every'], forMs: a['unplug-for'] ?? 2000 };
  suffixBytes(a.suffix);
  return o;
}

export function expectText(x: Expectation): string {
  return x.decision + (x.reason ? ` ${x.reason}` : '') + (x.droppable ? ' (or dropped as noise)' : '');
}

/** One human-readable line; never the ride code itself. */
export function sentLine(e: SentEvent): string {
  const kind =
    e.variant && e.scenario !== 'duplicate' && e.scenario !== 'valid' ? `${e.scenario}/${e.variant}` : e.scenario;
  const parts = [`#${String(e.n).padEnd(4)}`, kind.padEnd(24), '→ expect', expectText(e.expect).padEnd(26)];
  if (e.sub) parts.push(`sub=${e.sub}`);
  if (e.codeId) parts.push(`codeId=${e.codeId}`);
  if (e.scenario === 'garbage') parts.push(`${e.bytes} bytes`);
  if (e.requested !== e.scenario)
    parts.push(e.requested === 'duplicate' ? '(sets up a duplicate)' : `(${e.requested} not possible yet)`);
  if (e.format === 'jtt1179') parts.push(`[jtt1179 ${e.encoding ?? ''}]`.replace(' ]', ']'));
  if (e.chunks > 1) parts.push(`[${e.chunks} chunks]`);
  if (e.receivers === 0) parts.push('[no receiver]');
  return parts.join(' ');
}

function jsonOf(e: SentEvent): Record<string, unknown> {
  const { data: _data, ...rest } = e;
  return { event: 'sent', ...rest };
}

export async function main(argv: string[]): Promise<number> {
  let a: Parsed;
  let opts: SimulatorOptions;
  let sim: ScannerSimulator;
  try {
    a = parseCli(argv);
    if (a.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    opts = toOptions(a);
    sim = new ScannerSimulator(opts);
  } catch (e) {
    process.stderr.write(`faregate-sim: ${errorMessage(e)}\n(see npm run sim -- --help)\n`);
    return 2;
  }
  const json = a.json;
  const out = (line: string) => process.stdout.write(line + '\n');
  const log = (obj: Record<string, unknown>, text: string) => out(json ? JSON.stringify(obj) : text);
  const tally = new Map<string, number>();

  sim.on('ready', (r) => {
    log(
      {
        event: 'ready',
        kind: r.kind,
        target: r.target,
        seed: r.seed,
        riders: r.riders,
        deniedRiders: r.deniedRiders,
        mode: opts.mode,
        mix: Object.fromEntries(r.mix.map((m) => [m.kind, m.weight])),
        ...(r.jtt ? { jtt: r.jtt } : {}),
      },
      `faregate-sim seed=${r.seed} riders=${r.riders} (+${r.deniedRiders} denied) mode=${opts.mode} mix: ${formatMix(r.mix)}\n` +
        (r.kind === 'pty'
          ? `scanner port: ${r.target}`
          : r.kind === 'tcp'
            ? `scanner tcp: ${r.target}`
            : `scanner device: ${r.target}`) +
        (r.jtt
          ? `\nJT/T riders: ${r.jtt.riders}, ${Math.round(r.jtt.share * 1000) / 10}% of frames, ${r.jtt.encodings.join('/')}` +
            (r.jtt.files
              ? `\nJT/T root-key file: ${r.jtt.files.roots} (the service's jtt.roots)\ndeny file: ${r.jtt.files.deny} (the service's deny.file)`
              : '')
          : ''),
    );
  });
  sim.on('sent', (e) => {
    tally.set(e.scenario, (tally.get(e.scenario) ?? 0) + 1);
    log(jsonOf(e), sentLine(e));
  });
  sim.on('noise', (e) =>
    log({ event: 'noise', after: e.after, bytes: e.bytes }, `      ~ noise burst, ${e.bytes} bytes`),
  );
  sim.on('waiting', (t) =>
    log(
      { event: 'waiting', target: t },
      `      … waiting for the service to ${t.startsWith('tcp:') ? 'connect to' : 'open'} ${t}${t.startsWith('tcp:') ? '' : ' (--no-wait to send anyway)'}`,
    ),
  );
  sim.on('reader', (t) => log({ event: 'reader', target: t }, `      ✓ ${t} is being read`));
  sim.on('client', (r) => log({ event: 'client', remote: r }, `      + client ${r} connected`));
  sim.on('client-gone', (r) => log({ event: 'client-gone', remote: r }, `      - client ${r} disconnected`));
  sim.on('unplug', (e) =>
    log({ event: 'unplug', after: e.after, forMs: e.forMs }, `      ✂ unplugged after #${e.after} for ${e.forMs} ms`),
  );
  sim.on('replug', (e) => log({ event: 'replug', target: e.target }, `      ⏚ plugged back in: ${e.target}`));
  sim.on('info', (m) => log({ event: 'info', message: m }, `      ! ${m}`));

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= sim.stop());
  process.on('exit', () => sim.killSync());
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) {
      sim.killSync();
      process.exit(130);
    }
    void stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  let code = 0;
  try {
    await sim.start();
    await sim.finished();
    if (sim.sent > 0 && opts.count !== undefined && sim.sent >= opts.count && !stopping)
      await new Promise((r) => setTimeout(r, a.linger));
  } catch (e) {
    process.stderr.write(`faregate-sim: ${errorMessage(e)}\n`);
    code = 1;
  }
  await stop();
  const summary = [...tally].map(([k, v]) => `${k} ${v}`).join(', ');
  log(
    { event: 'done', sent: sim.sent, byScenario: Object.fromEntries(tally) },
    `sent ${sim.sent} frame${sim.sent === 1 ? '' : 's'}${summary ? `: ${summary}` : ''}`,
  );
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  return code;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`faregate-sim: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
