/**
 * Compact deny list for large signed lists (10⁶ entries and more): each id (hex, any case) is
 * hashed to 64 bits and kept in sorted fixed-width arrays, looked up by binary search. All the
 * arrays live in ONE SharedArrayBuffer, written once by `pack` and never again: a list built in
 * a worker thread reaches the main thread, and the held list reaches the worker (the base of a
 * delta), without a copy and without per-entry objects for the garbage collector. (A plain
 * ArrayBuffer would have to be cloned to go to the worker while it stays in use here: on
 * Node 24, postMessage of a 12 MB ArrayBuffer holds the calling thread for ~40 ms.)
 *
 * Layout of the buffer (Uint32, in this order):
 *   subKeys[2·nSub]  (hi, lo) pairs, ascending as unsigned 64-bit numbers, no repeats
 *   ctiKeys[2·nCti]
 *   subExp[nSub]     Unix seconds after which the entry stops denying; 0 = never
 *   ctiExp[nCti]
 * 12 bytes per entry: 1,000,000 entries = 12 MB.
 *
 * A 64-bit hash can make two ids look alike: a lookup can be a false "denied" with probability
 * about n / 2⁶⁴ (≈ 5·10⁻¹⁴ for 10⁶ entries), never a false "not denied". Pure: no I/O; the
 * clock (for `exp`) is injected.
 */
import type { DenyList } from '../token/denyList.ts';

/** What crosses threads: the buffer (shared, never written after packing) and the two counts. */
export interface CompactDenyData {
  buffer: SharedArrayBuffer;
  subCount: number;
  ctiCount: number;
}

/** Ids of one side (sub or cti) with their optional expiry (0 = none), as read from a payload. */
export interface DenyIds {
  ids: string[];
  /** Same length as ids; 0 = no exp. */
  exps: Uint32Array;
}

export const BYTES_PER_ENTRY = 12;

// ---- hashing ---------------------------------------------------------------------------------

let hashHi = 0;
let hashLo = 0;

function nib(c: number): number {
  // '0'-'9' → 0-9, 'a'-'f' / 'A'-'F' → 10-15 (input is known to be hex)
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes a hex id (case-insensitive) into the module's hashHi/hashLo (no allocation). */
function hashHex(s: string): void {
  const n = s.length;
  let h1 = 0x811c9dc5 ^ n;
  let h2 = 0x3c6ef372 ^ Math.imul(n, 0x9e3779b9);
  for (let i = 0; i + 1 < n; i += 2) {
    const b = (nib(s.charCodeAt(i)) << 4) | nib(s.charCodeAt(i + 1));
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 ^ b, 0xcc9e2d51);
    h2 = (h2 << 15) | (h2 >>> 17);
    h2 = Math.imul(h2, 0x1b873593);
  }
  const a = fmix(h1);
  const c = fmix(h2 ^ a);
  hashHi = fmix(a ^ Math.imul(c, 0x27d4eb2f));
  hashLo = c;
}

/** The 64-bit hash of a hex id as [hi, lo] (tests, tools). */
export function hexHash(s: string): [number, number] {
  hashHex(s);
  return [hashHi, hashLo];
}

// ---- one side: sorted (hi, lo) keys with exps ------------------------------------------------

interface Side {
  keys: Uint32Array;
  exps: Uint32Array;
  n: number;
}

function find(keys: Uint32Array, n: number, hi: number, lo: number): number {
  let a = 0;
  let b = n - 1;
  while (a <= b) {
    const m = (a + b) >>> 1;
    const kh = keys[2 * m]!;
    if (kh < hi) a = m + 1;
    else if (kh > hi) b = m - 1;
    else {
      const kl = keys[2 * m + 1]!;
      if (kl < lo) a = m + 1;
      else if (kl > lo) b = m - 1;
      else return m;
    }
  }
  return -1;
}

