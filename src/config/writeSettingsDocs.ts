/** `npm run settings:generate`: writes config/settings.schema.json and docs/settings.md from the settings schema. */
import { writeFileSync } from 'node:fs';
import { packagePath } from '../platform/packageRoot.ts';
import { DOCS_FILE, SCHEMA_FILE, settingsJsonSchemaText, settingsMarkdown } from './settingsDocs.ts';

for (const [parts, text] of [
  [SCHEMA_FILE, settingsJsonSchemaText()],
  [DOCS_FILE, settingsMarkdown()],
] as const) {
  const file = packagePath(...parts);
  writeFileSync(file, text);
  console.log(`wrote ${parts.join('/')}`);
}
