/**
 * ScannerSimulator: a synthetic QR scanner that reads the ride codes of a population of riders and
 * writes them, framed the way a real serial scanner does, to a pty, a serial device or TCP clients.
 * Every frame is announced with a 'sent' event that carries what the validator should answer.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../src/platform/packageRoot.ts';
import type { Mode } from '../src/token/params.ts';
import { createOutput, type Output, type OutputSpec } from './outputs.ts';
import { loadDenyIds, loadIssuerKey, Population, type DenyIds, type IssuerKey } from './population.ts';
import { Prng } from './prng.ts';
import type { JttEncoding } from './jttRiders.ts';
import {
  DEFAULT_MIX_TEXT,
  parseMix,
  ScenarioGenerator,
  type Expectation,
  type FrameSource,
  type JttTraffic,
  type Mix,
  type RideCodeFormat,
  type ScenarioFrame,
  type ScenarioKind,
} from './scenarios.ts';

export const DEV_ISSUER_PATH = packagePath('config', 'dev', 'issuer-TEST-ONLY.jwk.json');
export const DEV_DENY_PATH = packagePath('config', 'dev', 'deny.json');

export type SuffixName = 'cr' | 'lf' | 'crlf' | 'none' | `custom:${string}`;

/** Terminator bytes of a suffix option; throws on a bad `custom:HEX`. */
export function suffixBytes(s: SuffixName): Buffer {
  switch (s) {
    case 'cr':
      return Buffer.from('\r');
    case 'lf':
      return Buffer.from('\n');
    case 'crlf':
      return Buffer.from('\r\n');
    case 'none':
      return Buffer.alloc(0);
    default: {
      const hex = s.slice('custom:'.length);
      if (!/^(?:[0-9a-fA-F]{2}){1,8}$/.test(hex))
        throw new Error(`custom suffix must be 1..8 bytes of hex (got "${hex}")`);
      return Buffer.from(hex, 'hex');
    }
  }
}

export const AIM_QR = ']Q1';

/** Pause between the last frame and an unplug, so the frame is not lost in transit. */
export const UNPLUG_DRAIN_MS = 100;

export interface SimulatorOptions {
  output?: OutputSpec;
  /** Same seed, same riders and scenario sequence. Default: random (see `seed`). */
  seed?: string;
  /** Regular riders in the population (default 50). */
  riders?: number;
  /** Scenario mix: parsed or `valid=70,...` text (default {@link DEFAULT_MIX_TEXT}). */
  mix?: Mix | string;
  /** The service's mode (default bus). */
  mode?: Mode;
  /** Frames per second (default 1), unless `burst` is given. */
  rate?: number;
  /** `size` frames `gapMs` apart, every `everyMs`. */
  burst?: { size: number; everyMs: number };
  /** Pause between frames of a burst (default 20 ms; 150 ms with suffix none). */
  gapMs?: number;
  /** Stop after this many frames (noise bursts not counted). Default unlimited. */
  count?: number;
  suffix?: SuffixName;
  /** Prefix each frame with the AIM identifier `]Q1`. */
  aim?: boolean;
  /** Write each frame in 2–4 chunks with 5–30 ms pauses. */
  split?: boolean;
  /** Probability of a burst of non-printable bytes (its own terminated frame) before a frame. */
  noise?: number;
  /** Unplug after every `every` frames for `forMs`. */
  unplug?: { every: number; forMs: number };
  issuer?: IssuerKey;
  deny?: DenyIds;
  issuerPath?: string;
  denyPath?: string;
  duplicateWindowSec?: number;
  codeValiditySec?: number;
  skewSec?: number;
  marginMs?: number;
  /** Wall clock in Unix ms (default Date.now). */
  now?: () => number;
  /** Riders shared with other simulators (default: a population of its own, see `riders`). */
  population?: Population;
  /** Where frames come from instead of this simulator's own scenario mix (e.g. a gate of a JourneyModel). */
  source?: FrameSource;
  /**
   * JT/T 1179 riders mixed with the FG1 ones: `share` of the frames that may be of either format
   * are JT/T codes, in one of `encodings` (default hex). With a population of its own, the simulator
   * makes `riders` JT/T riders (default: as many as FG1 riders) and writes the root-key file and the
   * deny file the service must load to `dir` (default: a new temporary directory, removed on stop).
   */
  jtt?: JttTraffic & { riders?: number; dir?: string };
}

/** The files a simulator with JT/T riders wrote for the service. */
export interface JttFiles {
  /** The §5 root-key file (`jtt.roots`, `faregate verify --jtt-roots`). */
  roots: string;
  /** The deny file: the FG1 entries of `deny`/`denyPath` plus the JT/T riders denied by sub and by cti. */
  deny: string;
}

export const DEFAULT_OUTPUT: OutputSpec = { kind: 'pty' };

