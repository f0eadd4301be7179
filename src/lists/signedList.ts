/**
 * Signed trust and deny lists (docs/signed-lists.md): a JWS (RFC 7515) in the flattened JSON
 * serialization `{"protected", "payload", "signature"}`, alg EdDSA or ES256 (raw r||s), signed by
 * a root key pinned in the validator's settings (`lists.rootKeys`, a JWK Set; the JWS header's
 * `kid` picks the key). The payload is JSON:
 *
 *   {"type": "trust"|"deny", "version": N, "issuedAt": UNIX, "kind": "snapshot"|"delta",
 *    "baseVersion"?: N,                                    (deltas)
 *    "keys": [JWK, ...],                                   (trust snapshot)
 *    "sub": [ID...], "cti": [ID...],                       (deny snapshot; ID = "hex" | {"id": "hex", "exp"?: UNIX})
 *    "add": {"sub": [ID...], "cti": [ID...]}, "remove": {"sub": ["hex"...], "cti": ["hex"...]}}  (deny delta)
 *
 * Pure: no I/O (keys, bytes and the time come from the caller). A gate runs them in the list
 * worker (signedListWorker.ts): a deny document is verified and built there; a trust document is
 * verified there up to its checked keys, which the main thread imports (buildVerifiedTrustList).
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { errorMessage, FaregateError } from '../errors/faregateError.ts';
import type { SupportedAlg } from '../token/cose.ts';
import type { TrustList } from '../token/trustList.ts';
import { formatIssues } from './issues.ts';
import {
  keySetFromJson,
  signFlattenedJws,
  verifyFlattenedJws,
  type FlattenedJws,
  type JwsFailure,
  type VerifyKey,
} from './jws.ts';
import { checkJwkSet, TRUST_KEY_RULES } from './jwkSet.ts';
import { KeySetError, ListFileError } from './listErrors.ts';
import { buildTrustList, type TrustJwk } from './listFileShape.ts';
import { applyCompactDelta, buildCompactDeny, type CompactDenyData, type DenyIds } from './signedListDeny.ts';

export type ListType = 'trust' | 'deny';
export const LIST_TYPES: readonly ListType[] = ['trust', 'deny'];
export const JWS_TYP = 'faregate-list+json';

/** Why a signed list was not applied (the `reason` of a `list_refused` event). */
export type RefusalReason =
  'malformed' | 'bad_signature' | 'unknown_root_kid' | 'wrong_type' | 'rollback' | 'missing_base' | 'oversized';

/** A signed list that is not applied (FG-402); `reason` is the `list_refused` event's. */
export class ListRefused extends FaregateError {
  override name = 'ListRefused';
  constructor(
    readonly reason: RefusalReason,
    detail: string,
    /** Header fields, when they could be read (after the signature was verified). */
    readonly header?: ListHeader,
  ) {
    super('LIST_REFUSED', detail);
  }
}

// ---- root keys ---------------------------------------------------------------------------------
// A JWK Set read by the one JWK-Set import (jwkSet.ts, JWS_KEY_RULES): private keys refused.

export type RootKey = VerifyKey;
export type RootKeySet = ReadonlyMap<string, RootKey>;

const b64u = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be base64url without padding');

/** Reads a root key JWK Set; throws KeySetError (a ListFileError) listing every problem. */
export function rootKeysFromJson(json: unknown): RootKeySet {
  return keySetFromJson(json);
}

// ---- envelope ------------------------------------------------------------------------------------
// A flattened JWS (jws.ts does the signing and the signature check, for commands too);
// here: the stricter envelope lists require and the list refusal reasons.

export type { FlattenedJws };

export interface Signer {
  alg: SupportedAlg;
  kid: string;
  privateKey: KeyObject;
}

/** Signs a payload (an object, serialized as compact JSON, or the exact bytes). */
export function signList(payload: unknown, signer: Signer): FlattenedJws {
  return signFlattenedJws(payload, signer, { typ: JWS_TYP });
}

const EnvelopeSchema = z.strictObject({ protected: b64u, payload: b64u, signature: b64u });

export interface VerifiedEnvelope {
  kid: string;
  payload: Buffer;
  /** The signature (base64url): identifies the document (duplicates are recognized by it). */
  signature: string;
}

function textOf(doc: Uint8Array | string): string {
  return typeof doc === 'string' ? doc : Buffer.from(doc.buffer, doc.byteOffset, doc.byteLength).toString('utf8');
}

