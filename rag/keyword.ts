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
  dfCache.clear();
}

/** Document frequencies are counted up to this many (idf hardly moves past it). */
const DF_CAP = 5000;
/** Candidates read for BM25 at most; the rarest query words choose them. */
const CANDIDATE_CAP = 1500;
/** Per-term document frequencies, kept with the corpus figures. */
const dfCache = new Map<string, { df: number; at: number }>();

async function documentFrequency(pool: Pool, term: string): Promise<number> {
  const known = dfCache.get(term);
  if (known && Date.now() - known.at < 30_000) return known.df;
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM rag_chunks WHERE search @@ to_tsquery('simple', $1) LIMIT ${DF_CAP}) hits`,
    [term],
  );
  const df = Number(rows[0]?.n ?? 0);
  if (dfCache.size > 50_000) dfCache.clear();
  dfCache.set(term, { df, at: Date.now() });
  return df;
}

const quote = (term: string) => `'${term.replace(/'/g, "''")}'`;

/**
 * The `limit` best chunks for `query` by BM25, with their scores, filtered. Candidates are the
 * chunks holding the query's rarest words (at most CANDIDATE_CAP of them), so a common word
 * costs nothing; BM25 then scores every query word.
 */
export async function keywordSearch(
  pool: Pool,
  query: string,
  filter: ChunkFilter,
  limit: number,
): Promise<{ id: string; score: number }[]> {
  const wanted = [...new Set(terms(query))].slice(0, 24);
  if (wanted.length === 0) return [];
  const lexemes = wanted.map(quote);
  const df = await Promise.all(lexemes.map((lexeme) => documentFrequency(pool, lexeme)));
  const present = wanted.map((_, k) => k).filter((k) => (df[k] as number) > 0);
  if (present.length === 0) return [];
  // The rarest words choose the candidates: all of those under the cap, at least the rarest two.
  const byRarity = [...present].sort((a, b) => (df[a] as number) - (df[b] as number));
  const choosing = byRarity.filter((k, i) => i < 2 || (df[k] as number) < DF_CAP);
  const where = filterSql(filter, 2);
  // Only what scoring needs; the passages shown are read afterwards, a handful of rows.
  const { rows } = await pool.query<{ id: string; body: string }>(
    `SELECT id, body FROM rag_chunks
      WHERE search @@ to_tsquery('simple', $1)${where.sql}
      LIMIT ${CANDIDATE_CAP}`,
    [choosing.map((k) => lexemes[k]).join(' | '), ...where.values],
  );
  if (rows.length === 0) return [];
  const { n, avgLength } = await corpus(pool);
  const idf = wanted.map((_, k) => {
    const d = df[k] as number;
    return Math.log(1 + (n - d + 0.5) / (d + 0.5));
  });
  const k1 = 1.2;
  const b = 0.75;
  const slot = new Map(wanted.map((term, k) => [term, k]));
  const tf = new Float64Array(wanted.length);
  const scored = rows.map((row) => {
    const length = countTerms(row.body, slot, tf);
    let score = 0;
    for (let k = 0; k < wanted.length; k++) {
      const f = tf[k] as number;
      if (f > 0)
        score +=
          ((idf[k] as number) * f * (k1 + 1)) / (f + k1 * (1 - b + (b * length) / avgLength));
    }
    return { id: row.id, score };
  });
  return scored.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : 1)).slice(0, limit);
}

const WORD = /[a-z0-9]+/g;
const WHOLE = /[a-z0-9][a-z0-9_.-]*[a-z0-9]/g;

/**
 * The counts of the wanted terms (by slot) in `text` into `tf`, and its length in terms: what
 * terms(text) gives, counted in one pass without building the list (the hot loop of a search).
 */
export function countTerms(text: string, slot: Map<string, number>, tf: Float64Array): number {
  tf.fill(0);
  const lower = text.toLowerCase();
  let length = 0;
  WORD.lastIndex = 0;
  for (let match = WORD.exec(lower); match !== null; match = WORD.exec(lower)) {
    const word = match[0];
    if (STOP.has(word)) continue;
    length++;
    const k = slot.get(word);
    if (k !== undefined) tf[k] = (tf[k] as number) + 1;
  }
  // Names joined by _ . - count once more whole, as terms() gives them.
  if (/[_.-]/.test(lower)) {
    WHOLE.lastIndex = 0;
    for (let match = WHOLE.exec(lower); match !== null; match = WHOLE.exec(lower)) {
      const word = match[0];
      if (!/[_.-]/.test(word) || STOP.has(word)) continue;
      length++;
      const k = slot.get(word);
      if (k !== undefined) tf[k] = (tf[k] as number) + 1;
    }
  }
  return length;
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
