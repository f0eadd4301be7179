/**
 * The JT/T 1179 root-key file named by `jtt.roots` (jtt1179-reading §5): read, checked entry by
 * entry, and every problem listed at once by setting path (like the trust and deny files), so an
 * operator fixes the file in one go. The rules themselves are the core's (src/token/jtt/roots.ts).
 */
import { readFileSync } from 'node:fs';
import { jttRoot, JttRoots, parseRootEntry, rootIndexOf, type JttRoot } from '../token/jtt/roots.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The §5 rules over a parsed document, every problem listed (`roots[2].key: not hex`); roots only when there is none. */
export function jttRootsAllProblems(json: unknown): { roots?: JttRoots; problems: string[] } {
  if (!isObject(json)) return { problems: ['the file is not a JSON object'] };
  if (!Array.isArray(json.roots)) return { problems: ['"roots" must be an array'] };
  const problems: string[] = [];
  const good: JttRoot[] = [];
  const firstAt = new Map<number, number>();
  json.roots.forEach((e: unknown, i) => {
    // Every problem of each entry (the core's rules); a repeated index whatever else is wrong.
    const index = rootIndexOf(e);
    const first = index === undefined ? undefined : firstAt.get(index);
    if (index !== undefined && first !== undefined)
      problems.push(`roots[${i}].index: ${index} is repeated (also roots[${first}])`);
    else if (index !== undefined) firstAt.set(index, i);
    const r = parseRootEntry(e, `roots[${i}]`);
    problems.push(...r.problems);
    if (r.entry && first === undefined) good.push(jttRoot(r.entry));
  });
  return problems.length ? { problems } : { roots: new JttRoots(good), problems };
}

/** Reads `file` (the value of `setting`); problems read `jtt.roots: <file>: …`. */
export function loadJttRootsFile(file: string, setting = 'jtt.roots'): { roots?: JttRoots; problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT'
        ? 'file not found'
        : err.code === 'EISDIR'
          ? 'is a folder, not a file'
          : err instanceof SyntaxError
            ? `not valid JSON (${err.message})`
            : err.message;
    return { problems: [`${setting}: ${file}: ${why}`] };
  }
  const r = jttRootsAllProblems(json);
  return { ...r, problems: r.problems.map((p) => `${setting}: ${file} is unusable: ${p}`) };
}