/** JWS failures as list refusals: an unknown root is its own reason; any other signature problem is bad_signature. */
const REFUSAL_OF: Record<JwsFailure, RefusalReason> = {
  malformed: 'malformed',
  wrong_typ: 'malformed',
  unsupported_alg: 'bad_signature',
  unknown_kid: 'unknown_root_kid',
  alg_mismatch: 'bad_signature',
  key_not_valid: 'bad_signature',
  bad_signature: 'bad_signature',
};

/** Checks the envelope and its signature with the pinned root keys; returns the payload bytes. */
export async function verifyEnvelope(doc: Uint8Array | string, roots: RootKeySet): Promise<VerifiedEnvelope> {
  let env: unknown;
  try {
    env = JSON.parse(textOf(doc));
  } catch (e) {
    throw new ListRefused('malformed', `envelope is not JSON (${errorMessage(e)})`);
  }
  const e = EnvelopeSchema.safeParse(env);
  if (!e.success) {
    const issues = formatIssues(e.error.issues);
    throw new ListRefused('malformed', `envelope: ${issues} (expected the JWS flattened JSON serialization)`);
  }
  const r = await verifyFlattenedJws(e.data, roots);
  if (!r.ok) throw new ListRefused(REFUSAL_OF[r.error], r.detail);
  return { kid: r.key.kid, payload: r.payload, signature: e.data.signature };
}

// ---- payload -----------------------------------------------------------------------------------

const version = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const HeaderFields = {
  type: z.enum(['trust', 'deny']),
  version,
  issuedAt: z.number().int().nonnegative(),
  kind: z.enum(['snapshot', 'delta']),
  baseVersion: version.optional(),
};
/** The fields every payload has (checked with zod; the bulky arrays are checked by hand). */
const PayloadHeaderSchema = z.looseObject(HeaderFields).superRefine((p, ctx) => {
  if (p.kind === 'delta' && p.baseVersion === undefined)
    ctx.addIssue({ code: 'custom', path: ['baseVersion'], message: 'a delta needs baseVersion' });
  if (p.kind === 'snapshot' && p.baseVersion !== undefined)
    ctx.addIssue({ code: 'custom', path: ['baseVersion'], message: 'only deltas have baseVersion' });
  if (p.baseVersion !== undefined && p.baseVersion >= p.version)
    ctx.addIssue({ code: 'custom', path: ['baseVersion'], message: 'must be below version' });
  if (p.type === 'trust' && p.kind === 'delta')
    ctx.addIssue({ code: 'custom', path: ['kind'], message: 'trust lists are snapshots only' });
});

export interface ListHeader {
  type: ListType;
  version: number;
  issuedAt: number;
  kind: 'snapshot' | 'delta';
  baseVersion?: number;
}

const ALLOWED: Record<string, readonly string[]> = {
  'trust/snapshot': ['keys'],
  'deny/snapshot': ['sub', 'cti'],
  'deny/delta': ['add', 'remove'],
};

const HEX = /^(?:[0-9a-fA-F]{2}){1,64}$/;
const MAX_EXP = 0xffffffff;

function bad(path: string, msg: string): never {
  throw new ListRefused('malformed', `${path}: ${msg}`);
}

/** Reads `[ID...]` (ID = "hex" | {"id": "hex", "exp"?: UNIX}) without zod (10⁶ entries). */
export function readDenyIds(v: unknown, path: string): DenyIds {
  if (v === undefined) return { ids: [], exps: new Uint32Array(0) };
  if (!Array.isArray(v)) bad(path, 'must be an array');
  const n = v.length;
  const ids = new Array<string>(n);
  const exps = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const e: unknown = v[i];
    if (typeof e === 'string') {
      if (!HEX.test(e)) bad(`${path}.${i}`, 'must be hex (1..64 bytes)');
      ids[i] = e;
    } else if (typeof e === 'object' && e !== null && !Array.isArray(e)) {
      const o = e as Record<string, unknown>;
      for (const k in o) if (k !== 'id' && k !== 'exp') bad(`${path}.${i}.${k}`, 'unknown field');
      if (typeof o.id !== 'string' || !HEX.test(o.id)) bad(`${path}.${i}.id`, 'must be hex (1..64 bytes)');
      ids[i] = o.id;
      if (o.exp !== undefined) {
        if (typeof o.exp !== 'number' || !Number.isInteger(o.exp) || o.exp < 1 || o.exp > MAX_EXP)
          bad(`${path}.${i}.exp`, 'must be Unix seconds (1..2^32-1)');
        exps[i] = o.exp;
      }
    } else bad(`${path}.${i}`, 'must be a hex string or {"id", "exp"?}');
  }
  return { ids, exps };
}

