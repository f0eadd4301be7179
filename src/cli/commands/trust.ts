/**
 * `faregate trust build --key PUBLIC.jwk.json [--nbf UNIX] [--exp UNIX] ... [--out TRUST.json]`:
 * a trust list (JWK Set) from issuer public keys; `--nbf`/`--exp` apply to the `--key` before them.
 */
import { parseArgs } from 'node:util';
import { ListFileError, trustListFromJson } from '../../lists/trustFile.ts';
import { writePublic } from '../files.ts';
import type { CliIo } from '../io.ts';
import { loadJwk } from '../keyFiles.ts';
import { UsageError } from '../usage.ts';

export const TRUST_USAGE = 'faregate trust build --key PUBLIC.jwk.json [--nbf UNIX] [--exp UNIX] [--key ...] [--out TRUST.json]';

function unix(flag: string, v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`trust build: --${flag} must be Unix seconds (a whole number)`);
  return Number(v);
}

export async function trustCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'build') throw new UsageError(`trust: unknown subcommand ${sub ?? '(none)'}; usage: ${TRUST_USAGE}`);
  let tokens;
  try {
    tokens = parseArgs({
      args: rest,
      options: { key: { type: 'string', multiple: true }, nbf: { type: 'string', multiple: true }, exp: { type: 'string', multiple: true }, out: { type: 'string' } },
      tokens: true,
      strict: true,
    }).tokens;
  } catch (e) {
    throw new UsageError(`trust build: ${(e as Error).message}`);
  }
  const keys: Record<string, unknown>[] = [];
  let out: string | undefined;
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    if (t.name === 'key') {
      const k = loadJwk(t.value!, 'issuer key', false);
      const { d: _private, ...pub } = k.jwk;
      if (!pub.kid) throw new UsageError(`trust build: issuer key ${t.value} has no kid`);
      keys.push({ ...pub, alg: pub.alg ?? (k.alg === -8 ? 'EdDSA' : 'ES256') });
    } else if (t.name === 'nbf' || t.name === 'exp') {
      const last = keys.at(-1);
      if (!last) throw new UsageError(`trust build: --${t.name} must follow a --key`);
      last[t.name] = unix(t.name, t.value);
    } else if (t.name === 'out') out = t.value;
  }
  if (keys.length === 0) throw new UsageError(`trust build: give at least one --key; usage: ${TRUST_USAGE}`);
  const set = { keys };
  try {
    trustListFromJson(set);
  } catch (e) {
    if (e instanceof ListFileError) throw new UsageError(`trust build: ${e.message}`);
    throw e;
  }
  const text = JSON.stringify(set, null, 2) + '\n';
  if (out) writePublic(out, text);
  else await io.writeLine(text.trimEnd());
  return 0;
}
