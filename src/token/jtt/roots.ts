/**
 * The JT/T root-key file (docs/spec/jtt1179-reading.md §5): `{"roots": [{index, key, nbf?, exp?}]}`.
 * Pure: the JSON value comes in parsed; a file that is not this shape is a {@link JttRootsError}.
 */
import { bytesToBig, decompress, onCurve, publicKeyOf, type Sm2PublicKey } from './sm2.ts';

export class JttRootsError extends Error {
  override name = 'JttRootsError';
}

/** A root key's entry as checked: the point (on the curve) by the certificate's CA index (item 3), its validity window. */
export interface JttRootEntry {
  readonly index: number;
  readonly x: bigint;
  readonly y: bigint;
  readonly nbf?: number;
  readonly exp?: number;
  readonly label?: string;
}

/** One root key with its optional validity window; `key` is made when it is first used. */
export interface JttRoot extends JttRootEntry {
  readonly key: Sm2PublicKey;
}

/**
 * Window of a root key's table of multiples. The table is computed when the key first verifies
 * a certificate (a new rider's), not when the list is read: at window 8 it took about 40 ms a key,
 * so a list of 256 roots held the thread that read it for 11 s; at 4 it takes about 2 ms more than
 * decoding the point, and a verify with it costs about 0.2 ms more than at 8.
 */
export const ROOT_KEY_WINDOW = 4;

/** A root from its checked entry; its key (the point with its Z_A and table) is made at first use. */
export function jttRoot(e: JttRootEntry): JttRoot {
  let key: Sm2PublicKey | undefined;
  const root = {
    index: e.index,
    x: e.x,
    y: e.y,
    ...(e.nbf !== undefined ? { nbf: e.nbf } : {}),
    ...(e.exp !== undefined ? { exp: e.exp } : {}),
    ...(e.label !== undefined ? { label: e.label } : {}),
  };
  return Object.defineProperty(root, 'key', {
    enumerable: false,
    get: () => (key ??= publicKeyOf(e.x, e.y, { window: ROOT_KEY_WINDOW })),
  }) as JttRoot;
}

/** The root keys a validator trusts, by index. Replace the whole object to change them. */
export class JttRoots {
  private readonly byIndex = new Map<number, JttRoot>();
  constructor(roots: Iterable<JttRoot> = []) {
    for (const r of roots) {
      if (this.byIndex.has(r.index)) throw new JttRootsError(`repeated index ${r.index}`);
      this.byIndex.set(r.index, r);
    }
  }
  get(index: number): JttRoot | undefined {
    return this.byIndex.get(index);
  }
  get size(): number {
    return this.byIndex.size;
  }
  get indexes(): number[] {
    return [...this.byIndex.keys()];
  }
  /** The checked entries, as plain data (to cross a thread: {@link jttRoot} makes the roots again). */
  entries(): JttRootEntry[] {
    return [...this.byIndex.values()].map(({ index, x, y, nbf, exp, label }) => ({
      index,
      x,
      y,
      ...(nbf !== undefined ? { nbf } : {}),
      ...(exp !== undefined ? { exp } : {}),
      ...(label !== undefined ? { label } : {}),
    }));
  }
  static readonly EMPTY = new JttRoots();
}

const HEX = /^(?:[0-9A-Fa-f]{2})+$/;

/** A §5 key (33, 65 or 64 bytes of hex) as a point on the curve, or a JttRootsError. */
export function rootPointFromHex(hex: string, where: string): { x: bigint; y: bigint } {
  if (!HEX.test(hex)) throw new JttRootsError(`${where}.key: not hex`);
  const b = Buffer.from(hex, 'hex');
  let x: bigint;
  let y: bigint;
  if (b.length === 33) {
    const p = decompress(b);
    if (!p) throw new JttRootsError(`${where}.key: not a valid compressed SM2 point`);
    ({ x, y } = p);
  } else if (b.length === 65 || b.length === 64) {
    if (b.length === 65 && b[0] !== 4) throw new JttRootsError(`${where}.key: a 65-byte key must begin with 04`);
    const xy = b.subarray(b.length - 64);
    x = bytesToBig(xy.subarray(0, 32));
    y = bytesToBig(xy.subarray(32));
  } else throw new JttRootsError(`${where}.key: ${b.length} bytes; a key is 33, 64 or 65 bytes`);
  if (!onCurve(x, y)) throw new JttRootsError(`${where}.key: not a point on the SM2 curve`);
  return { x, y };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Builds the roots from a parsed §5 file; every problem is a JttRootsError naming the member. */
export function jttRootsFromJson(json: unknown): JttRoots {
  if (!isObject(json)) throw new JttRootsError('the file is not a JSON object');
  const list = json.roots;
  if (!Array.isArray(list)) throw new JttRootsError('"roots" must be an array');
  const roots: JttRoot[] = [];
  const seen = new Set<number>();
  list.forEach((e: unknown, i) => {
    const where = `roots[${i}]`;
    if (!isObject(e)) throw new JttRootsError(`${where}: not an object`);
    const { index, key, nbf, exp, label } = e;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 255)
      throw new JttRootsError(`${where}.index: must be an integer 0-255`);
    if (seen.has(index)) throw new JttRootsError(`${where}.index: ${index} is repeated`);
    seen.add(index);
    if (typeof key !== 'string') throw new JttRootsError(`${where}.key: must be a hex string`);
    for (const [name, v] of [
      ['nbf', nbf],
      ['exp', exp],
    ] as const)
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v)))
        throw new JttRootsError(`${where}.${name}: must be an integer (Unix seconds)`);
    const entry: { -readonly [K in keyof JttRootEntry]: JttRootEntry[K] } = { index, ...rootPointFromHex(key, where) };
    if (typeof nbf === 'number') entry.nbf = nbf;
    if (typeof exp === 'number') entry.exp = exp;
    if (typeof label === 'string') entry.label = label;
    roots.push(jttRoot(entry));
  });
  return new JttRoots(roots);
}
