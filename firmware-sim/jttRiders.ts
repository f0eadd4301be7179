/**
 * JT/T 1179 riders for the simulator (docs/spec/jtt1179-reading.md): test roots, issuer
 * certificates and riders' codes, minted with src/mint/jttMint.ts (the tooling the service's own
 * tests use, not the tests' independent minter). Every key is TEST-ONLY material derived from the
 * seed, so `--seed` reproduces the riders and the root-key file (§5) the service loads; the
 * signatures themselves use random nonces (so codeIds differ between runs, like `ts`).
 *
 * What the simulator can make a JT/T code say, and what §4 then decides:
 * - valid: root 0x17 → issuer → authorisation → the rider's phone key: accept. A rider's codes
 *   share one certificate and authorisation (as a phone's do): only `ts` and the phone's
 *   signature change, so the validator's certificate + authorisation cache is used;
 * - expired: the code's `ts` hours ago (`code_expired`), an issuer certificate whose month is over
 *   (`issuer_cert_expired`), an authorisation past its expiry (`credential_expired`);
 * - forged at each link: a certificate signed by a key that is not root 0x17 (`bad_root_signature`),
 *   an authorisation that does not cover the fields (the per-ride limit raised after signing:
 *   `bad_issuer_signature`), a phone signature by a key the authorisation does not name
 *   (`bad_code_signature`), a certificate under a root index the file does not hold (`unknown_key`);
 * - denied: a rider whose user account (`sub`) or payment account (`cti`) the simulator wrote to
 *   the deny file;
 * - malformed: a §2.4 rule broken at full length (so a binary framer still takes 3 + D bytes), or
 *   (text encodings only) a truncated code.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  jttAuthorisation,
  jttCodeFromAuthorisation,
  jttKeyPair,
  jttRootsFile,
  mintJttCode,
  type JttCodeSpec,
  type JttKeyPair,
} from '../src/mint/jttMint.ts';
import type { Prng } from './prng.ts';

/** How the scanner delivers a JT/T code: raw bytes (binary mode), or hex / base64 text (text mode). */
export const JTT_ENCODINGS = ['binary', 'hex', 'base64'] as const;
export type JttEncoding = (typeof JTT_ENCODINGS)[number];

/** The root index the simulator's root-key file holds (cert item 3). */
export const SIM_ROOT_INDEX = 0x17;
/** A root index the file does not hold (the `unknown-root` forgery). */
export const SIM_UNKNOWN_ROOT_INDEX = 0x42;
/** Field 14 length of every simulated code (type ‖ 12-byte serial ‖ 4-byte offline validity, as S1). */
const ISSUER_DATA_BYTES = 17;
const AUTH_SIGNATURE_AT = 198 + ISSUER_DATA_BYTES;

const DAY = 86_400;

export interface JttRider {
  /** Stable label: `j007` (regular), `k000` (denied by sub), `k001` (denied by cti)... */
  id: string;
  /** Field 5, 20 hex digits: the `sub` of §4.1. */
  subHex: string;
  /** Field 4 as ASCII (16 characters). */
  paymentAccount: string;
  /** Field 4 as hex: the `cti` of §4.1. */
  ctiHex: string;
  user: JttKeyPair;
  cardType: number;
  /** Field 9, fen. */
  cap: number;
  /** Field 14, hex. */
  issuerData: string;
  /** On the deny list by its `sub` or its `cti`. */
  denied?: 'sub' | 'cti';
  /**
   * What the phone holds (code fields 3–15: certificate, account fields, issuer authorisation),
   * made once per code validity: every code of the rider carries the same bytes, as a real
   * phone's do, so a validator's cache sees them again. Holds no private key.
   */
  authorisation?: { validitySec: number; bytes: Buffer };
}

/** A JT/T code variant: what is wrong with it (nothing for `valid`). */
export type JttCodeVariant =
  | 'valid'
  | 'code-expired'
  | 'issuer-cert-expired'
  | 'authorisation-expired'
  | 'root-signature'
  | 'issuer-authorisation'
  | 'user-signature'
  | 'unknown-root';

/** A §2.4 rule a malformed JT/T code breaks; `truncated` only for text encodings. */
export const JTT_MALFORMED_FULL_LENGTH = [
  'bad-version',
  'bad-cert-header',
  'bad-cert-format',
  'bad-cert-month',
  'bad-signature-tag',
] as const;
export type JttMalformedVariant = (typeof JTT_MALFORMED_FULL_LENGTH)[number] | 'truncated';

export interface JttMinted {
  payload: Buffer;
  /** §4.1: the first 16 bytes of SHA-256 over fields 1–16, hex. */
  codeId: string;
}

export interface JttPopulationOptions {
  /** Regular riders (more are added on demand). */
  size: number;
  prng: Prng;
  /** Time the authorisations and certificates are issued around, Unix seconds. */
  nowSec: number;
  /** Authorisation lifetime (default 30 days). */
  validForSec?: number;
}

