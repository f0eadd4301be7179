/**
 * Settings problems in words: one line per problem, each starting with the dotted path of the
 * bad field, naming the environment variable when an override caused it, and for an unknown
 * key the setting that was probably meant.
 */
import type { z } from 'zod';
import { envName } from './envNames.ts';
import { settingsCatalog } from './settingsCatalog.ts';

/** Edit distance (a swap of two neighbours counts as one), for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  let before = prev;
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      // Two letters swapped count as one mistake.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        cur[j] = Math.min(cur[j]!, before[j - 2]! + 1);
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

let knownKeys: Map<string, string[]> | undefined;
/** The keys a section may hold, by section path ('' = top level). */
function keysOf(section: string): string[] {
  if (!knownKeys) {
    knownKeys = new Map();
    const { sections, settings } = settingsCatalog();
    for (const { path } of [...sections, ...settings]) {
      const dot = path.lastIndexOf('.');
      const parent = dot < 0 ? '' : path.slice(0, dot);
      knownKeys.set(parent, [...(knownKeys.get(parent) ?? []), path.slice(dot + 1)]);
    }
  }
  return knownKeys.get(section) ?? [];
}

export function didYouMean(section: string, key: string): string | undefined {
  const norm = (k: string) => k.toLowerCase().replace(/[_-]/g, '');
  let best: { k: string; d: number } | undefined;
  for (const k of keysOf(section)) {
    const d = norm(k) === norm(key) ? 0 : distance(k.toLowerCase(), key.toLowerCase());
    if (d <= (k.length <= 4 ? 1 : 2) && (!best || d < best.d)) best = { k, d };
  }
  return best?.k;
}

/**
 * @param envVarOf the FAREGATE_* variable that set a dotted path, if one did.
 */
export function settingsProblems(
  issues: readonly z.core.$ZodIssue[],
  envVarOf: (path: string) => string | undefined,
): string[] {
  const out: string[] = [];
  const line = (path: string, message: string) => {
    const env = envVarOf(path);
    out.push(`${path || '(root)'}: ${message}${env ? ` (from ${env})` : ''}`);
  };
  for (const i of issues) {
    const path = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') {
      for (const key of i.keys) {
        const full = path ? `${path}.${key}` : key;
        const meant = didYouMean(path, key);
        // An override names a variable: suggest the variable's right name.
        const hint = meant && envVarOf(full) ? envName([...i.path.map(String), meant]) : meant;
        line(full, `unknown setting${hint ? `; did you mean ${hint}?` : ''}`);
      }
    } else if (i.code === 'invalid_type' && /received undefined$/.test(i.message))
      line(path, `missing: this setting is required (${i.expected})`);
    else if (i.code === 'invalid_type' && i.expected === 'int') line(path, 'must be a whole number');
    else line(path, i.message);
  }
  return out;
}
