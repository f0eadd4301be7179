/**
 * Names and writes the files a gate keeps its applied signed lists in (`dataDir/lists/`): the
 * last snapshot of a type as `<type>.jws.json`, a deny delta as `deny.delta.<version>.jws.json`.
 * Used by the list store (src/fleet/listStore.ts) and by the list worker, which writes a large
 * document itself so that its bytes never pass through the main thread.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ListHeader, ListType } from './signedList.ts';

/** The file an applied document is kept in. */
export function persistedListName(type: ListType, header: Pick<ListHeader, 'kind' | 'version'>): string {
  return header.kind === 'snapshot' ? `${type}.jws.json` : `${type}.delta.${header.version}.jws.json`;
}

/** The deny deltas' file names: `deny.delta.<version>.jws.json`. */
export const DELTA_FILE = /^deny\.delta\.(\d+)\.jws\.json$/;

/** Writes `dir/name` atomically: a temporary file, then a rename over the old one. */
export async function writeListFile(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const file = join(dir, name);
  const tmp = `${file}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
}
