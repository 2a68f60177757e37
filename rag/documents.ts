/**
 * The passages retrieval answers from, built from what the platform and the trader wrote:
 * proposals (rationale, legs, risk results, who proposed and through which channel, the
 * decision), orders with their fills (slippage against the reference price), closed round
 * trips and optimization results (trade-documents.ts), journal notes, stored backtests, and
 * imported trades. Each passage has a stable id (`kind:source id[:part]`),
 * so building again gives the same ids, and flat metadata (kind, symbol, side, strategy, dates,
 * the ids it cites). Long texts are cut at sentence ends into parts of about 800 characters.
 */
import type { Pool } from '../store/db/pool.js';
import { type Batch, chunksOf, day } from './chunking.js';
import type { Chunk } from './ports.js';
import { optimizations, roundTrips } from './trade-documents.js';

export { sha256, splitText } from './chunking.js';

/** The kinds of passages. */
export const CHUNK_KINDS = [
  'proposal',
  'order',
  'round_trip',
  'note',
  'backtest',
  'optimization',
  'imported_trade',
] as const;
export type ChunkKind = (typeof CHUNK_KINDS)[number];

/** Proposals with legs, risk results, proposer, channel and decision. */
async function proposals(
  pool: Pool,
  after: string | null,
  limit: number,
  since: Date | null = null,
): Promise<Batch & { last: string | null }> {
  const { rows } = await pool.query<{
    id: string;
    kind: string;
    status: string;
    account_id: string;
    rationale: string;
    strategy: string | null;
    origin: { strategy_params?: Record<string, number>; screen?: { as_of: string } } | null;
    risk_results: { passed?: boolean; message?: string; rule?: string }[];
    channel: string;
    proposer_kind: string;
    handle: string | null;
    created_at: Date;
    decided_at: Date | null;
    decision_reason: string | null;
    failure_reason: string | null;
    legs: {
      symbol: string;
      side: string;
      quantity: string | null;
      notional: string | null;
      type: string;
      reference_price: string | null;
    }[];
  }>(
    `SELECT p.id, p.kind, p.status, p.account_id, p.rationale, p.strategy, p.origin, p.risk_results, p.channel,
            p.proposer_kind, pr.handle, p.created_at, p.decided_at, p.decision_reason, p.failure_reason,
            COALESCE((SELECT json_agg(json_build_object('symbol', l.symbol, 'side', l.side, 'quantity', l.quantity,
                       'notional', l.notional, 'type', l.type, 'reference_price', l.reference_price) ORDER BY l.leg)
                       FROM proposal_legs l WHERE l.proposal_id = p.id), '[]') AS legs
       FROM proposals p LEFT JOIN principals pr ON pr.id = p.proposed_by
      WHERE ($1::uuid IS NULL OR p.id > $1) AND ($3::timestamptz IS NULL OR greatest(p.created_at, p.decided_at) > $3)
      ORDER BY p.id LIMIT $2`,
    [after, limit, since],
  );
  const chunks = rows.flatMap((p) => {
    const legs = p.legs
      .map(
        (l) =>
          `${l.side.toUpperCase()} ${l.quantity ?? `${l.notional} USD of`} ${l.symbol} ${l.type}${l.reference_price ? ` (reference ${l.reference_price})` : ''}`,
      )
      .join('; ');
    const failed = p.risk_results
      .filter((r) => r.passed === false)
      .map((r) => r.message ?? r.rule ?? 'failed');
    const text = [
      `Proposal ${p.id} (${p.kind}, ${p.status}) on account ${p.account_id}: ${legs || 'cancel'}.`,
      `Proposed by ${p.handle ?? p.proposer_kind} (${p.proposer_kind}) through ${p.channel} on ${day(p.created_at)}${p.strategy ? `, strategy ${p.strategy}` : ''}${
        p.origin?.strategy_params
          ? ` (${Object.entries(p.origin.strategy_params)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')})`
          : ''
      }${p.origin?.screen ? `, picked by the screen of ${p.origin.screen.as_of}` : ''}.`,
      `Rationale: "${p.rationale}".`,
      `Risk: ${failed.length === 0 ? 'all checks passed' : `failed: ${failed.join('; ')}`}.`,
      p.decided_at
        ? `Decided ${p.status} on ${day(p.decided_at)}${p.decision_reason ? `: "${p.decision_reason}"` : ''}.`
        : '',
      p.failure_reason ? `Failed at the broker: "${p.failure_reason}".` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const first = p.legs[0];
    return chunksOf(
      'proposal',
      p.id,
      text,
      {
        symbol: first?.symbol,
        side: first?.side,
        strategy: p.strategy ?? undefined,
        date: day(p.created_at),
        date_end: day(p.decided_at),
      },
      { proposal_id: p.id },
    );
  });
  return { chunks, sources: rows.length, last: rows.at(-1)?.id ?? null };
}

/** The first and last day of some times, as passage metadata. */
function span(times: (Date | string)[]): { date?: string; date_end?: string } {
  const days = times.map((time) => day(time) as string).sort();
  return { date: days[0], date_end: days.length > 1 ? days.at(-1) : undefined };
}

/** Orders with their fills and slippage against the reference price. */
async function orders(
  pool: Pool,
  after: string | null,
  limit: number,
  since: Date | null = null,
): Promise<Batch & { last: string | null }> {
  const { rows } = await pool.query<{
    id: string;
    proposal_id: string;
    account_id: string;
    symbol: string;
    side: string;
    quantity: string | null;
    status: string;
    strategy: string | null;
    reference_price: string | null;
    created_at: Date;
    fills: { id: string; quantity: string; price: string; filled_at: string }[];
  }>(
    `SELECT o.id, o.proposal_id, o.account_id, o.symbol, o.side, o.quantity, o.status, p.strategy, l.reference_price,
            o.created_at,
            COALESCE((SELECT json_agg(json_build_object('id', f.id, 'quantity', f.quantity, 'price', f.price, 'filled_at', f.filled_at) ORDER BY f.filled_at)
                        FROM fills f WHERE f.order_id = o.id), '[]') AS fills
       FROM orders o JOIN proposals p ON p.id = o.proposal_id
       LEFT JOIN proposal_legs l ON l.proposal_id = o.proposal_id AND l.leg = o.leg
      WHERE ($1::uuid IS NULL OR o.id > $1) AND ($3::timestamptz IS NULL OR o.updated_at > $3)
      ORDER BY o.id LIMIT $2`,
    [after, limit, since],
  );
  const chunks = rows.flatMap((o) => {
    const reference = o.reference_price === null ? undefined : Number(o.reference_price);
    const fills = o.fills.map((f) => {
      const price = Number(f.price);
      const slip = reference
        ? ` (slippage ${(((price - reference) / reference) * (o.side === 'buy' ? 1 : -1) * 1e4).toFixed(1)} bps against reference ${reference})`
        : '';
      return `filled ${f.quantity} @ ${f.price} on ${day(f.filled_at)}${slip}`;
    });
    const text = `Order ${o.id} (${o.status}) for proposal ${o.proposal_id} on account ${o.account_id}: ${o.side.toUpperCase()} ${o.quantity ?? ''} ${o.symbol}${o.strategy ? `, strategy ${o.strategy}` : ''}; ${fills.length ? fills.join('; ') : 'no fills'}.`;
    return chunksOf(
      'order',
      o.id,
      text,
      {
        symbol: o.symbol,
        side: o.side,
        strategy: o.strategy ?? undefined,
        // The order's days: from its creation (or an earlier fill, when a broker backdates one)
        // to its last fill.
        ...span([o.created_at, ...o.fills.map((f) => f.filled_at)]),
      },
      {
        order_id: o.id,
        proposal_id: o.proposal_id,
        ...(o.fills[0] ? { fill_id: o.fills[0].id } : {}),
      },
    );
  });
  return { chunks, sources: rows.length, last: rows.at(-1)?.id ?? null };
}

/** Journal notes. */
async function notes(
  pool: Pool,
  after: string | null,
  limit: number,
  since: Date | null = null,
): Promise<Batch & { last: string | null }> {
  const { rows } = await pool.query<{
    id: string;
    handle: string | null;
    symbol: string | null;
    proposal_id: string | null;
    order_id: string | null;
    body: string;
    tags: string[];
    created_at: Date;
  }>(
    `SELECT n.id, p.handle, n.symbol, n.proposal_id, n.order_id, n.body, n.tags, n.created_at
       FROM notes n LEFT JOIN principals p ON p.id = n.principal_id
      WHERE ($1::uuid IS NULL OR n.id > $1) AND ($3::timestamptz IS NULL OR n.created_at > $3)
      ORDER BY n.id LIMIT $2`,
    [after, limit, since],
  );
  const chunks = rows.flatMap((n) =>
    chunksOf(
      'note',
      n.id,
      `Note ${n.id} by ${n.handle ?? 'someone'} on ${day(n.created_at)}${n.symbol ? ` about ${n.symbol}` : ''}${n.tags.length ? ` [${n.tags.join(', ')}]` : ''}: "${n.body}"`,
      { symbol: n.symbol ?? undefined, date: day(n.created_at) },
      {
        note_id: n.id,
        ...(n.proposal_id ? { proposal_id: n.proposal_id } : {}),
        ...(n.order_id ? { order_id: n.order_id } : {}),
      },
    ),
  );
  return { chunks, sources: rows.length, last: rows.at(-1)?.id ?? null };
}

/** Stored backtests: strategy, parameters, symbols, period and the headline figures. */
async function backtests(
  pool: Pool,
  after: string | null,
  limit: number,
  since: Date | null = null,
): Promise<Batch & { last: string | null }> {
  const { rows } = await pool.query<{
    id: string;
    strategy: string;
    params: Record<string, number>;
    symbols: string[];
    start_date: Date;
    end_date: Date;
    metrics: Record<string, number | null> | null;
    created_at: Date;
  }>(
    `SELECT id, strategy, params, symbols, start_date, end_date, metrics, created_at FROM backtests
      WHERE status = 'done' AND ($1::uuid IS NULL OR id > $1) AND ($3::timestamptz IS NULL OR coalesce(finished_at, created_at) > $3)
      ORDER BY id LIMIT $2`,
    [after, limit, since],
  );
  const pct = (value: number | null | undefined) =>
    typeof value === 'number' ? `${(value * 100).toFixed(2)} %` : 'n/a';
  const chunks = rows.flatMap((b) => {
    const m = b.metrics ?? {};
    const params = Object.entries(b.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return chunksOf(
      'backtest',
      b.id,
      `Backtest ${b.id} of ${b.strategy}${params ? ` ${params}` : ''} on ${b.symbols.join(', ')} from ${day(b.start_date)} to ${day(b.end_date)}: total return ${pct(m.total_return)}, CAGR ${pct(m.cagr)}, Sharpe ${typeof m.sharpe === 'number' ? m.sharpe.toFixed(2) : 'n/a'}, max drawdown ${pct(m.max_drawdown)}, ${m.trade_count ?? 0} trades.`,
      {
        symbol: b.symbols.length === 1 ? b.symbols[0] : undefined,
        strategy: b.strategy,
        date: day(b.start_date),
        date_end: day(b.end_date),
      },
      { backtest_id: b.id },
    );
  });
  return { chunks, sources: rows.length, last: rows.at(-1)?.id ?? null };
}

/** Imported trades (countersign import-trades), when that table exists. */
async function importedTrades(
  pool: Pool,
  after: string | null,
  limit: number,
  since: Date | null = null,
): Promise<Batch & { last: string | null }> {
  const exists = await pool.query("SELECT to_regclass('imported_trades') IS NOT NULL AS ok");
  if (!exists.rows[0]?.ok) return { chunks: [], sources: 0, last: null };
  const { rows } = await pool.query<Record<string, unknown> & { id: string }>(
    `SELECT * FROM imported_trades WHERE ($1::uuid IS NULL OR id > $1) AND ($3::timestamptz IS NULL OR imported_at > $3)
      ORDER BY id LIMIT $2`,
    [after, limit, since],
  );
  const chunks = rows.flatMap((t) => {
    const date = day((t.trade_date as Date | string | undefined) ?? undefined);
    const note = typeof t.note === 'string' && t.note !== '' ? ` Note: "${t.note}"` : '';
    const external = typeof t.external_id === 'string' ? t.external_id : undefined;
    return chunksOf(
      'imported_trade',
      t.id,
      `Imported trade ${t.id}${external ? ` (id ${external} in ${String(t.source_file ?? 'the file')})` : ''} on ${date}: ${String(t.side).toUpperCase()} ${t.quantity} ${t.symbol} @ ${t.price}${t.strategy ? `, strategy ${t.strategy}` : ''}.${note}`,
      {
        symbol: String(t.symbol),
        side: String(t.side),
        strategy: typeof t.strategy === 'string' ? t.strategy : undefined,
        date,
      },
      { imported_trade_id: t.id, ...(external ? { external_id: external } : {}) },
    );
  });
  return { chunks, sources: rows.length, last: rows.at(-1)?.id ?? null };
}

const READERS: Record<ChunkKind, typeof proposals> = {
  proposal: proposals,
  order: orders,
  round_trip: roundTrips,
  note: notes,
  optimization: optimizations,
  backtest: backtests,
  imported_trade: importedTrades,
};

/**
 * Every passage of every source, in batches (each source kind in id order): the full rebuild
 * reads through this, and counts sources for progress.
 */
export async function* allChunks(
  pool: Pool,
  batchSize = 500,
  /** Only sources created or changed after this time (an incremental catch-up). */
  since: Date | null = null,
): AsyncGenerator<{ kind: ChunkKind; chunks: Chunk[]; sources: number }> {
  for (const kind of CHUNK_KINDS) {
    let after: string | null = null;
    for (;;) {
      const batch = await READERS[kind](pool, after, batchSize, since);
      if (batch.sources === 0) break;
      yield { kind, chunks: batch.chunks, sources: batch.sources };
      after = batch.last;
      if (batch.sources < batchSize) break;
    }
  }
}

/** How many sources a full rebuild reads (for a progress bar's total). */
export async function countSources(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT (SELECT count(*) FROM proposals) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM notes)
          + (SELECT count(*) FROM backtests WHERE status = 'done') + (SELECT count(*) FROM optimizations)
          + (SELECT count(*) FROM imported_trades)
          + (SELECT count(*) FROM (SELECT account_id, symbol FROM orders WHERE filled_quantity > 0
                                   UNION SELECT account_id, symbol FROM imported_trades) g) AS n`,
  );
  return Number(rows[0]?.n ?? 0);
}
