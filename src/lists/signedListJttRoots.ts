/**
 * The signed JT/T root list (docs/signed-lists.md, "JT/T root list"): the jtt1179-reading §5 root
 * keys in the same JWS envelope as the trust list, signed by the same list root keys
 * (`lists.rootKeys`), snapshots only. The payload is JSON:
 *
 *   {"type": "jtt-roots", "version": N, "issuedAt": UNIX, "kind": "snapshot", "roots": [§5 entries]}
 *
 * Pure: no I/O. The version rules are the trust list's: the held document again is a duplicate, a
 * version not above the held one is a rollback. Every §5 problem of `roots` is listed in the refusal.
 * A gate verifies the document in the list worker (verifyJttRootsDocument, src/lists/signedListJob.ts:
 * runJttRootsJob) and builds the roots from the checked entries it returns (buildJttRoots); their
 * keys are made when first used (src/token/jtt/roots.ts).
 */
import { z } from 'zod';
import { errorMessage } from '../errors/faregateError.ts';
import { jttRoot, JttRoots, type JttRootEntry } from '../token/jtt/roots.ts';
import { formatIssues } from './issues.ts';
import { jttRootsAllProblems } from './jttRootsFile.ts';
import { ListRefused, verifyEnvelope, type HeldList, type RefusalReason, type RootKeySet } from './signedList.ts';

/** The list's name in payloads, events, the status and its topic (`P/jtt-roots`). */
export const JTT_ROOTS_LIST = 'jtt-roots';

export interface JttRootsHeader {
  type: typeof JTT_ROOTS_LIST;
  version: number;
  issuedAt: number;
  kind: 'snapshot';
}

const PayloadSchema = z.strictObject({
  type: z.literal(JTT_ROOTS_LIST),
  version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  issuedAt: z.number().int().nonnegative(),
  kind: z.literal('snapshot', { error: 'JT/T root lists are snapshots only' }),
  roots: z.array(z.unknown()),
});

/** The payload of a JT/T root list (checked, the roots built), or ListRefused('malformed'). */
export function parseJttRootsPayload(json: unknown): { header: JttRootsHeader; roots: JttRoots } {
  const r = PayloadSchema.safeParse(json);
  if (!r.success) throw new ListRefused('malformed', formatIssues(r.error.issues));
  const { roots: entries, ...header } = r.data;
  const built = jttRootsAllProblems({ roots: entries });
  if (!built.roots) throw new ListRefused('malformed', built.problems.join('; '));
  return { header, roots: built.roots };
}

/** A refused JT/T root list, with its version when it could be read (after the signature). */
export class JttRootsRefused extends ListRefused {
  constructor(
    reason: RefusalReason,
    detail: string,
    readonly version?: number,
  ) {
    super(reason, detail);
  }
}

export type ProcessedJttRoots =
  | { outcome: 'applied'; header: JttRootsHeader; kid: string; signature: string; roots: JttRoots }
  | { outcome: 'duplicate'; header: JttRootsHeader };

/** What the list worker answers: the checked entries (plain data) instead of the roots. */
export type VerifiedJttRoots =
  | { outcome: 'applied'; header: JttRootsHeader; kid: string; signature: string; roots: JttRootEntry[] }
  | { outcome: 'duplicate'; header: JttRootsHeader };

/**
 * Verifies a JT/T root list against the list root keys and the held version, up to its checked
 * entries (the envelope, the signature, the payload, every §5 rule). Throws ListRefused.
 */
export async function verifyJttRootsDocument(
  doc: Uint8Array | string,
  rootKeys: RootKeySet,
  held: HeldList,
): Promise<VerifiedJttRoots> {
  const env = await verifyEnvelope(doc, rootKeys);
  let json: unknown;
  try {
    json = JSON.parse(env.payload.toString('utf8'));
  } catch (e) {
    throw new ListRefused('malformed', `payload is not JSON (${errorMessage(e)})`);
  }
  const type = (json as { type?: unknown } | null)?.type;
  if (type !== JTT_ROOTS_LIST && (type === 'trust' || type === 'deny'))
    throw new ListRefused('wrong_type', `a ${type} list on the ${JTT_ROOTS_LIST} topic`);
  const { header, roots } = parseJttRootsPayload(json);
  if (header.version === held.version && env.signature === held.signature) return { outcome: 'duplicate', header };
  if (header.version <= held.version)
    throw new JttRootsRefused(
      'rollback',
      `version ${header.version} is not above the held version ${held.version}`,
      header.version,
    );
  return { outcome: 'applied', header, kid: env.kid, signature: env.signature, roots: roots.entries() };
}

/** The roots of a verified document (its entries were checked: nothing is computed here). */
export function buildJttRoots(r: VerifiedJttRoots): ProcessedJttRoots {
  return r.outcome === 'duplicate' ? r : { ...r, roots: new JttRoots(r.roots.map(jttRoot)) };
}

/** Verifies a JT/T root list on this thread and builds its roots. Throws ListRefused. */
export async function processJttRootsDocument(
  doc: Uint8Array | string,
  rootKeys: RootKeySet,
  held: HeldList,
): Promise<ProcessedJttRoots> {
  return buildJttRoots(await verifyJttRootsDocument(doc, rootKeys, held));
}
