/**
 * End to end over a real pseudo-terminal (socat) with the real serialport code: a scanner in
 * binary mode sends JT/T codes (src/mint/jttMint.ts) whose bytes hold CR, LF and 0x00, in split
 * writes, with junk before and after; a text-mode scanner sends hex and base64 text and FG1. The
 * frames take the service's tap path (ScannerInput → TapProcessor, wired as ValidatorService
 * wires them) with a CredentialRouter holding FG1 and JT/T, a real SQLite tap store in a temp dir
 * and the real gate dispatcher; the gate's answers and the stored taps are checked.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GateDispatcher } from '../../src/gate/gateDispatcher.ts';
import { jttKeyPair, jttRootsFile, mintJttCode, type JttKeyPair } from '../../src/mint/jttMint.ts';
import { GatePolicy } from '../../src/policy/gatePolicy.ts';
import { ScannerInput } from '../../src/scanner/scannerInput.ts';
import { SerialTransport } from '../../src/scanner/serialTransport.ts';
import { TapProcessor, type Outcome } from '../../src/service/tapProcessor.ts';
import { TapStore } from '../../src/store/tapStore.ts';
import { credentialRouter } from '../../src/token/formats.ts';
import { JttFormat } from '../../src/token/jtt/jttFormat.ts';
import { jttRootsFromJson } from '../../src/token/jtt/roots.ts';
import { busSettings, ManualClock, RecordingGate, Rider } from '../admission/tapRig.ts';
import { captureLogger } from '../support/captureLogger.ts';
import { makeValidator, NOW } from '../support/fixtures.ts';
import { openPtyWriter, removeDir, sleep, startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';

const ROOT = jttKeyPair('pty test root');
const ISSUER = jttKeyPair('pty test issuer');
const ROOTS = jttRootsFromJson(jttRootsFile([{ index: 0x17, key: ROOT }]));
const STALE_MS = 600;

let seq = 0;
/** A JT/T code of a new rider, made 5 s before the clock; CR, LF, CRLF and 0x00 in field 14. */
function jttCode(issuerData = '0d0a000d0d0a0a'): { bytes: Buffer; user: JttKeyPair } {
  const user = jttKeyPair(`pty test rider ${++seq}`);
  const userAccount = `3100000000000000${String(seq).padStart(4, '0')}`;
  const bytes = mintJttCode(
    { ts: NOW - 5, authExpiry: NOW + 86400, userAccount, issuerData },
    { root: ROOT, issuer: ISSUER, user },
  );
  return { bytes, user };
}

interface Rig {
  input: ScannerInput;
  processor: TapProcessor;
  store: TapStore;
  gate: GateDispatcher;
  driver: RecordingGate;
  outcomes: Outcome[];
  answers(): Promise<string[]>;
  close(): Promise<void>;
}

const logLines: Record<string, unknown>[] = [];
let rig: Rig | undefined;