export interface SentEvent {
  /** 1-based frame number. */
  n: number;
  scenario: ScenarioKind;
  requested: ScenarioKind;
  variant?: string;
  expect: Expectation;
  codeId?: string;
  sub?: string;
  rider?: string;
  /** Bytes on the wire (AIM prefix and suffix included). */
  bytes: number;
  /** Chunks the frame was written in (1 unless --split). */
  chunks: number;
  /** Receivers that got it (TCP clients; 1 for pty/device). */
  receivers: number;
  /** Send time, Unix ms. */
  at: number;
  /** The exact bytes written. Holds a whole ride code: do not log it. */
  data: Buffer;
  /** `fg1` or `jtt1179` for a code frame (absent for garbage that is neither). */
  format?: RideCodeFormat;
  /** A JT/T frame's encoding: `binary` (raw bytes, may hold CR/LF), `hex` or `base64`. */
  encoding?: JttEncoding;
}

/** A frame about to be written: announced before its first byte, so nothing the service answers can come before it. */
export interface SendingEvent extends Pick<
  SentEvent,
  'n' | 'scenario' | 'requested' | 'variant' | 'expect' | 'codeId' | 'sub' | 'rider' | 'format' | 'encoding'
> {
  story?: string;
  /** Announcement time, Unix ms. */
  at: number;
  /** What the scanner read (no AIM prefix, no terminator). Holds a whole ride code: do not log it. */
  payload: Buffer;
}

export interface SimulatorEvents {
  ready: [
    info: {
      target: string;
      kind: Output['kind'];
      seed: string;
      riders: number;
      deniedRiders: number;
      mix: Mix;
      jtt?: { share: number; encodings: readonly JttEncoding[]; riders: number; files?: JttFiles };
    },
  ];
  sending: [e: SendingEvent];
  sent: [e: SentEvent];
  noise: [e: { after: number; bytes: number; at: number; data: Buffer }];
  /** Nothing reads the output yet (tcp: no client; pty: the service has not opened the port). */
  waiting: [target: string];
  /** The wait is over. */
  reader: [target: string];
  client: [remote: string];
  'client-gone': [remote: string];
  unplug: [e: { after: number; forMs: number }];
  replug: [e: { target: string }];
  info: [message: string];
  done: [e: { sent: number }];
}

class Stopped extends Error {}

export class ScannerSimulator extends EventEmitter<SimulatorEvents> {
  readonly seed: string;
  readonly mix: Mix;
  readonly output: Output;
  readonly population: Population;
  readonly scenarios: ScenarioGenerator;
  private readonly source: FrameSource;
  private readonly o: SimulatorOptions;
  private readonly suffix: Buffer;
  private readonly wire: Prng;
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private opened = false;
  private loop: Promise<void> | undefined;
  private sentCount = 0;
  private unplugged = false;
  /** The files written for the service (a simulator with JT/T riders of its own). */
  readonly jttFiles: JttFiles | undefined;
  private readonly jttTempDir: string | undefined;

  constructor(o: SimulatorOptions = {}) {
    super();
    this.o = o;
    this.seed =
      o.seed ??
      Math.floor(Math.random() * 2 ** 32)
        .toString(16)
        .padStart(8, '0');
    this.mix = typeof o.mix === 'string' ? parseMix(o.mix) : (o.mix ?? parseMix(DEFAULT_MIX_TEXT));
    this.suffix = suffixBytes(o.suffix ?? 'cr');
    this.now = o.now ?? Date.now;
    if (o.rate !== undefined && !(o.rate > 0)) throw new Error('rate must be > 0');
    if (o.noise !== undefined && !(o.noise >= 0 && o.noise <= 1))
      throw new Error('noise must be a probability in 0..1');
    const jttShare = o.jtt?.share ?? 0;
    if (!(jttShare >= 0 && jttShare <= 1)) throw new Error('the JT/T share must be in 0..1');
    if (jttShare > 0 && o.jtt?.encodings?.includes('binary') && (o.suffix ?? 'cr').startsWith('custom:'))
      throw new Error('binary JT/T frames end with cr, lf, crlf or none (a scanner drops one line terminator only)');
    const root = new Prng(this.seed);
    this.wire = root.fork('wire');
    if (o.population) this.population = o.population;
    else {
      const deny = o.deny ?? loadDenyIds(o.denyPath ?? DEV_DENY_PATH);
      const riders = o.riders ?? 50;
      this.population = new Population({
        size: riders,
        prng: root.fork('population'),
        issuer: o.issuer ?? loadIssuerKey(o.issuerPath ?? DEV_ISSUER_PATH),
        deny,
        nowSec: Math.floor(this.now() / 1000),
        ...(jttShare > 0 ? { jtt: { riders: o.jtt?.riders ?? riders } } : {}),
      });
      if (this.population.jtt) {
        const dir = o.jtt?.dir ?? (this.jttTempDir = mkdtempSync(join(tmpdir(), 'faregate-sim-jtt-')));
        this.jttFiles = this.population.jtt.writeFiles(dir, deny);
      }
    }
    const sc: ConstructorParameters<typeof ScenarioGenerator>[0] = {
      population: this.population,
      prng: root.fork('scenarios'),
      mode: o.mode ?? 'bus',
      mix: this.mix,
      now: this.now,
      avoidBytes: this.suffix,
    };
    if (o.jtt && jttShare > 0) sc.jtt = o.jtt;
    if (o.duplicateWindowSec !== undefined) sc.duplicateWindowSec = o.duplicateWindowSec;
    if (o.codeValiditySec !== undefined) sc.codeValiditySec = o.codeValiditySec;
    if (o.skewSec !== undefined) sc.skewSec = o.skewSec;
    if (o.marginMs !== undefined) sc.marginMs = o.marginMs;
    this.scenarios = new ScenarioGenerator(sc);
    this.source = o.source ?? this.scenarios;
    this.output = createOutput(o.output ?? DEFAULT_OUTPUT);
    this.output.on('info', (m) => this.emit('info', m));
    this.output.on('client', (r) => this.emit('client', r));
    this.output.on('client-gone', (r) => this.emit('client-gone', r));
  }

