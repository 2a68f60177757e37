/**
 * Orders speed on a throwaway database with the bundled sample: proposal → approval → paper fill
 * end to end in-process (latency percentiles; through the CLI channel and through the token path
 * that REST and MCP elicitation take), proposals created per second, and one 500-leg rebalance
 * basket proposed.
 */
import type { Config } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { createOrdersRuntime } from '../orders/runtime.js';
import { createPool } from '../store/db/pool.js';
import { MemoryBus } from '../store/kv/memory-bus.js';
import { apiTokenId, createApiToken } from '../store/repos/api-tokens-repo.js';
import { freshDatabase, seedBenchAccount } from './fresh-database.js';

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export async function benchOrders(config: Config, emit: (line: object) => void): Promise<void> {
  const database = await freshDatabase(config);
  const pool = createPool(database.url, { max: 8 });
  const logger = silentLogger();
  try {
    const local = await seedBenchAccount(pool, logger, ['approver']);
    const runtime = createOrdersRuntime({ pool, bus: new MemoryBus(logger), config, logger });
    const { orders } = runtime;
    const symbols = (
      await pool.query<{ symbol: string }>('SELECT DISTINCT symbol FROM daily_bars ORDER BY symbol')
    ).rows.map((r) => r.symbol);

    // End to end: propose, approve, paper fill. The CLI channel, then the REST channel's path in
    // orders (a bearer token whose 'approve' scope is checked in the approving transaction).
    const tokenId = apiTokenId(
      await createApiToken(pool, { principal: 'bench', scopes: ['read', 'approve'] }),
    ) as string;
    const laps: number[] = [];
    for (let k = 0; k < 300; k++) {
      const started = performance.now();
      const proposal = await orders.propose({
        accountId: 'paper',
        legs: [
          { symbol: symbols[k % symbols.length] as string, side: 'buy', quantity: 1 + (k % 7) },
        ],
        proposer: { kind: 'agent', name: 'bench' },
        channel: 'mcp',
      });
      const outcome = await orders.approve({
        proposalId: proposal.id,
        principalId: local,
        channel: 'cli',
        orderHash: proposal.orderHash,
        evidence: { kind: 'bench' },
      });
      const filled = outcome.status === 'submitted' ? outcome.orders[0]?.status : outcome.status;
      if (filled !== 'filled') throw new Error(`bench order not filled: ${filled}`);
      if (k >= 20) laps.push(performance.now() - started);
    }
    laps.sort((a, b) => a - b);
    emit({
      bench: 'orders_propose_approve_fill',
      broker: 'paper',
      database: database.server,
      runs: laps.length,
      p50_ms: percentile(laps, 0.5),
      p95_ms: percentile(laps, 0.95),
      p99_ms: percentile(laps, 0.99),
      target_p95_ms: 20,
    });
    const tokenLaps: number[] = [];
    for (let k = 0; k < 200; k++) {
      const started = performance.now();
      const proposal = await orders.propose({
        accountId: 'paper',
        legs: [
          { symbol: symbols[k % symbols.length] as string, side: 'buy', quantity: 1 + (k % 5) },
        ],
        proposer: { kind: 'agent', name: 'bench' },
        channel: 'mcp',
      });
      const outcome = await orders.approve({
        proposalId: proposal.id,
        principalId: local,
        channel: 'rest',
        orderHash: proposal.orderHash.slice(0, 12),
        evidence: { kind: 'bench' },
        credential: { kind: 'api_token', tokenId },
      });
      if (outcome.status !== 'submitted')
        throw new Error(`bench order not sent: ${outcome.status}`);
      if (k >= 20) tokenLaps.push(performance.now() - started);
    }
    tokenLaps.sort((a, b) => a - b);
    emit({
      bench: 'orders_propose_approve_fill_token',
      broker: 'paper',
      database: database.server,
      runs: tokenLaps.length,
      p50_ms: percentile(tokenLaps, 0.5),
      p95_ms: percentile(tokenLaps, 0.95),
      p99_ms: percentile(tokenLaps, 0.99),
      target_p95_ms: 20,
    });

    // Proposals per second, one at a time (each in its own transaction, risk rules included).
    const count = 1000;
    let started = performance.now();
    for (let k = 0; k < count; k++)
      await orders.propose({
        accountId: 'paper',
        legs: [{ symbol: symbols[k % symbols.length] as string, side: 'buy', quantity: 1 + k }],
        proposer: { kind: 'agent', name: 'bench' },
        channel: 'mcp',
      });
    const sequentialMs = performance.now() - started;
    // The same from 4 callers at once (an agent and bots proposing together).
    started = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, (_, worker) =>
        (async () => {
          for (let k = 0; k < count / 4; k++)
            await orders.propose({
              accountId: 'paper',
              legs: [
                {
                  symbol: symbols[(k + worker) % symbols.length] as string,
                  side: 'sell',
                  quantity: 1 + k,
                },
              ],
              proposer: { kind: 'agent', name: 'bench' },
              channel: 'mcp',
            });
        })(),
      ),
    );
    const parallelMs = performance.now() - started;
    emit({
      bench: 'orders_proposals_per_second',
      proposals: count,
      sequential_per_s: Math.round((count / sequentialMs) * 1000),
      parallel_4_per_s: Math.round((count / parallelMs) * 1000),
      target_per_s: 1000,
    });

    // A 500-leg basket (a rebalance) as one proposal.
    const legs = Array.from({ length: 500 }, (_, k) => ({
      symbol: symbols[k % symbols.length] as string,
      side: (k % 2 ? 'sell' : 'buy') as 'buy' | 'sell',
      quantity: 1 + Math.floor(k / symbols.length),
    }));
    const basketTimes: number[] = [];
    for (let k = 0; k < 5; k++) {
      started = performance.now();
      await orders.propose({
        accountId: 'paper',
        legs,
        proposer: { kind: 'rebalance' },
        channel: 'system',
      });
      basketTimes.push(performance.now() - started);
    }
    basketTimes.sort((a, b) => a - b);
    emit({
      bench: 'orders_basket_500_legs',
      legs: legs.length,
      median_ms: percentile(basketTimes, 0.5),
      max_ms: basketTimes[basketTimes.length - 1],
      target_ms: 500,
    });
    await runtime.close();
  } finally {
    await pool.end();
    await database.dispose();
  }
}
