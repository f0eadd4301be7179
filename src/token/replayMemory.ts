/**
 * What this device accepted recently (qr-token-v1 §4, checks 16 and 17): accepted codeIds for
 * replay detection, and the last acceptance time of each rider (sub) for the duplicate window.
 * Bounded in time (retention) and in size (capacity). Only accepted codes enter it.
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
    this.codes.delete(codeId);
    this.codes.set(codeId, at);
    const prev = this.subs.get(subHex);
    this.subs.delete(subHex);
    this.subs.set(subHex, prev === undefined ? at : Math.max(prev, at));
    this.prune(at);
  }

  /** Drops what is older than the retention. */
  prune(now: number): void {
    const codeLimit = now - this.retention;
    for (const [id, t] of this.codes) {
      if (t >= codeLimit && this.codes.size <= this.capacity) break;
      if (t >= codeLimit) this.forcedEvictions++;
      this.codes.delete(id);
    }
    // Riders are held as long as codes: with a clock that went back, an old acceptance is
    // still "within the window" (now − t < duplicateWindow), and must still be found.
    for (const [sub, t] of this.subs) {
      if (t >= codeLimit && this.subs.size <= this.capacity) break;
      this.subs.delete(sub);
    }
  }

  /** Accepted codes still held, oldest first (for persistence and inspection). */
  *entries(): IterableIterator<[codeId: string, at: number]> {
    yield* this.codes;
  }
}