/** Of two exps for the same id, the one that denies longer (0 = forever). */
function longer(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : Math.max(a, b);
}

/** LSD radix sort by (hi, lo), 16-bit digits, carrying exps; then merges repeats. */
function sortSide(hi: Uint32Array, lo: Uint32Array, ex: Uint32Array, n: number): Side {
  let sh: Uint32Array = hi,
    sl: Uint32Array = lo,
    se: Uint32Array = ex;
  let dh: Uint32Array = new Uint32Array(n),
    dl: Uint32Array = new Uint32Array(n),
    de: Uint32Array = new Uint32Array(n);
  const count = new Uint32Array(65537);
  for (let pass = 0; pass < 4; pass++) {
    const src = pass < 2 ? sl : sh;
    const shift = (pass & 1) * 16;
    count.fill(0);
    for (let i = 0; i < n; i++) count[((src[i]! >>> shift) & 0xffff) + 1]!++;
    for (let d = 1; d <= 65536; d++) count[d]! += count[d - 1]!;
    for (let i = 0; i < n; i++) {
      const at = count[(src[i]! >>> shift) & 0xffff]!++;
      dh[at] = sh[i]!;
      dl[at] = sl[i]!;
      de[at] = se[i]!;
    }
    [sh, dh] = [dh, sh];
    [sl, dl] = [dl, sl];
    [se, de] = [de, se];
  }
  const keys = new Uint32Array(2 * n);
  const exps = new Uint32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (m > 0 && keys[2 * (m - 1)] === sh[i] && keys[2 * (m - 1) + 1] === sl[i]) {
      exps[m - 1] = longer(exps[m - 1]!, se[i]!);
      continue;
    }
    keys[2 * m] = sh[i]!;
    keys[2 * m + 1] = sl[i]!;
    exps[m] = se[i]!;
    m++;
  }
  return { keys, exps, n: m };
}

function sideFromIds(d: DenyIds): Side {
  const n = d.ids.length;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    hashHex(d.ids[i]!);
    hi[i] = hashHi;
    lo[i] = hashLo;
  }
  return sortSide(hi, lo, d.exps.slice(0, n), n);
}

/**
 * Merges base (minus `removed` marks, minus entries expired before `nowSec`) with `add`;
 * an id in both keeps the longer exp.
 */
function mergeSides(base: Side, removed: Uint8Array, add: Side, nowSec: number): Side {
  const keys = new Uint32Array(2 * (base.n + add.n));
  const exps = new Uint32Array(base.n + add.n);
  let i = 0,
    j = 0,
    m = 0;
  const live = (e: number) => e === 0 || e >= nowSec;
  const push = (h: number, l: number, e: number) => {
    if (m > 0 && keys[2 * (m - 1)] === h && keys[2 * (m - 1) + 1] === l) {
      exps[m - 1] = longer(exps[m - 1]!, e);
      return;
    }
    keys[2 * m] = h;
    keys[2 * m + 1] = l;
    exps[m] = e;
    m++;
  };
  while (i < base.n || j < add.n) {
    let takeBase: boolean;
    if (i >= base.n) takeBase = false;
    else if (j >= add.n) takeBase = true;
    else {
      const bh = base.keys[2 * i]!,
        ah = add.keys[2 * j]!;
      takeBase = bh < ah || (bh === ah && base.keys[2 * i + 1]! <= add.keys[2 * j + 1]!);
    }
    if (takeBase) {
      if (!removed[i] && live(base.exps[i]!)) push(base.keys[2 * i]!, base.keys[2 * i + 1]!, base.exps[i]!);
      i++;
    } else {
      push(add.keys[2 * j]!, add.keys[2 * j + 1]!, add.exps[j]!);
      j++;
    }
  }
  return { keys: keys.subarray(0, 2 * m), exps: exps.subarray(0, m), n: m };
}

