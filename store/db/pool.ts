/** PostgreSQL connection pools with the type parsing Countersign relies on. */
import pg from 'pg';
import type { Logger } from '../../config/logger.js';

const DATE_OID = 1082;
const TIMESTAMPTZ_OID = 1184;

/**
 * NUMERIC stays a string (pg's default) so that no price ever passes through a binary float;
 * repositories turn it into Dec. DATE stays the 'YYYY-MM-DD' text: pg's default would build a
 * local-time Date and shift trading days across time zones.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === DATE_OID) return (value: string) => value;
    if (oid === TIMESTAMPTZ_OID) return (value: string) => new Date(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** Opens a pool on `url`. Connection attempts give up after `connectTimeoutMs`. */
export function createPool(
  url: string,
  options: {
    max?: number;
    connectTimeoutMs?: number;
    applicationName?: string;
    logger?: Logger;
  } = {},
): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'countersign',
    types,
  });
  // An idle client that loses its server (restart, network) emits 'error' on the pool; without a
  // listener that would crash the process. The pool drops that client; the next checkout reconnects.
  // Once the pool is ending, a connection cut by the server's shutdown is expected, not news: pg's
  // end() resolves before its clients have closed, and the embedded PostgreSQL is stopped next.
  pool.on('error', (error) => {
    if (pool.ending) return;
    options.logger?.warn({ err: error }, 'an idle database connection failed');
  });
  return pool;
}

/** Runs `work` in one transaction on one client: COMMIT when it resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true; // a connection that cannot even roll back is not given to the next caller
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Host and port of a PostgreSQL URL, for messages (never the password). */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}
