/**
 * Executing one locked paper order against one quote, inside the caller's transaction: the fill
 * with its cash-ledger lines, position, order update and audit entry all commit together or not
 * at all. Callers hold the order row lock and then the account lock (always in that order).
 */
import { Dec, toDec } from '../../core/decimal.js';
import { appendAudit } from '../../store/audit/audit-log.js';
import type { PoolClient } from '../../store/db/pool.js';
import { heldQuantity as storedQuantity } from '../../store/repos/accounts-repo.js';
import type { BrokerFill } from '../port.js';
import { decideFill, type FillDecision, type OrderProgress, PRICE_DECIMALS } from './fill-math.js';
import type { PaperTerms } from './options.js';
import {
  type AccountRecord,
  cashOf,
  money,
  type OrderRecord,
  termsOf,
  text,
} from './order-rows.js';
import { applyFill } from './position-math.js';
import type { Quote } from './quotes.js';

/** Who the audit log names for what the paper broker does on its own (fills, expiries). */
const ACTOR = { actorKind: 'system', actorId: 'paper-broker', channel: 'system' } as const;

/** What matching one order did. */
export interface ExecuteResult {
  fill?: BrokerFill;
  /** True when the order was cancelled (ioc/fok remainder, or funds or shares missing at fill time). */
  cancelled: boolean;
}

/** The quote parsed; a feed that sends something other than a positive price is a bug, said loudly. */
function parseQuote(symbol: string, quote: Quote): { price: Dec; volume: Dec | null } {
  const price = toDec(quote.price);
  if (!price.gt(0))
    throw new RangeError(`quote for ${symbol} has price ${quote.price}; must be > 0`);
  const volume = quote.volume === null ? null : toDec(quote.volume);
  if (volume?.isNegative())
    throw new RangeError(`quote for ${symbol} has volume ${quote.volume}; must be ≥ 0`);
  return { price, volume };
}

/** The fill id of an order's fill from one quote: unique per (order, quote), so a quote never fills an order twice. */
export function fillIdFor(brokerOrderId: string, quoteAt: string): string {
  return `${brokerOrderId}@${quoteAt}`;
}

async function progressOf(client: PoolClient, row: OrderRecord): Promise<OrderProgress> {
  const filledQuantity = toDec(row.filled_quantity);
  if (row.notional === null) return { filledQuantity, filledValue: new Dec(0) };
  const { rows } = await client.query<{ value: string }>(
    'SELECT coalesce(sum(quantity * price), 0)::text AS value FROM fills WHERE order_id = $1',
    [row.id],
  );
  return { filledQuantity, filledValue: toDec(rows[0]?.value ?? '0') };
}

async function heldQuantity(client: PoolClient, accountId: string, symbol: string): Promise<Dec> {
  return toDec(await storedQuantity(client, accountId, symbol));
}

/** Marks the order cancelled with `reason` and records it in the audit log. */
export async function cancelOrderRow(
  client: PoolClient,
  row: OrderRecord,
  reason: string,
  actor: { actorKind: 'system'; actorId: string; channel: string } = ACTOR,
): Promise<OrderRecord> {
  const { rows } = await client.query<{ updated_at: Date }>(
    `UPDATE orders SET status = 'cancelled', failure_reason = $2, updated_at = now()
      WHERE id = $1 RETURNING updated_at`,
    [row.id, reason],
  );
  await appendAudit(client, {
    ...actor,
    action: 'order.cancelled',
    entityKind: 'order',
    entityId: row.id,
    before: { status: row.status, filledQuantity: row.filled_quantity },
    after: { status: 'cancelled', filledQuantity: row.filled_quantity, reason },
  });
  return {
    ...row,
    status: 'cancelled',
    failure_reason: reason,
    updated_at: rows[0]?.updated_at ?? row.updated_at,
  };
}

/** A notional order whose unspent rest buys less than one unit is done: it becomes 'filled'. */
async function closeSpentNotional(client: PoolClient, row: OrderRecord, price: Dec): Promise<void> {
  await client.query(`UPDATE orders SET status = 'filled', updated_at = now() WHERE id = $1`, [
    row.id,
  ]);
  await appendAudit(client, {
    ...ACTOR,
    action: 'order.filled',
    entityKind: 'order',
    entityId: row.id,
    before: { status: row.status, filledQuantity: row.filled_quantity },
    after: {
      status: 'filled',
      filledQuantity: row.filled_quantity,
      reason: `the unspent notional buys less than one unit at ${text(price)}`,
    },
  });
}

