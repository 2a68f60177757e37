/** Journal notes: what the trader wrote, attached to a symbol, a proposal or an order. */
import type { Pool } from '../db/pool.js';

export interface Note {
  id: string;
  principalId: string;
  handle: string | null;
  accountId: string | null;
  symbol: string | null;
  proposalId: string | null;
  orderId: string | null;
  body: string;
  tags: string[];
  createdAt: Date;
}

export interface NewNote {
  principalId: string;
  body: string;
  accountId?: string;
  symbol?: string;
  proposalId?: string;
  orderId?: string;
  tags?: string[];
}

type Row = {
  id: string;
  principal_id: string;
  handle: string | null;
  account_id: string | null;
  symbol: string | null;
  proposal_id: string | null;
  order_id: string | null;
  body: string;
  tags: string[];
  created_at: Date;
};

const toNote = (row: Row): Note => ({
  id: row.id,
  principalId: row.principal_id,
  handle: row.handle,
  accountId: row.account_id,
  symbol: row.symbol,
  proposalId: row.proposal_id,
  orderId: row.order_id,
  body: row.body,
  tags: row.tags,
  createdAt: row.created_at,
});

const SELECT = `SELECT n.id, n.principal_id, p.handle, n.account_id, n.symbol, n.proposal_id, n.order_id,
                       n.body, n.tags, n.created_at
                  FROM notes n LEFT JOIN principals p ON p.id = n.principal_id`;

export async function insertNote(pool: Pool, note: NewNote): Promise<Note> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO notes (principal_id, account_id, symbol, proposal_id, order_id, body, tags)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [
      note.principalId,
      note.accountId ?? null,
      note.symbol ?? null,
      note.proposalId ?? null,
      note.orderId ?? null,
      note.body,
      note.tags ?? [],
    ],
  );
  return (await getNote(pool, (rows[0] as { id: string }).id)) as Note;
}

export async function getNote(pool: Pool, id: string): Promise<Note | undefined> {
  const { rows } = await pool.query<Row>(`${SELECT} WHERE n.id = $1`, [id]);
  return rows[0] ? toNote(rows[0]) : undefined;
}

/** Notes created after `after` (oldest first), at most `limit`: for incremental indexing. */
export async function notesSince(pool: Pool, after: Date | null, limit: number): Promise<Note[]> {
  const { rows } = await pool.query<Row>(
    `${SELECT} WHERE ($1::timestamptz IS NULL OR n.created_at > $1) ORDER BY n.created_at, n.id LIMIT $2`,
    [after, limit],
  );
  return rows.map(toNote);
}

/** Notes on a symbol, a proposal or an order, newest first. */
export async function notesAbout(
  pool: Pool,
  about: { symbol?: string; proposalId?: string; orderId?: string },
  limit = 20,
): Promise<Note[]> {
  const { rows } = await pool.query<Row>(
    `${SELECT} WHERE ($1::text IS NOT NULL AND n.symbol = $1) OR ($2::uuid IS NOT NULL AND n.proposal_id = $2)
        OR ($3::uuid IS NOT NULL AND n.order_id = $3)
      ORDER BY n.created_at DESC LIMIT $4`,
    [about.symbol ?? null, about.proposalId ?? null, about.orderId ?? null, limit],
  );
  return rows.map(toNote);
}
