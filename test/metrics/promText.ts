/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), written from the
 * format's description, independent of prom-client (which only writes it). It throws on the
 * first line that breaks a rule, naming the line:
 * - every family has exactly one `# HELP` (non-empty) and one `# TYPE` (counter, gauge,
 *   histogram, summary, untyped), both before its first sample; a family's samples are contiguous;
 * - metric and label names match the format's grammar; label values are quoted with only the
 *   `\\`, `\"` and `\n` escapes; no label twice; values are floats, `+Inf`, `-Inf` or `NaN`;
 *   an optional integer timestamp;
 * - a sample's name is its family's name (histograms: `_bucket`, `_sum`, `_count`); no sample twice;
 * - counters are never negative; histograms: every bucket has `le`, buckets per label set ascend
 *   in `le` with non-decreasing counts, end with `le="+Inf"`, and that bucket equals `_count`.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s: string, where: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`${where}: bad value ${JSON.stringify(s)}`);
  return Number(s);
}

/** Parses `{a="x",b="y"}` starting at `i` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, i: number, where: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  i++;
  for (;;) {
    if (line[i] === '}') return { labels, end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without =`);
    const name = line.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    if (line[eq + 1] !== '"') throw new Error(`${where}: label ${name} value not quoted`);
    let v = '';
    let j = eq + 2;
    for (;;) {
      const ch = line[j];
      if (ch === undefined) throw new Error(`${where}: unterminated label value`);
      if (ch === '"') break;
      if (ch === '\\') {
        const e = line[j + 1];
        if (e === '\\') v += '\\';
        else if (e === '"') v += '"';
        else if (e === 'n') v += '\n';
        else throw new Error(`${where}: bad escape \\${e ?? ''}`);
        j += 2;
        continue;
      }
      v += ch;
      j++;
    }
    labels[name] = v;
    i = j + 1;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new Error(`${where}: expected , or } after label ${name}`);
  }
}

function familyOf(sample: string, families: Map<string, PromFamily>): PromFamily | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return undefined;
}

export function parsePromText(text: string): Map<string, PromFamily> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  const families = new Map<string, PromFamily>();
  const helpSeen = new Set<string>();
  const closed = new Set<string>();
  const seen = new Set<string>();
  let current: PromFamily | undefined;
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, n) => {
    const where = `line ${n + 1} (${line.slice(0, 80)})`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // another comment
      const [, kind, name, rest = ''] = m;
      if (!METRIC_NAME.test(name!)) throw new Error(`${where}: bad metric name`);
      if (closed.has(name!)) throw new Error(`${where}: ${kind} for ${name} after its samples ended`);
      if (current && current.name !== name) {
        closed.add(current.name);
        current = undefined;
      }
      let f = families.get(name!);
      if (f && f.samples.length) throw new Error(`${where}: ${kind} after samples of ${name}`);
      if (!f) {
        f = { name: name!, help: '', type: 'untyped', samples: [] };
        families.set(name!, f);
        (f as { typed?: boolean }).typed = false;
      }
      if (kind === 'HELP') {
        if (helpSeen.has(name!)) throw new Error(`${where}: second HELP for ${name}`);
        if (rest.trim() === '') throw new Error(`${where}: empty HELP for ${name}`);
        helpSeen.add(name!);
        f.help = rest;
      } else {
        if ((f as { typed?: boolean }).typed) throw new Error(`${where}: second TYPE for ${name}`);
        if (!TYPES.has(rest as MetricType)) throw new Error(`${where}: unknown type ${JSON.stringify(rest)}`);
        f.type = rest as MetricType;
        (f as { typed?: boolean }).typed = true;
      }
      current = f;
      return;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`${where}: no value`);
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name`);
    let labels: Record<string, string> = {};
    let i = nameEnd;
    if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i, where));
    if (line[i] !== ' ') throw new Error(`${where}: expected a space before the value`);
    const parts = line.slice(i + 1).split(' ');
    if (parts.length > 2 || parts[0] === '') throw new Error(`${where}: expected "value [timestamp]"`);
    const value = parseValue(parts[0]!, where);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`${where}: bad timestamp`);
    const f = familyOf(name, families);
    if (!f) throw new Error(`${where}: sample ${name} has no HELP/TYPE`);
    if (!helpSeen.has(f.name) || !(f as { typed?: boolean }).typed)
      throw new Error(`${where}: ${f.name} lacks HELP or TYPE before its samples`);
    if (closed.has(f.name) || (current && current !== f))
      throw new Error(`${where}: samples of ${f.name} not contiguous`);
    current = f;
    const key = `${name}{${Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`;
    if (seen.has(key)) throw new Error(`${where}: sample ${key} twice`);
    seen.add(key);
    if (f.type === 'counter' && !(value >= 0)) throw new Error(`${where}: negative counter`);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) {
    if (!helpSeen.has(f.name) || !(f as { typed?: boolean }).typed) throw new Error(`${f.name}: HELP or TYPE missing`);
    delete (f as { typed?: boolean }).typed;
    if (f.type === 'histogram') checkHistogram(f);
  }
  return families;
}

function checkHistogram(f: PromFamily): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  const keyOf = (l: Record<string, string>) =>
    JSON.stringify(
      Object.entries(l)
        .filter(([k]) => k !== 'le')
        .sort(),
    );
  for (const s of f.samples) {
    const g = groups.get(keyOf(s.labels)) ?? { buckets: [] };
    groups.set(keyOf(s.labels), g);
    if (s.name === `${f.name}_bucket`) {
      if (s.labels.le === undefined) throw new Error(`${f.name}: bucket without le`);
      g.buckets.push([parseValue(s.labels.le, `${f.name} le`), s.value]);
    } else if (s.name === `${f.name}_count`) g.count = s.value;
    else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else throw new Error(`${f.name}: unexpected sample ${s.name}`);
  }
  for (const [k, g] of groups) {
    if (g.count === undefined || g.sum === undefined) throw new Error(`${f.name}${k}: _sum or _count missing`);
    const b = g.buckets;
    if (b.length === 0 || b[b.length - 1]![0] !== Infinity) throw new Error(`${f.name}${k}: no +Inf bucket last`);
    for (let i = 1; i < b.length; i++) {
      if (!(b[i]![0] > b[i - 1]![0])) throw new Error(`${f.name}${k}: le bounds do not ascend`);
      if (b[i]![1] < b[i - 1]![1]) throw new Error(`${f.name}${k}: bucket counts decrease at le=${b[i]![0]}`);
    }
    if (b[b.length - 1]![1] !== g.count) throw new Error(`${f.name}${k}: +Inf bucket is not _count`);
  }
}

/** The value of one sample of a family (labels must match exactly the given ones, others ignored). */
export function sampleValue(
  fams: Map<string, PromFamily>,
  name: string,
  labels: Record<string, string> = {},
  sampleName = name,
): number | undefined {
  const f = fams.get(name);
  const s = f?.samples.find(
    (x) => x.name === sampleName && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  );
  return s?.value;
}
