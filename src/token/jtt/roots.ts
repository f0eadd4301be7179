/**
 * The JT/T root-key file (docs/spec/jtt1179-reading.md §5): `{"roots": [{index, key, nbf?, exp?}]}`.
 * Pure: the JSON value comes in parsed; a file that is not this shape is a {@link JttRootsError}.
 */
import { bytesToBig, decompress, publicKeyOf, type Sm2PublicKey } from './sm2.ts';

export class JttRootsError extends Error {
  override name = 'JttRootsError';
}

/** One root key (by the certificate's CA index, item 3) with its optional validity window. */
export interface JttRoot {
  readonly index: number;
  readonly key: Sm2PublicKey;
  readonly nbf?: number;
  readonly exp?: number;
  readonly label?: string;
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
  static readonly EMPTY = new JttRoots();
}

const HEX = /^(?:[0-9A-Fa-f]{2})+$/;

/** A §5 key (33, 65 or 64 bytes of hex) as a point on the curve, or a JttRootsError. */
export function rootKeyFromHex(hex: string, where: string): Sm2PublicKey {
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
  try {
    return publicKeyOf(x, y, { window: 8 });
  } catch {
    throw new JttRootsError(`${where}.key: not a point on the SM2 curve`);
  }
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
    const root: { -readonly [K in keyof JttRoot]: JttRoot[K] } = { index, key: rootKeyFromHex(key, where) };
    if (typeof nbf === 'number') root.nbf = nbf;
    if (typeof exp === 'number') root.exp = exp;
    if (typeof label === 'string') root.label = label;
    roots.push(root);
  });
  return new JttRoots(roots);
}
