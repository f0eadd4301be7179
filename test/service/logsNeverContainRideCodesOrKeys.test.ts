/**
 * Logs carry pseudonymous ids at most: no whole ride code, credential or private key, whatever
 * the code's fate (accepted, rejected, malformed, overlong), and pino's redaction censors the
 * fields that could hold one if a future log call passed it by mistake.
 */
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/pinoLogger.ts';
import { openPtyWriter, startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { busSettings, DEV_ISSUER, killAllServices, ServiceProcess } from '../support/serviceProcess.ts';

afterAll(async () => {
  await killAllServices();
  await stopAllPtyPairs();
});

/** Every 24-character window of `secret` — a log line holding any of them leaks part of it. */
function windows(secret: string, size = 24): string[] {
  const out: string[] = [];
  for (let i = 0; i + size <= secret.length; i += 8) out.push(secret.slice(i, i + size));
  return out;
}

describe('logs', () => {
  it('of a running service never contain a ride code, whatever its outcome', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-logs-'));
    const pty = await startPtyPair();
    const svc = ServiceProcess.start(dir, busSettings(pty.a, join(dir, 'data'), { log: { level: 'trace', format: 'json' } }));
    await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up');
    const w = await openPtyWriter(pty.b);
    const rider = makeRider();
    const good = rider.code();
    const expired = rider.code(Math.floor(Date.now() / 1000) - 3600);
    const tampered = good.slice(0, 200) + (good[200] === 'A' ? 'B' : 'A') + good.slice(201);
    const frames = [good, good, expired, tampered, 'FG1:' + good.slice(4, 300), 'NOT-A-CODE-' + good.slice(4, 60), 'FG1:' + 'A'.repeat(3000)];
    for (const f of frames) await w.write(f + '\r');
    await waitFor(() => svc.decisions().length >= frames.length, 'decisions', 10_000);
    await svc.kill('SIGTERM');
    const all = svc.lines.map((l) => JSON.stringify(l)).join('\n') + svc.stderr;
    expect(svc.decisions().map((d) => d.reason ?? d.decision)).toEqual(
      expect.arrayContaining(['accept', 'duplicate', 'code_expired', 'malformed']),
    );
    for (const secret of [good, expired, tampered]) for (const piece of windows(secret.slice(4))) expect(all).not.toContain(piece);
    await w.close();
  }, 30_000);

  it('redact fields that could hold a code or a key', () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString()));
    const log = createLogger({ level: 'info', format: 'json', destination: stream });
    const key = JSON.parse(readFileSync(DEV_ISSUER, 'utf8')) as { d: string };
    const code = makeRider().code();
    log.info({ qr: code, frame: code, rideCode: code, privateKey: key.d, jwk: key, nested: { qr: code, d: key.d } }, 'oops');
    expect(out).toContain('oops');
    expect(out).not.toContain(code.slice(4, 40));
    expect(out).not.toContain(key.d);
    expect(out).toContain('[redacted]');
  });
});
