/**
 * `reload_config`: re-reads the settings file (with the FAREGATE_* overrides, as at start) and
 * applies what can change while running; everything else is reported as needing a restart.
 * An unusable settings file or list file applies nothing (the command is refused).
 *
 * Live: `log.level`; `fare.*`; `token.skew` and `token.codeValidity` (when the replay memory's
 * retention need not grow); `trust.file` / `deny.file` (the list files are re-read even when
 * their names did not change — unless signed lists are configured, which then own the lists);
 * `jtt.roots` (the JT/T root-key file, re-read the same way, when JT/T was on at start; the
 * JT/T format follows the deny list and `token.skew` too);
 * `policy.*`; `commands.*` (operator keys re-read).
 * Restart: everything else (device id, mode, place, direction, scanner, gate, store, mqtt,
 * settlement, log format, token cache sizes, duplicate window, replay capacity).
 */
import { isDeepStrictEqual } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { errorMessage, FaregateError } from '../errors/faregateError.ts';
import type { Config } from '../config/schema.ts';
import { loadListFiles } from '../lists/loadListFiles.ts';
import { DenyList } from '../token/denyList.ts';
import { replayRetention } from '../token/params.ts';
import type { RideCodeValidator } from '../token/validator.ts';
import { loadKeySetFile, type JwsKeySet } from '../lists/jws.ts';
import { loadJttRootsFile } from '../lists/jttRootsFile.ts';
import type { JttFormat } from '../token/jtt/jttFormat.ts';
import type { JttRoots } from '../token/jtt/roots.ts';

export interface ReloadTargets {
  /** The running settings, changed in place for what applies live. */
  config: Config;
  validator: RideCodeValidator;
  /** The JT/T format, when `jtt.roots` was set at start: its roots, deny list and skew follow. */
  jtt?: JttFormat | undefined;
  setLogLevel(level: string): void;
  setOperatorKeys(keys: JwsKeySet | undefined): void;
  /** Called after policy settings changed. */
  policyChanged(): void;
  /**
   * Signed lists (`lists`, src/fleet/listSync.ts) are in charge of the trust and deny lists: the
   * files are then only bootstrap lists for the next start and are not swapped in.
   */
  signedListsActive: boolean;
}

export interface ReloadResult {
  applied: string[];
  needsRestart: string[];
  /** The lists in use after the reload; `source: "signed"` when signed lists are in charge (files not re-read). */
  lists: { source: 'files' | 'signed'; trustKeys: number; denyEntries: number };
}

/** reload_config applied nothing (FG-502): the running settings stay. */
export class ReloadError extends FaregateError {
  override name = 'ReloadError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('RELOAD_FAILED', message, options);
  }
}

/** Leaf paths where two settings trees differ (arrays compared whole). */
export function changedPaths(a: unknown, b: unknown, prefix = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(a) || !isObj(b)) return [prefix || '(root)'];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].sort().flatMap((k) => changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k));
}

const LIVE_PREFIXES = ['log.level', 'fare', 'trust.file', 'deny', 'policy', 'commands'];

const under = (path: string, prefix: string) => path === prefix || path.startsWith(prefix + '.');

export function reloadSettings(file: string, t: ReloadTargets, env: NodeJS.ProcessEnv = process.env): ReloadResult {
  let next: Config;
  try {
    next = loadConfig(file, env).config;
  } catch (e) {
    throw new ReloadError(`settings not reloaded: ${errorMessage(e).replace(/\s*\n\s*/g, ' ')}`, { cause: e });
  }
  const cur = t.config;
  const lists = loadListFiles(next.trust.file, next.deny?.file);
  if (lists.problems.length && !t.signedListsActive)
    throw new ReloadError(`settings not reloaded: ${lists.problems.join('; ')}`);
  // The JT/T roots are re-read when JT/T runs and the files are in charge (not signed lists).
  let jttRoots: JttRoots | undefined;
  if (t.jtt && next.jtt.roots !== undefined && !t.signedListsActive) {
    const r = loadJttRootsFile(next.jtt.roots);
    if (!r.roots) throw new ReloadError(`settings not reloaded: ${r.problems.join('; ')}`);
    jttRoots = r.roots;
  }
  let keys: JwsKeySet | undefined;
  if (next.commands.operatorKeys) {
    try {
      keys = loadKeySetFile(next.commands.operatorKeys);
    } catch (e) {
      throw new ReloadError(`settings not reloaded: commands.operatorKeys: ${errorMessage(e)}`, { cause: e });
    }
  }

  const changed = changedPaths(cur, next);
  const applied: string[] = [];
  const needsRestart: string[] = [];
  // Token timing: live unless the replay memory would have to hold codes longer than it does.
  const retention = replayRetention({ skew: next.token.skew, codeValidity: next.token.codeValidity });
  const tokenLive = retention <= t.validator.replay.retention;
  const listFile = (p: string) => under(p, 'trust.file') || under(p, 'deny');
  for (const p of changed) {
    if (t.signedListsActive && listFile(p)) needsRestart.push(p);
    // Turning JT/T on or off takes a restart (the credential router is built at start).
    else if (p === 'jtt.roots') (jttRoots ? applied : needsRestart).push(p);
    // Turning remote commands off (or on, without a running handler) takes a restart.
    else if (p === 'commands.operatorKeys' && (!next.commands.operatorKeys || !cur.commands.operatorKeys))
      needsRestart.push(p);
    else if (LIVE_PREFIXES.some((l) => under(p, l))) applied.push(p);
    else if ((p === 'token.skew' || p === 'token.codeValidity') && tokenLive) applied.push(p);
    else needsRestart.push(p);
  }

  // Apply (nothing above has changed the running service).
  if (cur.log.level !== next.log.level) {
    t.setLogLevel(next.log.level);
    cur.log.level = next.log.level;
  }
  cur.fare = next.fare;
  if (tokenLive) {
    t.validator.params.skew = cur.token.skew = next.token.skew;
    t.validator.params.codeValidity = cur.token.codeValidity = next.token.codeValidity;
    if (t.jtt) t.jtt.params.skew = next.token.skew;
  }
  if (!t.signedListsActive) {
    t.validator.setTrustList(lists.trust!);
    t.validator.setDenyList(lists.deny ?? DenyList.EMPTY);
    t.jtt?.setDenyList(t.validator.denyList);
    cur.trust = next.trust;
    if (next.deny) cur.deny = next.deny;
    else delete cur.deny;
  }
  if (jttRoots) {
    t.jtt!.setRoots(jttRoots);
    cur.jtt = next.jtt;
  }
  cur.policy = next.policy;
  t.policyChanged();
  cur.commands = { ...next.commands, ...(keys ? {} : { operatorKeys: cur.commands.operatorKeys }) };
  if (!cur.commands.operatorKeys) delete cur.commands.operatorKeys;
  t.setOperatorKeys(keys);
  return {
    applied,
    needsRestart,
    lists: {
      source: t.signedListsActive ? 'signed' : 'files',
      trustKeys: t.validator.trustList.size,
      denyEntries: t.validator.denyList.size,
    },
  };
}
