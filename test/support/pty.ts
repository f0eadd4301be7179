/**
 * Linked pseudo-terminal pairs made by socat, for tests that play the scanner:
 *   socat -d -d pty,raw,echo=0,link=<dir>/A pty,raw,echo=0,link=<dir>/B
 * The service opens side A like a serial device; the test writes side B (openPtyWriter).
 *
 * socat removes its links when it ends normally (SIGTERM) but not when killed with SIGKILL —
 * then they remain as dangling symlinks to /dev/pts/N. A dangling link is a hazard when tests run
 * in parallel: the pts number is soon given to another pair, and a reader retrying the old name
 * would open (and lock) someone else's terminal. So stop() removes the links socat left behind
 * (like udev removing /dev/serial/by-id names on unplug) unless `keepLinks` is set, and
 * startPtyPair deletes leftover links before starting (socat would replace them too, but then
 * "the links exist" would not mean "socat is ready").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import { lstat, mkdtemp, open, readlink, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOCAT = process.env.SOCAT_BIN ?? '/usr/bin/socat';

export interface PtyPairOptions {
  /** Directory for the links; a fresh temp dir when omitted. Reuse it to "replug" the same names. */
  dir?: string;
  /** Link names inside `dir`. Default A and B. */
  names?: [string, string];
  /** How long to wait for socat to be ready (ms). Default 5000. */
  readyTimeoutMs?: number;
}

export interface PtyPair {
  dir: string;
  /** Path of side A (the "device" the service opens). */
  a: string;
  /** Path of side B (where the test writes as the scanner). */
  b: string;
  pid: number;
  /** The /dev/pts/N devices behind a and b (from socat's log). */
  ptys: [string, string];
  /**
   * Kills socat with `signal` (default SIGTERM) and waits for it to exit; then removes links that
   * still point at this pair's terminals unless `keepLinks`. Idempotent.
   */
  stop(signal?: NodeJS.Signals, options?: { keepLinks?: boolean }): Promise<void>;
  /** true once socat has exited. */
  readonly exited: boolean;
  /** socat's diagnostic output so far (for failure messages). */
  stderr(): string;
}

const live = new Set<PtyPair>();

export async function makeTempDir(prefix = 'faregate-pty-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function startPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  const dir = options.dir ?? (await makeTempDir());
  const [nameA, nameB] = options.names ?? ['A', 'B'];
  const a = join(dir, nameA);
  const b = join(dir, nameB);
  await removeLink(a);
  await removeLink(b);

  const child = spawn(SOCAT, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (err) => {
      log += `\nspawn error: ${err.message}`;
      exited = true;
      resolve();
    });
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    log = (log + d).slice(-8192);
  });

  const pair: PtyPair = {
    dir,
    a,
    b,
    pid: child.pid ?? -1,
    ptys: ['', ''],
    get exited() {
      return exited;
    },
    stderr: () => log,
    stop: async (signal: NodeJS.Signals = 'SIGTERM', stopOptions: { keepLinks?: boolean } = {}) => {
      live.delete(pair);
      if (!exited) killQuietly(child, signal);
      await exit;
      if (!stopOptions.keepLinks) {
        await removeLinkIfPointsTo(a, pair.ptys[0]);
        await removeLinkIfPointsTo(b, pair.ptys[1]);
      }
    },
  };
  live.add(pair);

  const deadline = Date.now() + (options.readyTimeoutMs ?? 5000);
  for (;;) {
    if (exited) {
      live.delete(pair);
      throw new Error(`socat exited before it was ready:\n${log}`);
    }
    if (log.includes('starting data transfer loop') && (await exists(a)) && (await exists(b))) {
      pair.ptys = [await readlink(a), await readlink(b)];
      return pair;
    }
    if (Date.now() > deadline) {
      await pair.stop('SIGKILL');
      throw new Error(`socat not ready within ${options.readyTimeoutMs ?? 5000} ms:\n${log}`);
    }
    await sleep(20);
  }
}

/** Stops every pair still running (SIGKILL) — for afterAll safety nets. */
export async function stopAllPtyPairs(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop('SIGKILL')));
}

/** Removes a pair's directory (links and all). */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A writer on a pty side, acting as the scanner. */
export interface PtyWriter {
  write(bytes: Buffer | string): Promise<void>;
  /** Writes one byte at a time with `delayMs` between them. */
  writeSlowly(bytes: Buffer | string, delayMs: number): Promise<void>;
  /** Closes the side; errors (e.g. socat already gone) are ignored. */
  close(): Promise<void>;
}

export async function openPtyWriter(path: string): Promise<PtyWriter> {
  // O_NOCTTY: never become the test process's controlling terminal.
  const fh: FileHandle = await open(path, fsc.O_WRONLY | fsc.O_NOCTTY);
  let closed = false;
  const toBuf = (bytes: Buffer | string): Buffer => (typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  return {
    write: async (bytes) => {
      const buf = toBuf(bytes);
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await fh.write(buf, off, buf.length - off);
        off += bytesWritten;
      }
    },
    writeSlowly: async (bytes, delayMs) => {
      const buf = toBuf(bytes);
      for (let i = 0; i < buf.length; i++) {
        await fh.write(buf, i, 1);
        if (i < buf.length - 1) await sleep(delayMs);
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await fh.close().catch(() => {});
    },
  };
}

/** Polls `cond` until it is true (or returns a non-undefined value); throws after `timeoutMs`. */
export async function waitFor<T>(
  cond: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 5000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function removeLink(path: string): Promise<void> {
  try {
    const s = await lstat(path);
    if (!s.isSymbolicLink()) throw new Error(`${path} exists and is not a symlink; not removing it`);
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

async function removeLinkIfPointsTo(path: string, target: string): Promise<void> {
  if (target === '') return;
  try {
    if ((await readlink(path)) === target) await unlink(path);
  } catch {
    /* gone already (socat removed it) */
  }
}

function killQuietly(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    child.kill(signal);
  } catch {
    /* already gone */
  }
}
