/**
 * The credential-format port (src/token/credentialFormat.ts): the first format that recognises a
 * frame decides it, a frame no format recognises (or one over 1024 characters) is `malformed` with
 * no `format`, `remember` reaches the format that decided, and FG1 decisions carry `format: 'fg1'`.
 */
import { describe, expect, it } from 'vitest';
import { CredentialRouter, type CredentialFormat } from '../../src/token/credentialFormat.ts';
import type { Decision } from '../../src/token/decision.ts';
import { credentialRouter } from '../../src/token/formats.ts';
import { REASONS } from '../../src/token/reasons.ts';
import { makeValidator, NOW, rideCode } from '../support/fixtures.ts';

/** A format that accepts every frame starting with its prefix, and records what it was told. */
function fakeFormat(id: string, prefix: string): CredentialFormat & { evaluated: string[]; remembered: string[] } {
  const f = {
    id,
    evaluated: [] as string[],
    remembered: [] as string[],
    recognises: (text: string) => text.startsWith(prefix),
    evaluate(text: string, nowSec: number): Decision {
      f.evaluated.push(text);
      return { decision: 'accept', reasonNumber: 0, message: 'go', at: nowSec, format: id, codeId: text, subHex: 'ab' };
    },
    remember(d: Decision) {
      f.remembered.push(d.codeId!);
    },
  };
  return f;
}

describe('credential router', () => {
  it('the first format that recognises a frame decides it', () => {
    const a = fakeFormat('aa', 'A:');
    const b = fakeFormat('bb', 'B:');
    const r = new CredentialRouter([a, b]);
    expect(r.evaluate('B:1', NOW)).toMatchObject({ decision: 'accept', format: 'bb' });
    expect(r.evaluate('A:2', NOW)).toMatchObject({ decision: 'accept', format: 'aa' });
    expect([a.evaluated, b.evaluated]).toEqual([['A:2'], ['B:1']]);
    expect(r.ids).toEqual(['aa', 'bb']);
  });

  it('a frame no format recognises is malformed, with no format', () => {
    const a = fakeFormat('aa', 'A:');
    const d = new CredentialRouter([a]).evaluate('HELLO', NOW);
    const detail = 'not a ride code of a known format';
    const reasonNumber = REASONS.malformed;
    const message = 'scan_again';
    expect(d).toEqual({ decision: 'reject', reason: 'malformed', reasonNumber, message, at: NOW, detail });
    expect(a.evaluated).toEqual([]);
  });

  it('a frame over 1024 characters is malformed before any format looks at it', () => {
    const a = fakeFormat('aa', 'A:');
    const d = new CredentialRouter([a]).evaluate(`A:${'x'.repeat(1023)}`, NOW);
    expect(d).toMatchObject({ decision: 'reject', reason: 'malformed', detail: 'text longer than 1024 characters' });
    expect(d.format).toBeUndefined();
    expect(a.evaluated).toEqual([]);
  });

  it('remember goes to the format that decided; decide remembers accepts only', () => {
    const a = fakeFormat('aa', 'A:');
    const b = fakeFormat('bb', 'B:');
    const r = new CredentialRouter([a, b]);
    r.remember(r.evaluate('B:1', NOW));
    r.decide('A:2', NOW);
    r.decide('C:3', NOW);
    expect([a.remembered, b.remembered]).toEqual([['A:2'], ['B:1']]);
  });

  it('refuses a format listed twice', () => {
    expect(() => new CredentialRouter([fakeFormat('aa', 'A:'), fakeFormat('aa', 'B:')])).toThrow(/listed twice/);
  });

  it('FG1 is the first format: its decisions carry format fg1, replays are caught after remember', () => {
    const fg1 = makeValidator();
    const r = credentialRouter({ fg1 });
    const text = rideCode().text;
    const first = r.evaluate(text, NOW);
    expect(first).toMatchObject({ decision: 'accept', format: 'fg1' });
    r.remember(first);
    expect(r.evaluate(text, NOW + 10)).toMatchObject({ decision: 'reject', reason: 'replay', format: 'fg1' });
    const broken = r.evaluate('FG1:not base45 ~', NOW);
    expect(broken).toMatchObject({ decision: 'reject', reason: 'malformed', format: 'fg1' });
  });
});
