/** Reads the trust and deny list files named in the settings; problems are listed by setting path. */
import { readFileSync } from 'node:fs';
import type { DenyList } from '../token/denyList.ts';
import type { TrustList } from '../token/trustList.ts';
import { denyListFromJson } from './denyFile.ts';
import { ListFileError, trustListFromJson } from './trustFile.ts';

function load<T>(file: string, setting: string, build: (json: unknown) => T, problems: string[]): T | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    problems.push(
      `${setting}: ${file}: ${err.code === 'ENOENT' ? 'file not found' : err instanceof SyntaxError ? `not valid JSON (${err.message})` : err.message}`,
    );
    return undefined;
  }
  try {
    return build(json);
  } catch (e) {
    if (e instanceof ListFileError) {
      problems.push(`${setting}: ${file} is unusable: ${e.message}`);
      return undefined;
    }
    throw e;
  }
}

export function loadListFiles(
  trustFile: string,
  denyFile: string | undefined,
): { trust?: TrustList; deny?: DenyList; problems: string[] } {
  const problems: string[] = [];
  const trust = load(trustFile, 'trust.file', trustListFromJson, problems);
  const deny = denyFile === undefined ? undefined : load(denyFile, 'deny.file', denyListFromJson, problems);
  return { ...(trust ? { trust } : {}), ...(deny ? { deny } : {}), problems };
}
