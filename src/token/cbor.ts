/**
 * A strict CBOR (RFC 8949) decoder and a small deterministic encoder. Pure; no I/O.
 *
 * Strict means: definite lengths only, no trailing bytes, no duplicate map keys, UTF-8
 * text must be valid, declared lengths must fit in what remains *before* anything is
 * allocated, and nesting is bounded. Floats and tags are kept distinguishable from
 * integers and plain values so type checks upstream cannot be fooled (1.0 is not a uint).
 */

/** The bytes are not well-formed CBOR of the accepted subset (or a value cannot be encoded). */
import { FaregateError } from '../errors/faregateError.ts';
export class CborError extends FaregateError {
  override readonly name = 'CborError';
  constructor(message: string) {
    super('RIDE_CODE_MALFORMED', message);
  }
}

/** A CBOR float (major type 7, additional info 25/26/27); never confused with an integer. */
export class CborFloat {
  constructor(readonly value: number) {}
}

/** A tagged item (major type 6). */
export class CborTag {
  constructor(
    readonly tag: number | bigint,
    readonly value: CborValue,
  ) {}
}

/** A simple value other than false/true/null/undefined. */
export class CborSimple {
  constructor(readonly value: number) {}
}

export type CborValue =
  | number
  | bigint
  | string
  | Uint8Array
  | boolean
  | null
  | undefined
  | CborValue[]
  | CborMap
  | CborTag
  | CborFloat
  | CborSimple;

export type CborMap = Map<CborValue, CborValue>;

export interface DecodeLimits {
  /** Deepest nesting of arrays, maps and tags. */
  maxDepth: number;
}

const DEFAULT_LIMITS: DecodeLimits = { maxDepth: 16 };
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly limits: DecodeLimits,
  ) {}

  fail(msg: string): never {
    throw new CborError(`${msg} at byte ${this.pos}`);
  }

  /** Reads the argument of a head; returns a number, or a bigint past 2^53 - 1. */
  argument(info: number): number | bigint {
    const buf = this.buf;
    if (info < 24) return info;
    const p = this.pos;
    switch (info) {
      case 24:
        if (p + 1 > buf.length) this.fail('truncated head');
        this.pos = p + 1;
        return buf[p] as number;
      case 25:
        if (p + 2 > buf.length) this.fail('truncated head');
        this.pos = p + 2;
        return ((buf[p] as number) << 8) | (buf[p + 1] as number);
      case 26:
        if (p + 4 > buf.length) this.fail('truncated head');
        this.pos = p + 4;
        return (
          (buf[p] as number) * 0x1000000 +
          (((buf[p + 1] as number) << 16) | ((buf[p + 2] as number) << 8) | (buf[p + 3] as number))
        );
      case 27: {
        if (p + 8 > buf.length) this.fail('truncated head');
        this.pos = p + 8;
        const hi =
          (buf[p] as number) * 0x1000000 +
          (((buf[p + 1] as number) << 16) | ((buf[p + 2] as number) << 8) | (buf[p + 3] as number));
        const lo =
          (buf[p + 4] as number) * 0x1000000 +
          (((buf[p + 5] as number) << 16) | ((buf[p + 6] as number) << 8) | (buf[p + 7] as number));
        if (hi < 0x200000) return hi * 0x100000000 + lo;
        return (BigInt(hi) << 32n) | BigInt(lo);
      }
      case 31:
        return this.fail('indefinite length is not allowed');
      default:
        return this.fail(`reserved additional information ${info}`);
    }
  }

  length(info: number, minBytesPerItem: number): number {
    const n = this.argument(info);
    const remaining = this.buf.length - this.pos;
    if (typeof n !== 'number' || n * minBytesPerItem > remaining) this.fail('declared length exceeds input');
    return n;
  }

  item(depth: number): CborValue {
    const buf = this.buf;
    if (this.pos >= buf.length) this.fail('unexpected end of input');
    const ib = buf[this.pos++] as number;
    const major = ib >> 5;
    const info = ib & 0x1f;
    switch (major) {
      case 0:
        return this.argument(info);
      case 1: {
        const n = this.argument(info);
        if (typeof n === 'number') return n < Number.MAX_SAFE_INTEGER ? -1 - n : -1n - BigInt(n);
        return -1n - n;
      }
      case 2: {
        const n = this.length(info, 1);
        const start = this.pos;
        this.pos += n;
        return buf.subarray(start, start + n);
      }
      case 3: {
        const n = this.length(info, 1);
        const start = this.pos;
        this.pos += n;
        try {
          return utf8.decode(buf.subarray(start, start + n));
        } catch {
          this.pos = start;
          return this.fail('invalid UTF-8 in text string');
        }
      }
      case 4: {
        if (depth >= this.limits.maxDepth) this.fail('nesting too deep');
        const n = this.length(info, 1);
        const out: CborValue[] = new Array(n);
        for (let i = 0; i < n; i++) out[i] = this.item(depth + 1);
        return out;
      }
      case 5: {
        if (depth >= this.limits.maxDepth) this.fail('nesting too deep');
        const n = this.length(info, 2);
        const out: CborMap = new Map();
        let seen: Set<string> | undefined;
        for (let i = 0; i < n; i++) {
          const keyAt = this.pos;
          const k = this.item(depth + 1);
          if (typeof k === 'object' && k !== null) {
            seen ??= new Set();
            const canon = canonicalKey(k);
            if (seen.has(canon)) {
              this.pos = keyAt;
              this.fail('duplicate map key');
            }
            seen.add(canon);
          } else if (out.has(k)) {
            this.pos = keyAt;
            this.fail('duplicate map key');
          }
          out.set(k, this.item(depth + 1));
        }
        return out;
      }
      case 6: {
        if (depth >= this.limits.maxDepth) this.fail('nesting too deep');
        const tag = this.argument(info);
        return new CborTag(tag, this.item(depth + 1));
      }
      default:
        return this.simpleOrFloat(info);
    }
  }

  simpleOrFloat(info: number): CborValue {
    const buf = this.buf;
    const p = this.pos;
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        return undefined;
      case 24: {
        if (p + 1 > buf.length) this.fail('truncated simple value');
        const v = buf[p] as number;
        if (v < 32) this.fail('simple value encoded in two bytes must be ≥ 32');
        this.pos = p + 1;
        return new CborSimple(v);
      }
      case 25: {
        if (p + 2 > buf.length) this.fail('truncated float');
        this.pos = p + 2;
        return new CborFloat(halfToNumber(((buf[p] as number) << 8) | (buf[p + 1] as number)));
      }
      case 26: {
        if (p + 4 > buf.length) this.fail('truncated float');
        this.pos = p + 4;
        return new CborFloat(new DataView(buf.buffer, buf.byteOffset + p, 4).getFloat32(0));
      }
      case 27: {
        if (p + 8 > buf.length) this.fail('truncated float');
        this.pos = p + 8;
        return new CborFloat(new DataView(buf.buffer, buf.byteOffset + p, 8).getFloat64(0));
      }
      case 31:
        return this.fail('unexpected break');
      default:
        if (info < 20) return new CborSimple(info);
        return this.fail(`reserved additional information ${info}`);
    }
  }
}

