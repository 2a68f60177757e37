/**
 * Retrieval end to end: hit rate at 5 on the trading scenario (test/helpers/trade-scenario.ts)
 * for hybrid, vector-only and keyword-only; then 100,000 generated notes (a year of a busy
 * journal, ~20 tickers, a few hundred phrasings) indexed in full into the embedded Chroma with
 * the weight-free embedder (time, rate), indexed again (nothing new), and searched:
 * search_trade_history's retrieval p50/p95 with and without filters.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { testOrders } from '../orders/test-support.js';
import { createHashEmbedder } from '../rag/embedders/hash-embedder.js';
import type { ChunkFilter } from '../rag/ports.js';
import { createRetrieval, type SearchMode } from '../rag/retrieval.js';
import { startChromaServer } from '../rag/stores/chroma-server.js';
import { createChromaStore } from '../rag/stores/chroma-store.js';
import { migrate } from '../store/db/migrate.js';
import { createPool } from '../store/db/pool.js';
import {
  buildScenario,
  importScenarioPrices,
  SCENARIO_PRICES,
  SCENARIO_SYMBOLS,
} from '../test/helpers/trade-scenario.js';
import { freshDatabase } from './fresh-database.js';

const ms = (value: number) => Math.round(value * 100) / 100;
const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
const summary = (laps: number[]) => {
  const sorted = [...laps].sort((a, b) => a - b);
  return {
    n: laps.length,
    p50_ms: ms(percentile(sorted, 0.5)),
    p95_ms: ms(percentile(sorted, 0.95)),
  };
};

const REASONS = [
  'valuation stretched after the run-up',
  'earnings beat and raised guidance',
  'momentum faded below the 200-day average',
  'rotation into the strongest twelve-month return',
  'stop loss hit on the gap down',
  'dividend raised again',
  'rates rising, margins expanding',
  'sector cap reached, trimming',
  'tax-loss harvest before year end',
  'rebalancing back to target weights',
  'news of a buyback',
  'guidance cut, leaving',
  'volatility too high for the book',
];

export async function benchRag(
  config: Config,
  emit: (line: object) => void,
  total = 100_000,
): Promise<void> {
  const database = await freshDatabase(config);
  const pool = createPool(database.url, { max: 6 });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cs-bench-rag-'));
  const chroma = await startChromaServer({ dataDir, logger: silentLogger() });
  try {
    await migrate(pool, silentLogger());
    await importScenarioPrices(pool);
    const t = testOrders(pool);
    for (const [symbol, price] of Object.entries(SCENARIO_PRICES)) t.prices.set(symbol, price);
    const { rows } = await pool.query<{ id: string }>(
      "SELECT id FROM principals WHERE handle = 'local'",
    );
    const local = (rows[0] as { id: string }).id;
    const questions = await buildScenario(pool, t.orders, local);
    // As retrieval opens it (rag/runtime.ts openChromaStore): vectors and filter fields only.
    const store = await createChromaStore({
      url: chroma.url,
      collection: 'bench_rag',
      texts: false,
    });
    const retrieval = createRetrieval({ pool, embedder: createHashEmbedder(), store });
    await retrieval.reindex();
    const rates: Record<string, number> = {};
    for (const mode of ['hybrid', 'vector', 'keyword'] as SearchMode[]) {
      let hits = 0;
      for (const q of questions) {
        const { passages } = await retrieval.search(q.question, { mode, limit: 5 });
        if (passages.some((p) => Object.values(p.cites).some((id) => q.expect.includes(id))))
          hits++;
      }
      rates[mode] = hits / questions.length;
    }
    emit({
      bench: 'rag_scenario_hit_at_5',
      questions: questions.length,
      hybrid: rates.hybrid,
      vector: rates.vector,
      keyword: rates.keyword,
    });

    // 100,000 notes, inserted in bulk, then the full reindex.
    const started = performance.now();
    await pool.query(
      `INSERT INTO notes (principal_id, symbol, body, created_at)
       SELECT $1, (ARRAY[${SCENARIO_SYMBOLS.map((s) => `'${s}'`).join(',')}])[1 + (g % ${SCENARIO_SYMBOLS.length})],
              'Note ' || g || ': ' || (ARRAY[${REASONS.map((r) => `'${r}'`).join(',')}])[1 + (g * 7 % ${REASONS.length})]
                || ' on ' || (ARRAY[${SCENARIO_SYMBOLS.map((s) => `'${s}'`).join(',')}])[1 + (g % ${SCENARIO_SYMBOLS.length})]
                || ', size ' || (g % 97) || ' shares, account note ' || md5(g::text),
              now() - (g || ' minutes')::interval
         FROM generate_series(1, $2) g`,
      [local, total],
    );
    const inserted = performance.now() - started;
    let lastProgress = 0;
    const reindexStarted = performance.now();
    const full = await retrieval.reindex({
      progress: (done, all) => {
        if (done - lastProgress >= 20_000) {
          lastProgress = done;
          process.stderr.write(`rag reindex: ${done}/${all} sources\n`);
        }
      },
    });
    const reindexMs = performance.now() - reindexStarted;
    emit({
      bench: 'rag_full_reindex',
      target_s: 60,
      chunks: full.chunks,
      added: full.added,
      seconds: ms(reindexMs / 1000),
      chunks_per_s: Math.round(full.added / (reindexMs / 1000)),
      notes_insert_s: ms(inserted / 1000),
      vectors_in_chroma: await store.count(),
    });
    const againStarted = performance.now();
    const again = await retrieval.reindex();
    emit({
      bench: 'rag_reingest_everything',
      target_new: 0,
      added: again.added,
      changed: again.changed,
      unchanged: again.unchanged,
      seconds: ms((performance.now() - againStarted) / 1000),
    });

    const queries = [
      'why did we sell NVDA',
      'valuation stretched',
      'dividend raised again KO',
      'stop loss hit',
      'tax-loss harvest',
      'rotation into the strongest',
    ];
    for (const [label, filter] of [
      ['no filter', {}],
      ['symbol filter', { symbol: 'JPM' }],
      ['kinds + dates', { kinds: ['note'], start: '2020-01-01' }],
    ] as [string, ChunkFilter][]) {
      const laps: number[] = [];
      for (let k = 0; k < 110; k++) {
        const begun = performance.now();
        await retrieval.search(queries[k % queries.length] as string, { filter, limit: 5 });
        if (k >= 10) laps.push(performance.now() - begun);
      }
      emit({
        bench: 'rag_search',
        target_p95_ms: 50,
        chunks: full.chunks,
        filter: label,
        ...summary(laps),
      });
    }
  } finally {
    await chroma.stop();
    await pool.end();
    await database.dispose();
    await rm(dataDir, { recursive: true, force: true });
  }
}
