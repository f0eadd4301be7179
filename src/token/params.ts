/** Device parameters of the validation contract (qr-token-v1 §4), with the spec's defaults. */
import type { ServiceMode } from '../domain/vocabulary.ts';

/** The service mode (src/domain/vocabulary.ts); the name is kept for the token layer's callers. */
export type Mode = ServiceMode;
/** The credential's `modes` bit of each service mode (check 15). */
export const MODE_BITS: Record<ServiceMode, number> = { bus: 1, metro: 2 };

export interface ValidationParams {
  /** Clock tolerance, seconds. */
  skew: number;
  /** Validity of a ride code where its credential has no `cv` claim, seconds. */
  codeValidity: number;
  /** Window in which a second read of the same code or rider is ignored, seconds. */
  duplicateWindow: number;
  mode: ServiceMode;
  /** Verified credentials kept to skip a second signature check. */
  credentialCacheSize: number;
  /** Imported rider keys kept (a renewed credential usually carries the same phone key). */
  riderKeyCacheSize: number;
  /** Accepted codes remembered for replay detection (bound on memory). */
  replayCapacity: number;
}

/** The largest `cv` a credential may carry (claim -70004). */
export const MAX_CODE_VALIDITY = 3600;

export const DEFAULT_PARAMS: ValidationParams = {
  skew: 30,
  codeValidity: 60,
  duplicateWindow: 3,
  mode: 'bus',
  credentialCacheSize: 10_000,
  riderKeyCacheSize: 10_000,
  replayCapacity: 500_000,
};

/**
 * How long an accepted codeId must be held so a replay is caught by check 17 or is already
 * expired by check 13: max validity + 2 × skew, where max validity covers both the device
 * default and the largest `cv` a credential can carry.
 */
export function replayRetention(p: Pick<ValidationParams, 'skew' | 'codeValidity'>): number {
  return Math.max(p.codeValidity, MAX_CODE_VALIDITY) + 2 * p.skew;
}
