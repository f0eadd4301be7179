/**
 * The settings side of signed acks (settlement-mqtt-v1 Amendment 1): a validator with an `mqtt`
 * section insists on signed acks. `settlement.backendKeys` (a JWK Set of the backend's public
 * keys, loaded by the one JWK-Set import; a private key is refused) pins them; without it the
 * service refuses to start unless `settlement.acceptUnsignedAcks: true` says to take v1 acks.
 */
import type { Config } from '../config/schema.ts';
import { errorMessage } from '../errors/faregateError.ts';
import { loadKeySetFile, type JwsKeySet } from '../lists/jws.ts';

export interface AckKeySetup {
  /** The pinned backend keys; undefined when unsigned acks are accepted (or there is no broker). */
  backendKeys?: JwsKeySet;
  /** Settings problems (the service refuses to start, exit 3). */
  problems: string[];
}

export const BACKEND_KEYS_REQUIRED =
  'settlement.backendKeys: required with mqtt (a JWK Set file of the settlement backend public keys, so that only ' +
  'signed acks settle taps); or set settlement.acceptUnsignedAcks: true to take unsigned acks';

export function setupAckKeys(config: Config): AckKeySetup {
  const s = config.settlement;
  if (!config.mqtt) return { problems: [] };
  if (!s.backendKeys) return { problems: s.acceptUnsignedAcks ? [] : [BACKEND_KEYS_REQUIRED] };
  try {
    return { backendKeys: loadKeySetFile(s.backendKeys), problems: [] };
  } catch (e) {
    return { problems: [`settlement.backendKeys: ${errorMessage(e)}`] };
  }
}
