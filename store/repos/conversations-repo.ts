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

/** The conversation of `thread` for the principal on the surface, created when new. */
export async function openConversation(
  pool: Pool,
  key: { principalId: string; channel: ConversationChannel; thread: string },
): Promise<ConversationRef> {
  const ref = `${key.principalId}/${key.thread}`;
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO conversations (principal_id, channel, external_ref, thread, title)
     VALUES ($1, $2, $3, $4, $4)
     ON CONFLICT (channel, external_ref) DO UPDATE SET updated_at = now()
     RETURNING id`,
    [key.principalId, key.channel, ref, key.thread],
  );
  return { id: (rows[0] as { id: string }).id, thread: key.thread };
}

/** Appends messages to a conversation in one transaction (a turn is written whole or not at all). */
export async function appendMessages(
  pool: Pool,
  conversationId: string,
  messages: Omit<StoredMessage, 'id' | 'createdAt'>[],
): Promise<void> {
  if (messages.length === 0) return;
  const values: unknown[] = [];
  const rows = messages.map((message, k) => {
    values.push(
      conversationId,
      message.role,
      message.content,
      message.toolName,
      message.toolCallId,
      message.data === null ? null : JSON.stringify(message.data),
    );
    const at = k * 6;
    return `($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6}::jsonb)`;
  });
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO messages (conversation_id, role, content, tool_name, tool_call_id, data) VALUES ${rows.join(', ')}`,
      values,
    );
    await client.query('UPDATE conversations SET updated_at = now() WHERE id = $1', [
      conversationId,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
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
