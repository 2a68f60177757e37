/**
 * Retrieval on a trading history built through the real orders service: each question's cited id
 * in the top 5 (hybrid), keyword-only and vector-only reported beside it, indexing everything
 * again adds nothing, a change re-indexes only that passage, a vector store that fails leaves
 * keyword search answering and saying so. (search_trade_history through the tool gate is tested
 * in tools/search-trade-history.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testOrders } from '../orders/test-support.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import {
  buildScenario,
  importScenarioPrices,
  SCENARIO_PRICES,
  type ScenarioQuestion,
} from '../test/helpers/trade-scenario.js';
import { createHashEmbedder } from './embedders/hash-embedder.js';
import type { VectorStore } from './ports.js';
import { createRetrieval, type Retrieval, type SearchMode } from './retrieval.js';
import { createMemoryStore } from './stores/memory-store.js';

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let retrieval: Retrieval;
let store: VectorStore;
let questions: ScenarioQuestion[];
let local: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await importScenarioPrices(db.pool);
  t = testOrders(db.pool);
  for (const [symbol, price] of Object.entries(SCENARIO_PRICES)) t.prices.set(symbol, price);
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  local = (rows[0] as { id: string }).id;
  questions = await buildScenario(db.pool, t.orders, local);
  store = createMemoryStore();
  retrieval = createRetrieval({ pool: db.pool, embedder: createHashEmbedder(), store });
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

const citesOf = (passages: { cites: Record<string, string> }[]) =>
  passages.map((p) => Object.values(p.cites));

async function hitRate(mode: SearchMode): Promise<{ hits: number; missed: string[] }> {
  let hits = 0;
  const missed: string[] = [];
  for (const q of questions) {
    const { passages } = await retrieval.search(q.question, { limit: 5, mode });
    if (citesOf(passages).some((ids) => ids.some((id) => q.expect.includes(id)))) hits++;
    // What came back instead, so a miss on another machine can be read from the log.
    else
      missed.push(
        `${q.what}: got ${passages.map((p) => `${p.kind} ${p.symbol ?? '-'} (v${p.vector_rank ?? '-'}/k${p.keyword_rank ?? '-'})`).join(', ')}`,
      );
  }
  return { hits, missed };
}

describe('retrieval', () => {
  it('indexes every source once; indexing again adds nothing', async () => {
    const first = await retrieval.reindex();
    expect(first.sources).toBeGreaterThanOrEqual(20 + 5 + 1);
    expect(first.added).toBe(first.chunks);
    expect(await store.count()).toBe(first.chunks);
    const again = await retrieval.reindex();
    expect(again).toMatchObject({ added: 0, changed: 0, unchanged: first.chunks, removed: 0 });
    expect(await store.count()).toBe(first.chunks);
  });

  it('finds the cited id of every scenario question in the top 5 (hybrid), at least as often as either half alone (npm run bench -- --only rag reports the rates)', async () => {
    const hybrid = await hitRate('hybrid');
    const keyword = await hitRate('keyword');
    const vector = await hitRate('vector');
    expect(hybrid.missed).toEqual([]);
    expect(hybrid.hits).toBeGreaterThanOrEqual(Math.max(keyword.hits, vector.hits));
  });

  it('has a round-trip passage per closed trade, citing both sides, and one per stored optimization', async () => {
    const { rows: proposals } = await db.pool.query<{ id: string; side: string }>(
      `SELECT p.id, l.side FROM proposals p JOIN proposal_legs l ON l.proposal_id = p.id
        WHERE l.symbol = 'JNJ' ORDER BY p.created_at`,
    );
    const { rows } = await db.pool.query<{ body: string; cites: Record<string, string> }>(
      "SELECT body, cites FROM rag_chunks WHERE kind = 'round_trip' AND symbol = 'JNJ'",
    );
    // Bought 10 at 165 (week 9), sold 5 at 166.65 (week 17): (166.65 − 165) × 5 − 1 × 5/10 − 1 = 6.75.
    expect(rows).toHaveLength(1);
    expect(rows[0]?.body).toMatch(
      /^Round trip on account paper: long 5 JNJ; bought on 2021-03-08 at 165\.00 \(proposal .*\), sold on 2021-05-03 at 166\.65 \(proposal .*\); held 56\.0 days, P&L \+6\.75 USD \(0\.82 %\), a win\. Reason given for the exit: "Spin-off/,
    );
    expect(rows[0]?.cites).toMatchObject({
      entry_proposal_id: proposals.find((p) => p.side === 'buy')?.id,
      proposal_id: proposals.find((p) => p.side === 'sell')?.id,
    });
    // Every closed trade of the scenario has one: NVDA, XOM, AAPL, JPM, KO, PG, JNJ, WMT.
    const { rows: symbols } = await db.pool.query(
      "SELECT array_agg(DISTINCT symbol ORDER BY symbol) AS s FROM rag_chunks WHERE kind = 'round_trip'",
    );
    expect(symbols[0].s).toEqual(['AAPL', 'JNJ', 'JPM', 'KO', 'NVDA', 'PG', 'WMT', 'XOM']);
    const found = await retrieval.search('optimization sma_cross MSFT', {
      filter: { kinds: ['optimization'] },
    });
    expect(found.passages[0]?.text).toMatch(
      /^Optimization .* of sma_cross on MSFT .*best MSFT: fast=15 slow=120 \(sharpe 1\.070\)\. Walk-forward: MSFT: 4 folds, mean out-of-sample sharpe 0\.740/,
    );
  });

  it('filters by symbol, side, kind and dates', async () => {
    const sells = await retrieval.search('why', {
      filter: { symbol: 'NVDA', side: 'sell' },
      limit: 10,
    });
    expect(sells.passages.length).toBeGreaterThan(0);
    for (const p of sells.passages) expect(p).toMatchObject({ symbol: 'NVDA', side: 'sell' });
    const notes = await retrieval.search('energy hedge', { filter: { kinds: ['note'] } });
    expect(notes.passages.every((p) => p.kind === 'note')).toBe(true);
    const future = await retrieval.search('NVDA', { filter: { start: '2099-01-01' } });
    expect(future.passages).toEqual([]);
  });

  it('catches up on a new note alone, and a failing vector store leaves keyword search answering', async () => {
    await db.pool.query(
      "INSERT INTO notes (principal_id, symbol, body) VALUES ($1, 'KO', 'Watching the KO bottling franchise deal closely.')",
      [local],
    );
    const caught = await retrieval.catchUp();
    expect(caught.added).toBe(1);
    const broken: VectorStore = {
      ...store,
      name: 'broken',
      query: () => Promise.reject(new Error('connection refused')),
    };
    const degraded = createRetrieval({
      pool: db.pool,
      embedder: createHashEmbedder(),
      store: broken,
    });
    const result = await degraded.search('bottling franchise');
    expect(result.mode).toBe('keyword');
    expect(result.note).toMatch(/vector store is unavailable \(connection refused\)/);
    expect(result.passages[0]?.text).toMatch(/bottling franchise/);
  });

  it('keeps passages a failing vector store refused, and sends them once it answers', async () => {
    let down = true;
    const flaky = createMemoryStore({ name: 'flaky' });
    const gate: VectorStore = {
      ...flaky,
      name: 'flaky',
      upsert: (chunks, vectors) =>
        down ? Promise.reject(new Error('chroma is restarting')) : flaky.upsert(chunks, vectors),
      query: (...args) => flaky.query(...args),
      count: () => flaky.count(),
    };
    const other = createRetrieval({ pool: db.pool, embedder: createHashEmbedder(), store: gate });
    await db.pool.query(
      "INSERT INTO notes (principal_id, symbol, body) VALUES ($1, 'PG', 'PG raised prices twice this year.')",
      [local],
    );
    await other.catchUp();
    const waiting = await db.pool.query(
      'SELECT count(*)::int AS n FROM rag_chunks WHERE embedder IS NULL',
    );
    expect(waiting.rows[0].n).toBeGreaterThan(0);
    down = false;
    await other.catchUp();
    const after = await db.pool.query(
      'SELECT count(*)::int AS n FROM rag_chunks WHERE embedder IS NULL',
    );
    expect(after.rows[0].n).toBe(0);
    expect(
      (await other.search('raised prices twice', { mode: 'vector' })).passages[0]?.text,
    ).toMatch(/PG raised prices/);
  });
});
