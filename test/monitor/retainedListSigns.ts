/** Root keys and signed list documents for the monitor tests (as the operator makes them). */
import { randomBytes } from 'node:crypto';
import { generateKeyPair, publicJwk } from '../../src/mint/keys.ts';
import { signList, type Signer } from '../../src/lists/signedList.ts';
import { ALG_EDDSA } from '../../src/token/cose.ts';

export interface Root {
  signer: Signer;
  jwk: Record<string, unknown>;
}

export function makeRoot(kid = `root-${randomBytes(3).toString('hex')}`): Root {
  const pair = generateKeyPair(ALG_EDDSA, Buffer.from(kid));
  return { signer: { alg: ALG_EDDSA, kid, privateKey: pair.privateKey }, jwk: { ...publicJwk(pair), kid } };
}

const now = () => Math.floor(Date.now() / 1000);

export const trustDoc = (root: Root, version: number): string =>
  JSON.stringify(signList({ type: 'trust', version, issuedAt: now(), kind: 'snapshot', keys: [] }, root.signer));

export const denyDoc = (root: Root, version: number): string =>
  JSON.stringify(signList({ type: 'deny', version, issuedAt: now(), kind: 'snapshot', sub: [], cti: [] }, root.signer));

/** A JT/T root list (jtt1179-reading §5 entries) signed by `root`. */
export const jttRootsDoc = (root: Root, version: number, roots: unknown[]): string =>
  JSON.stringify(signList({ type: 'jtt-roots', version, issuedAt: now(), kind: 'snapshot', roots }, root.signer));
