/**
 * Accounts (sub) and credentials (cti) that must not ride. Hex compared without regard to case.
 * Two implementations: {@link SetDenyList} (files, tests) and the compact hashed list built from
 * signed deny lists (src/lists/signedListDeny.ts). Replace the whole object to change it.
 */
export interface DenyList {
  /** Both arguments lower-case hex. Hot path: no I/O, no allocation on a miss. */
  denies(subHex: string, ctiHex: string): boolean;
  /** Entries held (sub + cti). */
  readonly size: number;
}

/** Deny list over two Sets of lower-case hex. */
export class SetDenyList implements DenyList {
  private readonly subs: ReadonlySet<string>;
  private readonly ctis: ReadonlySet<string>;
  constructor(subs: Iterable<string> = [], ctis: Iterable<string> = []) {
    this.subs = new Set([...subs].map((s) => s.toLowerCase()));
    this.ctis = new Set([...ctis].map((s) => s.toLowerCase()));
  }
  /** Both arguments lower-case hex. */
  denies(subHex: string, ctiHex: string): boolean {
    // Size checks first: an empty Set still hashes the string on has().
    return (this.subs.size > 0 && this.subs.has(subHex)) || (this.ctis.size > 0 && this.ctis.has(ctiHex));
  }
  get size(): number {
    return this.subs.size + this.ctis.size;
  }
  static readonly EMPTY: DenyList = new SetDenyList();
}

/** `new DenyList(subs, ctis)` and `DenyList.EMPTY` keep working: they build a {@link SetDenyList}. */
export const DenyList: { new (subs?: Iterable<string>, ctis?: Iterable<string>): DenyList; readonly EMPTY: DenyList } =
  SetDenyList;
