/** The compact hashed deny list: same answers as a Set of lower-cased hex, built inline or in a worker. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rootKeysFromJson } from '../../src/lists/signedList.ts';
import {
  applyCompactDelta,
  buildCompactDeny,
  BYTES_PER_ENTRY,
  HashedDenyList,
  type DenyIds,
} from '../../src/lists/signedListDeny.ts';
import { runDenyJob } from '../../src/lists/signedListJob.ts';
import { SetDenyList } from '../../src/token/denyList.ts';
import { denyDelta, denySnapshot, makeRoot, randomIds } from './support.ts';

const ids = (xs: string[], exps?: number[]): DenyIds => ({ ids: xs, exps: Uint32Array.from(exps ?? xs.map(() => 0)) });
const hex = fc.uint8Array({ minLength: 1, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));

describe('hashed deny list', () => {
  it('answers like SetDenyList (any case, sub and cti apart)', () => {
    fc.assert(
      fc.property(
        fc.array(hex, { maxLength: 60 }),
        fc.array(hex, { maxLength: 60 }),
        fc.array(hex, { maxLength: 30 }),
        (subs, ctis, probes) => {
          const upper = (xs: string[]) => xs.map((x, i) => (i % 2 ? x.toUpperCase() : x));
          const set = new SetDenyList(upper(subs), upper(ctis));
          const hashed = new HashedDenyList(buildCompactDeny(ids(upper(subs)), ids(upper(ctis))), () => 0);
          expect(hashed.size).toBe(set.size);
          for (const p of [...subs, ...ctis, ...probes]) {
            expect(hashed.denies(p, 'ff'.repeat(40))).toBe(set.denies(p, 'ff'.repeat(40)));
            expect(hashed.denies('ff'.repeat(40), p)).toBe(set.denies('ff'.repeat(40), p));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('repeated ids keep the longest exp; a delta removes, adds and drops expired entries', () => {
    let now = 100;
    const data = buildCompactDeny(ids(['aa', 'AA', 'bb', 'bb', 'cc'], [150, 0, 150, 300, 120]), ids([]));
    const l = new HashedDenyList(data, () => now);
    expect(l.size).toBe(3);
    now = 200;
    expect([l.denies('aa', ''), l.denies('bb', ''), l.denies('cc', '')]).toEqual([true, true, false]);
    const d = applyCompactDelta(data, { sub: ids(['dd']), cti: ids(['aa']) }, { sub: ['AA'], cti: [] }, now);
    const l2 = new HashedDenyList(d, () => now);
    expect([l2.denies('aa', ''), l2.denies('bb', ''), l2.denies('dd', ''), l2.denies('', 'aa'), l2.size]).toEqual([
      false,
      true,
      true,
      true,
      3,
    ]);
  });

  it('1,000,000 entries: built in a worker from a signed document, 12 bytes an entry, lookups match a Set', async () => {
    const root = makeRoot();
    const roots = rootKeysFromJson({ keys: [root.jwk] });
    const subs = randomIds(600_000);
    const ctis = randomIds(400_000);
    const doc = Buffer.from(
      denySnapshot(root, 7, {
        sub: subs.map((s, i) => (i % 10 === 0 ? { id: s.toUpperCase(), exp: 4_000_000_000 } : s)),
        cti: ctis,
      }),
    );
    const docBytes = doc.byteLength;
    const t0 = performance.now();
    const dir = mkdtempSync(join(tmpdir(), 'fg-deny-1m-'));
    const opts = { persistDir: dir };
    const job = await runDenyJob(doc, roots, { keys: [root.jwk] }, { version: 0 }, Date.now() / 1000, opts);
    expect(job.via).toBe('worker');
    if (job.result.outcome !== 'applied') throw new Error('not applied');
    expect(job.result.header.version).toBe(7);
    expect(job.result.list.buffer.byteLength).toBe(1_000_000 * BYTES_PER_ENTRY);
    // The document went to the worker by transfer, and the worker wrote it to the list files
    // itself: its bytes did not come back to this thread.
    expect(doc.byteLength).toBe(0);
    expect(job.doc).toBeUndefined();
    expect(job.persisted).toBe('deny.jws.json');
    expect(statSync(join(dir, 'deny.jws.json')).size).toBe(docBytes);
    rmSync(dir, { recursive: true, force: true });
    console.log(
      `1M-entry document ${(docBytes / 1e6).toFixed(1)} MB: verified and built in ${(performance.now() - t0).toFixed(0)} ms (worker heap ${((job.workerHeapBytes ?? 0) / 1e6).toFixed(0)} MB)`,
    );
    const list = new HashedDenyList(job.result.list, () => Date.now() / 1000);
    const set = new SetDenyList(subs, ctis);
    expect(list.size).toBe(1_000_000);
    const probes = [...subs.slice(0, 5000), ...ctis.slice(-5000), ...randomIds(20_000), ...randomIds(1000, 16)];
    for (const p of probes) {
      expect(list.denies(p, '00')).toBe(set.denies(p, '00'));
      expect(list.denies('00', p)).toBe(set.denies('00', p));
    }
    // A delta on the 1M list (also in the worker, the held list being large).
    const delta = Buffer.from(
      denyDelta(root, 8, 7, { sub: ['0badc0de'] }, { sub: subs.slice(0, 10), cti: [ctis[0]!] }),
    );
    const j2 = await runDenyJob(
      delta,
      roots,
      { keys: [root.jwk] },
      { version: 7, data: job.result.list, entries: list.size },
      Date.now() / 1000,
    );
    expect(j2.via).toBe('worker');
    if (j2.result.outcome !== 'applied') throw new Error('delta not applied');
    const l2 = new HashedDenyList(j2.result.list, () => Date.now() / 1000);
    expect([
      l2.size,
      l2.denies(subs[0]!, ''),
      l2.denies(subs[11]!, ''),
      l2.denies('0BADC0DE', ''),
      l2.denies('', ctis[0]!),
      l2.denies('', ctis[1]!),
    ]).toEqual([1_000_000 - 11 + 1, false, true, true, false, true]);
    // Generous: it builds and signs 27 MB and verifies it in a worker; on a loaded 2-core machine that takes a while.
  }, 120_000);
});
