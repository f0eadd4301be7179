/**
 * The ride-code validator: qr-token-v1 §4, all checks in order, first failure decides.
 *
 * Pure core: the clock is injected, lists are swapped by reference, no I/O. A verified
 * credential (level 1) is cached by a hash of its bytes, so a rider's repeated codes cost one
 * signature check; a cache hit still runs every check that depends on time, the trust list
 * or the deny list (2–5, 7, 8, 14, 15), and re-verifies if the trusted key object changed.
 */
import { Base45Error } from './base45.ts';
import { CborError } from './cbor.ts';
import { ALG_EDDSA, ALG_ES256, CoseError, verifySignature, type SupportedAlg } from './cose.ts';
import { importCoseKey, type CoseKeyMaterial, type RiderKey } from './coseKey.ts';
import { DenyList } from './denyList.ts';
import { Lru } from './lru.ts';
import { DEFAULT_PARAMS, MODE_BITS, replayRetention, type ValidationParams } from './params.ts';
import { MESSAGE_CLASS, REASONS, type DecisionKind, type Reason } from './reasons.ts';
import { ReplayMemory, riderKey } from './replayMemory.ts';
import {
  FG1_PREFIX,
  MalformedError,
  credentialHash,
  parseCredential,
  parseRideCodeText,
  type AlgValue,
  type Credential,
  type CredentialIds,
  type Level2Result,
} from './rideCode.ts';
import { TrustList, type TrustKey } from './trustList.ts';
import { ignoredAsDuplicate, systemClock, type Clock, type Decision } from './decision.ts';
import type { CredentialFormat } from './credentialFormat.ts';

export { systemClock, type Clock, type Decision } from './decision.ts';

interface CachedCredential {
  cred: Credential;
  /** The trust-list key object the issuer signature was verified with. */
  verifiedWith: TrustKey;
}

export interface ValidatorOptions {
  trust?: TrustList;
  deny?: DenyList;
  params?: Partial<ValidationParams>;
  clock?: Clock;
}

export interface ValidatorStats {
  credentialCacheHits: number;
  credentialCacheMisses: number;
}

/**
 * A credential fit to be kept: its byte fields are parsed as views into pooled scratch buffers
 * (Buffer.allocUnsafe), which a long-lived view would pin whole; the cache keeps own copies.
 */
function compact(cred: Credential): Credential {
  const n = cred.toBeSigned.length;
  const own = new Uint8Array(n + cred.signature.length); // one ArrayBuffer for both
  own.set(cred.toBeSigned, 0);
  own.set(cred.signature, n);
  return { ...cred, toBeSigned: own.subarray(0, n), signature: own.subarray(n) };
}

/** The format id FG1 decisions carry. */
export const FG1_FORMAT = 'fg1';

function isSupported(alg: AlgValue): alg is SupportedAlg {
  return alg === ALG_EDDSA || alg === ALG_ES256;
}

/** The FG1 credential format (qr-token-v1): the first implementation of {@link CredentialFormat}. */
export class RideCodeValidator implements CredentialFormat {
  readonly id = FG1_FORMAT;
  readonly params: ValidationParams;
  private trust: TrustList;
  private deny: DenyList;
  private readonly clock: Clock;
  private readonly credentials: Lru<string, CachedCredential>;
  private readonly riderKeys: Lru<string, RiderKey>;
  readonly replay: ReplayMemory;
  readonly stats: ValidatorStats = { credentialCacheHits: 0, credentialCacheMisses: 0 };
  /** A rider key enters the cache only once an issuer signature vouched for it (check 6). */
  private readonly importKey = (k: CoseKeyMaterial): RiderKey => this.riderKeys.get(k.id) ?? importCoseKey(k);

  constructor(opts: ValidatorOptions = {}) {
    this.params = { ...DEFAULT_PARAMS, ...opts.params };
    this.trust = opts.trust ?? TrustList.EMPTY;
    this.deny = opts.deny ?? DenyList.EMPTY;
    this.clock = opts.clock ?? systemClock;
    this.credentials = new Lru(this.params.credentialCacheSize);
    this.riderKeys = new Lru(this.params.riderKeyCacheSize);
    this.replay = new ReplayMemory(
      replayRetention(this.params),
      this.params.duplicateWindow,
      this.params.replayCapacity,
    );
  }

  setTrustList(trust: TrustList): void {
    this.trust = trust;
  }
  setDenyList(deny: DenyList): void {
    this.deny = deny;
  }
  get trustList(): TrustList {
    return this.trust;
  }
  get denyList(): DenyList {
    return this.deny;
  }

  /** Decides and, on accept, remembers the code (checks 16/17 for later codes). */
  decide(text: string, nowSec: number = this.clock.now() / 1000): Decision {
    const d = this.evaluate(text, nowSec);
    if (d.decision === 'accept') this.remember(d);
    return d;
  }

  /** Enters an accepted decision into the replay memory (for callers that commit first). */
  remember(d: Decision): void {
    if (d.decision !== 'accept' || d.codeId === undefined || d.subHex === undefined) return;
    this.replay.remember(d.codeId, riderKey(FG1_FORMAT, d.subHex), d.at);
  }

