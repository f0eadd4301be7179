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
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
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