function readHexList(v: unknown, path: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) bad(path, 'must be an array');
  for (let i = 0; i < v.length; i++)
    if (typeof v[i] !== 'string' || !HEX.test(v[i] as string)) bad(`${path}.${i}`, 'must be hex (1..64 bytes)');
  return v as string[];
}

function readGroup(v: unknown, path: string): Record<string, unknown> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, 'must be an object');
  for (const k of Object.keys(v)) if (k !== 'sub' && k !== 'cti') bad(`${path}.${k}`, 'unknown field');
  return v as Record<string, unknown>;
}

export type ListPayload =
  | { header: ListHeader & { type: 'trust' }; keys: unknown[] }
  | { header: ListHeader & { type: 'deny'; kind: 'snapshot' }; sub: DenyIds; cti: DenyIds }
  | {
      header: ListHeader & { type: 'deny'; kind: 'delta'; baseVersion: number };
      add: { sub: DenyIds; cti: DenyIds };
      remove: { sub: string[]; cti: string[] };
    };

/** Parses the header only (version checks come before the bulky part). */
export function parsePayloadHeader(json: unknown): ListHeader {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('(root)', 'payload must be a JSON object');
  const r = PayloadHeaderSchema.safeParse(json);
  if (!r.success) throw new ListRefused('malformed', formatIssues(r.error.issues));
  const allowed = ALLOWED[`${r.data.type}/${r.data.kind}`]!;
  for (const k of Object.keys(json))
    if (!(k in HeaderFields) && !allowed.includes(k)) bad(k, `unknown field for a ${r.data.type} ${r.data.kind}`);
  const h: ListHeader = { type: r.data.type, version: r.data.version, issuedAt: r.data.issuedAt, kind: r.data.kind };
  if (r.data.baseVersion !== undefined) h.baseVersion = r.data.baseVersion;
  return h;
}

/** Parses a whole payload (already JSON-parsed). Throws ListRefused('malformed'). */
export function parsePayload(json: unknown): ListPayload {
  const header = parsePayloadHeader(json);
  return parsePayloadBody(header, json as Record<string, unknown>);
}

function parsePayloadBody(header: ListHeader, o: Record<string, unknown>): ListPayload {
  if (header.type === 'trust') {
    if (!Array.isArray(o.keys)) bad('keys', 'a trust snapshot needs "keys": [JWK, ...]');
    return { header: header as ListHeader & { type: 'trust' }, keys: o.keys };
  }
  if (header.kind === 'snapshot')
    return {
      header: header as ListHeader & { type: 'deny'; kind: 'snapshot' },
      sub: readDenyIds(o.sub, 'sub'),
      cti: readDenyIds(o.cti, 'cti'),
    };
  const add = readGroup(o.add, 'add');
  const remove = readGroup(o.remove, 'remove');
  return {
    header: header as ListHeader & { type: 'deny'; kind: 'delta'; baseVersion: number },
    add: { sub: readDenyIds(add.sub, 'add.sub'), cti: readDenyIds(add.cti, 'add.cti') },
    remove: { sub: readHexList(remove.sub, 'remove.sub'), cti: readHexList(remove.cti, 'remove.cti') },
  };
}

// ---- processing (verify → header → version rules → body → build) -------------------------------

/** What the validator holds of one list type. */
export interface HeldList {
  /** 0 = the bootstrap list from the settings' file (no signed list held). */
  version: number;
  /** Signature of the held signed document (duplicates are recognized by it). */
  signature?: string;
  /**
   * The snapshot the held chain descends from (a deny snapshot and the deltas applied on it):
   * that snapshot again (a retained base after a delta) is expected, not a rollback.
   */
  base?: { version: number; signature: string };
}

export type Processed<T> =
  | { outcome: 'applied'; header: ListHeader; kid: string; signature: string; list: T }
  | { outcome: 'duplicate'; header: ListHeader };

