/**
 * Binary JT/T output over a real socat pty, at the byte level: what the service side reads with
 * serialport is, frame for frame, the AIM prefix, the minted payload byte for byte (CR and LF
 * bytes inside it included) and the terminator. Framed here by the §1 rule (first byte ≥ 0x80:
 * take 3 + D bytes, then drop one terminator) and decided by the real JttFormat with the files the
 * simulator wrote, every frame gets the decision the simulator announced.
 */
import { readFileSync } from 'node:fs';
import type { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { denyListFromJson } from '../../src/lists/denyFile.ts';
import { JttFormat } from '../../src/token/jtt/jttFormat.ts';
import { jttRootsFromJson } from '../../src/token/jtt/roots.ts';
import { holdsLineBreak, jttCodeId } from '../../firmware-sim/jttRiders.ts';
import { ScannerSimulator, suffixBytes, type SendingEvent, type SuffixName } from '../../firmware-sim/simulator.ts';
import { closeReader, openReader, waitUntil } from './simHarness.ts';

let sim: ScannerSimulator | undefined;
let reader: SerialPort | undefined;

afterEach(async () => {
  await closeReader(reader);
  await sim?.stop();
  sim = undefined;
  reader = undefined;
});

/** The test's own §1 framer: `]Q1`, then 3 + D bytes of a binary frame, then exactly the terminator. */
class BinaryFramer {
  private buf = Buffer.alloc(0);
  readonly frames: Buffer[] = [];
  readonly problems: string[] = [];
  constructor(private readonly terminator: Buffer) {}
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length < 6) return;
      if (this.buf.subarray(0, 3).toString('latin1') !== ']Q1') {
        this.problems.push(`frame does not start with ]Q1: ${this.buf.subarray(0, 3).toString('hex')}`);
        this.buf = Buffer.alloc(0);
        return;
      }
      const total = 3 + 3 + this.buf.readUInt16BE(4);
      if (this.buf.length < total + this.terminator.length) return;
      this.frames.push(Buffer.from(this.buf.subarray(3, total)));
      if (!this.buf.subarray(total, total + this.terminator.length).equals(this.terminator))
        this.problems.push(`no terminator after frame ${this.frames.length}`);
      this.buf = this.buf.subarray(total + this.terminator.length);
    }
  }
}

async function runBinary(suffix: SuffixName, count: number): Promise<{ sent: SendingEvent[]; framer: BinaryFramer }> {
  sim = new ScannerSimulator({
    seed: `jtt-binary-${suffix}`,
    riders: 10,
    mix: 'valid=5,expired=2,forged=2,denied=1,garbage=1,duplicate=1',
    count,
    rate: 25,
    aim: true,
    split: true,
    suffix,
    output: { kind: 'pty' },
    jtt: { share: 1, encodings: ['binary'] },
  });
  const sent: SendingEvent[] = [];
  sim.on('sending', (e) => sent.push(e));
  const framer = new BinaryFramer(suffixBytes(suffix));
  const path = await sim.open();
  reader = await openReader(path, (d) => framer.push(d));
  await sim.start();
  await sim.finished();
  await waitUntil(() => framer.frames.length >= sent.length, 5000, 'every binary frame on the service side');
  return { sent, framer };
}

describe('binary JT/T frames over a pty', () => {
  it.each(['cr', 'crlf', 'none'] as const)(
    'suffix %s: every frame read is the minted payload byte for byte (CR/LF inside too), and decides as labelled',
    async (suffix) => {
      const { sent, framer } = await runBinary(suffix, 30);
      expect(framer.problems).toEqual([]);
      expect(framer.frames).toHaveLength(sent.length);
      const files = sim!.jttFiles!;
      const jtt = new JttFormat({
        roots: jttRootsFromJson(JSON.parse(readFileSync(files.roots, 'utf8'))),
        deny: denyListFromJson(JSON.parse(readFileSync(files.deny, 'utf8'))),
      });
      const wrong: string[] = [];
      sent.forEach((e, i) => {
        const got = framer.frames[i]!;
        expect(e.format).toBe('jtt1179');
        expect(e.encoding).toBe('binary');
        expect(got.equals(e.payload), `frame ${e.n} bytes`).toBe(true);
        if (e.codeId !== undefined) expect(jttCodeId(got)).toBe(e.codeId);
        const d = jtt.evaluateFrame(got, Date.now() / 1000);
        if (d.decision === 'accept') jtt.remember(d);
        if (d.decision !== e.expect.decision || d.reason !== e.expect.reason)
          wrong.push(
            `#${e.n} ${e.scenario}/${e.variant ?? ''}: expected ${e.expect.reason ?? 'accept'}, got ${d.reason ?? 'accept'}`,
          );
      });
      expect(wrong).toEqual([]);
      // The point of binary mode: payloads with CR and LF bytes inside reach the reader whole.
      expect(sent.filter((e) => holdsLineBreak(e.payload)).length).toBeGreaterThan(5);
      expect(sent.some((e) => e.payload.includes(0x0d))).toBe(true);
      expect(sent.some((e) => e.payload.includes(0x0a))).toBe(true);
    },
  );

  it('a binary frame with one terminator beyond 3 + D is decided as its payload (JttFormat.evaluateFrame)', async () => {
    const { sent, framer } = await runBinary('crlf', 6);
    expect(framer.frames).toHaveLength(sent.length);
    const files = sim!.jttFiles!;
    const jtt = new JttFormat({ roots: jttRootsFromJson(JSON.parse(readFileSync(files.roots, 'utf8'))) });
    const valid = sent.findIndex((e) => e.scenario === 'valid');
    expect(valid).toBeGreaterThanOrEqual(0);
    const withTerminator = Buffer.concat([framer.frames[valid]!, Buffer.from('\r\n')]);
    expect(jtt.evaluateFrame(withTerminator, Date.now() / 1000)).toMatchObject({
      decision: 'accept',
      codeId: sent[valid]!.codeId,
    });
  });
});
