// Baseline process for the verifyProcess benchmark: the least a `faregate verify` could do.
// Reads JSON lines from stdin in chunks, JSON.parses each, makes one bare crypto.verify per line
// (line i with key i mod K of the K pre-imported keys in argv[2], over that key's precomputed
// message and signature: as many distinct keys, in the same rotation, as the riders) and writes
// one answer per input line, as long as faregate's accept line (the answer in argv[2]), the
// answers to a chunk in one write: the same bytes through the same pipes. Plain JavaScript run by
// node itself, so that it pays Node's start-up and nothing else.
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const hash = spec.alg === 'EdDSA' ? null : 'sha256';
const triples = spec.triples.map(([jwk, m, s]) => {
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  return [
    spec.alg === 'EdDSA' ? key : { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(m, 'base64'),
    Buffer.from(s, 'base64'),
  ];
});
const answer = spec.answer + '\n';
let i = 0;
let pending = '';
let failures = 0;
const one = (line) => {
  if (line.length === 0) return '';
  JSON.parse(line);
  const [k, m, s] = triples[i++ % triples.length];
  if (!verify(hash, m, k, s)) failures++;
  return answer;
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  const lines = (pending + chunk).split('\n');
  pending = lines.pop();
  let out = '';
  for (const l of lines) out += one(l);
  process.stdout.write(out);
});
process.stdin.on('end', () => {
  process.stdout.write(one(pending));
  if (failures) process.exitCode = 1;
});
