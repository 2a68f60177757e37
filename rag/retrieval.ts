/**
 * Retrieval over the trader's own history. Indexing reads the sources (rag/documents.ts), keeps
 * every passage in rag_chunks (the source of truth: the vector store can always be rebuilt from
 * it) and writes to the vector store only what is new or changed (by content hash), so indexing
 * everything again adds nothing. Searching fuses two rankings by reciprocal rank: the vector
 * store's nearest passages and BM25 over the same passages (rag/keyword.ts); when the vector
 * store fails, keyword search alone answers and the result says so.
 */
import type { Logger } from '../config/logger.js';
import { silentLogger } from '../config/logger.js';
import type { Pool } from '../store/db/pool.js';
import { allChunks, countSources, sha256 } from './documents.js';
import { forgetCorpusStats, type KeywordRow, keywordSearch, rowsById } from './keyword.js';
import type { Chunk, ChunkFilter, Embedder, VectorStore } from './ports.js';

/** Reciprocal-rank fusion constant. */
const RRF_K = 60;
/** Candidates each ranking contributes. */
const CANDIDATES = 50;
/** Batches written at once while indexing (the vector store takes one while the next is prepared). */
const WRITES_IN_FLIGHT = 3;

export type SearchMode = 'hybrid' | 'vector' | 'keyword';

export interface Passage {
  id: string;
  kind: string;
  text: string;
  symbol: string | null;
  side: string | null;
  strategy: string | null;
  date: string | null;
  date_end: string | null;
  cites: Record<string, string>;
  score: number;
  vector_rank: number | null;
  keyword_rank: number | null;
}

export interface SearchResult {
  /** What answered: both rankings, or one (asked for, or the other unavailable). */
  mode: SearchMode;
  /** Why a ranking is missing, when one is. */
  note?: string;
  passages: Passage[];
}

export interface IndexReport {
  sources: number;
  chunks: number;
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
  elapsed_ms: number;
}

export interface Retrieval {
  readonly embedder: Embedder;
  readonly store: VectorStore | undefined;
  /** Indexes every source; `progress(done, total)` counts sources. Removes passages whose source is gone. */
  reindex(options?: {
    progress?: (done: number, total: number) => void;
    signal?: AbortSignal;
  }): Promise<IndexReport>;
  /** Indexes what changed since the last index (also what other processes wrote). */
  catchUp(): Promise<IndexReport>;
  search(
    query: string,
    options?: { filter?: ChunkFilter; limit?: number; mode?: SearchMode },
  ): Promise<SearchResult>;
}

type IndexCounts = Omit<IndexReport, 'elapsed_ms'>;

/** The stored hash of a chunk: its text and metadata, and the embedder that made its vector. */
const chunkHash = (chunk: Chunk, embedder: string) =>
  sha256(JSON.stringify([chunk.text, { ...chunk.metadata, embedder }]));

