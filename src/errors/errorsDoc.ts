/**
 * docs/errors.md, generated from ERROR_CODES (`npm run errors:generate`; test/errors checks the
 * committed file is current, and that every number is unique and in its area's hundreds).
 */
import { ERROR_CODES, errorTag, type ErrorArea, type ErrorCode } from './errorCodes.ts';

/** The hundreds digit of each area's codes, and how the doc names the area. */
export const AREA_HUNDREDS: Readonly<Record<ErrorArea, { hundreds: number; title: string }>> = {
  settings: { hundreds: 1, title: 'Settings' },
  store: { hundreds: 2, title: 'Local store' },
  scanner: { hundreds: 3, title: 'Scanner' },
  lists: { hundreds: 4, title: 'Trust and deny lists, key sets' },
  commands: { hundreds: 5, title: 'Remote commands' },
  cli: { hundreds: 6, title: 'Command line' },
  ride_code: { hundreds: 7, title: 'Ride codes and keys' },
  settlement: { hundreds: 8, title: 'Settlement and MQTT' },
  service: { hundreds: 9, title: 'Service' },
};

const EXIT_WORDS: Record<1 | 2 | 3, string> = { 1: '1 (failed)', 2: '2 (usage)', 3: '3 (settings)' };

export function errorsMarkdown(): string {
  const codes = Object.entries(ERROR_CODES) as [ErrorCode, (typeof ERROR_CODES)[ErrorCode]][];
  const out = [
    '# Error codes',
    '',
    '<!-- Generated from src/errors/errorCodes.ts by `npm run errors:generate`; do not edit. -->',
    '',
    'Every error faregate raises on purpose carries a stable code `FG-nnn` (class `FaregateError`,',
    'src/errors/). The hundreds digit is the area. Logs carry it as the field `code` next to `err`;',
    'the command line prints it on a `failed:` line (`faregate X: failed: FG-nnn message`) and ends',
    "with the code's exit code (usage errors print their one line without the tag, then the usage).",
    'A number never changes meaning: a retired code is never reused.',
    '',
    'Exit codes: 0 ok, 1 failed while running, 2 unusable arguments or files, 3 settings invalid.',
  ];
  const areas = Object.entries(AREA_HUNDREDS) as [ErrorArea, { hundreds: number; title: string }][];
  for (const [area, { hundreds, title }] of areas) {
    const inArea = codes.filter(([, c]) => c.area === area).sort((a, b) => a[1].number - b[1].number);
    if (inArea.length === 0) continue;
    out.push('', `## ${hundreds}xx ${title}`, '', '| code | name | exit | meaning |', '| --- | --- | --- | --- |');
    for (const [name, c] of inArea) {
      out.push(`| ${errorTag(name)} | \`${name}\` | ${EXIT_WORDS[c.exit]} | ${c.means} |`);
    }
  }
  return out.join('\n') + '\n';
}
