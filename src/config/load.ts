/**
 * Loads the settings file (YAML or JSON), applies FAREGATE_* environment overrides, resolves
 * relative paths against the file's folder, and validates. Every problem is listed at once,
 * each with the path of the bad field; the caller refuses to start (exit code 3).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ENV_PREFIX, envName, envPath } from './envNames.ts';
import { ConfigSchema, modeProblems, type Config } from './schema.ts';
import { rawFileProblems } from './settingFiles.ts';
import { settingsProblems } from './settingsProblems.ts';
import { FaregateError, errorMessage, systemErrorCode } from '../errors/faregateError.ts';

export const EXIT_CONFIG = 3;
export { envName, envPath };

/**
 * The settings file cannot be used: SETTINGS_INVALID (FG-101, its fields) or SETTINGS_UNREADABLE
 * (FG-102, the file itself), with every problem listed.
 */
export class ConfigError extends FaregateError {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: string[],
    code: 'SETTINGS_INVALID' | 'SETTINGS_UNREADABLE' = 'SETTINGS_INVALID',
  ) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    super(code, `configuration ${file} has ${count}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Variables with the prefix that are not setting overrides: the settings file, and the Node 24
 * set-up script's own (.ci/node24.sh).
 */
const ENV_NOT_SETTINGS = new Set(['FAREGATE_CONFIG', 'FAREGATE_NODE_VERSION', 'FAREGATE_NODE_CACHE']);

function envValue(raw: string): unknown {
  if (/^(true|false|null|-?\d+(\.\d+)?)$/.test(raw)) return JSON.parse(raw);
  if (raw.startsWith('{') || raw.startsWith('[')) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

/** Applies FAREGATE_A__B_C=value as a.bC = value; returns the names applied. */
export function applyEnvOverrides(doc: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] {
  const applied: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || ENV_NOT_SETTINGS.has(name) || raw === undefined) continue;
    const path = envPath(name);
    let node: Record<string, unknown> = doc;
    for (const seg of path.slice(0, -1)) {
      const next = node[seg];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[seg] = {};
      node = node[seg] as Record<string, unknown>;
    }
    node[path.at(-1)!] = envValue(raw);
    applied.push(name);
  }
  return applied;
}

function setAt(doc: Record<string, unknown>, path: string[], value: unknown): void {
  let node = doc;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string, unknown>;
  node[path.at(-1)!] = value;
}

export interface LoadedConfig {
  config: Config;
  file: string;
  envOverrides: string[];
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const problem = systemErrorCode(e) === 'ENOENT' ? 'file not found' : `cannot read the file (${errorMessage(e)})`;
    throw new ConfigError(file, [problem], 'SETTINGS_UNREADABLE');
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new ConfigError(
      file,
      doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`),
      'SETTINGS_UNREADABLE',
    );
  const raw: unknown = doc.toJS();
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(file, ['(root): the file must hold a map of settings (YAML mapping or JSON object)']);
  const obj = raw as Record<string, unknown>;
  const envOverrides = applyEnvOverrides(obj, env);
  let r = ConfigSchema.safeParse(obj);
  // A value that reads as a number or true/false is text where the setting is text
  // (FAREGATE_PLACE=518, a route id): the variable's text is taken as it was written.
  if (!r.success) {
    let again = false;
    for (const i of r.error.issues) {
      if (i.code !== 'invalid_type' || i.expected !== 'string') continue;
      const name = envOverrides.find((n) => envPath(n).join('.') === i.path.join('.'));
      const text = name === undefined ? undefined : env[name];
      if (text === undefined) continue;
      setAt(obj, envPath(name!), text);
      again = true;
    }
    if (again) r = ConfigSchema.safeParse(obj);
  }
  if (!r.success) {
    // A problem names the variable that set its setting, or a section holding it (a JSON value).
    const problems = settingsProblems(r.error.issues, (path) =>
      envOverrides.find((n) => {
        const p = envPath(n).join('.');
        return path === p || path.startsWith(`${p}.`);
      }),
    );
    // zod skips the checks across fields when a field is wrong; they are problems all the same.
    for (const p of modeProblems(obj)) {
      const line = `${p.path.join('.')}: ${p.message}`;
      if (!problems.includes(line)) problems.push(line);
    }
    // And the files it names that are missing, so one start lists them too.
    for (const line of rawFileProblems(obj, dirname(resolve(file)))) {
      const setting = line.slice(0, line.indexOf(':'));
      if (!problems.some((q) => q.startsWith(`${setting}:`))) problems.push(line);
    }
    throw new ConfigError(file, problems);
  }
  const config = r.data;
  const base = dirname(resolve(file));
  const abs = (p: string) => (isAbsolute(p) || p.startsWith('tcp://') ? p : resolve(base, p));
  config.trust.file = abs(config.trust.file);
  if (config.deny) config.deny.file = abs(config.deny.file);
  if (config.lists) config.lists.rootKeys = abs(config.lists.rootKeys);
  if (config.jtt.roots) config.jtt.roots = abs(config.jtt.roots);
  if (config.group) {
    config.group.keys = abs(config.group.keys);
    config.group.signingKey = abs(config.group.signingKey);
  }
  config.dataDir = abs(config.dataDir);
  if (config.display.texts) config.display.texts = abs(config.display.texts);
  if (config.gate.driver === 'serial') config.gate.path = abs(config.gate.path);
  if (config.mqtt?.passwordFile) config.mqtt.passwordFile = abs(config.mqtt.passwordFile);
  if (config.commands.operatorKeys) config.commands.operatorKeys = abs(config.commands.operatorKeys);
  if (config.settlement.backendKeys) config.settlement.backendKeys = abs(config.settlement.backendKeys);
  const tls = config.mqtt?.tls;
  if (tls) for (const k of ['ca', 'cert', 'key'] as const) if (tls[k]) tls[k] = abs(tls[k]);
  if (!config.scanner.path.startsWith('tcp://')) config.scanner.path = abs(config.scanner.path);
  return { config, file, envOverrides };
}