export function createRetrieval(deps: {
  pool: Pool;
  embedder: Embedder;
  /** Absent: keyword search only (and said so). */
  store?: VectorStore;
  logger?: Logger;
}): Retrieval {
  const { pool, embedder, store } = deps;
  const logger = deps.logger ?? silentLogger();
  let lastCatchUp: Date | null = null;
  let running: Promise<IndexReport> | undefined;

  /** Writes the new and changed chunks of one batch; counts what it saw. */
  async function write(chunks: Chunk[], counts: IndexCounts, seen?: Set<string>): Promise<void> {
    if (chunks.length === 0) return;
    for (const chunk of chunks) seen?.add(chunk.id);
    const hashes = chunks.map((chunk) => chunkHash(chunk, embedder.id));
    const { rows } = await pool.query<{ id: string; content_sha256: string }>(
      'SELECT id, content_sha256 FROM rag_chunks WHERE id = ANY($1)',
      [chunks.map((chunk) => chunk.id)],
    );
    const known = new Map(rows.map((row) => [row.id, row.content_sha256]));
    const todo = chunks.filter((chunk, k) => known.get(chunk.id) !== hashes[k]);
    counts.chunks += chunks.length;
    counts.unchanged += chunks.length - todo.length;
    for (const chunk of todo) {
      if (known.has(chunk.id)) counts.changed++;
      else counts.added++;
    }
    if (todo.length === 0) return;
    const marked = todo.map((chunk) => ({
      ...chunk,
      metadata: { ...chunk.metadata, embedder: embedder.id },
    }));
    // PostgreSQL keeps every passage; a vector store that fails now gets them later
    // (rag_chunks.embedder stays NULL until their vectors are stored: vectorizePending).
    // The vectors and the rows are written at the same time; rows whose vectors failed are then
    // marked for later (embedder NULL), so a crash in between leaves at worst a vector stored twice.
    const vectorizing = store
      ? (async () => {
          const vectors = await embedder.embed(marked.map((chunk) => chunk.text));
          await store.upsert(marked, vectors);
        })()
      : Promise.reject(new Error('no vector store'));
    vectorizing.catch(() => undefined);
    const values: unknown[] = [];
    const tuples = marked.map((chunk) => {
      const meta = chunk.metadata;
      const source = chunk.id.split(':')[1] ?? chunk.id;
      values.push(
        chunk.id,
        meta.kind,
        source,
        meta.symbol ?? null,
        meta.side ?? null,
        meta.strategy ?? null,
        meta.date ?? null,
        meta.date_end ?? null,
        meta.cites,
        chunk.text,
        chunkHash(chunk, embedder.id),
        store ? embedder.id : null,
      );
      const at = values.length - 12;
      return `(${Array.from({ length: 12 }, (_, k) => `$${at + k + 1}${k === 8 ? '::jsonb' : k === 6 || k === 7 ? '::date' : ''}`).join(', ')})`;
    });
    await pool.query(
      `INSERT INTO rag_chunks (id, kind, source_id, symbol, side, strategy, day, day_end, cites, body, content_sha256, embedder)
       VALUES ${tuples.join(', ')}
       ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, source_id = EXCLUDED.source_id, symbol = EXCLUDED.symbol,
         side = EXCLUDED.side, strategy = EXCLUDED.strategy, day = EXCLUDED.day, day_end = EXCLUDED.day_end,
         cites = EXCLUDED.cites, body = EXCLUDED.body, content_sha256 = EXCLUDED.content_sha256,
         embedder = EXCLUDED.embedder, indexed_at = now()`,
      values,
    );
    if (store) {
      try {
        await vectorizing;
      } catch (error) {
        logger.warn({ err: error }, 'retrieval: the vector store refused a batch; kept for later');
        await pool.query('UPDATE rag_chunks SET embedder = NULL WHERE id = ANY($1)', [
          marked.map((chunk) => chunk.id),
        ]);
      }
    }
    forgetCorpusStats();
  }

  /** Sends the passages the vector store has not got yet (it was down, or absent before). */
  async function vectorizePending(): Promise<number> {
    if (!store) return 0;
    let sent = 0;
    for (;;) {
      const { rows } = await pool.query<KeywordRow>(
        `SELECT id, kind, source_id, symbol, side, strategy, to_char(day, 'YYYY-MM-DD') AS day,
                to_char(day_end, 'YYYY-MM-DD') AS day_end, cites, body
           FROM rag_chunks WHERE embedder IS NULL ORDER BY id LIMIT 500`,
      );
      if (rows.length === 0) return sent;
      const chunks: Chunk[] = rows.map((row) => ({
        id: row.id,
        text: row.body,
        metadata: {
          kind: row.kind,
          ...(row.symbol ? { symbol: row.symbol } : {}),
          ...(row.side ? { side: row.side } : {}),
          ...(row.strategy ? { strategy: row.strategy } : {}),
          ...(row.day ? { date: row.day } : {}),
          ...(row.day_end ? { date_end: row.day_end } : {}),
          cites: JSON.stringify(row.cites),
          embedder: embedder.id,
        },
      }));
      await store.upsert(chunks, await embedder.embed(chunks.map((chunk) => chunk.text)));
      await pool.query('UPDATE rag_chunks SET embedder = $2 WHERE id = ANY($1)', [
        rows.map((row) => row.id),
        embedder.id,
      ]);
      sent += rows.length;
    }
  }

  async function index(
    since: Date | null,
    progress?: (done: number, total: number) => void,
    signal?: AbortSignal,
  ): Promise<IndexReport> {
    const started = performance.now();
    const counts: IndexCounts = {
      sources: 0,
      chunks: 0,
      added: 0,
      changed: 0,
      unchanged: 0,
      removed: 0,
    };
    const startedAt = new Date();
    const total = since === null ? await countSources(pool) : 0;
    const seen = since === null ? new Set<string>() : undefined;
    // The next batch is read, embedded and stored in PostgreSQL while the vector store still
    // takes the one before: WRITES_IN_FLIGHT batches are written at once.
    const batches = allChunks(pool, 500, since);
    let next = batches.next();
    const inflight: Promise<void>[] = [];
    let failed: unknown;
    const settle = async (writing: Promise<void>) => {
      try {
        await writing;
      } catch (error) {
        failed ??= error;
      }
    };
    try {
      for (;;) {
        const step = await next;
        if (step.done) break;
        const batch = step.value;
        next = batches.next();
        signal?.throwIfAborted();
        inflight.push(
          write(batch.chunks, counts, seen).then(() => {
            counts.sources += batch.sources;
            progress?.(counts.sources, Math.max(total, counts.sources));
          }),
        );
        if (inflight.length >= WRITES_IN_FLIGHT) await settle(inflight.shift() as Promise<void>);
        if (failed) break;
      }
    } finally {
      // Nothing is left running (or unobserved) when this pass ends, however it ends.
      next.catch(() => undefined);
      while (inflight.length > 0) await settle(inflight.shift() as Promise<void>);
    }
    if (failed) {
      await batches.return(undefined).catch(() => undefined);
      throw failed;
    }
    if (seen) {
      // A full pass: passages whose source is gone (or that a source no longer makes) go too.
      const { rows } = await pool.query<{ id: string }>('SELECT id FROM rag_chunks');
      const stale = rows.map((row) => row.id).filter((id) => !seen.has(id));
      if (stale.length > 0) {
        await pool.query('DELETE FROM rag_chunks WHERE id = ANY($1)', [stale]);
        await store?.delete(stale);
        counts.removed = stale.length;
        forgetCorpusStats();
      }
    }
    lastCatchUp = since === null ? startedAt : lastCatchUp;
    try {
      await vectorizePending();
    } catch (error) {
      logger.warn(
        { err: error },
        'retrieval: the vector store is still unavailable; passages wait in PostgreSQL',
      );
    }
    return { ...counts, elapsed_ms: Math.round(performance.now() - started) };
  }

  function once(work: () => Promise<IndexReport>): Promise<IndexReport> {
    running ??= work().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    embedder,
    store,
    async reindex(options = {}) {
      if (running) await running.catch(() => undefined);
      // Vectors of another embedder are another space: start the store empty.
      if (store) {
        const { rows } = await pool.query<{ other: boolean }>(
          'SELECT EXISTS (SELECT 1 FROM rag_chunks WHERE embedder IS NOT NULL AND embedder <> $1) AS other',
          [embedder.id],
        );
        if (rows[0]?.other) {
          await store.clear();
          await pool.query('DELETE FROM rag_chunks');
          forgetCorpusStats();
        }
      }
      return once(() => index(null, options.progress, options.signal));
    },
    async catchUp() {
      return once(async () => {
        // A minute of overlap: a source written while the last pass ran is read again (its
        // hash makes that harmless).
        const since = lastCatchUp === null ? null : new Date(lastCatchUp.getTime() - 60_000);
        const startedAt = new Date();
        if (since === null) {
          const { rows } = await pool.query<{ at: Date | null }>(
            'SELECT max(indexed_at) AS at FROM rag_chunks',
          );
          const from = rows[0]?.at ? new Date(rows[0].at.getTime() - 60_000) : null;
          const report = await index(from);
          lastCatchUp = startedAt;
          return report;
        }
        const report = await index(since);
        lastCatchUp = startedAt;
        return report;
      });
    },
    async search(query, options = {}) {
      const limit = Math.min(Math.max(options.limit ?? 5, 1), 50);
      const filter = options.filter ?? {};
      const wanted = options.mode ?? 'hybrid';
      let note: string | undefined;
      // The two rankings are asked for at the same time.
      const vectorSide = async (): Promise<string[]> => {
        if (wanted === 'keyword') return [];
        if (!store) {
          note = 'no vector store: keyword search only';
          return [];
        }
        try {
          const [vector] = await embedder.embed([query]);
          const hits = await store.query(vector as number[], CANDIDATES, filter);
          return hits.map((hit) => hit.chunk.id);
        } catch (error) {
          note = `the vector store is unavailable (${(error as Error).message.slice(0, 120)}): keyword search only`;
          logger.warn({ err: error }, 'retrieval: vector search failed; keyword search answers');
          return [];
        }
      };
      const [vectorIds, keyword] = await Promise.all([
        vectorSide(),
        wanted === 'vector' ? [] : keywordSearch(pool, query, filter, CANDIDATES),
      ]);
      const fused = new Map<
        string,
        { score: number; vector: number | null; keyword: number | null }
      >();
      vectorIds.forEach((id, rank) => {
        fused.set(id, { score: 1 / (RRF_K + rank + 1), vector: rank + 1, keyword: null });
      });
      keyword.forEach((hit, rank) => {
        const entry = fused.get(hit.id) ?? { score: 0, vector: null, keyword: null };
        entry.score += 1 / (RRF_K + rank + 1);
        entry.keyword = rank + 1;
        fused.set(hit.id, entry);
      });
      const ranked = [...fused.entries()].sort(
        (a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1),
      );
      // Rows of the best few only (the text and metadata come from PostgreSQL, the source of
      // truth); a vector whose passage is gone from it is skipped, so read a few spare.
      const rows = await rowsById(
        pool,
        ranked.slice(0, limit * 2 + 5).map(([id]) => id),
      );
      const passages = ranked
        .filter(([id]) => rows.has(id))
        .slice(0, limit)
        .map(([id, entry]): Passage => {
          const row = rows.get(id) as KeywordRow;
          return {
            id,
            kind: row.kind,
            text: row.body,
            symbol: row.symbol,
            side: row.side,
            strategy: row.strategy,
            date: row.day,
            date_end: row.day_end,
            cites: row.cites,
            score: Math.round(entry.score * 1e6) / 1e6,
            vector_rank: entry.vector,
            keyword_rank: entry.keyword,
          };
        });
      const mode: SearchMode = wanted === 'hybrid' && note ? 'keyword' : wanted;
      return { mode, ...(note ? { note } : {}), passages };
    },
  };
}
