/**
 * A serial scanner on a real pseudo-terminal (socat) read through the real serialport code:
 * the test writes side B as the scanner, the ScannerInput reads side A.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ScannerInput } from '../../src/scanner/scannerInput.ts';
import { SerialTransport } from '../../src/scanner/serialTransport.ts';
import type { DropReason, FramingOptions, ScannerState, ScannerFrame } from '../../src/scanner/types.ts';
import { captureLogger } from '../support/captureLogger.ts';
import {
  openPtyWriter,
  removeDir,
  startPtyPair,
  stopAllPtyPairs,
  waitFor,
  type PtyPair,
  type PtyWriter,
} from '../support/pty.ts';

const CODE_A = 'FG1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0BGJLFX3R3VHXK';
const CODE_B = 'FG1:NCFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N IOP-IA%NFQGRJPC%OQHIZC4';

interface Harness {
  pty: PtyPair;
  writer: PtyWriter;
  input: ScannerInput;
  frames: ScannerFrame[];
  drops: [DropReason, number][];
  states: ScannerState[];
}

let h: Harness | undefined;

/** Every log line, to check that frame contents never reach the logs. */
const logLines: Record<string, unknown>[] = [];

async function setUp(framing: Partial<FramingOptions> = {}): Promise<Harness> {
  const pty = await startPtyPair();
  const input = new ScannerInput({
    transportFactory: () =>
      new SerialTransport({ path: pty.a, baudRate: 9600, pollMs: 200, logger: captureLogger(logLines) }),
    logger: captureLogger(logLines),
    framing: { suffix: 'auto', staleFrameMs: 1500, ...framing },
    initialDelayMs: 50,
    maxDelayMs: 500,
  });
  const frames: ScannerFrame[] = [];
  const drops: [DropReason, number][] = [];
  const states: ScannerState[] = [];
  input.on('frame', (t) => frames.push(t));
  input.on('dropped', (r, n) => drops.push([r, n]));
  input.on('state', (s) => states.push(s));
  const writer = await openPtyWriter(pty.b);
  h = { pty, writer, input, frames, drops, states };
  await input.start();
  expect(input.state).toBe('up');
  return h;
}

afterEach(async () => {
  if (h === undefined) return;
  const { input, writer, pty } = h;
  h = undefined;
  await input.stop();
  await writer.close();
  await pty.stop('SIGTERM');
  await removeDir(pty.dir);
});

afterAll(async () => {
  await stopAllPtyPairs();
  // State changes were logged, frame contents never.
  const lines = logLines.map((l) => JSON.stringify(l));
  expect(lines.some((l) => l.includes('"scanner up"') && l.includes('scanner-input'))).toBe(true);
  for (const line of lines) expect(line).not.toMatch(/FG1|garbage|XXXX|stalled/);
});

describe('serial scanner reads frames from a pseudo-terminal', () => {
  it('reads frames terminated by CR, LF and CRLF', async () => {
    const { writer, input, frames, drops, states } = await setUp();
    await writer.write(`${CODE_A}\r${CODE_B}\n${CODE_A}\r\n${CODE_B}\r\n`);
    await waitFor(() => frames.length >= 4, '4 frames');
    expect(frames).toEqual([CODE_A, CODE_B, CODE_A, CODE_B]);
    expect(drops).toEqual([]);
    expect(states).toEqual(['starting', 'up']);
    const c = input.counters;
    expect(c.frames).toBe(4);
    expect(c.dropped).toEqual({ overlong: 0, noise: 0, stale: 0, empty: 0, junk: 0 });
    expect(c.reconnects).toBe(0);
    expect(c.target).toBe(h!.pty.a);
  });

  it('reassembles frames written in small pieces with delays, CRLF split between writes', async () => {
    const { writer, frames, drops } = await setUp();
    await writer.writeSlowly(`${CODE_A.slice(0, 20)}`, 3);
    await writer.write(CODE_A.slice(20));
    await writer.write('\r');
    await new Promise((r) => setTimeout(r, 30));
    await writer.write('\n');
    await writer.writeSlowly(`]Q1${CODE_B.slice(0, 10)}`, 5);
    await writer.write(`${CODE_B.slice(10)}\r\n`);
    await waitFor(() => frames.length >= 2, '2 frames');
    // Nothing else trails in (the split CRLF is one terminator).
    await new Promise((r) => setTimeout(r, 100));
    expect(frames).toEqual([CODE_A, CODE_B]);
    expect(drops).toEqual([]);
  });

  it('strips the AIM prefix and recovers after noise and overlong input', async () => {
    const { writer, input, frames, drops } = await setUp({ maxFrameLength: 200 });
    await writer.write(`]Q1${CODE_A}\r`);
    await writer.write(`garbage\x00\x00${CODE_B}\r`);
    await writer.write(`${'X'.repeat(5000)}\r${CODE_A}\r`);
    await writer.write('\r\n\n');
    await waitFor(() => frames.length >= 3, '3 frames');
    expect(frames).toEqual([CODE_A, CODE_B, CODE_A]);
    // 'garbage' and the two noise bytes: 9 bytes discarded.
    expect(drops).toEqual([
      ['noise', 9],
      ['overlong', 5000],
    ]);
    const c = input.counters;
    expect(c.frames).toBe(3);
    expect(c.dropped).toMatchObject({ noise: 1, overlong: 1, stale: 0, empty: 0 });
  });

  it('drops a partial frame that stalls (stale) and reads the next one', async () => {
    const { writer, frames, drops } = await setUp({ staleFrameMs: 300 });
    await writer.write('FG1:stalled');
    await waitFor(() => drops.length >= 1, 'stale drop');
    expect(drops).toEqual([['stale', 11]]);
    await writer.write(`${CODE_B}\r`);
    await waitFor(() => frames.length >= 1, 'frame');
    expect(frames).toEqual([CODE_B]);
  });

  it('uses a custom suffix with 8N1 settings stated explicitly', async () => {
    const pty = await startPtyPair();
    const input = new ScannerInput({
      transportFactory: () =>
        new SerialTransport({ path: pty.a, baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 }),
      framing: { suffix: 'custom', customSuffix: '\x03' },
    });
    const frames: ScannerFrame[] = [];
    input.on('frame', (t) => frames.push(t));
    const writer = await openPtyWriter(pty.b);
    h = { pty, writer, input, frames, drops: [], states: [] };
    await input.start();
    expect(input.state).toBe('up');
    await writer.write(`${CODE_A}\x03${CODE_B}\x03`);
    await waitFor(() => frames.length >= 2, '2 frames');
    expect(frames).toEqual([CODE_A, CODE_B]);
  });
});
