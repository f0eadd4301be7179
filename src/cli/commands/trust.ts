/**
 * `faregate trust build --key PUBLIC.jwk.json [--nbf UNIX] [--exp UNIX] ... [--out TRUST.json]`
 * (src/cli/spec/trust.ts):
 * a trust list (JWK Set) from issuer public keys; `--nbf`/`--exp` apply to the `--key` before them.
 */
import { parseArgs } from 'node:util';
import { ListFileError, trustListFromJson } from '../../lists/trustFile.ts';
import { readArgs } from '../args.ts';
import { writePublic } from '../files.ts';
import type { CliIo } from '../io.ts';
import { loadJwk } from '../keyFiles.ts';
import { TRUST_BUILD } from '../spec/trust.ts';
import { ArgumentError, UsageError } from '../usage.ts';

function unix(flag: string, v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v))
    throw new ArgumentError('trust build', `--${flag} must be Unix seconds (a whole number), not ${JSON.stringify(v)}`);
  return Number(v);
}

export async function trustCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'build') throw new UsageError(`trust: unknown subcommand ${sub ?? '(none)'} (build)`);
  // The declaration checks the options; the tokens keep their order (--nbf/--exp follow a --key).
  readArgs(TRUST_BUILD, rest);
  const { tokens } = parseArgs({
    args: rest,
    options: Object.fromEntries(
      Object.entries(TRUST_BUILD.options).map(([n, o]) => [n, { type: o.type, multiple: o.multiple === true }]),
    ),
    tokens: true,
    strict: false,
  });
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
      if (!last) throw new ArgumentError('trust build', `--${t.name} must follow a --key`);
      last[t.name] = unix(t.name, t.value);
    } else if (t.name === 'out') out = t.value;
  }
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
