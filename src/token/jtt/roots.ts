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

/** A valid §5 index (0-255), else undefined. */
export function rootIndexOf(e: unknown): number | undefined {
  const index = isObject(e) ? e.index : undefined;
  return typeof index === 'number' && Number.isInteger(index) && index >= 0 && index <= 255 ? index : undefined;
}

/**
 * One §5 entry at `where` (`roots[2]`): its checked fields, or every problem of it (each member
 * named). A repeated index is the caller's to find (it spans entries).
 */
export function parseRootEntry(e: unknown, where: string): { entry?: JttRootEntry; problems: string[] } {
  if (!isObject(e)) return { problems: [`${where}: not an object`] };
  const { key, nbf, exp, label } = e;
  const problems: string[] = [];
  const index = rootIndexOf(e);
  if (index === undefined) problems.push(`${where}.index: must be an integer 0-255`);
  let point: { x: bigint; y: bigint } | undefined;
  if (typeof key !== 'string') problems.push(`${where}.key: must be a hex string`);
  else
    try {
      point = rootPointFromHex(key, where);
    } catch (err) {
      if (!(err instanceof JttRootsError)) throw err;
      problems.push(err.message);
    }
  for (const [name, v] of [
    ['nbf', nbf],
    ['exp', exp],
  ] as const)
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v)))
      problems.push(`${where}.${name}: must be an integer (Unix seconds)`);
  if (problems.length || index === undefined || !point) return { problems };
  const entry: { -readonly [K in keyof JttRootEntry]: JttRootEntry[K] } = { index, ...point };
  if (typeof nbf === 'number') entry.nbf = nbf;
  if (typeof exp === 'number') entry.exp = exp;
  if (typeof label === 'string') entry.label = label;
  return { entry, problems };
}

/** Builds the roots from a parsed §5 file; its first problem is a JttRootsError naming the member. */
export function jttRootsFromJson(json: unknown): JttRoots {
  if (!isObject(json)) throw new JttRootsError('the file is not a JSON object');
  const list = json.roots;
  if (!Array.isArray(list)) throw new JttRootsError('"roots" must be an array');
  const roots: JttRoot[] = [];
  const seen = new Set<number>();
  list.forEach((e: unknown, i) => {
    const where = `roots[${i}]`;
    const index = rootIndexOf(e);
    if (index !== undefined && seen.has(index)) throw new JttRootsError(`${where}.index: ${index} is repeated`);
    const r = parseRootEntry(e, where);
    if (!r.entry) throw new JttRootsError(r.problems[0]);
    seen.add(r.entry.index);
    roots.push(jttRoot(r.entry));
  });
  return new JttRoots(roots);
}
