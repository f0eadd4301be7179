/**
 * Files named by settings that are read when a part starts (the broker password, TLS
 * certificates and key): checked before anything starts, so that a missing one is a settings
 * problem (exit code 3, listed with the others) instead of a crash once the service is running.
 * The trust, deny and key-set files are checked by their own loaders.
 */
import { openSync, closeSync, statSync } from 'node:fs';
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
