/**
 * The keyword half of retrieval: candidates from PostgreSQL's full-text index over rag_chunks
 * (any query word, so a question's words need not all appear), scored with BM25 (k1 1.2, b 0.75)
 * using document frequencies and lengths from the same table. Exact names — a ticker, a strategy
 * such as momentum_rotation, an order id — are found whatever the embedder.
 */
import type { Pool } from '../store/db/pool.js';
import type { ChunkFilter } from './ports.js';

const STOP = new Set(
  'a an and are as at be by did do does for from had has have how i if in is it its me my of on or our so than that the their them then there these this those to was we were what when where which who why will with you your'.split(
    ' ',
  ),
);

/** Words as the index sees them: lower case, letters and digits (a uuid or a_b name stays whole too). */
export function terms(text: string): string[] {
  const lower = text.toLowerCase();
  const words = lower.match(/[a-z0-9]+/g) ?? [];
  const whole = (lower.match(/[a-z0-9][a-z0-9_.-]*[a-z0-9]/g) ?? []).filter((w) => /[_.-]/.test(w));
  return [...words, ...whole].filter((word) => !STOP.has(word));
}

export interface KeywordRow {
  id: string;
  kind: string;
  source_id: string;
  symbol: string | null;
  side: string | null;
  strategy: string | null;
  day: string | null;
  day_end: string | null;
  cites: Record<string, string>;
  body: string;
}

/** SQL for the metadata filters, from parameter `$first` on. */
export function filterSql(filter: ChunkFilter, first: number): { sql: string; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    parts.push(sql.replace('$?', `$${first + values.length - 1}`));
  };
  if (filter.symbol) add('symbol = $?', filter.symbol.toUpperCase());
  if (filter.side) add('side = $?', filter.side);
  if (filter.strategy) add('strategy = $?', filter.strategy);
  if (filter.kinds?.length) add('kind = ANY($?)', filter.kinds);
  if (filter.start) add('coalesce(day_end, day) >= $?::date', filter.start);
  if (filter.end) add('day <= $?::date', filter.end);
  return { sql: parts.length ? ` AND ${parts.join(' AND ')}` : '', values };
}

const COLUMNS =
  "id, kind, source_id, symbol, side, strategy, to_char(day, 'YYYY-MM-DD') AS day, to_char(day_end, 'YYYY-MM-DD') AS day_end, cites, body";

/** Corpus figures BM25 needs, refreshed at most every 30 s. */
let stats: { at: number; pool: Pool; n: number; avgLength: number } | undefined;

async function corpus(pool: Pool): Promise<{ n: number; avgLength: number }> {
  if (stats && stats.pool === pool && Date.now() - stats.at < 30_000) return stats;
  const { rows } = await pool.query<{ n: string; avg: string | null }>(
    'SELECT count(*) AS n, avg(length(body)) AS avg FROM rag_chunks',
  );
  stats = {
    at: Date.now(),
    pool,
    n: Number(rows[0]?.n ?? 0),
    avgLength: Number(rows[0]?.avg ?? 1) / 6 || 1,
  };
  return stats;
}

/** Forget the corpus figures (after an index change). */
export function forgetCorpusStats(): void {
  stats = undefined;
}

/** The `limit` best chunks for `query` by BM25, with their scores, filtered. */
export async function keywordSearch(
  pool: Pool,
  query: string,
  filter: ChunkFilter,
  limit: number,
): Promise<{ row: KeywordRow; score: number }[]> {
  const wanted = [...new Set(terms(query))].slice(0, 24);
  if (wanted.length === 0) return [];
  const lexemes = wanted.map((term) => `'${term.replace(/'/g, "''")}'`);
  const tsquery = lexemes.join(' | ');
  const where = filterSql(filter, 3);
  const { rows } = await pool.query<KeywordRow>(
    `SELECT ${COLUMNS} FROM rag_chunks
      WHERE search @@ to_tsquery('simple', $1)${where.sql}
      ORDER BY ts_rank_cd(search, to_tsquery('simple', $1)) DESC LIMIT $2`,
    [tsquery, Math.max(limit * 4, 50), ...where.values],
  );
  if (rows.length === 0) return [];
  const { n, avgLength } = await corpus(pool);
  const df = await pool.query<Record<string, string>>(
    `SELECT ${lexemes.map((_lexeme, k) => `count(*) FILTER (WHERE search @@ to_tsquery('simple', $${k + 1})) AS t${k}`).join(', ')}
       FROM rag_chunks WHERE search @@ to_tsquery('simple', $${lexemes.length + 1})`,
    [...lexemes, tsquery],
  );
  const idf = wanted.map((_, k) => {
    const d = Number(df.rows[0]?.[`t${k}`] ?? 0);
    return Math.log(1 + (n - d + 0.5) / (d + 0.5));
  });
  const k1 = 1.2;
  const b = 0.75;
  return rows
    .map((row) => {
      const words = terms(row.body);
      const counts = new Map<string, number>();
      for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
      let score = 0;
      wanted.forEach((term, k) => {
        const tf = counts.get(term) ?? 0;
        if (tf > 0)
          score +=
            ((idf[k] as number) * tf * (k1 + 1)) /
            (tf + k1 * (1 - b + (b * words.length) / avgLength));
      });
      return { row, score };
    })
    .sort((x, y) => y.score - x.score)
    .slice(0, limit);
}

/** Rows by id, for vector hits (the text and metadata are read from PostgreSQL, the source of truth). */
export async function rowsById(pool: Pool, ids: string[]): Promise<Map<string, KeywordRow>> {
  if (ids.length === 0) return new Map();
  const { rows } = await pool.query<KeywordRow>(
    `SELECT ${COLUMNS} FROM rag_chunks WHERE id = ANY($1)`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row]));
}
