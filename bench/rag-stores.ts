/**
 * The vector stores at the issue's scale: 100,000 chunks of generated trade-history text,
 * embedded by the weight-free embedder, upserted into the embedded Chroma (the package's own
 * server, started here on a throwaway data directory); then query p95 without and with filters,
 * a second upsert of a 10,000-chunk slice (must add nothing; updates are slower than inserts),
 * a restart of Chroma over the full index with the reload of the filter index, and the
 * in-memory store's brute-force query on the same vectors for comparison. Filtered queries are
 * measured both ways: from the store's in-process filter index (the default) and by Chroma's
 * own `where` (fewer of them: they take up to seconds).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { createHashEmbedder } from '../rag/embedders/hash-embedder.js';
import type { Chunk, ChunkFilter, VectorStore } from '../rag/ports.js';
import { startChromaServer } from '../rag/stores/chroma-server.js';
import { createChromaStore } from '../rag/stores/chroma-store.js';
import { createMemoryStore } from '../rag/stores/memory-store.js';

const CHUNKS = 100_000;
const EMBED_BATCH = 2_000;
const QUERIES = 200;
const WARMUP = 10;
const WHERE_QUERIES = 30;
const AGAIN = 10_000;

const ms = (value: number) => Math.round(value * 100) / 100;
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

/** A small deterministic generator, so that every run indexes the same text. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

const SYMBOLS = Array.from({ length: 500 }, (_, k) => {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let name = '';
  let n = k + 26;
  while (n > 0) {
    name = letters[n % 26] + name;
    n = Math.floor(n / 26);
  }
  return name;
}).concat(['NVDA', 'JPM', 'MSFT', 'AAPL', 'TSLA']);
const STRATEGIES = [
  'momentum_rotation',
  'sma_cross',
  'rsi_reversion',
  'breakout_20d',
  'pairs_spread',
];
const KINDS = [
  'proposal',
  'order',
  'fill',
  'trade',
  'imported_trade',
  'note',
  'backtest',
  'optimization',
];
const REASONS = [
  'earnings came in above the consensus and guidance was raised',
  'the position hit its stop after the gap down at the open',
  'rotated out as relative strength faded against the sector',
  'trimmed to respect the max_position_pct risk limit',
  'the fast average crossed under the slow one on rising volume',
  'took profits ahead of the FOMC meeting',
  'the spread reverted to its mean within three sessions',
  'a journal reminder to avoid chasing extended moves',
];

function isoDay(rand: () => number): string {
  const day = new Date(Date.UTC(2020, 0, 1) + Math.floor(rand() * 5 * 365) * 86_400_000);
  return day.toISOString().slice(0, 10);
}

function uuid(rand: () => number): string {
  const hex = () =>
    Math.floor(rand() * 0x10000)
      .toString(16)
      .padStart(4, '0');
  return `${hex()}${hex()}-${hex()}-4${hex().slice(1)}-a${hex().slice(1)}-${hex()}${hex()}${hex()}`;
}

/** `count` chunks like rag/documents makes: a kind, a symbol, a side, sometimes a strategy, dates, cited ids. */
export function generateChunks(count: number, embedder: string, seed = 15): Chunk[] {
  const rand = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)] as T;
  return Array.from({ length: count }, () => {
    const kind = pick(KINDS);
    const symbol = pick(SYMBOLS);
    const side = rand() < 0.5 ? 'buy' : 'sell';
    const strategy = rand() < 0.6 ? pick(STRATEGIES) : undefined;
    const date = isoDay(rand);
    const id = uuid(rand);
    const quantity = 1 + Math.floor(rand() * 500);
    const price = (5 + rand() * 900).toFixed(2);
    const text =
      `${kind.replace('_', ' ')} ${id}: ${side} ${quantity} ${symbol} at ${price} on ${date}` +
      `${strategy ? ` from the ${strategy} strategy` : ''}; ${pick(REASONS)}. ${pick(REASONS)}.`;
    return {
      id: `${kind}:${id}`,
      text,
      metadata: {
        kind,
        symbol,
        side,
        ...(strategy ? { strategy } : {}),
        date,
        cites: JSON.stringify({ [`${kind === 'imported_trade' ? 'external' : kind}_id`]: id }),
        embedder,
      },
    };
  });
}

