/**
 * One JWK-Set import (src/lists/jwkSet.ts) for trust files, signed-list root keys and command
 * operator keys: the same shape checks and the same errors everywhere, every problem listed with
 * its path, and a private key refused by each of them with FG-404.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FaregateError } from '../../src/errors/faregateError.ts';
import { loadListSettings } from '../../src/fleet/listSync.ts';
import { keySetFromJson, loadKeySetFile } from '../../src/lists/jws.ts';
import { KeySetError, ListFileError } from '../../src/lists/listErrors.ts';
import { loadListFiles } from '../../src/lists/loadListFiles.ts';
import { rootKeysFromJson } from '../../src/lists/signedList.ts';
import { trustListFromJson } from '../../src/lists/trustFile.ts';
import { generateKeyPair, publicJwk } from '../../src/mint/keys.ts';
import { ALG_EDDSA, ALG_ES256 } from '../../src/token/cose.ts';

const ed = generateKeyPair(ALG_EDDSA, Buffer.from('k1'));
const es = generateKeyPair(ALG_ES256, Buffer.from('k2'));
/** Trust files name keys by the base64url of their COSE kid; JWS key sets by text. */
const trustJwk = (p = ed) => publicJwk(p);
const jwsJwk = (p = ed, kid = 'op-1') => ({ ...publicJwk(p), kid });

const USES = {
  'trust file': (keys: unknown[]) => trustListFromJson({ keys }),
  'list root keys': (keys: unknown[]) => rootKeysFromJson({ keys }),
  'command operator keys': (keys: unknown[]) => keySetFromJson({ keys }),
} as const;

function thrown(f: () => unknown): FaregateError {
  try {
    f();
  } catch (e) {
    return e as FaregateError;
  }
  throw new Error('accepted');
}

describe('one JWK-Set import', () => {
  for (const [use, load] of Object.entries(USES)) {
    const jwk = use === 'trust file' ? trustJwk : jwsJwk;
    it(`${use}: a private key is refused (FG-404), saying so`, () => {
      const priv = {
        ...(ed.privateKey.export({ format: 'jwk' }) as Record<string, unknown>),
        kid: jwk().kid,
        alg: 'EdDSA',
      };
      const e = thrown(() => load([priv]));
      expect(e).toBeInstanceOf(KeySetError);
      expect(e.code).toBe('PRIVATE_KEY_IN_KEY_SET');
      expect(e.tag).toBe('FG-404');
      expect(e.message).toMatch(/keys\.0\.d: holds a private key \("d"\): a key set holds public keys only/);
      // Any private member, not only d.
      expect(thrown(() => load([{ ...jwk(), p: 'AA' }])).code).toBe('PRIVATE_KEY_IN_KEY_SET');
    });

    it(`${use}: the same shape rules, every problem listed with its path (FG-403)`, () => {
      const e = thrown(() =>
        load([
          { ...jwk(), crv: 'P-256' },
          { ...jwk(es, use === 'trust file' ? undefined : 'op-2'), alg: 'EdDSA' },
          { ...jwk(), kty: 'RSA', x: 'a=b', nbf: -1 },
          { ...jwk(es, use === 'trust file' ? undefined : 'op-3'), nbf: 20, exp: 10 },
        ]),
      );
      expect(e).toBeInstanceOf(ListFileError);
      expect(e.code).toBe('KEY_SET_INVALID');
      for (const p of [
        'keys.0.crv: crv P-256 does not go with kty OKP',
        'keys.0.y: P-256 key needs y',
        'keys.1.alg: alg EdDSA does not go with crv P-256',
        'keys.2.kty: must be OKP or EC',
        'keys.2.x: must be base64url without padding',
        'keys.2.nbf: must be Unix seconds',
        'keys.3.exp: exp is before nbf',
      ])
        expect(e.message).toContain(p);
      expect(thrown(() => load([jwk(), jwk()])).message).toMatch(/keys\.1\.kid: repeated kid/);
      expect(thrown(() => load(['key'])).message).toBe('keys.0: must be an object (a JWK)');
    });

    it(`${use}: good keys of both algorithms import`, () => {
      const r = load([jwk(), jwk(es, use === 'trust file' ? undefined : 'op-2')]) as { size: number };
      expect(r.size).toBe(2);
    });
  }

  it('what differs by use is only what the use defines: kid format, alg required, may be empty', () => {
    expect(trustListFromJson({ keys: [] }).size).toBe(0);
    expect(thrown(() => rootKeysFromJson({ keys: [] })).message).toBe('keys: must hold at least one key');
    const { alg: _alg, ...noAlg } = jwsJwk();
    expect(keySetFromJson({ keys: [noAlg] }).get('op-1')?.algName).toBe('EdDSA');
    expect(thrown(() => trustListFromJson({ keys: [{ ...trustJwk(), alg: undefined }] })).message).toBe(
      'keys.0.alg: must be EdDSA or ES256',
    );
    expect(
      thrown(() => trustListFromJson({ keys: [{ ...trustJwk(), kid: 'AAECAwQFBgcICQoLDA0ODxA' }] })).message,
    ).toMatch(/kid must be 1\.\.16 bytes/);
  });

  it('files: the setting and the file are named; a private key in any of them stops the start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-keysets-'));
    const priv = { ...(es.privateKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: 'op-1', alg: 'ES256' };
    writeFileSync(join(dir, 'ops.json'), JSON.stringify({ keys: [priv] }));
    writeFileSync(join(dir, 'trust.json'), JSON.stringify({ keys: [{ ...priv, kid: 'azI' }] }));
    expect(() => loadKeySetFile(join(dir, 'ops.json'))).toThrow(
      /ops\.json is unusable: keys\.0\.d: holds a private key/,
    );
    expect(() => loadKeySetFile(join(dir, 'missing.json'))).toThrow(/missing\.json: file not found/);
    expect(loadListFiles(join(dir, 'trust.json'), undefined).problems).toEqual([
      expect.stringMatching(/^trust\.file: .*trust\.json is unusable: keys\.0\.d: holds a private key/),
    ]);
    const cfg = {
      rootKeys: join(dir, 'ops.json'),
      maxAgeSeconds: { trust: 1, deny: 1 },
      stalePolicy: 'reject' as const,
    };
    expect(loadListSettings(cfg, { trust: join(dir, 'trust.json') }).problems).toEqual([
      expect.stringMatching(/^lists\.rootKeys: .*ops\.json: unusable: keys\.0\.d: holds a private key/),
    ]);
  });
});
