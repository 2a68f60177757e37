/** Conversation threads and their messages (the chat engine's memory), per principal, surface and thread. */
import type { Pool } from '../db/pool.js';

/** The surfaces a conversation is kept for. */
export type ConversationChannel = 'cli' | 'rest' | 'web' | 'telegram' | 'slack';

export type MessageRole = 'user' | 'assistant' | 'tool' | 'system';

export interface StoredMessage {
  id: string;
  role: MessageRole;
  content: string;
  toolName: string | null;
  toolCallId: string | null;
  data: Record<string, unknown> | null;
  createdAt: Date;
}

export interface ConversationRef {
  id: string;
  thread: string;
}

/**
 * The conversation of `thread` for the principal on the surface, created when new: one round
 * trip, and a read (no row written) when it exists.
 */
export async function openConversation(
  pool: Pool,
  key: { principalId: string; channel: ConversationChannel; thread: string },
): Promise<ConversationRef> {
  const ref = `${key.principalId}/${key.thread}`;
  const { rows } = await pool.query<{ id: string }>(
    `WITH found AS (
       SELECT id FROM conversations WHERE channel = $2 AND external_ref = $3
     ), made AS (
       INSERT INTO conversations (principal_id, channel, external_ref, thread, title)
       SELECT $1, $2, $3, $4, $4 WHERE NOT EXISTS (SELECT 1 FROM found)
       ON CONFLICT (channel, external_ref) DO UPDATE SET updated_at = now()
       RETURNING id
     )
     SELECT id FROM found UNION ALL SELECT id FROM made LIMIT 1`,
    [key.principalId, key.channel, ref, key.thread],
  );
  return { id: (rows[0] as { id: string }).id, thread: key.thread };
}

/**
 * Appends messages to a conversation in one statement (so a turn is written whole or not at
 * all) and marks the conversation as updated.
 */
export async function appendMessages(
  pool: Pool,
  conversationId: string,
  messages: Omit<StoredMessage, 'id' | 'createdAt'>[],
): Promise<void> {
  if (messages.length === 0) return;
  const values: unknown[] = [conversationId];
  const rows = messages.map((message) => {
    const at = values.length;
    values.push(
      message.role,
      message.content,
      message.toolName,
      message.toolCallId,
      message.data === null ? null : JSON.stringify(message.data),
    );
    return `($1::uuid, $${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}::jsonb)`;
  });
  await pool.query(
    `WITH added AS (
       INSERT INTO messages (conversation_id, role, content, tool_name, tool_call_id, data)
       VALUES ${rows.join(', ')} RETURNING 1
     )
     UPDATE conversations SET updated_at = now() WHERE id = $1 AND (SELECT count(*) FROM added) > 0`,
    values,
  );
}

/** The last `limit` messages of a conversation, oldest first. */
export async function recentMessages(
  pool: Pool,
  conversationId: string,
  limit: number,
): Promise<StoredMessage[]> {
  const { rows } = await pool.query<{
    id: string;
    role: MessageRole;
    content: string;
    tool_name: string | null;
    tool_call_id: string | null;
    data: Record<string, unknown> | null;
    created_at: Date;
  }>(
    `SELECT id::text, role, content, tool_name, tool_call_id, data, created_at FROM (
       SELECT * FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2
     ) recent ORDER BY id`,
    [conversationId, limit],
  );
  return rows.map((row) => ({
    id: row.id,
    role: row.role,
    content: row.content,
    toolName: row.tool_name,
    toolCallId: row.tool_call_id,
    data: row.data,
    createdAt: row.created_at,
  }));
}

/** The principal's threads on a surface, most recent first. */
export async function listThreads(
  pool: Pool,
  principalId: string,
  channel: ConversationChannel,
  limit = 50,
): Promise<{ thread: string; updatedAt: Date; messages: number }[]> {
  const { rows } = await pool.query<{ thread: string; updated_at: Date; messages: string }>(
    `SELECT c.thread, c.updated_at, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS messages
       FROM conversations c
      WHERE c.principal_id = $1 AND c.channel = $2 AND c.thread IS NOT NULL
      ORDER BY c.updated_at DESC LIMIT $3`,
    [principalId, channel, limit],
  );
  return rows.map((row) => ({
    thread: row.thread,
    updatedAt: row.updated_at,
    messages: Number(row.messages),
  }));
}

/** The order hash a proposal event of the conversation last showed for `proposalId`, if any. */
export async function shownHash(
  pool: Pool,
  conversationId: string,
  proposalId: string,
): Promise<string | undefined> {
  const { rows } = await pool.query<{ hash: string }>(
    `SELECT data->'proposal'->>'order_hash' AS hash FROM messages
      WHERE conversation_id = $1 AND data->'proposal'->>'id' = $2 AND data->'proposal' ? 'order_hash'
      ORDER BY id DESC LIMIT 1`,
    [conversationId, proposalId],
  );
  return rows[0]?.hash ?? undefined;
}