function halfToNumber(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function canonicalKey(v: CborValue): string {
  if (v instanceof Uint8Array) return 'b' + Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (v instanceof CborFloat) return 'f' + String(v.value);
  if (v instanceof CborSimple) return 's' + v.value;
  if (v instanceof CborTag) return `t${v.tag}(${canonicalKey(v.value)})`;
  if (Array.isArray(v)) return '[' + v.map(canonicalKey).join(',') + ']';
  if (v instanceof Map) return '{' + [...v].map(([k, x]) => canonicalKey(k) + ':' + canonicalKey(x)).join(',') + '}';
  return typeof v + ':' + String(v);
}

/** Decodes exactly one CBOR item that spans all of `bytes`. */
export function cborDecode(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): CborValue {
  const r = new Reader(bytes, limits);
  const v = r.item(0);
  if (r.pos !== bytes.length) r.fail('trailing bytes');
  return v;
}

// ---------------------------------------------------------------------------------------
// Encoder (deterministic: shortest heads; map entries in the order given).

const utf8enc = new TextEncoder();

class Writer {
  chunks: Uint8Array[] = [];
  size = 0;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  head(major: number, n: number | bigint): void {
    const m = major << 5;
    if (typeof n === 'bigint') {
      if (n < 0n || n > 0xffffffffffffffffn) throw new CborError('integer out of range');
      if (n <= BigInt(Number.MAX_SAFE_INTEGER)) return this.head(major, Number(n));
      const b = new Uint8Array(9);
      b[0] = m | 27;
      new DataView(b.buffer).setBigUint64(1, n);
      return this.push(b);
    }
    if (!Number.isInteger(n) || n < 0) throw new CborError(`not an unsigned integer: ${n}`);
    if (n < 24) this.push(Uint8Array.of(m | n));
    else if (n < 0x100) this.push(Uint8Array.of(m | 24, n));
    else if (n < 0x10000) this.push(Uint8Array.of(m | 25, n >> 8, n & 0xff));
    else if (n < 0x100000000) {
      const b = new Uint8Array(5);
      b[0] = m | 26;
      new DataView(b.buffer).setUint32(1, n);
      this.push(b);
    } else {
      const b = new Uint8Array(9);
      b[0] = m | 27;
      new DataView(b.buffer).setBigUint64(1, BigInt(n));
      this.push(b);
    }
  }
  value(v: CborValue): void {
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new CborError('use CborFloat for non-integers');
      if (v >= 0) this.head(0, v);
      else this.head(1, -1 - v);
    } else if (typeof v === 'bigint') {
      if (v >= 0n) this.head(0, v);
      else this.head(1, -1n - v);
    } else if (typeof v === 'string') {
      const b = utf8enc.encode(v);
      this.head(3, b.length);
      this.push(b);
    } else if (v instanceof Uint8Array) {
      this.head(2, v.length);
      this.push(v);
    } else if (v === false) this.push(Uint8Array.of(0xf4));
    else if (v === true) this.push(Uint8Array.of(0xf5));
    else if (v === null) this.push(Uint8Array.of(0xf6));
    else if (v === undefined) this.push(Uint8Array.of(0xf7));
    else if (Array.isArray(v)) {
      this.head(4, v.length);
      for (const x of v) this.value(x);
    } else if (v instanceof Map) {
      this.head(5, v.size);
      for (const [k, x] of v) {
        this.value(k);
        this.value(x);
      }
    } else if (v instanceof CborTag) {
      this.head(6, v.tag);
      this.value(v.value);
    } else if (v instanceof CborFloat) {
      const b = new Uint8Array(9);
      b[0] = 0xfb;
      new DataView(b.buffer).setFloat64(1, v.value);
      this.push(b);
    } else if (v instanceof CborSimple) {
      if (v.value < 24) this.push(Uint8Array.of(0xe0 | v.value));
      else this.push(Uint8Array.of(0xf8, v.value));
    } else throw new CborError('value cannot be encoded');
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export function cborEncode(v: CborValue): Uint8Array {
  const w = new Writer();
  w.value(v);
  return w.bytes();
}

/** Builds a CBOR map from entries, keeping their order. */
export function cborMap(entries: Iterable<readonly [CborValue, CborValue]>): CborMap {
  return new Map(entries as Iterable<[CborValue, CborValue]>);
}
