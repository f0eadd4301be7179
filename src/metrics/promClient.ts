/**
 * prom-client, loaded on first use: it takes tens of milliseconds to load (hundreds on a busy
 * 2-core board), so a validator without a health port, `faregate backend report` and the other
 * commands never load it, and a validator with one loads it while it is built, before its scanner
 * starts (src/health/healthMonitor.ts), never between two frames. prom-client is CommonJS, so a
 * synchronous require works.
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

let loaded: typeof PromClient | undefined;

export function promClient(): typeof PromClient {
  return (loaded ??= createRequire(import.meta.url)('prom-client') as typeof PromClient);
}