  /** An FG1 frame: `FG1:` then base45 (qr-token-v1 §1). */
  recognises(text: string): boolean {
    return text.startsWith(FG1_PREFIX);
  }

  /** Decides without changing the replay memory. */
  evaluate(text: string, now: number = this.clock.now() / 1000): Decision {
    const p = this.params;
    const l2: Level2Result = {};
    const ids: CredentialIds = {};
    let cached: CachedCredential | undefined;
    let cred: Credential;
    let cacheKey: string;
    // Check 1: everything structural, both levels.
    try {
      const body = parseRideCodeText(text, l2);
      cacheKey = credentialHash(body.credentialBytes);
      cached = this.credentials.get(cacheKey);
      if (cached) {
        cred = cached.cred;
        this.stats.credentialCacheHits++;
      } else {
        this.stats.credentialCacheMisses++;
        cred = parseCredential(body.credentialBytes, this.importKey, ids);
      }
    } catch (e) {
      if (e instanceof MalformedError || e instanceof CborError || e instanceof CoseError || e instanceof Base45Error) {
        const d = this.outcome('reject', 'malformed', now);
        if (l2.codeId !== undefined) d.codeId = l2.codeId;
        if (ids.subHex !== undefined) {
          d.subHex = ids.subHex;
          d.ctiHex = ids.ctiHex;
          d.profile = ids.profile;
        }
        d.detail = e.message;
        return d;
      }
      throw e;
    }
    const body = l2.body!;
    const d = this.outcome('accept', undefined, now);
    d.codeId = body.codeId;
    d.subHex = cred.subHex;
    d.ctiHex = cred.ctiHex;
    d.profile = cred.profile;
    if (cred.cap !== undefined) d.cap = cred.cap;
    if (cred.modes !== undefined) d.modes = cred.modes;
    d.ts = body.ts;
    d.seq = body.seq;
    d.kidHex = cred.kidHex;
    d.credentialCached = cached !== undefined;

    const skew = p.skew;
    // 2. level-1 alg
    if (!isSupported(cred.alg)) return this.reject(d, 'unsupported_alg');
    // 3. kid in trust list
    const tk = this.trust.get(cred.kidHex);
    if (!tk) return this.reject(d, 'unknown_key');
    // 4. alg equals the key's alg
    if (tk.alg !== cred.alg) return this.reject(d, 'alg_mismatch');
    // 5. key validity window
    if ((tk.nbf !== undefined && now < tk.nbf - skew) || (tk.exp !== undefined && now > tk.exp + skew))
      return this.reject(d, 'key_not_valid');
    // 6. issuer signature (skipped only when this exact key object verified these bytes)
    if (cached?.verifiedWith !== tk) {
      if (!verifySignature(tk.alg, tk.key, cred.toBeSigned, cred.signature))
        return this.reject(d, 'bad_issuer_signature');
      if (cached) cached.verifiedWith = tk;
      else {
        this.credentials.set(cacheKey, { cred: compact(cred), verifiedWith: tk });
        // Forged credentials cost an import each (check 1 comes first) but never evict real riders' keys.
        this.riderKeys.set(cred.riderKeyId, cred.riderKey);
      }
    }
    // 7, 8. credential validity
    if (cred.nbf !== undefined && cred.nbf > now + skew) return this.reject(d, 'credential_not_yet_valid');
    if (now - skew > cred.exp) return this.reject(d, 'credential_expired');
    // 9. level-2 alg
    if (!isSupported(body.alg)) return this.reject(d, 'unsupported_alg');
    // 10. level-2 alg matches the cnf key type
    if (body.alg !== cred.riderKey.alg) return this.reject(d, 'alg_mismatch');
    // 11. code signature with the rider key
    if (!verifySignature(body.alg, cred.riderKey.key, body.toBeSigned, body.signature))
      return this.reject(d, 'bad_code_signature');
    // 12, 13. code freshness
    if (body.ts > now + skew) return this.reject(d, 'code_from_future');
    if (now > body.ts + (cred.cv ?? p.codeValidity) + skew) return this.reject(d, 'code_expired');
    // 14. deny list
    if (this.deny.denies(cred.subHex, cred.ctiHex)) return this.reject(d, 'denied');
    // 15. mode
    if (cred.modes !== undefined && (cred.modes & MODE_BITS[p.mode]) === 0) return this.reject(d, 'mode_not_allowed');
    // 16, 17. duplicate, replay
    const recall = this.replay.recall(body.codeId, riderKey(FG1_FORMAT, cred.subHex), now);
    if (recall === 'duplicate') return ignoredAsDuplicate(d);
    if (recall === 'replay') return this.reject(d, 'replay');
    return d;
  }

  private outcome(decision: DecisionKind, reason: Reason | undefined, at: number): Decision {
    const d: Decision = { decision, reasonNumber: 0, message: 'go', at, format: FG1_FORMAT };
    if (reason) {
      d.reason = reason;
      d.reasonNumber = REASONS[reason];
      d.message = MESSAGE_CLASS[reason];
    }
    return d;
  }

  private reject(d: Decision, reason: Reason): Decision {
    d.decision = 'reject';
    d.reason = reason;
    d.reasonNumber = REASONS[reason];
    d.message = MESSAGE_CLASS[reason];
    return d;
  }
}
