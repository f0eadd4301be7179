/**
 * pino as the Logger port: JSON lines on stdout by default (journald and Docker collect them),
 * a readable form for a person at a terminal. Redaction is a second line of defence: the code
 * never logs ride codes or keys, and these paths are censored if anything tries.
 */
import pino from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from './logger.ts';

export const REDACT_PATHS = [
  'qr',
  'frame',
  'text',
  'rideCode',
  'code',
  'credential',
  'd',
  'privateKey',
  'key.d',
  'jwk.d',
  '*.qr',
  '*.frame',
  '*.rideCode',
  '*.credential',
  '*.privateKey',
  '*.d',
];

/**
 * What a censored field keeps: an error code (FG-nnn, or a system one such as ECONNREFUSED, in
 * `code`) is not a secret, and is what an operator searches the logs for; anything else in a
 * censored field (a ride code in `code`, a key) is replaced.
 */
const ERROR_CODE = /^(FG-\d{3}|[A-Z][A-Z0-9_]{1,31})$/;
export function censor(value: unknown): unknown {
  return typeof value === 'string' && ERROR_CODE.test(value) ? value : '[redacted]';
}

export interface LogOptions {
  level: string;
  format: 'json' | 'pretty';
  /** Where lines go (default stdout). */
  destination?: NodeJS.WritableStream;
  base?: Record<string, unknown>;
}

export function createLogger(o: LogOptions): Logger {
  const options: pino.LoggerOptions = {
    level: o.level,
    base: o.base ?? {},
    redact: { paths: REDACT_PATHS, censor },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const dest =
    o.format === 'pretty'
      ? pretty({
          colorize: process.stdout.isTTY ?? false,
          sync: true,
          translateTime: 'HH:MM:ss.l',
          ignore: 'pid,hostname',
          destination: o.destination ?? 1,
        })
      : (o.destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(options, dest);
}
