/**
 * The zero-setup demo tells the truth: the real demo process (compiled dist/firmware-sim/demo.js:
 * broker, backend, a bus reader and entry/exit gates at two stations, each fed by a simulated
 * scanner over a pty or TCP) pairs every frame with its answer, and every answer is what the
 * journey model expected. Fails with the UNEXPECTED lines shown.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';

const DEMO = join(REPO_ROOT, 'dist', 'firmware-sim', 'demo.js');
const GATE_LABELS = ['bus-42', 'A-in', 'A-out', 'B-in', 'B-out'];
const TALLY = /^(\d+) of (\d+) decisions as expected/;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runDemo(args: string[], opts: { interruptAfterLines?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (
        !interrupted &&
        opts.interruptAfterLines !== undefined &&
        verdictLines(stdout).length >= opts.interruptAfterLines
      ) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Lines that pair a frame with its answer: they start with the verdict mark. */
function verdictLines(out: string): string[] {
  return out.split('\n').filter((l) => /^(ok|UNEXPECTED) +\S/.test(l));
}

function finalTally(out: string): { ok: number; total: number } | undefined {
  const last = out.trimEnd().split('\n').at(-1) ?? '';
  const m = TALLY.exec(last);
  return m ? { ok: Number(m[1]), total: Number(m[2]) } : undefined;
}

function sentFrames(out: string): number | undefined {
  const m = /^(\d+) frames sent to 5 validators$/m.exec(out);
  return m ? Number(m[1]) : undefined;
}

/** Checks shared by every run; returns the verdict lines. */
function expectTruthful(r: Run): string[] {
  const lines = verdictLines(r.stdout);
  const unexpected = lines.filter((l) => l.startsWith('UNEXPECTED'));
  expect(unexpected, `unexpected decisions:\n${unexpected.join('\n')}\nstderr:\n${r.stderr}`).toEqual([]);
  const tally = finalTally(r.stdout);
  expect(tally, `last line is not a tally:\n${r.stdout.slice(-2000)}`).toBeDefined();
  expect(tally!.ok).toBe(tally!.total);
  // Every frame sent has exactly one line, and every line has a frame.
  expect(tally!.total).toBe(lines.length);
  expect(sentFrames(r.stdout)).toBe(lines.length);
  // Each gate's frames appear once each, in the order they were sent.
  for (const label of GATE_LABELS) {
    const numbers = lines.filter((l) => l.split(/\s+/)[1] === label).map((l) => Number(/#(\d+)/.exec(l)![1]));
    expect(numbers.length, `${label} has no decisions`).toBeGreaterThan(0);
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
  }
  // Policy refusals say their own reason; nothing prints `undefined`; no ride code is printed.
  expect(r.stdout).not.toContain('undefined');
  expect(r.stdout).not.toMatch(/FG1:[0-9A-Z $%*+\-./:]{20,}/);
  expect(r.code, r.stderr).toBe(0);
  return lines;
}

describe('npm run demo', () => {
  it('answers every frame of 8 s at 5 frames/s per gate as expected (scanners on ptys)', async () => {
    const r = await runDemo(['--seconds', '8', '--rate', '5', '--seed', 'demo-test-pty']);
    const lines = expectTruthful(r);
    expect(lines.length).toBe(5 * 40);
    // Journeys happen: entries at both stations and exits at both, with their own answers.
    expect(lines.some((l) => / A-in .*ACCEPT/.test(l))).toBe(true);
    expect(lines.some((l) => / B-out .*entered station-A .*ACCEPT/.test(l))).toBe(true);
    expect(lines.some((l) => / bus-42 .*ACCEPT \d+\.\d\d CNY/.test(l))).toBe(true);
  }, 30_000);

  it('the bus reader takes FG1 and JT/T 1179 codes, binary frames (CR/LF inside) and hex text, each as expected', async () => {
    const r = await runDemo(['--seconds', '10', '--rate', '5', '--seed', 'jtt-b']);
    const lines = expectTruthful(r);
    const bus = lines.filter((l) => l.split(/\s+/)[1] === 'bus-42');
    const format = (l: string) => l.split(/\s+/)[3];
    for (const f of ['fg1', 'jtt/bin', 'jtt/hex'])
      expect(
        bus.some((l) => format(l) === f && /ACCEPT \d+\.\d\d CNY/.test(l)),
        `${f} accepted`,
      ).toBe(true);
    // JT/T riders ride the bus only; JT/T rejects carry the JT/T reasons.
    expect(lines.filter((l) => / jtt\//.test(l)).every((l) => l.split(/\s+/)[1] === 'bus-42')).toBe(true);
    expect(bus.filter((l) => / jtt\/.*REJECT /.test(l)).length).toBeGreaterThan(0);
    expect(r.stdout).toContain('FORMAT');
  }, 30_000);

  it('does the same with scanners over TCP (--tcp)', async () => {
    const r = await runDemo(['--seconds', '4', '--rate', '5', '--tcp', '--seed', 'demo-test-tcp']);
    expect(expectTruthful(r).length).toBe(5 * 20);
  }, 30_000);

  it('lists every bad option at once and starts nothing', async () => {
    const r = await runDemo(['--rate', 'abc', '--seconds=-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('demo: --rate: must be a number of frames per second');
    expect(r.stderr).toContain('demo: --seconds: must be 0 (run until Ctrl-C) or more');
    expect(r.stdout).toBe('');
  });

  it('stops cleanly on Ctrl-C, settling every frame sent', async () => {
    const r = await runDemo(['--rate', '4', '--tcp'], { interruptAfterLines: 20 });
    expect(r.stdout).toContain('stopping…');
    expect(expectTruthful(r).length).toBeGreaterThanOrEqual(20);
  }, 30_000);
});
