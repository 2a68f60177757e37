/**
 * Passages built from more than one row: closed round trips (fills and imported trades matched
 * first in, first out per account and symbol, as trade_stats matches them) and stored
 * optimization results. Round trips are read a page of (account, symbol) groups at a time.
 */
import { roundTrips as matchTrips, type TradeFill } from '../core/metrics/round-trips.js';
import type { Pool } from '../store/db/pool.js';
import { type Batch, chunksOf, day } from './chunking.js';

const money = (value: number) => (Math.round(value * 100) / 100).toFixed(2);

/** What a fill ref stands for: a fill made here (with its order and proposal) or an imported trade. */
interface FillSource {
  kind: 'fill' | 'imported';
  id: string;
  order_id: string | null;
  proposal_id: string | null;
  external_id: string | null;
  rationale: string | null;
}

/**
 * Closed round trips of the (account, symbol) groups after `after` ("account symbol"), with the
 * proposals and fills of both sides and the closing proposal's rationale.
 */
export async function roundTrips(
  pool: Pool,
  after: string | null,
  limit: number,
  since: Date | null = null,
): Promise<Batch & { last: string | null }> {
  const imported = (await pool.query("SELECT to_regclass('imported_trades') IS NOT NULL AS ok"))
    .rows[0]?.ok as boolean;
  const importedGroups = imported
    ? `UNION SELECT account_id, symbol FROM imported_trades
        WHERE ($3::timestamptz IS NULL OR imported_at > $3)`
    : '';
  const { rows: groups } = await pool.query<{ account_id: string; symbol: string }>(
    `SELECT account_id, symbol FROM (
       SELECT o.account_id, o.symbol FROM orders o
        WHERE o.filled_quantity > 0 AND ($3::timestamptz IS NULL OR o.updated_at > $3)
       ${importedGroups}
     ) g WHERE $1::text IS NULL OR (account_id || ' ' || symbol) > $1
     ORDER BY account_id || ' ' || symbol LIMIT $2`,
    [after, limit, since],
  );
  if (groups.length === 0) return { chunks: [], sources: 0, last: null };
  const accounts = groups.map((g) => g.account_id);
  const symbols = groups.map((g) => g.symbol);
  const { rows: fills } = await pool.query<{
    id: string;
    account_id: string;
    symbol: string;
    side: 'buy' | 'sell';
    quantity: number;
    price: number;
    commission: number;
    at: Date;
    strategy: string | null;
    order_id: string | null;
    proposal_id: string | null;
    external_id: string | null;
    rationale: string | null;
    kind: 'fill' | 'imported';
    line: number;
  }>(
    `WITH wanted AS (SELECT * FROM unnest($1::text[], $2::text[]) AS w(account_id, symbol))
     SELECT f.id, f.account_id, f.symbol, f.side, f.quantity::float8 AS quantity, f.price::float8 AS price,
            f.commission::float8 AS commission, f.filled_at AS at, p.strategy, f.order_id, o.proposal_id,
            NULL AS external_id, p.rationale, 'fill' AS kind, 0 AS line
       FROM fills f JOIN wanted w USING (account_id, symbol)
       JOIN orders o ON o.id = f.order_id LEFT JOIN proposals p ON p.id = o.proposal_id
     ${
       imported
         ? `UNION ALL
     SELECT t.id, t.account_id, t.symbol, t.side, t.quantity::float8, t.price::float8, t.fees::float8,
            (t.trade_date::text || 'T00:00:00Z')::timestamptz, t.strategy, NULL, NULL, t.external_id,
            t.note, 'imported', t.line
       FROM imported_trades t JOIN wanted w USING (account_id, symbol)`
         : ''
     }
     ORDER BY at, kind DESC, line, id`,
    [accounts, symbols],
  );
  // Imported trades sort before the fills of their day (kind DESC), as in trade_stats.
  const sources = new Map<string, FillSource>();
  const byGroup = new Map<string, TradeFill[]>();
  for (const f of fills) {
    const key = `${f.account_id} ${f.symbol}`;
    const list = byGroup.get(key) ?? [];
    byGroup.set(key, list);
    sources.set(f.id, f);
    list.push({
      symbol: f.symbol,
      side: f.side,
      quantity: f.quantity,
      price: f.price,
      commission: f.commission,
      at: f.at,
      strategy: f.strategy,
      ref: f.id,
    });
  }
  const chunks = groups.flatMap(({ account_id: account, symbol }) => {
    const { trips } = matchTrips(byGroup.get(`${account} ${symbol}`) ?? []);
    const perExit = new Map<string, number>();
    return trips.flatMap((trip) => {
      const exit = sources.get(trip.exitRef as string) as FillSource;
      const entries = (trip.entryRefs ?? []).map((ref) => sources.get(ref) as FillSource);
      const entry = entries[0];
      const n = (perExit.get(exit.id) ?? 0) + 1;
      perExit.set(exit.id, n);
      const side = (source: FillSource | undefined) =>
        source === undefined
          ? 'an earlier trade'
          : source.kind === 'imported'
            ? `imported trade ${source.id}${source.external_id ? ` (id ${source.external_id})` : ''}`
            : `proposal ${source.proposal_id}, order ${source.order_id}`;
      const [opened, closed] = trip.direction === 'long' ? ['bought', 'sold'] : ['sold', 'bought'];
      const invested = trip.entryPrice * trip.quantity;
      const why = exit.rationale
        ? ` Reason given for the exit: "${exit.rationale.slice(0, 300)}".`
        : '';
      const text = `Round trip on account ${account}: ${trip.direction} ${trip.quantity} ${symbol}${trip.strategy ? `, strategy ${trip.strategy}` : ''}; ${opened} on ${day(trip.entryAt)} at ${money(trip.entryPrice)} (${side(entry)}), ${closed} on ${day(trip.exitAt)} at ${money(trip.exitPrice)} (${side(exit)}); held ${trip.holdingDays.toFixed(1)} days, P&L ${trip.pnl >= 0 ? '+' : ''}${money(trip.pnl)} USD (${((trip.pnl / invested) * 100).toFixed(2)} %), ${trip.pnl > 0.005 ? 'a win' : trip.pnl < -0.005 ? 'a loss' : 'flat'}.${why}`;
      const cites: Record<string, string> = {};
      if (exit.kind === 'fill') {
        cites.proposal_id = exit.proposal_id as string;
        cites.order_id = exit.order_id as string;
        cites.fill_id = exit.id;
      } else cites.imported_trade_id = exit.id;
      if (entry?.kind === 'fill') {
        cites.entry_proposal_id = entry.proposal_id as string;
        cites.entry_order_id = entry.order_id as string;
      } else if (entry?.kind === 'imported') cites.entry_imported_trade_id = entry.id;
      return chunksOf(
        'round_trip',
        n === 1 ? exit.id : `${exit.id}~${n}`,
        text,
        {
          symbol,
          side: trip.direction === 'long' ? 'sell' : 'buy',
          strategy: trip.strategy ?? undefined,
          date: day(trip.entryAt),
          date_end: day(trip.exitAt),
        },
        cites,
      );
    });
  });
  const last = groups.at(-1);
  return {
    chunks,
    sources: groups.length,
    last: last ? `${last.account_id} ${last.symbol}` : null,
  };
}

