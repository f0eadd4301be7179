/**
 * The simulator's JT/T riders are labelled truthfully: every frame its scenario generator makes
 * (every scenario class and variant, in each encoding, alone and mixed with FG1 riders) is decided
 * by the real `faregate verify --jtt-roots` with the root-key and deny files the simulator wrote,
 * and gets exactly the decision and reason the simulator announced.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jttRootsFromJson } from '../../src/token/jtt/roots.ts';
import { JTT_ENCODINGS, type JttEncoding } from '../../firmware-sim/jttRiders.ts';
import { loadDenyIds, loadIssuerKey, Population } from '../../firmware-sim/population.ts';
import { Prng } from '../../firmware-sim/prng.ts';
import { parseMix, ScenarioGenerator, type ScenarioFrame, type ScenarioKind } from '../../firmware-sim/scenarios.ts';
import { DEV_DENY_PATH, DEV_ISSUER_PATH } from '../../firmware-sim/simulator.ts';
import { jsonLines, runFaregate } from '../support/cli.ts';
import { DEV_TRUST } from '../support/serviceProcess.ts';

interface World {
  gen: ScenarioGenerator;
  clock: { t: number };
  files: { roots: string; deny: string };
}

function world(seed: string, share: number, encodings: JttEncoding[], mix = 'valid'): World {
  const clock = { t: Date.now() };
  const prng = new Prng(seed);
  const deny = loadDenyIds(DEV_DENY_PATH);
  const population = new Population({
    size: 12,
    prng: prng.fork('population'),
    issuer: loadIssuerKey(DEV_ISSUER_PATH),
    deny,
    nowSec: Math.floor(clock.t / 1000),
    jtt: { riders: 12 },
  });
  const files = population.jtt!.writeFiles(mkdtempSync(join(tmpdir(), 'faregate-sim-jtt-test-')), deny);
  const gen = new ScenarioGenerator({
    population,
    prng: prng.fork('scenarios'),
    mode: 'bus',
    mix: parseMix(mix),
    now: () => clock.t,
    jtt: { share, encodings },
  });
  return { gen, clock, files };
}

interface Line {
  frame: ScenarioFrame;
  at: number;
}

/** The frames of `kinds` in order, 1.5 s apart on the simulator's clock (a duplicate's resend after its delay). */
function frames(w: World, kinds: ScenarioKind[]): Line[] {
  const out: Line[] = [];
  for (const k of kinds) {
    for (const f of w.gen.produce(k)) {
      w.clock.t += f.delayMs ?? 0;
      out.push({ frame: f, at: w.clock.t / 1000 });
    }
    w.clock.t += 1500;
  }
  return out;
}

/** A verify line: the scanner text as is; a binary frame's bytes as hex (verify reads text). */
function verifyLine(l: Line): string {
  const qr = l.frame.encoding === 'binary' ? l.frame.payload.toString('hex') : l.frame.payload.toString('latin1');
  return JSON.stringify({ qr, at: l.at });
}

async function verify(w: World, lines: Line[]): Promise<Record<string, unknown>[]> {
  const r = await runFaregate(['verify', '--jtt-roots', w.files.roots, '--deny', w.files.deny, '--trust', DEV_TRUST], {
    input: lines.map(verifyLine).join('\n') + '\n',
  });
  expect([r.code, r.stderr]).toEqual([0, '']);
  const out = jsonLines(r.stdout);
  expect(out).toHaveLength(lines.length);
  return out;
}

/** Frames whose answer is not the announced one (empty when every label holds). */
function mismatches(lines: Line[], out: Record<string, unknown>[]): string[] {
  return lines.flatMap(({ frame: f }, i) => {
    const o = out[i]!;
    const label = `#${i} ${f.format ?? '-'}/${f.encoding ?? ''} ${f.scenario}/${f.variant ?? ''}`;
    const bad: string[] = [];
    if (o.decision !== f.expect.decision || o.reason !== f.expect.reason)
      bad.push(
        `${label}: expected ${f.expect.decision} ${f.expect.reason ?? ''}, got ${String(o.decision)} ${JSON.stringify(o.reason ?? '')}`,
      );
    if (f.format === 'jtt1179' && o.format !== 'jtt1179') bad.push(`${label}: format ${String(o.format)}`);
    if (f.codeId !== undefined && o.codeId !== f.codeId) bad.push(`${label}: codeId ${String(o.codeId)} ≠ ${f.codeId}`);
    if (f.format === 'jtt1179' && f.sub !== undefined && o.reason !== 'malformed' && o.sub !== f.sub)
      bad.push(`${label}: sub ${String(o.sub)} ≠ ${f.sub}`);
    return bad;
  });
}

/** Every JT/T class: enough of each kind to cycle through all its variants. */
const EVERY_CLASS: ScenarioKind[] = [
  ...Array<ScenarioKind>(4).fill('valid'),
  ...Array<ScenarioKind>(3).fill('expired'),
  ...Array<ScenarioKind>(4).fill('forged'),
  ...Array<ScenarioKind>(2).fill('denied'),
  ...Array<ScenarioKind>(6).fill('garbage'),
  ...Array<ScenarioKind>(2).fill('duplicate'),
  ...Array<ScenarioKind>(3).fill('replayed'),
];