/** The §4.1 codeId of a payload (fields 1–16; the simulator's codes all carry L = 17). */
export function jttCodeId(payload: Buffer): string {
  const l = payload[197] ?? 0;
  return createHash('sha256')
    .update(payload.subarray(0, 267 + l))
    .digest()
    .subarray(0, 16)
    .toString('hex');
}

/** The scanner's bytes for a payload in one encoding (hex lower case; base64 standard, padded). */
export function encodeJtt(payload: Buffer, encoding: JttEncoding): Buffer {
  if (encoding === 'binary') return payload;
  return Buffer.from(encoding === 'hex' ? payload.toString('hex') : payload.toString('base64'), 'latin1');
}

/** Whether bytes hold a CR or an LF (a binary frame a line-based framer would cut). */
export function holdsLineBreak(b: Uint8Array): boolean {
  return b.includes(0x0d) || b.includes(0x0a);
}

const bcdMonth = (d: Date): { month: number; year: number } => ({
  month: d.getUTCMonth() + 1,
  year: d.getUTCFullYear(),
});

export class JttPopulation {
  readonly riders: JttRider[] = [];
  /** Denied riders: index 0 by sub, index 1 by cti. */
  readonly deniedRiders: JttRider[] = [];
  readonly root: JttKeyPair;
  private readonly forgerRoot: JttKeyPair;
  private readonly rogueRoot: JttKeyPair;
  private readonly issuer: JttKeyPair;
  private readonly staleIssuer: JttKeyPair;
  private readonly forgerUser: JttKeyPair;
  private readonly prng: Prng;
  private readonly authExpiry: number;
  private readonly certExpiry: { month: number; year: number };
  private readonly staleCertExpiry: { month: number; year: number };