function pack(sub: Side, cti: Side): CompactDenyData {
  const buffer = new SharedArrayBuffer(BYTES_PER_ENTRY * (sub.n + cti.n));
  const u = new Uint32Array(buffer);
  let o = 0;
  u.set(sub.keys.subarray(0, 2 * sub.n), o);
  o += 2 * sub.n;
  u.set(cti.keys.subarray(0, 2 * cti.n), o);
  o += 2 * cti.n;
  u.set(sub.exps.subarray(0, sub.n), o);
  o += sub.n;
  u.set(cti.exps.subarray(0, cti.n), o);
  return { buffer, subCount: sub.n, ctiCount: cti.n };
}

function unpack(d: CompactDenyData): { sub: Side; cti: Side } {
  const u = new Uint32Array(d.buffer);
  const s = d.subCount,
    c = d.ctiCount;
  if (u.length !== 3 * (s + c)) throw new Error(`compact deny data: ${u.length} words for ${s}+${c} entries`);
  return {
    sub: { keys: u.subarray(0, 2 * s), exps: u.subarray(2 * (s + c), 2 * (s + c) + s), n: s },
    cti: { keys: u.subarray(2 * s, 2 * (s + c)), exps: u.subarray(2 * (s + c) + s), n: c },
  };
}

/** Builds the compact data of a snapshot. Ids must already be checked to be hex. */
export function buildCompactDeny(sub: DenyIds, cti: DenyIds): CompactDenyData {
  return pack(sideFromIds(sub), sideFromIds(cti));
}

/**
 * Applies a delta to compact data: `remove` first, then `add` (an id in both stays denied);
 * entries whose exp is before `nowSec` are dropped on the way. Returns new data (base untouched).
 */
export function applyCompactDelta(
  base: CompactDenyData,
  add: { sub: DenyIds; cti: DenyIds },
  remove: { sub: readonly string[]; cti: readonly string[] },
  nowSec: number,
): CompactDenyData {
  const b = unpack(base);
  const side = (bs: Side, rm: readonly string[], ad: DenyIds): Side => {
    const marks = new Uint8Array(bs.n);
    for (const id of rm) {
      hashHex(id);
      const at = find(bs.keys, bs.n, hashHi, hashLo);
      if (at >= 0) marks[at] = 1;
    }
    return mergeSides(bs, marks, sideFromIds(ad), nowSec);
  };
  return pack(side(b.sub, remove.sub, add.sub), side(b.cti, remove.cti, add.cti));
}

/** The hot-path list over compact data. `nowSec` is read only when a hit carries an exp. */
export class HashedDenyList implements DenyList {
  private readonly subKeys: Uint32Array;
  private readonly ctiKeys: Uint32Array;
  private readonly subExps: Uint32Array;
  private readonly ctiExps: Uint32Array;
  private readonly nSub: number;
  private readonly nCti: number;

  constructor(
    readonly data: CompactDenyData,
    private readonly nowSec: () => number,
  ) {
    const { sub, cti } = unpack(data);
    this.subKeys = sub.keys;
    this.subExps = sub.exps;
    this.nSub = sub.n;
    this.ctiKeys = cti.keys;
    this.ctiExps = cti.exps;
    this.nCti = cti.n;
  }

  denies(subHex: string, ctiHex: string): boolean {
    return (
      this.hit(this.subKeys, this.subExps, this.nSub, subHex) || this.hit(this.ctiKeys, this.ctiExps, this.nCti, ctiHex)
    );
  }

  private hit(keys: Uint32Array, exps: Uint32Array, n: number, hex: string): boolean {
    if (n === 0) return false;
    hashHex(hex);
    const at = find(keys, n, hashHi, hashLo);
    if (at < 0) return false;
    const exp = exps[at]!;
    return exp === 0 || this.nowSec() <= exp;
  }

  get size(): number {
    return this.nSub + this.nCti;
  }

  /** Bytes held by the arrays. */
  get bytes(): number {
    return this.data.buffer.byteLength;
  }
}
