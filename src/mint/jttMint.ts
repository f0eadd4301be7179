/**
 * Test material for JT/T 1179 codes (docs/spec/jtt1179-reading.md): root keys, issuer
 * certificates and codes, for the simulator, demos and the service's tests. Never real trust
 * anchors. Signs with sm-crypto-v2 (random nonces, the default signer ID and Z_A); the byte layout
 * is written here from the contract's §2, apart from the verifier's parser and from the tests'
 * independent minter.
 */
import { createHash } from 'node:crypto';
import { sm2 } from 'sm-crypto-v2';

const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

/** An SM2 key pair: private scalar hex, public key uncompressed (`04‖X‖Y`) and compressed hex. */
export interface JttKeyPair {
  privateHex: string;
  publicHex: string;
  compressedHex: string;
}

/** A key from a label (d = SHA-256(label) mod (n − 2) + 1, as the contract's §7), or a random one. */
export function jttKeyPair(label?: string): JttKeyPair {
  let privateHex: string;
  if (label === undefined) privateHex = sm2.generateKeyPairHex().privateKey;
  else {
    const h = BigInt('0x' + createHash('sha256').update(label).digest('hex'));
    privateHex = ((h % (N - 2n)) + 1n).toString(16).padStart(64, '0');
  }
  const raw = sm2.getPublicKeyFromPrivateKey(privateHex);
  const publicHex = raw.startsWith('04') && raw.length === 130 ? raw : '04' + raw.padStart(128, '0');
  return { privateHex, publicHex, compressedHex: sm2.compressPublicKeyHex(publicHex) };
}

/** The root-key file of §5 for these roots. */
export function jttRootsFile(roots: { index: number; key: JttKeyPair; nbf?: number; exp?: number; label?: string }[]): {
  roots: Record<string, unknown>[];
} {
  return {
    roots: roots.map((r) => ({
      index: r.index,
      key: r.key.compressedHex,
      ...(r.nbf !== undefined ? { nbf: r.nbf } : {}),
      ...(r.exp !== undefined ? { exp: r.exp } : {}),
      ...(r.label !== undefined ? { label: r.label } : {}),
    })),
  };
}

/** What a code says; the defaults are those of the contract's §7 example. */
export interface JttCodeSpec {
  rootIndex?: number;
  /** Cert item 5, 4 bytes hex. */
  issuerId?: string;
  /** Cert item 6: month 1–12 and year 2000–2099. */
  certExpiry?: { month: number; year: number };
  /** Cert item 7, 3 bytes hex. */
  serial?: string;
  /** Field 4, up to 16 ASCII characters (right-padded with '0'). */
  paymentAccount?: string;
  /** Field 5, 10 bytes hex (20 hex digits). */
  userAccount?: string;
  /** Field 6 and field 7, 4 bytes hex each. */
  issuerCode?: string;
  platform?: string;
  cardType?: number;
  /** Field 9, fen. */
  cap?: number;
  /** Field 11, Unix seconds. */
  authExpiry: number;
  /** Field 12, seconds. */
  validity?: number;
  /** Field 14, hex, at most 32 bytes. */
  issuerData?: string;
  /** Field 16, Unix seconds. */
  ts: number;
}

export interface JttSigners {
  root: JttKeyPair;
  issuer: JttKeyPair;
  user: JttKeyPair;
}

const hexBytes = (hex: string, n: number, what: string): Buffer => {
  const b = Buffer.from(hex, 'hex');
  if (b.length !== n || b.toString('hex') !== hex.toLowerCase()) throw new RangeError(`${what}: ${n} bytes of hex`);
  return b;
};
const be = (v: number, n: number): Buffer => {
  const b = Buffer.alloc(n);
  b.writeUIntBE(v, 0, n);
  return b;
};
const bcd = (v: number): number => ((Math.floor(v / 10) % 10) << 4) | (v % 10);

function signRs(key: JttKeyPair, msg: Uint8Array): Buffer {
  const sig = sm2.doSignature(msg, key.privateHex, { hash: true, publicKey: key.publicHex });
  return Buffer.from(sig.padStart(128, '0'), 'hex');
}

