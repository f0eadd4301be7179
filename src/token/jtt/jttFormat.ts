/**
 * The JT/T 1179 credential format (docs/spec/jtt1179-reading.md): the national transit QR code,
 * version 0x80, SM2 over SM3 with three signature links (root → issuer certificate → issuer
 * authorisation → the phone's signature). The checks of §4 in order; the first failure decides.
 *
 * Pure core: the clock comes in as `nowSec`, the roots and the deny list are swapped by reference.
 * A verified certificate + authorisation (code fields 3–15) is cached by a hash of its bytes, so a
 * rider's next codes cost one SM2 verify; a cache hit still runs every time, root-validity and deny
 * check, and verifies again when the root key object changed.
 */
import { createHash } from 'node:crypto';
import type { CredentialFormat } from '../credentialFormat.ts';
import { unrecognised } from '../credentialFormat.ts';
import { ignoredAsDuplicate, type Decision } from '../decision.ts';
import { DenyList } from '../denyList.ts';
import { Lru } from '../lru.ts';
import { DEFAULT_PARAMS, replayRetention, type ValidationParams } from '../params.ts';
import { MESSAGE_CLASS, REASONS, type Reason } from '../reasons.ts';
import { ReplayMemory, riderKey } from '../replayMemory.ts';
import {
  JttMalformedError,
  binaryPayload,
  certificateEnd,
  decodeJttText,
  keysOf,
  parseJttCode,
  profileOf,
  recognisesJttText,
  type JttCode,
} from './layout.ts';
import { JttRoots, type JttRoot } from './roots.ts';
import { compressedKey, verifySm2, type Sm2PublicKey } from './sm2.ts';
import { JTT_FORMAT } from './text.ts';

export { JTT_FORMAT } from './text.ts';

/** What a verified certificate + authorisation leaves for the rider's next codes. */
interface CachedCredential {
  readonly userKey: Sm2PublicKey;
  readonly rootIndex: number;
  readonly certEnd: number;
  readonly authExpiry: number;
  /** The root key object the root signature was verified with. */
  verifiedWith: JttRoot;
}

export interface JttFormatOptions {
  roots?: JttRoots;
  deny?: DenyList;
  /** skew, duplicateWindow, credentialCacheSize, replayCapacity are read (FG1's parameters). */
  params?: Partial<ValidationParams>;
  /** The replay memory to share with FG1 (§4 notes); a new one when absent. */
  replay?: ReplayMemory;
}

export interface JttStats {
  credentialCacheHits: number;
  credentialCacheMisses: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** The JT/T 1179 format: text frames (hex, base64) through the router, binary frames through {@link evaluateFrame}. */
export class JttFormat implements CredentialFormat {
  readonly id = JTT_FORMAT;
  readonly params: ValidationParams;
  readonly replay: ReplayMemory;
  readonly stats: JttStats = { credentialCacheHits: 0, credentialCacheMisses: 0 };
  private roots: JttRoots;
  private deny: DenyList;
  private readonly credentials: Lru<string, CachedCredential>;
  /** Issuer keys a root signature vouched for, with precomputed multiples (few issuers, many riders). */
  private readonly issuerKeys = new Lru<string, Sm2PublicKey>(256);

  constructor(opts: JttFormatOptions = {}) {
    this.params = { ...DEFAULT_PARAMS, ...opts.params };
    this.roots = opts.roots ?? JttRoots.EMPTY;
    this.deny = opts.deny ?? DenyList.EMPTY;
    this.credentials = new Lru(this.params.credentialCacheSize);
    this.replay =
      opts.replay ??
      new ReplayMemory(replayRetention(this.params), this.params.duplicateWindow, this.params.replayCapacity);
  }

  setRoots(roots: JttRoots): void {
    this.roots = roots;
  }
  setDenyList(deny: DenyList): void {
    this.deny = deny;
  }
  get rootKeys(): JttRoots {
    return this.roots;
  }

  /** §1 steps c–g: hex or base64 text whose first byte is ≥ 0x80. */
  recognises(text: string): boolean {
    return recognisesJttText(text);
  }

  /** A text frame (hex or base64), decided at `now`; changes no replay memory. */
  evaluate(text: string, now: number): Decision {
    const bytes = decodeJttText(text);
    if (bytes === undefined) return unrecognised(now, 'not a JT/T code');
    return this.evaluateBytes(bytes, now);
  }

  /**
   * A binary frame from a scanner in binary mode (§1.1; the AIM prefix already removed): one
   * terminator beyond 3 + D is dropped; a frame whose first byte is below 0x80 is not JT/T.
   */
  evaluateFrame(frame: Uint8Array, now: number): Decision {
    if (frame.length === 0 || frame[0]! < 0x80) return unrecognised(now, 'not a JT/T code');
    return this.evaluateBytes(binaryPayload(frame), now);
  }

  remember(d: Decision): void {
    if (d.decision !== 'accept' || d.codeId === undefined || d.subHex === undefined) return;
    this.replay.remember(d.codeId, riderKey(JTT_FORMAT, d.subHex), d.at);
  }

