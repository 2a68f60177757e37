/** The principal a command-line user acts as: one with a command-line identity (`local` by default). */
import type { Pool } from '../store/db/pool.js';
import { UsageError } from './run-options.js';

/** The id of principal `handle`, which must hold a live 'cli' identity; UsageError otherwise. */
export async function cliPrincipal(pool: Pool, handle: string): Promise<string> {
  if (!/^[a-z0-9_-]{1,40}$/.test(handle))
    throw new UsageError(`--as "${handle}" is not a principal name (1-40 of a-z, 0-9, _ and -)`);
  const { rows } = await pool.query<{ id: string }>(
    `SELECT p.id FROM principals p JOIN identities i ON i.principal_id = p.id
      WHERE p.handle = $1 AND p.disabled_at IS NULL AND i.kind = 'cli' AND i.revoked_at IS NULL LIMIT 1`,
    [handle],
  );
  if (!rows[0])
    throw new UsageError(
      `no principal "${handle}" with a command-line identity; the built-in one is "local"`,
    );
  return rows[0].id;
}