/** The issuer certificate (code field 3, 117 bytes), signed by `root` (§2.2). */
export function jttIssuerCertificate(
  spec: Pick<JttCodeSpec, 'rootIndex' | 'issuerId' | 'certExpiry' | 'serial'>,
  root: JttKeyPair,
  issuer: JttKeyPair,
): Buffer {
  const exp = spec.certExpiry ?? { month: 12, year: 2030 };
  if (exp.month < 1 || exp.month > 12 || exp.year < 2000 || exp.year > 2099)
    throw new RangeError('certExpiry: month 1-12, year 2000-2099');
  const items4to12 = Buffer.concat([
    Buffer.from([0x12]),
    hexBytes(spec.issuerId ?? '12345678', 4, 'issuerId'),
    Buffer.from([bcd(exp.month), bcd(exp.year % 100)]),
    hexBytes(spec.serial ?? '000001', 3, 'serial'),
    Buffer.from([0x04, 0x04, 0x00, 0x21]),
    Buffer.from(issuer.compressedHex, 'hex'),
  ]);
  const head = Buffer.from([0x24, 0x01, 0x01, 0x00, 0x00, spec.rootIndex ?? 0x17]);
  return Buffer.concat([head, items4to12, signRs(root, items4to12)]);
}

/**
 * The issuer's part of a code (§2.1 fields 3–15, code bytes [3, 263 + L)): the certificate signed by
 * `root`, the account fields naming `user`'s public key, and the issuer authorisation over them.
 * A phone holds it until the authorisation expires and makes every code from it
 * ({@link jttCodeFromAuthorisation}), so a validator's cache sees the same bytes each time.
 */
export function jttAuthorisation(spec: Omit<JttCodeSpec, 'ts'>, signers: JttSigners): Buffer {
  const cert = jttIssuerCertificate(spec, signers.root, signers.issuer);
  const pay = spec.paymentAccount ?? 'PAY0000000000001';
  if (pay.length > 16 || !/^[\x20-\x7e]*$/.test(pay)) throw new RangeError('paymentAccount: up to 16 ASCII characters');
  const data = Buffer.from(spec.issuerData ?? '', 'hex');
  if (data.length > 32) throw new RangeError('issuerData: at most 32 bytes');
  const fields4to14 = Buffer.concat([
    Buffer.from(pay.padEnd(16, '0'), 'ascii'),
    hexBytes(spec.userAccount ?? '31000000000000000001', 10, 'userAccount'),
    hexBytes(spec.issuerCode ?? '01020304', 4, 'issuerCode'),
    hexBytes(spec.platform ?? '00000001', 4, 'platform'),
    Buffer.from([spec.cardType ?? 1]),
    be(spec.cap ?? 2000, 3),
    Buffer.from(signers.user.compressedHex, 'hex'),
    be(spec.authExpiry, 4),
    be(spec.validity ?? 60, 2),
    Buffer.from([data.length]),
    data,
  ]);
  const authSigned = Buffer.concat([cert, fields4to14]);
  return Buffer.concat([authSigned, Buffer.from([0x15]), signRs(signers.issuer, authSigned)]);
}

/** A version-0x80 code from an issuer's part ({@link jttAuthorisation}): generated at `ts`, signed by `user`. */
export function jttCodeFromAuthorisation(authorisation: Uint8Array, ts: number, user: JttKeyPair): Buffer {
  const total = 3 + authorisation.length + 4 + 65;
  const upToUser = Buffer.concat([Buffer.from([0x80]), be(total - 3, 2), authorisation, be(ts, 4)]);
  return Buffer.concat([upToUser, Buffer.from([0x15]), signRs(user, upToUser)]);
}

/** A version-0x80 code (§2.1), signed at each link by `signers`. */
export function mintJttCode(spec: JttCodeSpec, signers: JttSigners): Buffer {
  return jttCodeFromAuthorisation(jttAuthorisation(spec, signers), spec.ts, signers.user);
}