  constructor(o: JttPopulationOptions) {
    if (!Number.isInteger(o.size) || o.size < 1) throw new Error('JT/T population size must be ≥ 1');
    this.prng = o.prng;
    const key = (what: string) =>
      jttKeyPair(`faregate-sim TEST-ONLY ${what} ${o.prng.fork(what).bytes(16).toString('hex')}`);
    this.root = key('root');
    this.forgerRoot = key('forger-root');
    this.rogueRoot = key('rogue-root');
    this.issuer = key('issuer');
    this.staleIssuer = key('stale-issuer');
    this.forgerUser = key('forger-user');
    const day = Math.floor(o.nowSec / DAY) * DAY;
    this.authExpiry = day + (o.validForSec ?? 30 * DAY);
    const now = new Date(o.nowSec * 1000);
    this.certExpiry = { month: 12, year: Math.min(2099, now.getUTCFullYear() + 4) };
    // Two months back: over by at least a month, whatever the skew.
    this.staleCertExpiry = bcdMonth(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 15)));
    for (let i = 0; i < o.size; i++) this.add();
    for (const by of ['sub', 'cti'] as const) {
      const r = this.make(
        this.prng.fork(`denied/${this.deniedRiders.length}`),
        `k${String(this.deniedRiders.length).padStart(3, '0')}`,
      );
      r.denied = by;
      this.deniedRiders.push(r);
    }
  }

  /** Adds a regular rider (also used when every rider was seen too recently). */
  add(): JttRider {
    const r = this.make(
      this.prng.fork(`rider/${this.riders.length}`),
      `j${String(this.riders.length).padStart(3, '0')}`,
    );
    this.riders.push(r);
    return r;
  }

  private make(p: Prng, id: string): JttRider {
    const user = jttKeyPair(`faregate-sim TEST-ONLY user ${p.bytes(16).toString('hex')}`);
    const digits = Array.from({ length: 13 }, () => String(p.int(0, 9))).join('');
    const paymentAccount = `PAY${digits}`;
    const x = p.next();
    const cardType = x < 0.2 ? 0x00 : x < 0.75 ? 0x01 : x < 0.88 ? 0x02 : 0x03;
    const issuerData = Buffer.concat([Buffer.from([0x01]), p.bytes(12), Buffer.from('00000e10', 'hex')]);
    return {
      id,
      subHex: Buffer.concat([Buffer.from([0x31, 0x00]), p.bytes(8)]).toString('hex'),
      paymentAccount,
      ctiHex: Buffer.from(paymentAccount, 'ascii').toString('hex'),
      user,
      cardType,
      cap: p.int(10, 50) * 100,
      issuerData: issuerData.toString('hex'),
    };
  }

  /** The §5 root-key file the service loads (`jtt.roots`, `faregate verify --jtt-roots`). */
  rootsFile(): { roots: Record<string, unknown>[] } {
    return jttRootsFile([{ index: SIM_ROOT_INDEX, key: this.root, label: 'faregate-sim TEST-ONLY root' }]);
  }

  /** Deny entries naming the denied riders (one by sub, one by cti). */
  denyEntries(): { sub: string[]; cti: string[] } {
    return {
      sub: this.deniedRiders.filter((r) => r.denied === 'sub').map((r) => r.subHex),
      cti: this.deniedRiders.filter((r) => r.denied === 'cti').map((r) => r.ctiHex),
    };
  }

  /**
   * Writes `jtt-roots.json` (§5) and `deny.json` (the given FG1 entries plus the JT/T ones) to `dir`;
   * returns their paths. The service must load both for the simulator's labels to hold.
   */
  writeFiles(dir: string, fg1Deny: { sub: string[]; cti: string[] }): { roots: string; deny: string } {
    mkdirSync(dir, { recursive: true });
    const roots = join(dir, 'jtt-roots.json');
    const deny = join(dir, 'deny.json');
    const j = this.denyEntries();
    writeFileSync(roots, JSON.stringify(this.rootsFile(), null, 2) + '\n');
    writeFileSync(
      deny,
      JSON.stringify({ sub: [...fg1Deny.sub, ...j.sub], cti: [...fg1Deny.cti, ...j.cti] }, null, 2) + '\n',
    );
    return { roots, deny };
  }

  private spec(r: JttRider, ts: number, validitySec: number): JttCodeSpec {
    return {
      rootIndex: SIM_ROOT_INDEX,
      certExpiry: this.certExpiry,
      paymentAccount: r.paymentAccount,
      userAccount: r.subHex,
      cardType: r.cardType,
      cap: r.cap,
      authExpiry: this.authExpiry,
      validity: validitySec,
      issuerData: r.issuerData,
      ts,
    };
  }

  /** The rider's certificate + authorisation for codes valid `validitySec` (made on first use). */
  private authorisationOf(r: JttRider, validitySec: number): Buffer {
    if (r.authorisation?.validitySec !== validitySec) {
      const signers = { root: this.root, issuer: this.issuer, user: r.user };
      r.authorisation = { validitySec, bytes: jttAuthorisation(this.spec(r, 0, validitySec), signers) };
    }
    return r.authorisation.bytes;
  }

  /** A code of `rider` generated at `ts` (Unix seconds), valid for `validitySec`, broken as `variant` says. */
  code(r: JttRider, ts: number, validitySec: number, variant: JttCodeVariant = 'valid'): JttMinted {
    const spec = this.spec(r, ts, validitySec);
    const signers = { root: this.root, issuer: this.issuer, user: r.user };
    let payload: Buffer;
    switch (variant) {
      case 'valid':
      case 'code-expired': // the caller passes an old ts
        payload = jttCodeFromAuthorisation(this.authorisationOf(r, validitySec), ts, r.user);
        break;
      case 'issuer-cert-expired':
        payload = mintJttCode({ ...spec, certExpiry: this.staleCertExpiry }, { ...signers, issuer: this.staleIssuer });
        break;
      case 'authorisation-expired':
        payload = mintJttCode({ ...spec, authExpiry: Math.floor(ts / DAY) * DAY - DAY }, signers);
        break;
      case 'root-signature':
        payload = mintJttCode(spec, { ...signers, root: this.forgerRoot });
        break;
      case 'unknown-root':
        payload = mintJttCode({ ...spec, rootIndex: SIM_UNKNOWN_ROOT_INDEX }, { ...signers, root: this.rogueRoot });
        break;
      case 'issuer-authorisation': {
        // The per-ride limit raised after the issuer signed: the genuine authorisation does not cover it.
        const genuine = mintJttCode(spec, signers);
        const raised = mintJttCode({ ...spec, cap: Math.min(0xffffff, r.cap * 10) }, signers);
        payload = Buffer.concat([
          raised.subarray(0, AUTH_SIGNATURE_AT),
          genuine.subarray(AUTH_SIGNATURE_AT, AUTH_SIGNATURE_AT + 65),
          raised.subarray(AUTH_SIGNATURE_AT + 65),
        ]);
        break;
      }
      case 'user-signature':
        // The rider's genuine authorisation, the code signed by a key it does not name.
        payload = jttCodeFromAuthorisation(this.authorisationOf(r, validitySec), ts, this.forgerUser);
        break;
    }
    return { payload, codeId: jttCodeId(payload) };
  }

  /** A code of `rider` that breaks one §2.4 rule (`malformed`). */
  malformed(r: JttRider, ts: number, validitySec: number, variant: JttMalformedVariant, prng: Prng): Buffer {
    const b = Buffer.from(
      mintJttCode(this.spec(r, ts, validitySec), { root: this.root, issuer: this.issuer, user: r.user }),
    );
    switch (variant) {
      case 'bad-version':
        b[0] = 0x81; // a "local" code (§0: not covered), still ≥ 0x80
        break;
      case 'bad-cert-header':
        b[3] = 0x25;
        break;
      case 'bad-cert-format':
        b[9] = 0x13;
        break;
      case 'bad-cert-month':
        b[14] = 0x13; // month 13
        break;
      case 'bad-signature-tag':
        b[AUTH_SIGNATURE_AT] = 0x16;
        break;
      case 'truncated':
        return b.subarray(0, b.length - prng.int(1, 200));
    }
    return b;
  }
}
