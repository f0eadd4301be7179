/**
 * The credential-format port holds (docs/credential-formats.md): outside src/token, only the parts
 * that deal with FG1 bytes or keys themselves import FG1's internals (COSE, CBOR, base45, the
 * ride-code parser, COSE keys): `faregate inspect`, the minter and key files, the list and trust
 * loaders, the JWS of signed lists and commands. The admission core, the store, the settlement
 * contract and the service know decisions only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const INTERNALS = /from '(?:\.\.\/)+token\/(cose|cbor|base45|rideCode|coseKey)\.ts'/g;

/** Where FG1 internals may be used outside src/token, and why. */
const ALLOWED = [
  'src/cli/commands/inspect.ts', // decodes FG1 codes without trusting them
  'src/cli/commands/keys.ts', // key files (algorithm names)
  'src/cli/commands/lists.ts', // signs list files
  'src/mint/', // makes FG1 credentials and codes
  'src/lists/', // trust and deny list loaders build FG1 trust keys; signed lists
  'src/fleet/jws.ts', // signatures of signed commands
];
const MUST_NOT = ['src/admission/', 'src/store/', 'src/contract/', 'src/settlement/', 'src/service/', 'src/policy/'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|mjs)$/.test(e.name) ? [p] : [];
  });
}

const users = sources(join(ROOT, 'src'))
  .map((f) => relative(ROOT, f))
  .filter((f) => !f.startsWith('src/token/'))
  .filter((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(INTERNALS)].length > 0);

describe('FG1 internals stay behind the credential-format port', () => {
  it('are imported outside src/token only where FG1 bytes or keys are handled', () => {
    expect(users).toContain('src/cli/commands/inspect.ts'); // the scan finds them
    expect(users.filter((f) => !ALLOWED.some((a) => f.startsWith(a)))).toEqual([]);
  });
  it('the admission core, the store, the contract, settlement, the service and the policy use none', () => {
    expect(users.filter((f) => MUST_NOT.some((a) => f.startsWith(a)))).toEqual([]);
  });
});
