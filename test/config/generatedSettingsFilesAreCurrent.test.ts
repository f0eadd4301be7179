/**
 * config/settings.schema.json and docs/settings.md are generated from src/config/schema.ts; a
 * change to the settings that is not regenerated fails here. Also: every field is described
 * and flagged, and the environment variable names the docs give map back to the field.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envName, envPath } from '../../src/config/load.ts';
import { settingsCatalog } from '../../src/config/settingsCatalog.ts';
import { DOCS_FILE, SCHEMA_FILE, settingsJsonSchemaText, settingsMarkdown } from '../../src/config/settingsDocs.ts';
import { REPO_ROOT } from '../support/cli.ts';

const committed = (parts: readonly string[]) => readFileSync(join(REPO_ROOT, ...parts), 'utf8');

describe('generated settings reference', () => {
  it.each([
    [SCHEMA_FILE.join('/'), SCHEMA_FILE, settingsJsonSchemaText],
    [DOCS_FILE.join('/'), DOCS_FILE, settingsMarkdown],
  ] as const)('%s is current', (name, parts, generate) => {
    expect(committed(parts) === generate(), `${name} is out of date: run npm run settings:generate`).toBe(true);
  });

  it('every field has a description, a reload flag and, in the JSON Schema, its default', () => {
    const { settings } = settingsCatalog();
    const schema = JSON.parse(committed(SCHEMA_FILE)) as Record<string, unknown>;
    const leaf = (path: string): Record<string, unknown> => {
      let node: Record<string, unknown> = schema;
      for (const k of path.split('.')) {
        const props = (node.properties ??
          (node.oneOf as Record<string, unknown>[])
            .map((b) => b.properties)
            .find((p) => (p as Record<string, unknown>)[k])) as Record<string, unknown>;
        node = props[k] as Record<string, unknown>;
      }
      return node;
    };
    for (const e of settings) {
      expect(e.description.length, e.path).toBeGreaterThan(15);
      const s = leaf(e.path);
      expect(s['x-faregate-reload'], e.path).toBe(e.reload);
      expect(s.description, e.path).toMatch(
        e.reload === 'live' ? /On reload_config: live/ : /On reload_config: needs a restart\.$/,
      );
      if (e.default !== undefined) expect(s.default, e.path).toEqual(e.default);
    }
    expect(settings.find((e) => e.path === 'scanner.baudRate')).toMatchObject({
      default: 9600,
      reload: 'restart',
      type: 'integer',
    });
    expect(settings.find((e) => e.path === 'log.level')).toMatchObject({ default: 'info', reload: 'live' });
  });

  it('the environment variable of every field maps back to it', () => {
    for (const { path } of settingsCatalog().settings) expect(envPath(envName(path.split('.'))).join('.')).toBe(path);
    expect(envName(['scanner', 'framing', 'interByteTimeoutMs'])).toBe(
      'FAREGATE_SCANNER__FRAMING__INTER_BYTE_TIMEOUT_MS',
    );
  });

  it('docs/settings.md lists every field with its environment variable', () => {
    const md = committed(DOCS_FILE);
    for (const { path } of settingsCatalog().settings)
      expect(md).toContain(`| \`${path}\`<br>\`${envName(path.split('.'))}\` |`);
  });
});
