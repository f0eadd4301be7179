/**
 * What this device accepted recently (qr-token-v1 §4, checks 16 and 17): accepted codeIds for
 * replay detection, and the last acceptance time of each rider (sub) for the duplicate window.
 * Bounded in time (retention) and in size (capacity). Only accepted codes enter it.
 *
 * Lookups are two Maps; expiry walks a queue of acceptances in the order they were remembered,
 * from its old end, so pruning costs O(1) per acceptance. (Deleting from the front of a Map and
 * iterating it from the start, the short way, skips every deleted slot still in the table:
 * several µs per acceptance once thousands are held.)
 */

export type Recall = 'duplicate' | 'replay' | undefined;

export interface AcceptedCode {
  codeId: string;
  subHex: string;
  /** Acceptance time, Unix seconds. */
  at: number;
}

export class ReplayMemory {
  private readonly codes = new Map<string, number>();
  private readonly subs = new Map<string, number>();
  /** Acceptances in the order remembered; `head` is the oldest not yet pruned. */
  private queue: AcceptedCode[] = [];
  private head = 0;
  /** Entries dropped for capacity before their retention ran out (a replay could then pass). */
  forcedEvictions = 0;

  constructor(
    /** Seconds an accepted codeId is held at least. */
    readonly retention: number,
    readonly duplicateWindow: number,
    readonly capacity: number,
  ) {}

  get size(): number {
    return this.codes.size;
  }

  /** Check 16, then check 17. */
  recall(codeId: string, subHex: string, now: number): Recall {
    const dw = this.duplicateWindow;
    const t = this.codes.get(codeId);
    if (t !== undefined && now - t < dw) return 'duplicate';
    const s = this.subs.get(subHex);
    if (s !== undefined && now - s < dw) return 'duplicate';
    if (t !== undefined) return 'replay';
    return undefined;
  }

  remember(codeId: string, subHex: string, at: number): void {
    this.codes.set(codeId, at);
    const prev = this.subs.get(subHex);
    this.subs.set(subHex, prev === undefined ? at : Math.max(prev, at));
    this.queue.push({ codeId, subHex, at });
    this.prune(at);
  }

  /**
   * Drops what is older than the retention, and the oldest acceptances beyond the capacity.
   * Queue entries are walked in the order remembered; one superseded by a later acceptance of
   * the same codeId or rider (the Map holds another time) removes nothing. Riders are held as
   * long as their codes: with a clock that went back, an old acceptance is still "within the
   * window" (now − t < duplicateWindow), and must still be found.
   */
  prune(now: number): void {
    const limit = now - this.retention;
    const q = this.queue;
    let h = this.head;
    while (h < q.length) {
      const e = q[h]!;
      const expired = e.at < limit;
      if (!expired && this.codes.size <= this.capacity && q.length - h <= 2 * this.capacity) break;
      if (this.codes.get(e.codeId) === e.at) {
        if (!expired) this.forcedEvictions++;
        this.codes.delete(e.codeId);
      }
      if (this.subs.get(e.subHex) === e.at) this.subs.delete(e.subHex);
      h++;
    }
    // Drop the walked prefix now and then: amortised O(1), and the array never holds more
    // than twice what is live.
    if (h > 1024 && h * 2 > q.length) {
      this.queue = q.slice(h);
      h = 0;
    }
    this.head = h;
  }

  /** Accepted codes still held, in the order first remembered (for persistence and inspection). */
  *entries(): IterableIterator<[codeId: string, at: number]> {
    yield* this.codes;
  }
}