async function verifiedHeader(doc: Uint8Array | string, roots: RootKeySet, type: ListType, held: HeldList) {
  const env = await verifyEnvelope(doc, roots);
  let json: unknown;
  try {
    json = JSON.parse(env.payload.toString('utf8'));
  } catch (e) {
    throw new ListRefused('malformed', `payload is not JSON (${errorMessage(e)})`);
  }
  const header = parsePayloadHeader(json);
  if (header.type !== type) throw new ListRefused('wrong_type', `a ${header.type} list on the ${type} topic`, header);
  if (header.version === held.version && env.signature === held.signature)
    return { env, json, header, duplicate: true };
  // The retained base snapshot of the held chain (older than the held delta): expected, ignored.
  if (held.base && header.version === held.base.version && env.signature === held.base.signature)
    return { env, json, header, duplicate: true };
  if (header.version <= held.version)
    throw new ListRefused(
      'rollback',
      `version ${header.version} is not above the held version ${held.version}`,
      header,
    );
  if (header.kind === 'delta' && header.baseVersion !== held.version)
    throw new ListRefused(
      'missing_base',
      `delta on version ${header.baseVersion}, but version ${held.version} is held`,
      header,
    );
  return { env, json, header, duplicate: false };
}

function withHeader<T>(header: ListHeader, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ListRefused && !e.header) throw new ListRefused(e.reason, e.message, header);
    throw e;
  }
}

/**
 * Verifies a trust document up to its keys: the envelope, the signature, the version rules and
 * every key's shape (as the trust file's), but no key imported yet. This is the part a forged or
 * garbage document costs, done in the list worker; the keys are plain JSON, so they cross to the
 * main thread as a copy. Throws ListRefused.
 */
export async function verifyTrustDocument(
  doc: Uint8Array | string,
  roots: RootKeySet,
  held: HeldList,
): Promise<Processed<TrustJwk[]>> {
  const { env, json, header, duplicate } = await verifiedHeader(doc, roots, 'trust', held);
  if (duplicate) return { outcome: 'duplicate', header };
  return withHeader(header, () => {
    const p = parsePayloadBody(header, json as Record<string, unknown>) as Extract<ListPayload, { keys: unknown[] }>;
    const c = checkJwkSet({ keys: p.keys }, TRUST_KEY_RULES);
    if (!c.ok) throw new ListRefused('malformed', new KeySetError(c.problems, c.privateKey).message);
    return { outcome: 'applied', header, kid: env.kid, signature: env.signature, list: c.keys as TrustJwk[] };
  });
}

/**
 * Imports the checked keys of a verified trust document (about 6 µs a key, on the thread that
 * decides with them). A key node:crypto cannot import refuses the document. Throws ListRefused.
 */
export function buildVerifiedTrustList(header: ListHeader, keys: readonly TrustJwk[]): TrustList {
  return withHeader(header, () => {
    try {
      return buildTrustList({ keys: [...keys] });
    } catch (e) {
      if (e instanceof ListFileError) throw new ListRefused('malformed', e.message);
      throw e;
    }
  });
}

/** Verifies and builds a trust list in one go (the CLI, tests). Throws ListRefused. */
export async function processTrustDocument(
  doc: Uint8Array | string,
  roots: RootKeySet,
  held: HeldList,
): Promise<Processed<TrustList>> {
  const r = await verifyTrustDocument(doc, roots, held);
  if (r.outcome === 'duplicate') return r;
  return { ...r, list: buildVerifiedTrustList(r.header, r.list) };
}

/**
 * Verifies a deny document and builds the compact list: a snapshot from scratch, a delta on the
 * held data (`held.data`, which must be the list of `held.version`). Throws ListRefused.
 */
export async function processDenyDocument(
  doc: Uint8Array | string,
  roots: RootKeySet,
  held: HeldList & { data?: CompactDenyData },
  nowSec: number,
): Promise<Processed<CompactDenyData>> {
  const { env, json, header, duplicate } = await verifiedHeader(doc, roots, 'deny', held);
  if (duplicate) return { outcome: 'duplicate', header };
  return withHeader(header, () => {
    const p = parsePayloadBody(header, json as Record<string, unknown>);
    let data: CompactDenyData;
    if ('sub' in p) data = buildCompactDeny(p.sub, p.cti);
    else if ('add' in p) {
      if (!held.data)
        throw new ListRefused(
          'missing_base',
          `delta on version ${header.baseVersion}, but no signed deny list is held`,
        );
      data = applyCompactDelta(held.data, p.add, p.remove, nowSec);
    } else throw new ListRefused('malformed', 'not a deny list');
    return { outcome: 'applied', header, kid: env.kid, signature: env.signature, list: data };
  });
}