  /** Where the service should read: the pty's scanner path, the device, or tcp://host:port. */
  get target(): string {
    return this.output.target;
  }

  get sent(): number {
    return this.sentCount;
  }

  /** Opens the output (creates the pty / listens) without sending yet. Idempotent. */
  async open(): Promise<string> {
    if (!this.opened) {
      await this.output.open();
      this.opened = true;
      const jtt = this.population.jtt;
      const share = this.o.jtt?.share ?? 0;
      this.emit('ready', {
        target: this.output.target,
        kind: this.output.kind,
        seed: this.seed,
        riders: this.population.riders.length,
        deniedRiders: this.population.deniedRiders.length,
        mix: this.mix,
        ...(jtt && share > 0
          ? {
              jtt: {
                share,
                encodings: this.o.jtt?.encodings?.length ? this.o.jtt.encodings : ['hex'],
                riders: jtt.riders.length,
                ...(this.jttFiles ? { files: this.jttFiles } : {}),
              },
            }
          : {}),
      });
    }
    return this.output.target;
  }

  /** Opens the output if needed and starts sending. Resolves once sending has started. */
  async start(): Promise<void> {
    await this.open();
    if (!this.loop)
      this.loop = this.run().catch((e: unknown) => {
        if (!(e instanceof Stopped)) throw e;
      });
  }

