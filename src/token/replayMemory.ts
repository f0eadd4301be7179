/**
 * What this device accepted recently (qr-token-v1 §4, checks 16 and 17): accepted codeIds for
 * replay detection, and the last acceptance time of each rider (sub) for the duplicate window.
 * Bounded in time (retention) and in size (capacity). Only accepted codes enter it.
 *
 * Lookups are two Maps; expiry walks a queue of acceptances in the order they were remembered,
 * from its old end, so pruning costs O(1) per acceptance. (Deleting from the front of a Map and
 * iterating it from the start, the short way, skips every deleted slot still in the table:
 * several µs per acceptance once thousands are held.) Each Map slot points at the acceptance
 * that last wrote it, and only that acceptance, when it leaves the queue, removes the slot.
 */

export type Recall = 'duplicate' | 'replay' | undefined;

/**
 * The key of a rider in the duplicate window. The memory is shared by the formats, but `sub`
 * values are compared within one format only (jtt1179-reading §4): an FG1 sub that happens to
 * equal a JT/T user account is another rider. FG1's key is its sub hex (as in taps and group
 * announcements written before JT/T); another format's is `<format>:<sub hex>`.
 */
export function riderKey(format: string | null | undefined, subHex: string): string {
  return format === undefined || format === null || format === 'fg1' ? subHex : `${format}:${subHex}`;
}

export interface AcceptedCode {
  codeId: string;
  subHex: string;
  /** Acceptance time, Unix seconds. */
  at: number;
}

interface Held extends AcceptedCode {
  /** The rider's latest acceptance time as of this one (the later of the two if the clock went back). */
  subAt: number;
  /** Accepted by another gate of the group and merged here (src/fleet/replayShare.ts). */
  merged?: true;
}

export class ReplayMemory {
  private readonly codes = new Map<string, Held>();
  private readonly subs = new Map<string, Held>();
  /** Acceptances in the order remembered; `head` is the oldest not yet pruned. */
  private queue: Held[] = [];
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

  /**
   * Check 16, then check 17. A code another gate of the group accepted (`merge`) is a `replay`
   * at once, within the duplicate window too: here it is a second person (a screenshot), not the
   * scanner reading the same phone again. Its rider's time counts for the window as a local one.
   */
  recall(codeId: string, subHex: string, now: number): Recall {
    const dw = this.duplicateWindow;
    const held = this.codes.get(codeId);
    if (held?.merged) return 'replay';
    const t = held?.at;
    if (t !== undefined && now - t < dw) return 'duplicate';
    const s = this.subs.get(subHex)?.subAt;
    if (s !== undefined && now - s < dw) return 'duplicate';
    if (t !== undefined) return 'replay';
    return undefined;
  }

  remember(codeId: string, subHex: string, at: number): void {
    this.hold(codeId, subHex, at, false);
  }

  /**
   * Enters a code another gate of the group accepted at `at` (Unix seconds), as heard over the
   * broker. False when the code is held already (accepted here, or heard before): that entry
   * stays. Pruned like any other: a late one (a partition healed) is held for what is left of
   * its retention.
   */
  merge(codeId: string, subHex: string, at: number): boolean {
    if (this.codes.has(codeId)) return false;
    this.hold(codeId, subHex, at, true);
    return true;
  }

  private hold(codeId: string, subHex: string, at: number, merged: boolean): void {
    const prev = this.subs.get(subHex);
    const e: Held = { codeId, subHex, at, subAt: prev === undefined ? at : Math.max(prev.subAt, at) };
    if (merged) e.merged = true;
    this.codes.set(codeId, e);
    this.subs.set(subHex, e);
    this.queue.push(e);
    this.prune(at);
  }

  /**
   * Drops what is older than the retention, and the oldest acceptances beyond the capacity,
   * walking the queue in the order remembered. An acceptance expires when the rider's latest
   * time as of it does, so after a clock step back a rider is still found within the window
   * (now − t < duplicateWindow), and its codes are held that much longer, never shorter.
   */
  prune(now: number): void {
    const limit = now - this.retention;
    const q = this.queue;
    let h = this.head;
    while (h < q.length) {
      const e = q[h]!;
      const expired = e.subAt < limit; // subAt ≥ at: the rider's time keeps its code too
      if (!expired && this.codes.size <= this.capacity && q.length - h <= 2 * this.capacity) break;
      if (this.codes.get(e.codeId) === e) {
        if (!expired) this.forcedEvictions++;
        this.codes.delete(e.codeId);
      }
      if (this.subs.get(e.subHex) === e) this.subs.delete(e.subHex);
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
    for (const [id, e] of this.codes) yield [id, e.at];
  }
}