/** Why a fill the rules allow cannot be paid for or delivered, or undefined when it can. */
async function shortfall(
  client: PoolClient,
  row: OrderRecord,
  decision: Extract<FillDecision, { fill: true }>,
): Promise<string | undefined> {
  if (row.side === 'buy') {
    const cash = await cashOf(client, row.account_id);
    const cost = decision.value.plus(decision.commission);
    if (cost.gt(cash))
      return `insufficient cash at fill time: buying ${text(decision.quantity)} ${row.symbol} at ${text(decision.price)} costs ${money(cost)} (commission ${money(decision.commission)} included), cash is ${money(cash)}; paper accounts have no margin`;
    return undefined;
  }
  const held = await heldQuantity(client, row.account_id, row.symbol);
  if (decision.quantity.gt(held))
    return `insufficient shares at fill time: selling ${text(decision.quantity)} ${row.symbol} but the account holds ${text(held)}; paper accounts cannot sell short`;
  return undefined;
}

/**
 * Matches a locked working order against `quote`. `atSubmit` applies ioc/fok: fok fills completely
 * at once or is cancelled whole; ioc keeps what fills at once and cancels the rest. Day, gtc, opg
 * and cls orders keep working until filled or cancelled (the paper broker has no session clock).
 */
export async function executeLocked(
  client: PoolClient,
  row: OrderRecord,
  account: AccountRecord,
  quote: Quote,
  terms: PaperTerms,
  atSubmit: boolean,
): Promise<ExecuteResult> {
  const brokerOrderId = row.broker_order_id as string;
  const fillId = fillIdFor(brokerOrderId, quote.at);
  const { rows: seen } = await client.query(
    'SELECT 1 FROM fills WHERE order_id = $1 AND broker_fill_id = $2',
    [row.id, fillId],
  );
  if (seen.length > 0) return { cancelled: false };

  const parsed = parseQuote(row.symbol, quote);
  const order = termsOf(row);
  const progress = await progressOf(client, row);
  const decision = decideFill(order, progress, parsed, terms, account.allow_fractional);
  const immediate = atSubmit && (row.time_in_force === 'ioc' || row.time_in_force === 'fok');

  if (!decision.fill) {
    if (immediate) {
      const why =
        decision.reason === 'not_marketable'
          ? `the quote ${quote.price} is not through the limit ${row.limit_price}`
          : decision.reason === 'not_triggered'
            ? `the quote ${quote.price} has not reached the stop ${row.stop_price}`
            : `the quote at ${quote.at} has no volume to fill from`;
      await cancelOrderRow(client, row, `${row.time_in_force}: nothing filled at once: ${why}`);
      return { cancelled: true };
    }
    if (decision.reason === 'nothing_left' && progress.filledQuantity.gt(0))
      await closeSpentNotional(client, row, parsed.price);
    return { cancelled: false };
  }

  if (immediate && row.time_in_force === 'fok' && !decision.complete) {
    await cancelOrderRow(
      client,
      row,
      `fok: only ${text(decision.quantity)} of the order could fill at once (at most ${text(terms.maxVolumeShare.times(100))} % of the quote's volume ${quote.volume}); nothing was filled`,
    );
    return { cancelled: true };
  }

  const missing = await shortfall(client, row, decision);
  if (missing) {
    await cancelOrderRow(client, row, missing);
    return { cancelled: true };
  }

  const { fill, after } = await recordFill(client, row, account, decision, fillId, quote.at);
  if (immediate && row.time_in_force === 'ioc' && !decision.complete) {
    await cancelOrderRow(
      client,
      after,
      `ioc: ${after.filled_quantity} filled at once; the rest is cancelled`,
    );
    return { fill, cancelled: true };
  }
  return { fill, cancelled: false };
}

/**
 * Writes one fill: the fills row, the 'trade' and 'commission' cash-ledger lines, the position,
 * the order's filled quantity, average price and status, and the audit entry.
 */
