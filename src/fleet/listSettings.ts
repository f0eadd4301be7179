/** Reads what signed lists need at start: the root keys (`lists.rootKeys`) and the bootstrap files' age. */
import { statSync } from 'node:fs';
import type { ListsConfig } from '../config/schema.ts';
import { errorMessage } from '../errors/faregateError.ts';
import { KeySetError } from '../lists/listErrors.ts';
import { keySetFromJson } from '../lists/jws.ts';
import { readJwkSetFile } from '../lists/jwkSet.ts';
import type { ListType, RootKeySet } from '../lists/signedList.ts';

export interface ListSettings {
  roots?: RootKeySet;
  /** The root key JWK Set as read (handed to the worker thread). */
  rootJwks?: unknown;
  /** issuedAt of the bootstrap lists (the files' mtime, Unix s); null = no such file. */
  bootstrapIssuedAt: Record<ListType, number | null>;
  /** By setting path: `lists.rootKeys: <file>: file not found`. */
  problems: string[];
}

/** Reads the root keys and the bootstrap files' age; problems are reported by setting path. */
export function loadListSettings(
  cfg: Pick<ListsConfig, 'rootKeys'>,
  files: { trust: string; deny?: string | undefined },
): ListSettings {
  const problems: string[] = [];
  let roots: RootKeySet | undefined;
  let rootJwks: unknown;
  try {
    rootJwks = readJwkSetFile(cfg.rootKeys);
    roots = keySetFromJson(rootJwks);
  } catch (e) {
    const why = e instanceof KeySetError && rootJwks !== undefined ? `${cfg.rootKeys}: unusable: ` : '';
    problems.push(`lists.rootKeys: ${why}${errorMessage(e)}`);
  }
  const mtime = (f: string | undefined): number | null => {
    if (f === undefined) return null;
    try {
      return Math.floor(statSync(f).mtimeMs / 1000);
    } catch {
      return null;
    }
  };
  return {
    ...(roots ? { roots, rootJwks } : {}),
    bootstrapIssuedAt: { trust: mtime(files.trust), deny: mtime(files.deny) },
    problems,
  };
}