/** Stored optimize_strategy results: what was searched and the best set per symbol. */
export async function optimizations(
  pool: Pool,
  after: string | null,
  limit: number,
  since: Date | null = null,
): Promise<Batch & { last: string | null }> {
  const exists = await pool.query("SELECT to_regclass('optimizations') IS NOT NULL AS ok");
  if (!exists.rows[0]?.ok) return { chunks: [], sources: 0, last: null };
  const { rows } = await pool.query<{
    id: string;
    strategy: string;
    method: string;
    objective: string;
    symbols: string[];
    start_date: Date | null;
    end_date: Date | null;
    backtests: number;
    created_at: Date;
    best: { symbol: string; params: Record<string, number>; score: number | null }[];
    walk_forward:
      | {
          symbol: string;
          folds: number;
          mean_out_of_sample: number | null;
          degradation: number | null;
          most_common_params: Record<string, number> | null;
        }[]
      | null;
  }>(
    `SELECT id, strategy, method, objective, symbols, start_date, end_date, backtests, created_at, best, walk_forward
       FROM optimizations
      WHERE ($1::uuid IS NULL OR id > $1) AND ($3::timestamptz IS NULL OR created_at > $3)
      ORDER BY id LIMIT $2`,
    [after, limit, since],
  );
  const params = (p: Record<string, number> | null) =>
    p === null
      ? 'none'
      : Object.entries(p)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
  const figure = (value: number | null) => (value === null ? 'n/a' : value.toFixed(3));
  const chunks = rows.flatMap((o) => {
    const best = o.best
      .map((b) => `${b.symbol}: ${params(b.params)} (${o.objective} ${figure(b.score)})`)
      .join('; ');
    const folds = (o.walk_forward ?? [])
      .map(
        (w) =>
          `${w.symbol}: ${w.folds} folds, mean out-of-sample ${o.objective} ${figure(w.mean_out_of_sample)}, degradation ${figure(w.degradation)}, most common ${params(w.most_common_params)}`,
      )
      .join('; ');
    return chunksOf(
      'optimization',
      o.id,
      `Optimization ${o.id} of ${o.strategy} on ${o.symbols.join(', ')} run on ${day(o.created_at)} (${o.method}, ${o.backtests} backtests, objective ${o.objective}, bars ${day(o.start_date) ?? 'from the start'} to ${day(o.end_date) ?? 'the end'}): best ${best}.${folds ? ` Walk-forward: ${folds}.` : ' In-sample only.'}`,
      {
        symbol: o.symbols.length === 1 ? o.symbols[0] : undefined,
        strategy: o.strategy,
        date: day(o.start_date ?? o.created_at),
        date_end: day(o.end_date ?? o.created_at),
      },
      { optimization_id: o.id },
    );
  });
  return { chunks, sources: rows.length, last: rows.at(-1)?.id ?? null };
}
