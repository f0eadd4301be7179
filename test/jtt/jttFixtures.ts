/** Keys, roots and a format for the JT/T tests, built with the independent minter (test/jtt/contractMinter.ts). */
import { JttFormat, type JttFormatOptions } from '../../src/token/jtt/jttFormat.ts';
import { jttRootsFromJson, type JttRoots } from '../../src/token/jtt/roots.ts';
import { labelKey, mint, type CodeFields, type Signers } from './contractMinter.ts';

export const ROOT = labelKey('test jtt root 23');
export const OTHER_ROOT = labelKey('test jtt another root');
export const ISSUER = labelKey('test jtt issuer');
export const FORGER = labelKey('test jtt forger');
export const RIDER = labelKey('test jtt rider 1');
export const RIDER2 = labelKey('test jtt rider 2');
export const KEYS: Signers = { root: ROOT, issuer: ISSUER, user: RIDER };

/** A clock inside every default window: the default code is made 10 s before it. */
export const NOW = 1767225610;

export function rootsFile(extra: Record<string, unknown> = {}, key = ROOT.compressed.toString('hex')): unknown {
  return { roots: [{ index: 23, key, ...extra }] };
}
export function roots(extra: Record<string, unknown> = {}): JttRoots {
  return jttRootsFromJson(rootsFile(extra));
}

export function format(opts: JttFormatOptions = {}): JttFormat {
  return new JttFormat({ roots: roots(), ...opts });
}

/** A code of RIDER (or `keys`), made at NOW − 10 unless the fields say otherwise. */
export function code(
  fields: Partial<CodeFields> = {},
  keys: Partial<Signers> = {},
  signers: Partial<Signers> = {},
): Buffer {
  return mint({ ts: NOW - 10, ...fields }, { ...KEYS, ...keys }, signers);
}