const EXPECTED_VARIANTS = {
  'expired/code-expired': 'code_expired',
  'expired/issuer-cert-expired': 'issuer_cert_expired',
  'expired/authorisation-expired': 'credential_expired',
  'forged/root-signature': 'bad_root_signature',
  'forged/issuer-authorisation': 'bad_issuer_signature',
  'forged/user-signature': 'bad_code_signature',
  'forged/unknown-root': 'unknown_key',
  'denied/by-sub': 'denied',
  'denied/by-cti': 'denied',
  'replayed/': 'replay',
  'duplicate/resend': 'duplicate',
  'valid/': undefined,
};

describe('JT/T riders of the simulator, decided by faregate verify --jtt-roots', () => {
  it.each(JTT_ENCODINGS)(
    'every JT/T scenario class (%s) gets its expected reason: each link forged, each expiry, deny by sub and cti, malformed, replay, duplicate',
    async (encoding) => {
      const w = world(`jtt-verify-${encoding}`, 1, [encoding]);
      const lines = frames(w, EVERY_CLASS);
      const out = await verify(w, lines);
      expect(mismatches(lines, out)).toEqual([]);
      expect(lines.every((l) => l.frame.format === 'jtt1179' && l.frame.encoding === encoding)).toBe(true);
      const seen = new Map(lines.map((l, i) => [`${l.frame.scenario}/${l.frame.variant ?? ''}`, out[i]!.reason]));
      for (const [variant, reason] of Object.entries(EXPECTED_VARIANTS))
        expect(seen.get(variant), variant).toBe(reason);
      // Malformed: each §2.4 rule at full length; text forms are also cut short.
      const malformed = lines.filter((l) => l.frame.scenario === 'garbage').map((l) => l.frame.variant);
      expect(new Set(malformed)).toEqual(
        new Set([
          'bad-version',
          'bad-cert-header',
          'bad-cert-format',
          'bad-cert-month',
          'bad-signature-tag',
          encoding === 'binary' ? 'bad-version' : 'truncated',
        ]),
      );
    },
  );

  it('a binary JT/T frame is the minted payload itself (first byte ≥ 0x80, 3 + D bytes); hex and base64 decode to it', () => {
    const w = world('jtt-bytes', 1, ['binary', 'hex', 'base64']);
    const lines = frames(w, Array<ScenarioKind>(12).fill('valid'));
    const encodings = new Set<string>();
    for (const { frame: f } of lines) {
      encodings.add(f.encoding!);
      const bytes =
        f.encoding === 'binary'
          ? f.payload
          : Buffer.from(f.payload.toString('latin1'), f.encoding === 'hex' ? 'hex' : 'base64');
      expect(bytes[0]).toBe(0x80);
      expect(bytes.length).toBe(3 + bytes.readUInt16BE(1));
      expect(bytes.length).toBe(349);
    }
    expect(encodings).toEqual(new Set(['binary', 'hex', 'base64']));
  });

  it('FG1 and JT/T riders mixed (every kind, wrong-mode staying FG1) all decide as labelled in one run', async () => {
    const w = world(
      'jtt-mixed',
      0.5,
      ['hex', 'binary'],
      'valid=40,replayed=10,expired=8,forged=10,denied=8,wrong-mode=6,garbage=10,duplicate=8',
    );
    const kinds = Array.from({ length: 70 }, () => w.gen.pickKind());
    const lines = frames(w, kinds);
    const out = await verify(w, lines);
    expect(mismatches(lines, out)).toEqual([]);
    const formats = new Map<string, number>();
    for (const l of lines) formats.set(l.frame.format ?? '-', (formats.get(l.frame.format ?? '-') ?? 0) + 1);
    expect(formats.get('fg1')).toBeGreaterThan(10);
    expect(formats.get('jtt1179')).toBeGreaterThan(10);
    for (const [i, l] of lines.entries()) {
      if (l.frame.scenario === 'wrong-mode') expect(l.frame.format).toBe('fg1');
      if (l.frame.format === 'fg1' && l.frame.scenario !== 'garbage') expect(out[i]!.format).toBe('fg1');
    }
  });

  it('the files the simulator writes: a §5 root-key file holding root 0x17, and the FG1 deny entries plus one JT/T sub and one cti', () => {
    const w = world('jtt-files', 1, ['hex']);
    const roots = jttRootsFromJson(JSON.parse(readFileSync(w.files.roots, 'utf8')));
    expect(roots.indexes).toEqual([0x17]);
    const deny = JSON.parse(readFileSync(w.files.deny, 'utf8')) as { sub: string[]; cti: string[] };
    expect(deny.sub[0]).toBe(loadDenyIds(DEV_DENY_PATH).sub[0]);
    expect(deny.sub.slice(1)).toEqual([expect.stringMatching(/^[0-9a-f]{20}$/)]);
    expect(deny.cti).toEqual([expect.stringMatching(/^[0-9a-f]{32}$/)]);
  });
});
