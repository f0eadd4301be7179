/**
 * Logs carry pseudonymous ids at most: no whole ride code, credential or private key, whatever
 * the code's fate (accepted, rejected, malformed, overlong), and pino's redaction censors the
 * fields that could hold one if a future log call passed it by mistake. The service runs in
 * process with the real pino logger (JSON, trace level) writing to a stream the test reads.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/pinoLogger.ts';
import { waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { DEV_ISSUER } from '../support/serviceProcess.ts';
import { inProcess } from './inProcess.ts';

/** Every 24-character window of `secret` — a log line holding any of them leaks part of it. */
function windows(secret: string, size = 24): string[] {
  const out: string[] = [];
  for (let i = 0; i + size <= secret.length; i += 8) out.push(secret.slice(i, i + size));
  return out;
}

describe('logs', () => {
  it('of a running service never contain a ride code, whatever its outcome', async () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString()));
    const logger = createLogger({ level: 'trace', format: 'json', destination: stream });
    const r = inProcess({ mqtt: true, logger });
    const lines = () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const decisions = () => lines().filter((l) => typeof l.decision === 'string');
    await r.svc.start();
    await waitFor(() => r.svc.status().scanner.state === 'up', 'scanner up');
    const rider = makeRider();
    const good = rider.code();
    const expired = rider.code(Math.floor(Date.now() / 1000) - 3600);
    const tampered = good.slice(0, 200) + (good[200] === 'A' ? 'B' : 'A') + good.slice(201);
    const frames = [
      good,
      good,
      expired,
      tampered,
      'FG1:' + good.slice(4, 300),
      'NOT-A-CODE-' + good.slice(4, 60),
      'FG1:' + 'A'.repeat(3000),
    ];
    r.scanner.feed(...frames);
    await waitFor(() => decisions().length >= frames.length, 'decisions', 10_000);
    await waitFor(() => r.svc.store.counts().unsettled === 0, 'the tap uploaded and settled');
    await r.svc.stop();
    const all = out;
    expect(lines().some((l) => l.msg === 'validator stopped')).toBe(true);
    expect(decisions().map((d) => d.reason ?? d.decision)).toEqual(
      expect.arrayContaining(['accept', 'duplicate', 'code_expired', 'malformed']),
    );
    for (const secret of [good, expired, tampered])
      for (const piece of windows(secret.slice(4))) expect(all).not.toContain(piece);
  }, 30_000);

  it('redact fields that could hold a code or a key', () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString()));
    const log = createLogger({ level: 'info', format: 'json', destination: stream });
    const key = JSON.parse(readFileSync(DEV_ISSUER, 'utf8')) as { d: string };
    const code = makeRider().code();
    log.info(
      { qr: code, frame: code, rideCode: code, privateKey: key.d, jwk: key, nested: { qr: code, d: key.d } },
      'oops',
    );
    expect(out).toContain('oops');
    expect(out).not.toContain(code.slice(4, 40));
    expect(out).not.toContain(key.d);
    expect(out).toContain('[redacted]');
  });

  it('keep an error code in `code` (FG-nnn, ECONNREFUSED), and censor anything else there', () => {
    const stream = new PassThrough();
    const out: Record<string, unknown>[] = [];
    stream.on('data', (d: Buffer) =>
      out.push(
        ...d
          .toString()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      ),
    );
    const log = createLogger({ level: 'info', format: 'json', destination: stream });
    const code = makeRider().code();
    log.info({ err: 'store is newer', code: 'FG-203' }, 'a');
    log.info({ code: 'ECONNREFUSED' }, 'b');
    log.info({ code }, 'c');
    log.info({ code: 'fg1:abc' }, 'd');
    expect(out.map((l) => l.code)).toEqual(['FG-203', 'ECONNREFUSED', '[redacted]', '[redacted]']);
  });
});
