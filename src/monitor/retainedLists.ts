/**
 * The retained signed lists on the broker (`P/trust`, `P/deny`, `P/jtt-roots`), checked the way a
 * gate checks them (docs/signed-lists.md): the JWS envelope and its signature against the list root
 * keys, then the payload header, whose `type` must be the topic's (a JT/T root list: its whole
 * payload, every §5 rule, as a gate checks it before it puts it in force). A broker (or an account
 * that may publish there) can overwrite a retained list; gates refuse a forged one and keep their
 * verified list, so `faregate monitor --root-keys` shows it as LIST FORGED for the operator to
 * republish. A validly signed but older list is not forged (a gate holding a newer version ignores it).
 */
import { errorMessage } from '../errors/faregateError.ts';
import {
  ListRefused,
  parsePayloadHeader,
  verifyEnvelope,
  type ListType,
  type RootKeySet,
} from '../lists/signedList.ts';
import { JTT_ROOTS_LIST, verifyJttRootsDocument } from '../lists/signedListJttRoots.ts';

/** The lists a gate takes from retained messages: the trust and deny lists, the JT/T root list. */
export type RetainedListType = ListType | typeof JTT_ROOTS_LIST;

export type RetainedListCheck =
  | {
      type: RetainedListType;
      state: 'verified';
      version: number;
      kind: 'snapshot' | 'delta';
      kid: string;
      bytes: number;
    }
  | { type: RetainedListType; state: 'forged'; reason: string; detail: string; bytes: number };

/** Checks one retained document; null for an empty payload (no retained list). Never throws. */
export async function checkRetainedList(
  type: RetainedListType,
  payload: Uint8Array,
  roots: RootKeySet,
): Promise<RetainedListCheck | null> {
  const bytes = payload.byteLength;
  if (bytes === 0) return null;
  try {
    if (type === JTT_ROOTS_LIST) {
      const r = await verifyJttRootsDocument(payload, roots, { version: 0 });
      if (r.outcome !== 'applied') throw new Error('unexpected duplicate');
      return { type, state: 'verified', version: r.header.version, kind: 'snapshot', kid: r.kid, bytes };
    }
    const env = await verifyEnvelope(payload, roots);
    const header = parsePayloadHeader(JSON.parse(env.payload.toString('utf8')));
    if (header.type !== type) {
      const detail = `a ${header.type} list on the ${type} topic`;
      return { type, state: 'forged', reason: 'wrong_type', detail, bytes };
    }
    return { type, state: 'verified', version: header.version, kind: header.kind, kid: env.kid, bytes };
  } catch (e) {
    const reason = e instanceof ListRefused ? e.reason : 'malformed';
    return { type, state: 'forged', reason, detail: errorMessage(e).slice(0, 200), bytes };
  }
}