  /** Resolves when the run ends by itself (--count reached) or is stopped; rejects on a write error. */
  finished(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /** Stops sending but keeps the output open (frames in transit still arrive). Safe to call twice. */
  async halt(): Promise<void> {
    this.abort.abort();
    try {
      await this.loop;
    } catch {
      /* reported through finished() */
    }
  }

  /** Stops sending, closes the output (kills socat, closes the server). Safe to call twice. */
  async stop(): Promise<void> {
    await this.halt();
    if (this.opened) await new Promise((r) => setTimeout(r, UNPLUG_DRAIN_MS));
    this.opened = false;
    await this.output.close();
    if (this.jttTempDir) rmSync(this.jttTempDir, { recursive: true, force: true });
  }

  /** Synchronous last-resort clean-up for process exit. */
  killSync(): void {
    this.abort.abort();
    this.output.killSync();
    if (this.jttTempDir) rmSync(this.jttTempDir, { recursive: true, force: true });
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    if (signal.aborted) return Promise.reject(new Stopped());
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(new Stopped());
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private checkStopped(): void {
    if (this.abort.signal.aborted) throw new Stopped();
  }

  private get remaining(): number {
    return this.o.count === undefined ? Infinity : this.o.count - this.sentCount;
  }

  private async run(): Promise<void> {
    const burst = this.o.burst;
    const gapMs = this.o.gapMs ?? (this.suffix.length === 0 ? 150 : 20);
    const interval = burst ? burst.everyMs : 1000 / (this.o.rate ?? 1);
    let nextAt = this.now();
    while (this.remaining > 0) {
      await this.sleep(nextAt - this.now());
      const slots = burst ? burst.size : 1;
      for (let i = 0; i < slots && this.remaining > 0; i++) {
        if (i > 0) await this.sleep(gapMs);
        await this.slot(gapMs);
      }
      nextAt += interval;
      if (nextAt < this.now() - interval) nextAt = this.now();
      if (this.unplugged) {
        this.unplugged = false;
        nextAt = this.now();
      }
    }
    this.emit('done', { sent: this.sentCount });
  }

  /** One scan: maybe a noise burst, then one frame (two for a duplicate pair), then maybe an unplug. */
  private async slot(gapMs: number): Promise<void> {
    await this.waitReady();
    if (this.o.noise && this.wire.chance(this.o.noise)) await this.sendNoise(gapMs);
    const frames = this.source.next();
    const before = this.sentCount;
    for (const f of frames) {
      if (this.remaining <= 0) break;
      if (f.delayMs) await this.sleep(f.delayMs);
      await this.sendFrame(f);
    }
    const u = this.o.unplug;
    if (u && this.remaining > 0 && Math.floor(this.sentCount / u.every) > Math.floor(before / u.every))
      await this.doUnplug(u.forMs);
  }

  private async waitReady(): Promise<void> {
    this.checkStopped();
    if (await this.output.isReady()) return;
    this.checkStopped();
    this.emit('waiting', this.output.target);
    try {
      await this.output.whenReady(this.abort.signal);
    } catch {
      throw new Stopped();
    }
    this.emit('reader', this.output.target);
  }

  private async doUnplug(forMs: number): Promise<void> {
    // Let the last frame get through (socat forwards it asynchronously) before pulling the plug.
    await this.sleep(UNPLUG_DRAIN_MS);
    await this.output.unplug();
    this.emit('unplug', { after: this.sentCount, forMs });
    try {
      await this.sleep(forMs);
    } finally {
      if (!this.abort.signal.aborted) {
        await this.output.replug();
        this.emit('replug', { target: this.output.target });
      }
    }
    this.unplugged = true;
  }

  private async writeChunked(data: Buffer): Promise<{ chunks: number; receivers: number }> {
    if (!this.o.split || data.length < 2) return { chunks: 1, receivers: await this.output.write(data) };
    const k = Math.min(data.length, this.wire.int(2, 4));
    const cuts = new Set<number>();
    while (cuts.size < k - 1) cuts.add(this.wire.int(1, data.length - 1));
    const bounds = [0, ...[...cuts].sort((a, b) => a - b), data.length];
    let receivers = 0;
    for (let i = 0; i < k; i++) {
      if (i > 0) await this.sleep(this.wire.int(5, 30));
      receivers = await this.output.write(data.subarray(bounds[i], bounds[i + 1]));
    }
    return { chunks: k, receivers };
  }

  private async sendFrame(f: ScenarioFrame): Promise<void> {
    this.checkStopped();
    const data = Buffer.concat([this.o.aim ? Buffer.from(AIM_QR) : Buffer.alloc(0), f.payload, this.suffix]);
    const sending: SendingEvent = {
      n: this.sentCount + 1,
      scenario: f.scenario,
      requested: f.requested,
      expect: f.expect,
      at: this.now(),
      payload: f.payload,
    };
    if (f.variant !== undefined) sending.variant = f.variant;
    if (f.codeId !== undefined) sending.codeId = f.codeId;
    if (f.sub !== undefined) sending.sub = f.sub;
    if (f.rider !== undefined) sending.rider = f.rider;
    if (f.story !== undefined) sending.story = f.story;
    if (f.format !== undefined) sending.format = f.format;
    if (f.encoding !== undefined) sending.encoding = f.encoding;
    this.emit('sending', sending);
    const { chunks, receivers } = await this.writeChunked(data);
    // Nobody got it (a TCP client left meanwhile): it cannot be replayed or duplicated later.
    if (receivers === 0 && f.codeId !== undefined && f.scenario === 'valid') this.source.forget(f.codeId);
    this.sentCount++;
    const e: SentEvent = {
      n: this.sentCount,
      scenario: f.scenario,
      requested: f.requested,
      expect: f.expect,
      bytes: data.length,
      chunks,
      receivers,
      at: this.now(),
      data,
    };
    if (f.variant !== undefined) e.variant = f.variant;
    if (f.codeId !== undefined) e.codeId = f.codeId;
    if (f.sub !== undefined) e.sub = f.sub;
    if (f.rider !== undefined) e.rider = f.rider;
    if (f.format !== undefined) e.format = f.format;
    if (f.encoding !== undefined) e.encoding = f.encoding;
    this.emit('sent', e);
  }

  private async sendNoise(gapMs: number): Promise<void> {
    const n = this.wire.int(2, 24);
    // The first byte below 0x80, so a binary-mode framer does not take the burst for a JT/T frame (§1).
    const body = Buffer.concat([
      this.source.randomFrom(1, (b) => b < 0x20 || b === 0x7f),
      this.source.randomFrom(n - 1, (b) => b < 0x20 || b >= 0x7f),
    ]);
    const data = Buffer.concat([body, this.suffix]);
    await this.output.write(data);
    this.emit('noise', { after: this.sentCount, bytes: data.length, at: this.now(), data });
    await this.sleep(gapMs);
  }
}
