/**
 * Handled-once bookkeeping for chat updates: a Telegram update_id or a Slack event_id is
 * recorded in bot_updates before it is handled, so a duplicated update, a Slack retry or a
 * redelivery after a restart is handled once. Rows older than a week are dropped.
 */
import type { Pool } from '../store/db/pool.js';
import type { ChatKind } from '../store/repos/chat-links-repo.js';

/** True the first time (channel, key) is seen; false for a repeat. */
export async function firstTime(pool: Pool, channel: ChatKind, key: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    'INSERT INTO bot_updates (channel, update_key) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [channel, key.slice(0, 200)],
  );
  return rowCount === 1;
}

/** Drops what is older than `days` (a redelivery that late is not a redelivery). */
export async function forgetOldUpdates(pool: Pool, days = 7): Promise<number> {
  const { rowCount } = await pool.query(
    'DELETE FROM bot_updates WHERE received_at < now() - make_interval(days => $1)',
    [days],
  );
  return rowCount ?? 0;
}
