/** Deny list file (qr-token-v1 §5): `{"sub": ["<hex>", ...], "cti": ["<hex>", ...]}`. */
import { z } from 'zod';
import type { DenyList } from '../token/denyList.ts';
import { formatIssues } from './issues.ts';
import { buildDenyList, ListFileError } from './listFileShape.ts';

const hexId = z.string().regex(/^(?:[0-9a-fA-F]{2})+$/, 'must be hex (an even number of 0-9a-f)');

export const DenyFileSchema = z.strictObject({
  sub: z.array(hexId).default([]),
  cti: z.array(hexId).default([]),
});

export function denyListFromJson(json: unknown): DenyList {
  const r = DenyFileSchema.safeParse(json);
  if (!r.success) throw new ListFileError(formatIssues(r.error.issues));
  return buildDenyList(r.data);
}
