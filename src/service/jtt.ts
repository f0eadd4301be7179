/**
 * The JT/T 1179 format in the running validator (`jtt` settings; jtt1179-reading): built beside
 * FG1 with the root keys of `jtt.roots`, FG1's deny list (JT/T accounts named by sub/cti as §4.1)
 * and FG1's replay memory itself, so a code accepted by either format, here or at another gate
 * of the group (src/fleet/replayShare.ts merges into that memory), is a replay everywhere.
 */
import type { Config } from '../config/schema.ts';
import { loadJttRootsFile } from '../lists/jttRootsFile.ts';
import { JttFormat } from '../token/jtt/jttFormat.ts';
import type { JttRoots } from '../token/jtt/roots.ts';
import type { RideCodeValidator } from '../token/validator.ts';

/** Where the roots in force came from: the settings' file (version 0) or a signed `jtt-roots` list. */
export interface JttRootsState {
  version: number;
  source: 'file' | 'signed';
}

/** What the status says of JT/T (only when `jtt.roots` is set). */
export interface JttStatus {
  /** Root keys in force. */
  roots: number;
  /** Their indexes (cert item 3), ascending. */
  indexes: number[];
  version: number;
  source: 'file' | 'signed';
  /** Verified issuer certificates + authorisations reused (a rider's next code: one SM2 verify). */
  credentialCacheHits: number;
  credentialCacheMisses: number;
}

/** The roots of `jtt.roots` when it is set; `problems` (every one, by setting path) when its file is unusable. */
export function loadJttSettings(config: Config): { roots?: JttRoots; problems: string[] } {
  const file = config.jtt.roots;
  return file === undefined ? { problems: [] } : loadJttRootsFile(file);
}

/** The JT/T format over FG1's deny list, parameters and replay memory. */
export function makeJtt(roots: JttRoots, validator: RideCodeValidator): JttFormat {
  return new JttFormat({
    roots,
    deny: validator.denyList,
    params: validator.params,
    // One replay memory (jtt1179-reading §4 notes): FG1's, which the store restores and the group shares.
    replay: validator.replay,
  });
}

export function jttStatus(jtt: JttFormat, state: JttRootsState): JttStatus {
  const roots = jtt.rootKeys;
  return {
    roots: roots.size,
    indexes: roots.indexes.sort((a, b) => a - b),
    version: state.version,
    source: state.source,
    credentialCacheHits: jtt.stats.credentialCacheHits,
    credentialCacheMisses: jtt.stats.credentialCacheMisses,
  };
}