async function setUp(): Promise<Rig & { write(b: Buffer | string): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'faregate-binary-'));
  const pty = await startPtyPair();
  const clock = new ManualClock();
  const log = captureLogger(logLines);
  const store = new TapStore({ file: join(dir, 'faregate.sqlite'), synchronous: 'NORMAL', logger: log });
  store.open();
  const cfg = busSettings();
  const driver = new RecordingGate(() => store);
  const gate = new GateDispatcher(driver, { timeoutMs: 1000 }, log);
  const policy = new GatePolicy(cfg);
  policy.attach(store.database, clock.now());
  const outcomes: Outcome[] = [];
  const processor = new TapProcessor({
    credentials: credentialRouter({
      fg1: makeValidator({ params: { mode: 'bus' } }),
      jtt1179: new JttFormat({ roots: ROOTS }),
    }),
    store,
    gate,
    config: cfg,
    clock,
    logger: log,
    policy,
    onOutcome: (o) => outcomes.push(o),
  });
  const input = new ScannerInput({
    transportFactory: () => new SerialTransport({ path: pty.a, baudRate: 115200, pollMs: 200, logger: log }),
    logger: log,
    framing: { suffix: 'auto', staleFrameMs: STALE_MS, interByteTimeoutMs: 50 },
    initialDelayMs: 50,
    maxDelayMs: 500,
  });
  // As ValidatorService wires them.
  input.on('frame', (frame) => processor.handleFrame(frame));
  input.on('dropped', (reason, length, endedBy) => processor.handleDropped(reason, length, endedBy));
  await input.start();
  expect(input.state).toBe('up');
  const writer = await openPtyWriter(pty.b);
  const r = {
    input,
    processor,
    store,
    gate,
    driver,
    outcomes,
    write: (b: Buffer | string) => writer.write(b),
    async answers() {
      await gate.idle();
      return driver.told.map((t) => `${t.signal.action} ${t.signal.message}`);
    },
    async close() {
      await input.stop();
      await writer.close();
      await pty.stop('SIGTERM');
      await removeDir(pty.dir);
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  rig = r;
  return r;
}

afterEach(async () => {
  const r = rig;
  rig = undefined;
  await r?.close();
});

afterAll(async () => {
  await stopAllPtyPairs();
});

/**
 * What the credential formats decided for each frame (or answered drop), through the tap path:
 * decision, reason, format.
 */
const decided = (o: Outcome): string => {
  const d = o.token;
  return d ? [d.decision, d.reason ?? '-', d.format ?? '-'].join(' ') : [o.decision, o.reason ?? '-', '-'].join(' ');
};
/** jtt1179-reading §4.1: the code id is over fields 1–16, so it shows the format got the exact bytes. */
const codeIdOf = (code: Buffer): string =>
  createHash('sha256')
    .update(code.subarray(0, code.length - 65))
    .digest()
    .subarray(0, 16)
    .toString('hex');

describe('binary JT/T frames over a pseudo-terminal, through the tap path', () => {
  it('decides binary codes with CR/LF inside, split writes, junk before and after, and hex text codes', async () => {
    const r = await setUp();
    const a = jttCode();
    const b = jttCode('0a0d0a0d00');
    const c = jttCode();
    const d = jttCode('');
    const e = jttCode();
    for (const x of [a, b, c]) {
      expect(x.bytes.includes(Buffer.from([0x0d, 0x0a]))).toBe(true);
      expect(x.bytes.includes(0x00)).toBe(true);
    }
    const fg1 = new Rider('0102030405060708').code(new ManualClock());

    // 1. Junk line, then a binary code written in pieces (D split, a CR/LF pair split, CRLF split).
    await r.write('garbage\x00\x07\r\n');
    await r.write(a.bytes.subarray(0, 2));
    await sleep(20);
    const crlfAt = a.bytes.indexOf(Buffer.from([0x0d, 0x0a]));
    await r.write(a.bytes.subarray(2, crlfAt + 1));
    await sleep(20);
    await r.write(a.bytes.subarray(crlfAt + 1));
    await r.write('\r');
    await sleep(20);
    await r.write('\n');
    await waitFor(() => r.outcomes.length >= 2, 'junk answered, first code decided');

    // 2. An AIM prefix, a code and junk after it in one write; then a code with no terminator.
    await r.write(Buffer.concat([Buffer.from(']Q1'), b.bytes, Buffer.from('\r\nnot a code\r')]));
    await r.write(c.bytes);
    await waitFor(() => r.outcomes.length >= 5, 'three more outcomes');

    // 3. Text-mode scanner lines: hex (upper case) and base64 of JT/T codes, and an FG1 code.
    await sleep(100);
    await r.write(`${d.bytes.toString('hex').toUpperCase()}\r\n${e.bytes.toString('base64')}\n${fg1}\r`);
    await waitFor(() => r.outcomes.length >= 8, 'the text codes decided');

    expect(r.outcomes.map(decided)).toEqual([
      'reject malformed -', // garbage line (noise, ended by the terminator)
      'accept - jtt1179', // a
      'accept - jtt1179', // b
      'reject malformed -', // "not a code"
      'accept - jtt1179', // c (ended by silence)
      'accept - jtt1179', // d, hex
      'accept - jtt1179', // e, base64
      'accept - fg1',
    ]);
    // The format got each payload byte for byte (its code id is over the bytes the rider's key signed).
    const jttIds = r.outcomes.filter((o) => o.token?.format === 'jtt1179').map((o) => o.token!.codeId);
    expect(jttIds).toEqual([a, b, c, d, e].map((x) => codeIdOf(x.bytes)));
    // Every accept is a tap committed before the gate opened, with the format that decided it.
    expect(await r.answers()).toEqual([
      'reject scan_again',
      'open go',
      'open go',
      'reject scan_again',
      'open go',
      'open go',
      'open go',
      'open go',
    ]);
    expect(r.store.counts().taps).toBe(6);
    for (const o of r.outcomes.filter((x) => x.decision === 'accept')) {
      const tap = r.store.tap(o.tap!.id);
      expect(tap?.codeId).toBe(o.token!.codeId);
      expect(tap?.format).toBe(o.token!.format);
    }
    expect(r.input.counters.dropped).toMatchObject({ noise: 1, stale: 0, overlong: 0 });
    expect(r.input.counters.frames).toBe(7);

    // Logs never hold the codes' bytes, in any form.
    const lines = logLines.map((l) => JSON.stringify(l)).join('\n');
    for (const x of [a, b, c, d, e]) {
      const sig = x.bytes.subarray(x.bytes.length - 32);
      expect(lines).not.toContain(sig.toString('hex'));
      expect(lines.toLowerCase()).not.toContain(sig.toString('hex').toLowerCase());
      expect(lines).not.toContain(sig.toString('base64').slice(0, 20));
      expect(lines).not.toContain(JSON.stringify(sig.toString('latin1')).slice(1, 21));
    }
  });

  it('a surplus after the code is malformed, a stalled binary code is answered scan_again', async () => {
    const r = await setUp();
    const a = jttCode();
    const b = jttCode();
    // A surplus that is not a terminator: the code is malformed (§1.1), no tap.
    await r.write(Buffer.concat([a.bytes, Buffer.from('XY\r\n')]));
    await waitFor(() => r.outcomes.length >= 1, 'surplus decided');
    // Half a code, then nothing: dropped stale after staleFrameMs, answered scan_again.
    const stalledAt = Date.now();
    await r.write(b.bytes.subarray(0, 150));
    await waitFor(() => r.outcomes.length >= 2, 'stalled code answered', 5000);
    expect(Date.now() - stalledAt).toBeGreaterThanOrEqual(STALE_MS - 50);
    // The whole code arrives next; the partial never prefixes it.
    await r.write(Buffer.concat([b.bytes, Buffer.from('\r\n')]));
    await waitFor(() => r.outcomes.length >= 3, 'whole code decided');

    expect(r.outcomes.map(decided)).toEqual(['reject malformed jtt1179', 'reject malformed -', 'accept - jtt1179']);
    expect(r.outcomes[2]!.token!.codeId).toBe(codeIdOf(b.bytes));
    expect(r.input.counters.dropped).toMatchObject({ stale: 1, noise: 0, overlong: 0, junk: 0 });
    expect(await r.answers()).toEqual(['reject scan_again', 'reject scan_again', 'open go']);
    expect(r.store.counts().taps).toBe(1);
    expect(r.store.tap(r.outcomes[2]!.tap!.id)).toMatchObject({ codeId: codeIdOf(b.bytes), format: 'jtt1179' });
  });
});

describe('a binary frame and the formats configured', () => {
  it('with FG1 alone a binary frame is malformed, with no format', () => {
    const fg1Only = credentialRouter({ fg1: makeValidator() });
    const d = fg1Only.evaluateFrame(jttCode().bytes, NOW);
    expect(d).toMatchObject({ decision: 'reject', reason: 'malformed' });
    expect(d.format).toBeUndefined();
    const both = credentialRouter({ fg1: makeValidator(), jtt1179: new JttFormat({ roots: ROOTS }) });
    expect(both.evaluateFrame(jttCode().bytes, NOW)).toMatchObject({ decision: 'accept', format: 'jtt1179' });
    expect(both.evaluateFrame(new Uint8Array(2000).fill(0x80), NOW)).toMatchObject({ reason: 'malformed' });
  });
});
