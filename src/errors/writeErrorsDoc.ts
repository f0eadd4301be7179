/** `npm run errors:generate`: writes docs/errors.md from src/errors/errorCodes.ts. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorsMarkdown } from './errorsDoc.ts';

const file = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));
writeFileSync(file, errorsMarkdown());
console.log(`wrote ${file}`);
