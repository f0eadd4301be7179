import type { KeyObject } from 'node:crypto';
import { FaregateError } from '../errors/faregateError.ts';
import type { SupportedAlg } from './cose.ts';

/** An issuer key the validator trusts to sign rider credentials (level 1). */
export interface TrustKey {
  /** COSE kid bytes, as hex (lookup key). */
  kidHex: string;
  alg: SupportedAlg;
  key: KeyObject;
  /** Own validity window of the key, Unix seconds, where given. */
  nbf?: number;
  exp?: number;
}

/** Immutable set of issuer keys, looked up by kid. Replace the whole list to change it. */
export class TrustList {
  private readonly byKid: ReadonlyMap<string, TrustKey>;
  constructor(keys: readonly TrustKey[]) {
    const m = new Map<string, TrustKey>();
    for (const k of keys) {
      if (m.has(k.kidHex)) throw new FaregateError('KEY_SET_INVALID', `repeated kid ${k.kidHex}`);
      m.set(k.kidHex, k);
    }
    this.byKid = m;
  }
  get(kidHex: string): TrustKey | undefined {
    return this.byKid.get(kidHex);
  }
  get size(): number {
    return this.byKid.size;
  }
  keys(): IterableIterator<TrustKey> {
    return this.byKid.values();
  }
  static readonly EMPTY = new TrustList([]);
}
