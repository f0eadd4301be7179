/**
 * Makes the shipped spoken prompts, config/display/sounds/<screen>.<language>.wav, from the
 * `spoken` words of config/display/texts.<language>.json with espeak-ng (Debian package
 * `espeak-ng`; voices cmn and en). An operator may replace any file with a recording.
 *
 *   npx tsx test/display/makeSpeech.ts [texts folder]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../../src/platform/packageRoot.ts';
import { SCREENS } from '../../src/display/screens.ts';
import { loadDisplayTexts } from '../../src/display/texts.ts';

const VOICES: Record<string, string[]> = { 'zh-CN': ['-v', 'cmn', '-s', '150'], en: ['-v', 'en-gb', '-s', '150'] };

const folder = process.argv[2] ?? packagePath('config', 'display');
const { texts, problems } = loadDisplayTexts(folder, Object.keys(VOICES));
if (problems.length) throw new Error(problems.join('\n'));
mkdirSync(join(folder, 'sounds'), { recursive: true });
for (const [lang, t] of Object.entries(texts)) {
  for (const screen of SCREENS) {
    const words = t.screens[screen].spoken;
    if (!words) continue;
    const file = join(folder, 'sounds', `${screen}.${lang}.wav`);
    execFileSync('espeak-ng', [...VOICES[lang]!, '-w', file, words]);
    console.log(`wrote ${file}`);
  }
}
