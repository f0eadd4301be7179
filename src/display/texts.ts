/**
 * The display's words, one file per language (texts.<language>.json in the texts folder; the
 * shipped ones are config/display/texts.zh-CN.json and texts.en.json). An operator edits them or
 * adds a language by adding a file and naming it in `display.language`. Checked at start: a
 * missing file or a missing screen is a start-up problem, named with the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PROFILES } from '../domain/vocabulary.ts';
import { SCREENS } from './screens.ts';

const line = z.string().max(200);

const ScreenTextSchema = z.strictObject({
  /** The large words. */
  title: line.min(1),
  /** A smaller second line (what to do); may be empty. */
  hint: line.default(''),
  /** What the spoken prompt says (the sound file's words, for whoever records a new one). */
  spoken: line.optional(),
});

export const DisplayTextsSchema = z.strictObject({
  /** The language's name in itself (中文, English). */
  name: z.string().min(1).max(40),
  screens: z.strictObject(
    Object.fromEntries(SCREENS.map((s) => [s, ScreenTextSchema])) as Record<
      (typeof SCREENS)[number],
      typeof ScreenTextSchema
    >,
  ),
  /** Names of the concession profiles shown on accept (adult is never shown). */
  profiles: z.strictObject(
    Object.fromEntries(PROFILES.map((p) => [p, line.min(1)])) as Record<(typeof PROFILES)[number], z.ZodString>,
  ),
  /** Shown instead of an amount when the fare is 0. */
  free: line.min(1),
});
export type DisplayTexts = z.infer<typeof DisplayTextsSchema>;

export function textsFile(folder: string, language: string): string {
  return join(folder, `texts.${language}.json`);
}

/** The texts of each language in order, or the problems (file and field) when one is unusable. */
export function loadDisplayTexts(
  folder: string,
  languages: readonly string[],
): { texts: Record<string, DisplayTexts>; problems: string[] } {
  const texts: Record<string, DisplayTexts> = {};
  const problems: string[] = [];
  for (const lang of languages) {
    const file = textsFile(folder, lang);
    if (!existsSync(file)) {
      problems.push(`display.language: ${lang} has no texts file (${file})`);
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      problems.push(`display texts ${file}: not JSON (${(e as Error).message})`);
      continue;
    }
    const r = DisplayTextsSchema.safeParse(raw);
    if (!r.success) {
      for (const i of r.error.issues)
        problems.push(`display texts ${file}: ${i.path.join('.') || '(file)'}: ${i.message}`);
      continue;
    }
    texts[lang] = r.data;
  }
  return { texts, problems };
}
