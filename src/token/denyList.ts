/** Accounts (sub) and credentials (cti) that must not ride. Hex compared without regard to case. */
export class DenyList {
  private readonly subs: ReadonlySet<string>;
  private readonly ctis: ReadonlySet<string>;
  constructor(subs: Iterable<string> = [], ctis: Iterable<string> = []) {
    this.subs = new Set([...subs].map((s) => s.toLowerCase()));
    this.ctis = new Set([...ctis].map((s) => s.toLowerCase()));
  }
  /** Both arguments lower-case hex. */
  denies(subHex: string, ctiHex: string): boolean {
    return this.subs.has(subHex) || this.ctis.has(ctiHex);
  }
  get size(): number {
    return this.subs.size + this.ctis.size;
  }
  static readonly EMPTY = new DenyList();
}
