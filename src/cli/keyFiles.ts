/** Reading JWK files for the CLI (issuer and rider keys). */
import { JwkSchema, keyPairFromJwk } from '../mint/keys.ts';
import { formatIssues } from '../lists/issues.ts';
import { readJson } from './files.ts';
import { UsageError } from './usage.ts';
import { errorMessage } from '../errors/faregateError.ts';

export function loadJwk(path: string, what: string, needPrivate: boolean) {
  const r = JwkSchema.safeParse(readJson(path, what));
  if (!r.success) throw new UsageError(`${what} ${path}: ${formatIssues(r.error.issues)}`);
  let k;
  try {
    k = keyPairFromJwk(r.data);
  } catch (e) {
    throw new UsageError(`${what} ${path}: key cannot be imported (${errorMessage(e)})`);
  }
  if (needPrivate && !k.privateKey) throw new UsageError(`${what} ${path}: a private key (JWK with "d") is needed`);
  return { ...k, jwk: r.data };
}
