/** What the status (retained, `/healthz`, the `status` command) says of the signed lists. */
import type { ListsConfig } from '../config/schema.ts';
import type { ListType } from '../lists/signedList.ts';
import type { RideCodeValidator } from '../token/validator.ts';
import type { ListAge } from './listAge.ts';
import type { HeldState, Refusal } from './listApplier.ts';

export interface ListState {
  /** 0 = bootstrap list from the settings' file. */
  version: number;
  source: 'file' | 'signed';
  /** Unix s: the signed list's issuedAt, or the bootstrap file's mtime; null = none. */
  issuedAt: number | null;
  ageSec: number | null;
  stale: boolean;
  maxAgeSec: number;
  entries: number;
  kid?: string;
  appliedAt?: number;
  /** A delta arrived whose base is not held: the next snapshot is awaited. */
  waitingForSnapshot: boolean;
  applied: number;
  refused: number;
  /** Of `refused`: over `lists.maxBytes` (never parsed). */
  oversized: number;
  /** Dropped unverified because a newer document of the type arrived while they waited. */
  superseded: number;
  lastRefused?: Refusal;
}

export interface ListsStatus {
  trust: ListState;
  deny: ListState;
  stalePolicy: ListsConfig['stalePolicy'];
}

export function listStatus(
  held: Record<ListType, HeldState>,
  age: ListAge,
  cfg: Pick<ListsConfig, 'maxAgeSeconds' | 'stalePolicy'>,
  validator: RideCodeValidator,
  nowSec: number,
): ListsStatus {
  const one = (t: ListType): ListState => {
    const s = held[t];
    return {
      version: s.version,
      source: s.version === 0 ? 'file' : 'signed',
      issuedAt: s.issuedAt,
      ageSec: age.ageSec(t, nowSec),
      stale: age.isStale(t, nowSec),
      maxAgeSec: cfg.maxAgeSeconds[t],
      entries: t === 'trust' ? validator.trustList.size : validator.denyList.size,
      ...(s.kid !== undefined ? { kid: s.kid } : {}),
      ...(s.appliedAt !== undefined ? { appliedAt: s.appliedAt } : {}),
      waitingForSnapshot: s.waitingForSnapshot,
      applied: s.applied,
      refused: s.refused,
      oversized: s.oversized,
      superseded: s.superseded,
      ...(s.lastRefused ? { lastRefused: s.lastRefused } : {}),
    };
  };
  return { trust: one('trust'), deny: one('deny'), stalePolicy: cfg.stalePolicy };
}
