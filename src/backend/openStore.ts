/**
 * `--db FILE|postgres://...`: opens the settlement store it names. A `postgres://` or
 * `postgresql://` URL is PostgreSQL (src/backend/pgStore.ts); anything else is a SQLite file
 * (src/backend/backendStore.ts), created if missing unless `readonly`.
 */
import type { Logger } from '../platform/logger.ts';
import { BackendStore } from './backendStore.ts';
import { PgStore } from './pgStore.ts';
import { isPostgresUrl, type SettlementStore } from './settlementStore.ts';

export interface OpenStoreOptions {
  readonly?: boolean;
  logger?: Logger;
  /** PostgreSQL's `application_name` (pg_stat_activity shows which backend holds a connection). */
  applicationName?: string;
  /** PostgreSQL's password when the URL has none (`--db-password-file`). */
  password?: string;
}

export async function openSettlementStore(db: string, opts: OpenStoreOptions = {}): Promise<SettlementStore> {
  const common = { ...(opts.readonly ? { readonly: true } : {}), ...(opts.logger ? { logger: opts.logger } : {}) };
  if (isPostgresUrl(db))
    return new PgStore({
      url: db,
      ...common,
      ...(opts.applicationName !== undefined ? { applicationName: opts.applicationName } : {}),
      ...(opts.password !== undefined ? { password: opts.password } : {}),
    }).open();
  return new BackendStore({ file: db, ...common }).open();
}
