/**
 * The age of the lists in force: a list older than `lists.maxAgeSeconds[type]` (or with no known
 * issue time) is stale. While one is, the `lists_stale` alarm is active (raised through the one
 * alarm path, again when the set of stale lists changes; cleared by a fresh list), and the stale
 * policy applies to taps: `accept_and_flag` flags accepted taps `stale_lists`, `reject` turns
 * accepted codes away with `lists_stale`.
 */
import type { ListsConfig } from '../config/schema.ts';
import type { ListType } from '../lists/signedList.ts';
import type { AlarmSink } from './alarms.ts';

export const FLAG_STALE_LISTS = 'stale_lists';
export const ALARM_LISTS_STALE = 'lists_stale';

export class ListAge {
  constructor(
    private readonly cfg: Pick<ListsConfig, 'maxAgeSeconds' | 'stalePolicy'>,
    /** The issue time (Unix s) of the list of a type in force; null = unknown. */
    private readonly issuedAt: (t: ListType) => number | null,
    private readonly alarms: AlarmSink,
  ) {}

  isStale(t: ListType, nowSec: number): boolean {
    const issued = this.issuedAt(t);
    return issued === null || nowSec - issued > this.cfg.maxAgeSeconds[t];
  }

  ageSec(t: ListType, nowSec: number): number | null {
    const issued = this.issuedAt(t);
    return issued === null ? null : Math.max(0, Math.round(nowSec - issued));
  }

  staleLists(nowSec: number): ListType[] {
    return (['trust', 'deny'] as const).filter((t) => this.isStale(t, nowSec));
  }

  /** Flags for an accepted tap (accept_and_flag policy): ["stale_lists"] while a list is stale. */
  tapFlags(nowSec: number): string[] | undefined {
    if (this.cfg.stalePolicy !== 'accept_and_flag') return undefined;
    return this.staleLists(nowSec).length ? [FLAG_STALE_LISTS] : undefined;
  }

  /** Under the reject policy, 'lists_stale' while a list is stale: accepted codes are turned away. */
  refusal(nowSec: number): 'lists_stale' | undefined {
    if (this.cfg.stalePolicy !== 'reject') return undefined;
    return this.staleLists(nowSec).length ? 'lists_stale' : undefined;
  }

  /** Raises, re-raises (other lists) or clears the `lists_stale` alarm. */
  check(nowSec: number): void {
    const stale = this.staleLists(nowSec);
    if (!stale.length) {
      this.alarms.clear(ALARM_LISTS_STALE);
      return;
    }
    const ageSec = Object.fromEntries(stale.map((t) => [t, this.ageSec(t, nowSec)]));
    const maxAgeSec = Object.fromEntries(stale.map((t) => [t, this.cfg.maxAgeSeconds[t]]));
    const fields = { lists: stale, ageSec, maxAgeSec, policy: this.cfg.stalePolicy };
    this.alarms.raise(ALARM_LISTS_STALE, fields, stale.join());
  }

  /** Active alarms of the lists. */
  get alarmNames(): string[] {
    return this.alarms.isActive(ALARM_LISTS_STALE) ? [ALARM_LISTS_STALE] : [];
  }
}
