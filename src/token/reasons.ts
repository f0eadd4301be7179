/**
 * Outcomes of a ride-code decision: the spec's reason codes (qr-token-v1 §4), each with a
 * stable number (the first check that yields it) and the passenger-facing message class a
 * gate shows or speaks.
 */

export const REASONS = {
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
  /** JT/T 1179 only: the root signature over the issuer certificate fails (jtt1179-reading §4 check 5). */
  bad_root_signature: 18,
  /** JT/T 1179 only: the issuer certificate's expiry month is over (jtt1179-reading §4 check 6). */
  issuer_cert_expired: 19,
} as const;

export type Reason = keyof typeof REASONS;
export const REASON_CODES = Object.keys(REASONS) as Reason[];
export type DecisionKind = 'accept' | 'reject' | 'ignore';

/**
 * What the rider is told. `go`: OK, board / enter; `silent`: nothing (a second read of a code
 * that was just accepted; Alipay terminals stay quiet too); `refresh_code`: the code on the
 * screen is stale or used, refresh it; `scan_again`: the read was not a ride code;
 * `renew_in_app`: the credential is out of date, open the app online; `invalid_code`: a code
 * this system cannot honour; `see_staff`: the account is blocked; `not_valid_here`: the
 * credential does not cover this mode.
 */
export type MessageClass =
  'go' | 'silent' | 'refresh_code' | 'scan_again' | 'renew_in_app' | 'invalid_code' | 'see_staff' | 'not_valid_here';

export const MESSAGE_CLASS: Record<Reason, MessageClass> = {
  malformed: 'scan_again',
  unsupported_alg: 'invalid_code',
  unknown_key: 'invalid_code',
  alg_mismatch: 'invalid_code',
  key_not_valid: 'invalid_code',
  bad_issuer_signature: 'invalid_code',
  credential_not_yet_valid: 'renew_in_app',
  credential_expired: 'renew_in_app',
  bad_code_signature: 'invalid_code',
  code_from_future: 'refresh_code',
  code_expired: 'refresh_code',
  denied: 'see_staff',
  mode_not_allowed: 'not_valid_here',
  duplicate: 'silent',
  replay: 'refresh_code',
  bad_root_signature: 'invalid_code',
  issuer_cert_expired: 'renew_in_app',
};

export const MESSAGE_TEXT: Record<MessageClass, string> = {
  go: 'OK',
  silent: '',
  refresh_code: 'Please refresh your ride code',
  scan_again: 'Please scan again',
  renew_in_app: 'Ride code out of date: open the app online',
  invalid_code: 'Invalid ride code',
  see_staff: 'Please see staff',
  not_valid_here: 'Not valid on this service',
};