async function measureQueries(
  store: VectorStore,
  questions: number[][],
  filter: ChunkFilter | undefined,
): Promise<{ p50: number; p95: number; max: number; mean_hits: number }> {
  for (const vector of questions.slice(0, WARMUP)) await store.query(vector, 20, filter);
  const times: number[] = [];
  let hits = 0;
  for (const vector of questions) {
    const started = performance.now();
    const found = await store.query(vector, 20, filter);
    times.push(performance.now() - started);
    hits += found.length;
  }
  times.sort((a, b) => a - b);
  return {
    p50: ms(percentile(times, 0.5)),
    p95: ms(percentile(times, 0.95)),
    max: ms(times.at(-1) as number),
    mean_hits: Math.round((hits / questions.length) * 10) / 10,
  };
}

const FILTERS: { name: string; filter: ChunkFilter | undefined }[] = [
  { name: 'none', filter: undefined },
  { name: 'symbol', filter: { symbol: 'NVDA' } },
  { name: 'kinds', filter: { kinds: ['note', 'trade'] } },
  { name: 'dates', filter: { start: '2023-01-01', end: '2023-06-30' } },
  {
    name: 'symbol_side_kinds_dates',
    filter: {
      symbol: 'JPM',
      side: 'sell',
      kinds: ['order', 'fill', 'note'],
      start: '2021-01-01',
      end: '2024-12-31',
    },
  },
  {
    name: 'strategy_kinds',
    filter: { strategy: 'momentum_rotation', kinds: ['trade', 'proposal'] },
  },
];

