/**
 * docs/fares.md documents every field of the fare-file schema (src/pricing/fareFile.ts), and the
 * schema describes every field (the docs and the file's errors are written from them).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { FareFileSchema } from '../../src/pricing/fareFile.ts';
import { REPO_ROOT } from '../support/cli.ts';

interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  in?: z.ZodType;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The dotted path of every object field, through optional, default and pipe wrappers (not into lists). */
function fields(s: z.ZodType, prefix = ''): { path: string; schema: z.ZodType }[] {
  let d = defOf(s);
  while (d.innerType || d.type === 'pipe') {
    s = d.innerType ?? d.in!;
    d = defOf(s);
  }
  if (d.type !== 'object' || !d.shape) return [];
  return Object.entries(d.shape).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return [{ path, schema: v }, ...fields(v, path)];
  });
}

describe('the fare file documentation', () => {
  const all = fields(FareFileSchema);
  const doc = readFileSync(`${REPO_ROOT}/docs/fares.md`, 'utf8');

  it('finds the nested fields', () => {
    expect(all.map((f) => f.path)).toEqual(expect.arrayContaining(['metro.maxFare.missingExit', 'businessDay.start']));
  });

  it('docs/fares.md names every field (every one that is not a section of others)', () => {
    const leaves = all.filter((f) => !all.some((g) => g.path.startsWith(`${f.path}.`)));
    expect(leaves.length).toBeGreaterThanOrEqual(20);
    expect(leaves.filter((f) => !doc.includes(`\`${f.path}\``)).map((f) => f.path)).toEqual([]);
  });

  it('every field has a description', () => {
    expect(all.filter((f) => !f.schema.description).map((f) => f.path)).toEqual([]);
  });
});
