/**
 * The example settings files an operator starts from: each points editors at the JSON Schema,
 * is valid through the real loader, shows every top-level section (active or commented out),
 * stays valid when a commented-out section is switched on, and explains every key it sets.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { settingsCatalog } from '../../src/config/settingsCatalog.ts';
import { REPO_ROOT } from '../support/cli.ts';

const EXAMPLES = [
  'config/bus-reader.example.yaml',
  'config/metro-gate.example.yaml',
  'docs/deploy/gate/settings.yaml',
  'config/dev/bus-demo.yaml',
];
/** The full examples: a comment on every key they set. */
const COMMENTED = ['config/bus-reader.example.yaml', 'config/metro-gate.example.yaml'];

const { sections, settings } = settingsCatalog();
const TOP_LEVEL = [...sections, ...settings].map((e) => e.path).filter((p) => !p.includes('.'));
const tmp = mkdtempSync(join(tmpdir(), 'faregate-examples-'));

function load(file: string): string[] {
  try {
    loadConfig(file, {});
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

/** Lines of a commented-out top-level section `# key:` with the indented `#   …` lines under it, uncommented. */
function switchOn(text: string, key: string): string | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`# ${key}:`));
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && /^# {2,}\S/.test(lines[end]!)) end++;
  return [...lines.slice(0, start), ...lines.slice(start, end).map((l) => l.slice(2)), ...lines.slice(end)].join('\n');
}

describe.each(EXAMPLES)('%s', (name) => {
  const file = join(REPO_ROOT, name);
  const text = readFileSync(file, 'utf8');

  it('starts with the yaml-language-server schema comment pointing at config/settings.schema.json', () => {
    const m = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
    expect(m, 'first line').not.toBeNull();
    expect(resolve(dirname(file), m![1]!)).toBe(join(REPO_ROOT, 'config', 'settings.schema.json'));
  });

  it('is valid settings', () => {
    expect(load(file)).toEqual([]);
  });

  it('shows every top-level section, active or commented out', () => {
    const missing = TOP_LEVEL.filter((k) => !new RegExp(`^(# )?${k}:`, 'm').test(text));
    expect(missing).toEqual([]);
  });

  it('stays valid when a commented-out section is switched on', () => {
    const off = TOP_LEVEL.filter((k) => !new RegExp(`^${k}:`, 'm').test(text));
    for (const key of off) {
      const on = switchOn(text, key)!;
      // The loader does not open the files a section names, so the copy may live elsewhere.
      const copy = join(tmp, `${name.replaceAll('/', '_')}-${key}.yaml`);
      writeFileSync(copy, on);
      expect(load(copy), `${name} with ${key} switched on`).toEqual([]);
      expect(loadConfig(copy, {}).config[key as keyof Config], key).toBeDefined();
    }
  });
});

describe.each(COMMENTED)('%s', (name) => {
  const text = readFileSync(join(REPO_ROOT, name), 'utf8');

  it('explains every key it sets (a comment on its line, above it, or on its group)', () => {
    const lines = text.split('\n');
    const unexplained: string[] = [];
    const groups: { indent: number; commented: boolean }[] = [];
    for (const [i, l] of lines.entries()) {
      const m = /^( *)([A-Za-z]\w*):/.exec(l);
      if (!m) continue;
      const indent = m[1]!.length;
      while (groups.length && groups.at(-1)!.indent >= indent) groups.pop();
      const own = l.includes(' #') || /^\s*#/.test(lines[i - 1] ?? '');
      if (!own && !groups.at(-1)?.commented) unexplained.push(`line ${i + 1}: ${l.trim()}`);
      groups.push({ indent, commented: own });
    }
    expect(unexplained).toEqual([]);
  });
});
