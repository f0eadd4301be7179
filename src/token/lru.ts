/**
 * A bounded least-recently-used map. A hit moves the entry to the young end.
 *
 * A Map of nodes on a doubly linked list: a hit is one Map lookup and a few pointer moves.
 * (Re-inserting into the Map on every hit, the short way to keep Map order as LRU order,
 * leaves a deleted slot per hit that V8 must later skip and rehash: 20× a plain lookup.)
 */
interface Node<K, V> {
  key: K;
  value: V;
  /** Toward the oldest end. */
  older: Node<K, V> | undefined;
  /** Toward the youngest end. */
  younger: Node<K, V> | undefined;
}

export class Lru<K, V> {
  private readonly map = new Map<K, Node<K, V>>();
  private oldest: Node<K, V> | undefined;
  private youngest: Node<K, V> | undefined;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('capacity must be a whole number ≥ 0');
  }
  get size(): number {
    return this.map.size;
  }
  get(key: K): V | undefined {
    const n = this.map.get(key);
    if (n === undefined) return undefined;
    if (n !== this.youngest) {
      this.unlink(n);
      this.append(n);
    }
    return n.value;
  }
  set(key: K, value: V): void {
    if (this.capacity === 0) return;
    const n = this.map.get(key);
    if (n !== undefined) {
      n.value = value;
      if (n !== this.youngest) {
        this.unlink(n);
        this.append(n);
      }
      return;
    }
    const node: Node<K, V> = { key, value, older: undefined, younger: undefined };
    this.map.set(key, node);
    this.append(node);
    if (this.map.size > this.capacity) {
      const old = this.oldest!;
      this.unlink(old);
      this.map.delete(old.key);
    }
  }
  delete(key: K): void {
    const n = this.map.get(key);
    if (n === undefined) return;
    this.unlink(n);
    this.map.delete(key);
  }
  clear(): void {
    this.map.clear();
    this.oldest = this.youngest = undefined;
  }
  /** Keys from the oldest to the youngest (for tests and inspection). */
  *keys(): IterableIterator<K> {
    for (let n = this.oldest; n; n = n.younger) yield n.key;
  }

  private unlink(n: Node<K, V>): void {
    if (n.older) n.older.younger = n.younger;
    else this.oldest = n.younger;
    if (n.younger) n.younger.older = n.older;
    else this.youngest = n.older;
    n.older = n.younger = undefined;
  }
  private append(n: Node<K, V>): void {
    n.older = this.youngest;
    if (this.youngest) this.youngest.younger = n;
    else this.oldest = n;
    this.youngest = n;
  }
}