async function recordFill(
  client: PoolClient,
  row: OrderRecord,
  account: AccountRecord,
  decision: Extract<FillDecision, { fill: true }>,
  fillId: string,
  quoteAt: string,
): Promise<{ fill: BrokerFill; after: OrderRecord }> {
  // Taken after the account lock, so the fills of one account get increasing filled_at in commit
  // order: fillsSince's (filled_at, id) cursor never skips a fill that commits later.
  const { rows: clock } = await client.query<{ now: Date; iso: string }>(
    `SELECT t AS now, to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS iso
       FROM clock_timestamp() AS t`,
  );
  const at = clock[0] as { now: Date; iso: string };
  const { quantity, price, value, commission } = decision;

  const { rows: inserted } = await client.query<{ id: string }>(
    `INSERT INTO fills (order_id, account_id, symbol, side, quantity, price, commission, filled_at, broker_fill_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [
      row.id,
      row.account_id,
      row.symbol,
      row.side,
      text(quantity),
      text(price),
      text(commission),
      at.iso,
      fillId,
    ],
  );
  const dbFillId = (inserted[0] as { id: string }).id;

  const note = `${row.side} ${text(quantity)} ${row.symbol} @ ${text(price)}`;
  await client.query(
    `INSERT INTO cash_ledger (account_id, at, amount, currency, kind, fill_id, note)
     VALUES ($1, $2, $3, $4, 'trade', $5, $6)`,
    [
      row.account_id,
      at.iso,
      text(row.side === 'buy' ? value.neg() : value),
      account.base_currency,
      dbFillId,
      note,
    ],
  );
  if (commission.gt(0))
    await client.query(
      `INSERT INTO cash_ledger (account_id, at, amount, currency, kind, fill_id, note)
       VALUES ($1, $2, $3, $4, 'commission', $5, $6)`,
      [
        row.account_id,
        at.iso,
        text(commission.neg()),
        account.base_currency,
        dbFillId,
        `commission on ${note}`,
      ],
    );

  await upsertPosition(client, row, quantity, price, at.iso);

  const filledBefore = toDec(row.filled_quantity);
  const filledAfter = filledBefore.plus(quantity);
  const avgBefore = row.avg_fill_price === null ? new Dec(0) : toDec(row.avg_fill_price);
  const avgAfter = avgBefore
    .times(filledBefore)
    .plus(price.times(quantity))
    .div(filledAfter)
    .toDecimalPlaces(PRICE_DECIMALS + 6, Dec.ROUND_HALF_EVEN);
  const status = decision.complete ? 'filled' : 'partially_filled';
  await client.query(
    `UPDATE orders SET filled_quantity = $2, avg_fill_price = $3, status = $4, updated_at = $5
      WHERE id = $1`,
    [row.id, text(filledAfter), text(avgAfter), status, at.iso],
  );

  const fill: BrokerFill = {
    brokerFillId: fillId,
    clientOrderId: row.client_order_id,
    brokerOrderId: row.broker_order_id as string,
    symbol: row.symbol,
    side: row.side,
    quantity: text(quantity),
    price: text(price),
    commission: text(commission),
    filledAt: at.iso,
  };
  await appendAudit(client, {
    ...ACTOR,
    action: decision.complete ? 'order.filled' : 'order.partially_filled',
    entityKind: 'order',
    entityId: row.id,
    before: { status: row.status, filledQuantity: row.filled_quantity },
    after: {
      status,
      filledQuantity: text(filledAfter),
      avgFillPrice: text(avgAfter),
      fill: {
        id: dbFillId,
        ...fill,
        quoteAt,
        cashAmount: text(row.side === 'buy' ? value.neg() : value),
      },
    },
  });
  const after: OrderRecord = {
    ...row,
    status,
    filled_quantity: text(filledAfter),
    avg_fill_price: text(avgAfter),
    updated_at: at.now,
  };
  return { fill, after };
}

async function upsertPosition(
  client: PoolClient,
  row: OrderRecord,
  quantity: Dec,
  price: Dec,
  at: string,
): Promise<void> {
  const { rows } = await client.query<{ quantity: string; avg_cost: string; realized_pnl: string }>(
    `SELECT quantity::text, avg_cost::text, realized_pnl::text FROM positions
      WHERE account_id = $1 AND symbol = $2 FOR UPDATE`,
    [row.account_id, row.symbol],
  );
  const before = rows[0];
  const change = applyFill(
    {
      quantity: toDec(before?.quantity ?? '0'),
      avgCost: toDec(before?.avg_cost ?? '0'),
      realizedPnl: toDec(before?.realized_pnl ?? '0'),
    },
    row.side,
    quantity,
    price,
  );
  await client.query(
    `INSERT INTO positions (account_id, symbol, quantity, avg_cost, realized_pnl, opened_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6)
     ON CONFLICT (account_id, symbol) DO UPDATE SET
       quantity = EXCLUDED.quantity,
       avg_cost = EXCLUDED.avg_cost,
       realized_pnl = EXCLUDED.realized_pnl,
       opened_at = CASE WHEN $7 THEN EXCLUDED.opened_at
                        WHEN EXCLUDED.quantity = 0 THEN NULL
                        ELSE positions.opened_at END,
       updated_at = EXCLUDED.updated_at`,
    [
      row.account_id,
      row.symbol,
      text(change.quantity),
      text(change.avgCost),
      text(change.realizedPnl),
      at,
      change.opened,
    ],
  );
}