export async function benchRagStores(_config: Config, emit: (line: object) => void): Promise<void> {
  const embedder = createHashEmbedder();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'countersign-bench-rag-'));
  let server = await startChromaServer({ dataDir, logger: silentLogger() });
  try {
    emit({ bench: 'rag_chroma_start', empty: true, startup_ms: ms(server.startupMs) });
    const chunks = generateChunks(CHUNKS, embedder.id);
    const texts = chunks.map((chunk) => chunk.text);
    const meanChars = texts.reduce((sum, text) => sum + text.length, 0) / texts.length;

    const embedStarted = performance.now();
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += EMBED_BATCH) {
      vectors.push(...(await embedder.embed(texts.slice(start, start + EMBED_BATCH))));
    }
    const embedMs = performance.now() - embedStarted;
    emit({
      bench: 'rag_embed_hash',
      embedder: embedder.id,
      dimensions: embedder.dimensions,
      chunks: CHUNKS,
      mean_chars: Math.round(meanChars),
      total_ms: ms(embedMs),
      chunks_per_s: Math.round(CHUNKS / (embedMs / 1000)),
    });

    const store = await createChromaStore({ url: server.url });
    const upsert = async () => {
      const started = performance.now();
      for (let start = 0; start < chunks.length; start += EMBED_BATCH) {
        await store.upsert(
          chunks.slice(start, start + EMBED_BATCH),
          vectors.slice(start, start + EMBED_BATCH),
        );
      }
      return performance.now() - started;
    };
    const firstMs = await upsert();
    const count = await store.count();
    emit({
      bench: 'rag_chroma_upsert',
      chunks: CHUNKS,
      batch: EMBED_BATCH,
      total_ms: ms(firstMs),
      chunks_per_s: Math.round(CHUNKS / (firstMs / 1000)),
      count,
    });
    const againStarted = performance.now();
    for (let start = 0; start < AGAIN; start += EMBED_BATCH) {
      await store.upsert(
        chunks.slice(start, start + EMBED_BATCH),
        vectors.slice(start, start + EMBED_BATCH),
      );
    }
    const againMs = performance.now() - againStarted;
    const countAfter = await store.count();
    emit({
      bench: 'rag_chroma_upsert_again',
      chunks: AGAIN,
      total_ms: ms(againMs),
      chunks_per_s: Math.round(AGAIN / (againMs / 1000)),
      count_before: count,
      count_after: countAfter,
      new_rows: countAfter - count,
    });

    const rand = random(99);
    const questions = await embedder.embed(
      Array.from({ length: QUERIES + WARMUP }, () => {
        const symbol = SYMBOLS[Math.floor(rand() * SYMBOLS.length)];
        const reason = REASONS[Math.floor(rand() * REASONS.length)];
        return `why did I sell ${symbol}? ${reason}`;
      }),
    );
    const where = await createChromaStore({ url: server.url, filterIndex: false });
    for (const { name, filter } of FILTERS) {
      emit({
        bench: 'rag_chroma_query',
        chunks: CHUNKS,
        limit: 20,
        filter: name,
        by: filter ? 'filter_index' : 'chroma',
        ...(await measureQueries(store, questions, filter)),
      });
      if (filter) {
        emit({
          bench: 'rag_chroma_query',
          chunks: CHUNKS,
          limit: 20,
          filter: name,
          by: 'chroma_where',
          ...(await measureQueries(where, questions.slice(0, WHERE_QUERIES + WARMUP), filter)),
        });
      }
    }
    const embedQuery = [] as number[];
    for (const k of Array.from({ length: QUERIES }, (_, j) => j)) {
      const started = performance.now();
      const [vector] = await embedder.embed([`what were my notes when I bought JPM? ${k}`]);
      await store.query(vector as number[], 20, { symbol: 'JPM' });
      embedQuery.push(performance.now() - started);
    }
    embedQuery.sort((a, b) => a - b);
    emit({
      bench: 'rag_chroma_embed_and_query',
      chunks: CHUNKS,
      filter: 'symbol',
      p50: ms(percentile(embedQuery, 0.5)),
      p95: ms(percentile(embedQuery, 0.95)),
    });

    // A restart over the full index: how long the embedded mode's start-up takes with data.
    await server.stop();
    server = await startChromaServer({ dataDir, logger: silentLogger() });
    const openStarted = performance.now();
    const reopened = await createChromaStore({ url: server.url });
    const loaded = await reopened.filterIndexReady;
    const indexLoadMs = performance.now() - openStarted;
    const firstQueryStarted = performance.now();
    await reopened.query(questions[0] as number[], 20);
    const firstQueryMs = performance.now() - firstQueryStarted;
    emit({
      bench: 'rag_chroma_start',
      empty: false,
      chunks: await reopened.count(),
      startup_ms: ms(server.startupMs),
      first_query_ms: ms(firstQueryMs),
      filter_index_loaded: loaded,
      filter_index_load_ms: ms(indexLoadMs),
      rss_mib: mib(process.memoryUsage().rss),
      after_restart: await measureQueries(reopened, questions, undefined),
    });

    const clearStarted = performance.now();
    await reopened.clear();
    emit({
      bench: 'rag_chroma_clear',
      chunks: CHUNKS,
      total_ms: ms(performance.now() - clearStarted),
    });

    const memory = createMemoryStore();
    const memoryStarted = performance.now();
    await memory.upsert(chunks, vectors);
    const memoryUpsertMs = performance.now() - memoryStarted;
    for (const { name, filter } of FILTERS.filter((one) => ['none', 'symbol'].includes(one.name))) {
      emit({
        bench: 'rag_memory_query',
        chunks: CHUNKS,
        limit: 20,
        filter: name,
        upsert_ms: ms(memoryUpsertMs),
        ...(await measureQueries(memory, questions.slice(0, 50), filter)),
      });
    }
    await memory.close();
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