  decide(text: string, now: number): Decision {
    const d = this.evaluate(text, now);
    if (d.decision === 'accept') this.remember(d);
    return d;
  }

  /** The payload's bytes (§2–§4). */
  evaluateBytes(bytes: Uint8Array, now: number): Decision {
    // 1. §2.4 (rule 6, the points, is skipped on a cache hit: those bytes were valid points).
    let code: JttCode;
    let cacheKey: string;
    let cached: CachedCredential | undefined;
    let issuerKey: Sm2PublicKey | undefined;
    let userKey: Sm2PublicKey;
    try {
      code = parseJttCode(bytes);
      cacheKey = createHash('sha256').update(code.credentialBytes).digest('base64');
      cached = this.credentials.get(cacheKey);
      if (cached) {
        this.stats.credentialCacheHits++;
        userKey = cached.userKey;
      } else {
        this.stats.credentialCacheMisses++;
        issuerKey = this.issuerKeys.get(hex(code.issuerKeyBytes));
        if (issuerKey) {
          const user = compressedKey(code.userKeyBytes);
          if (!user) throw new JttMalformedError('user key is not a valid compressed point');
          userKey = user;
        } else {
          const keys = keysOf(code);
          issuerKey = keys.issuer;
          userKey = keys.user;
        }
      }
    } catch (e) {
      if (e instanceof JttMalformedError) {
        const d = this.outcome(now, 'malformed');
        d.detail = e.message;
        return d;
      }
      throw e;
    }
    const skew = this.params.skew;
    const d = this.outcome(now);
    d.codeId = createHash('sha256').update(code.userSigned).digest().subarray(0, 16).toString('hex');
    d.subHex = hex(code.userAccount);
    d.ctiHex = hex(code.paymentAccount);
    d.profile = profileOf(code.cardType);
    d.cap = code.cap;
    d.cardType = code.cardType;
    d.ts = code.ts;
    d.credentialCached = cached !== undefined;
    // 2. algorithms
    if (code.signatureAlg !== 0x04 || code.curveParam !== 0x00) return this.reject(d, 'unsupported_alg');
    // 3, 4. the root key and its window
    const root = this.roots.get(code.rootIndex);
    if (!root) return this.reject(d, 'unknown_key');
    if ((root.nbf !== undefined && now < root.nbf - skew) || (root.exp !== undefined && now > root.exp + skew))
      return this.reject(d, 'key_not_valid');
    if (cached?.verifiedWith !== root) {
      // 5. the root signature over the certificate
      if (!verifySm2(root.key, code.rootSigned, code.rootSignature)) return this.reject(d, 'bad_root_signature');
      // 6. before 7 as §4 orders them: the certificate's month
      if (now - skew > certificateEnd(code)) return this.reject(d, 'issuer_cert_expired');
      if (cached) cached.verifiedWith = root;
      else {
        const issuerHex = hex(code.issuerKeyBytes);
        let key = this.issuerKeys.get(issuerHex);
        if (!key) {
          key = compressedKey(code.issuerKeyBytes, { window: 4 })!;
          this.issuerKeys.set(issuerHex, key);
        }
        // 7. the issuer authorisation over fields 3–14
        if (!verifySm2(key, code.authSigned, code.authSignature)) return this.reject(d, 'bad_issuer_signature');
        cached = {
          userKey,
          rootIndex: code.rootIndex,
          certEnd: certificateEnd(code),
          authExpiry: code.authExpiry,
          verifiedWith: root,
        };
        this.credentials.set(cacheKey, cached);
      }
    } else if (now - skew > cached.certEnd) return this.reject(d, 'issuer_cert_expired');
    // 8. the authorisation's expiry
    if (now - skew > code.authExpiry) return this.reject(d, 'credential_expired');
    // 9. the phone's signature over fields 1–16
    if (!verifySm2(userKey, code.userSigned, code.userSignature)) return this.reject(d, 'bad_code_signature');
    // 10, 11. freshness; the validity is bounded by what the shared replay memory holds
    if (code.ts > now + skew) return this.reject(d, 'code_from_future');
    const validity = Math.min(code.validity, Math.max(0, this.replay.retention - 2 * skew));
    if (now > code.ts + validity + skew) return this.reject(d, 'code_expired');
    // 12. deny list (sub = user account, cti = payment account)
    if (this.deny.denies(d.subHex, d.ctiHex)) return this.reject(d, 'denied');
    // 13, 14. duplicate, replay
    const recall = this.replay.recall(d.codeId, riderKey(JTT_FORMAT, d.subHex), now);
    if (recall === 'duplicate') return ignoredAsDuplicate(d);
    if (recall === 'replay') return this.reject(d, 'replay');
    return d;
  }

  private outcome(at: number, reason?: Reason): Decision {
    const d: Decision = { decision: 'accept', reasonNumber: 0, message: 'go', at, format: JTT_FORMAT };
    return reason ? this.reject(d, reason) : d;
  }

  private reject(d: Decision, reason: Reason): Decision {
    d.decision = 'reject';
    d.reason = reason;
    d.reasonNumber = REASONS[reason];
    d.message = MESSAGE_CLASS[reason];
    return d;
  }
}
