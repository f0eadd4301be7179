/**
 * One table of every reason (src/admission/reasons.ts): the token reasons keep their qr-token-v1
 * numbers, the service reasons have their own, no number is 0 (an accept) or used twice, and each
 * reason has a message class and a gate text.
 */
import { describe, expect, it } from 'vitest';
import { ADMISSION_REASONS, REASON_TABLE, SERVICE_REASONS } from '../../src/admission/reasons.ts';
import { MESSAGE_CLASS, MESSAGE_TEXT, REASONS, REASON_CODES } from '../../src/token/reasons.ts';

describe('reason numbers', () => {
  it('the token reasons keep their numbers (1..17 as released; 18, 19 for JT/T 1179)', () => {
    expect(REASONS).toEqual({
      malformed: 1,
      unsupported_alg: 2,
      unknown_key: 3,
      alg_mismatch: 4,
      key_not_valid: 5,
      bad_issuer_signature: 6,
      credential_not_yet_valid: 7,
      credential_expired: 8,
      bad_code_signature: 11,
      code_from_future: 12,
      code_expired: 13,
      denied: 14,
      mode_not_allowed: 15,
      duplicate: 16,
      replay: 17,
      bad_root_signature: 18,
      issuer_cert_expired: 19,
    });
    for (const r of REASON_CODES) {
      expect(REASON_TABLE[r]).toMatchObject({ number: REASONS[r], message: MESSAGE_CLASS[r], source: 'token' });
    }
  });

  it('the service reasons have their own numbers', () => {
    expect(SERVICE_REASONS).toEqual({ out_of_service: 20, anti_passback: 21, lists_stale: 22, store_unavailable: 23 });
    expect(ADMISSION_REASONS.filter((r) => REASON_TABLE[r].source === 'service').sort()).toEqual([
      'anti_passback',
      'lists_stale',
      'out_of_service',
      'store_unavailable',
    ]);
  });

  it('every number is unique and none is 0 (0 is an accept)', () => {
    const numbers = ADMISSION_REASONS.map((r) => REASON_TABLE[r].number);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers.every((n) => Number.isInteger(n) && n > 0)).toBe(true);
  });

  it.each([
    ['out_of_service', 'see_staff', 'Out of service: please use another gate'],
    ['anti_passback', 'see_staff', MESSAGE_TEXT.see_staff],
    ['lists_stale', 'see_staff', MESSAGE_TEXT.see_staff],
    ['store_unavailable', 'see_staff', MESSAGE_TEXT.see_staff],
    ['malformed', 'scan_again', 'Please scan again'],
    ['duplicate', 'silent', ''],
  ] as const)('%s: message class %s, gate text "%s"', (reason, message, text) => {
    expect(REASON_TABLE[reason]).toMatchObject({ message, text });
  });

  it('every token reason shows its message class text', () => {
    for (const r of REASON_CODES) expect(REASON_TABLE[r].text).toBe(MESSAGE_TEXT[MESSAGE_CLASS[r]]);
  });
});
