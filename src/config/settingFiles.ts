/**
 * Files named by settings that are read when a part starts (the broker password, TLS
 * certificates and key): checked before anything starts, so that a missing one is a settings
 * problem (exit code 3, listed with the others) instead of a crash once the service is running.
 * The trust, deny and key-set files are checked by their own loaders.
 */
import { openSync, closeSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Config } from './schema.ts';
import { errorMessage, systemErrorCode } from '../errors/faregateError.ts';

function problem(setting: string, file: string): string | undefined {
  try {
    if (statSync(file).isDirectory()) return `${setting}: ${file} is a folder, not a file`;
    closeSync(openSync(file, 'r'));
    return undefined;
  } catch (e) {
    const code = systemErrorCode(e);
    const why =
      code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'not readable by this user' : errorMessage(e);
    return `${setting}: ${file}: ${why}`;
  }
}

/** Every setting that names a file read at start (by a loader or by the part that uses it). */
const FILE_SETTINGS = [
  'trust.file',
  'deny.file',
  'lists.rootKeys',
  'jtt.roots',
  'group.keys',
  'group.signingKey',
  'commands.operatorKeys',
  'settlement.backendKeys',
  'mqtt.passwordFile',
  'mqtt.tls.ca',
  'mqtt.tls.cert',
  'mqtt.tls.key',
] as const;

/**
 * The missing or unreadable files named in settings that did not pass their checks: so that one
 * start lists them beside the other problems (their contents are checked once the settings pass).
 * Paths are taken as written, relative to the settings file's folder.
 */
export function rawFileProblems(raw: Record<string, unknown>, base: string): string[] {
  const out: string[] = [];
  for (const setting of FILE_SETTINGS) {
    let v: unknown = raw;
    for (const k of setting.split('.'))
      v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
    if (typeof v !== 'string' || v === '') continue;
    const p = problem(setting, isAbsolute(v) ? v : resolve(base, v));
    if (p) out.push(p);
  }
  return out;
}

export function settingFileProblems(config: Config): string[] {
  const m = config.mqtt;
  if (!m) return [];
  const files: [string, string | undefined][] = [
    ['mqtt.passwordFile', m.passwordFile],
    ['mqtt.tls.ca', m.tls?.ca],
    ['mqtt.tls.cert', m.tls?.cert],
    ['mqtt.tls.key', m.tls?.key],
  ];
  return files.flatMap(([setting, file]) => (file === undefined ? [] : (problem(setting, file) ?? [])));
}
