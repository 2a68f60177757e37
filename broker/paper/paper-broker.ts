/**
 * The paper broker: Countersign's default broker, kept entirely in PostgreSQL. Its orders are the
 * `orders` rows that orders/ created; it fills them against the latest quote with slippage,
 * commission and a volume cap, and books every fill in one transaction (fills, cash_ledger,
 * positions, the order row, audit_log).
 */
import { Dec, toDec } from '../../core/decimal.js';
import { inTransaction, type Pool, type PoolClient } from '../../store/db/pool.js';
import { accountPositions } from '../../store/repos/accounts-repo.js';
import {
  type Broker,
  type BrokerAccount,
  type BrokerFill,
  type BrokerOrder,
  type BrokerOrderRequest,
  type BrokerPosition,
  BrokerRejectedError,
  BrokerUnavailableError,
  MissingApprovalError,
  requireApproval,
} from '../port.js';
import { cancelOrderRow, executeLocked } from './execute.js';
import { cents } from './fill-math.js';
import { type PaperBrokerOptions, type PaperTerms, resolvePaperTerms } from './options.js';
import {
  cashOf,
  lockAccount,
  lockOrderByClientId,
  lockOrderById,
  money,
  type OrderRecord,
  PAPER,
  readOrderByClientId,
  text,
  toBrokerOrder,
  WORKING,
} from './order-rows.js';
import { dailyBarQuotes, type Quote, type QuoteSource } from './quotes.js';
import {
  checkAccount,
  checkApprovalProof,
  checkRequestIsRow,
  checkTradable,
} from './submit-checks.js';

/** What createPaperBroker needs. */
export interface PaperBrokerDeps {
  pool: Pool;
  /** Default: the last daily bar of each symbol (dailyBarQuotes). */
  quotes?: QuoteSource;
  options?: PaperBrokerOptions;
}

/** What one matching pass did. */
export interface MatchResult {
  fills: BrokerFill[];
  /** Orders the pass cancelled (funds or shares missing at fill time). */
  cancelled: BrokerOrder[];
}

/**
 * Some orders of a matching pass could not be matched: their transactions rolled back and the next
 * pass tries them again. The others were matched and committed; `result` says what they did.
 */
export class PaperMatchError extends AggregateError {
  constructor(
    errors: { orderId: string; error: unknown }[],
    readonly result: MatchResult,
  ) {
    super(
      errors.map((failure) => failure.error),
      `paper broker: ${errors.length} order(s) could not be matched (${errors
        .map(
          (failure) =>
            `${failure.orderId}: ${failure.error instanceof Error ? failure.error.message : String(failure.error)}`,
        )
        .join('; ')}); they are tried again on the next pass`,
    );
    this.name = 'PaperMatchError';
  }
}

/** The paper broker: the Broker port plus `match`, which the server runs on a timer. */
export interface PaperBroker extends Broker {
  readonly name: 'paper';
  readonly terms: PaperTerms;
  /**
   * Matches every working paper order (of one account, or all) against its symbol's latest quote.
   * Safe to run concurrently with itself and with submit: each order is matched under its row lock.
   * Each order is its own transaction; when some fail, the rest still commit and PaperMatchError
   * is thrown at the end.
   */
  match(accountId?: string): Promise<MatchResult>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f-]{36})$/;
const FILLS_PAGE = 1000;

/** PostgreSQL errors that mean "try again": a lock wait that timed out, a deadlock, a lost or refused connection. */
const TRANSIENT = /^(08|53|57P|55P03|40001|40P01)/;
const NETWORK = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN)$/;

function asUnavailable(error: unknown): unknown {
  if (
    error instanceof BrokerRejectedError ||
    error instanceof MissingApprovalError ||
    error instanceof BrokerUnavailableError
  )
    return error;
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  const transient =
    (typeof code === 'string' && (TRANSIENT.test(code) || NETWORK.test(code))) ||
    /Connection terminated|timeout exceeded when trying to connect/i.test(message);
  return transient
    ? new BrokerUnavailableError(`paper broker: the database is not available now (${message})`, {
        cause: error,
      })
    : error;
}

/** Creates the paper broker on `pool`. Throws RangeError for bad options. */
export function createPaperBroker(deps: PaperBrokerDeps): PaperBroker {
  const { pool } = deps;
  const quotes = deps.quotes ?? dailyBarQuotes(pool);
  const terms = resolvePaperTerms(deps.options);

  async function tx<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    try {
      return await inTransaction(pool, async (client) => {
        // A row held by a transaction that never ends must not hang the caller: it fails, retryably.
        await client.query(`SET LOCAL lock_timeout = ${terms.lockTimeoutMs}`);
        return work(client);
      });
    } catch (error) {
      throw asUnavailable(error);
    }
  }

  async function reread(client: PoolClient, row: OrderRecord): Promise<BrokerOrder> {
    const current = await lockOrderById(client, row.id);
    return toBrokerOrder(current ?? row);
  }

  async function requireAccount(accountId: string) {
    const { rows } = await pool
      .query<{ id: string; broker: string; base_currency: string }>(
        'SELECT id, broker, base_currency FROM accounts WHERE id = $1',
        [accountId],
      )
      .catch((error: unknown) => {
        throw asUnavailable(error);
      });
    const account = rows[0];
    if (!account)
      throw new BrokerRejectedError(`unknown account '${accountId}'`, 'unknown_account');
    if (account.broker !== PAPER)
      throw new BrokerRejectedError(
        `account '${accountId}' is kept by broker '${account.broker}', not by the paper broker`,
        'wrong_broker',
      );
    return account;
  }

  /** The latest quote of each symbol, asked once per call. */
  function quoteCache(): (symbol: string) => Promise<Quote | null> {
    const cache = new Map<string, Promise<Quote | null>>();
    return (symbol) => {
      let quote = cache.get(symbol);
      if (!quote) {
        quote = quotes.latest(symbol);
        cache.set(symbol, quote);
      }
      return quote;
    };
  }

  const broker: PaperBroker = {
    name: PAPER,
    terms,

    async submit(request: BrokerOrderRequest): Promise<BrokerOrder> {
      requireApproval(request);
      if (!UUID.test(request.orderId))
        throw new BrokerRejectedError(
          `order id ${JSON.stringify(request.orderId)} is not an orders.id (a uuid)`,
          'unknown_order',
        );
      const quote = await quotes.latest(request.symbol);
      return tx(async (client) => {
        const row = await lockOrderById(client, request.orderId);
        if (!row)
          throw new BrokerRejectedError(
            `no order ${request.orderId}: orders/ creates the orders row before it submits`,
            'unknown_order',
          );
        if (row.client_order_id !== request.clientOrderId)
          throw new BrokerRejectedError(
            `order ${row.id} has client order id ${row.client_order_id}, the request says ${request.clientOrderId}`,
            'order_mismatch',
          );
        await checkApprovalProof(client, request, row);
        checkRequestIsRow(request, row);
        if (row.broker_order_id !== null) return toBrokerOrder(row);
        if (row.status !== 'submitting')
          throw new BrokerRejectedError(
            `order ${row.id} is '${row.status}'; only an order in 'submitting' can be sent`,
            'not_submittable',
          );
        const account = checkAccount(row.account_id, await lockAccount(client, row.account_id));
        await checkTradable(client, row, account, quote, terms);
        const { rows } = await client.query<{ updated_at: Date }>(
          `UPDATE orders SET broker_order_id = $2, status = 'submitted', submitted_at = now(), updated_at = now()
            WHERE id = $1 RETURNING updated_at`,
          [row.id, `paper-${row.id}`],
        );
        const accepted: OrderRecord = {
          ...row,
          broker_order_id: `paper-${row.id}`,
          status: 'submitted',
          updated_at: rows[0]?.updated_at ?? row.updated_at,
        };
        await executeLocked(client, accepted, account, quote as Quote, terms, true);
        return reread(client, accepted);
      });
    },

    async cancel(accountId, clientOrderId) {
      return tx(async (client) => {
        const row = await lockOrderByClientId(client, accountId, clientOrderId);
        if (!row?.broker_order_id)
          throw new BrokerRejectedError(
            `no paper order with client order id ${clientOrderId} in account '${accountId}'`,
            'unknown_order',
          );
        if (row.status === 'cancelled') return toBrokerOrder(row);
        if (row.status === 'filled')
          throw new BrokerRejectedError(
            `order ${clientOrderId} is already filled (${text(toDec(row.filled_quantity))} at ${row.avg_fill_price}); there is nothing left to cancel`,
            'already_filled',
          );
        if (row.status === 'failed')
          throw new BrokerRejectedError(
            `order ${clientOrderId} failed (${row.failure_reason ?? 'no reason recorded'}); it is not working`,
            'not_working',
          );
        const cancelled = await cancelOrderRow(client, row, 'cancelled on request', {
          actorKind: 'system',
          actorId: 'paper-broker',
          channel: 'system',
        });
        return toBrokerOrder(cancelled);
      });
    },

    async getOrder(accountId, clientOrderId) {
      const row = await readOrderByClientId(pool, accountId, clientOrderId).catch(
        (error: unknown) => {
          throw asUnavailable(error);
        },
      );
      return row?.broker_order_id ? toBrokerOrder(row) : null;
    },

    async positions(accountId): Promise<BrokerPosition[]> {
      await requireAccount(accountId);
      const rows = await accountPositions(pool, accountId);
      const latest = quoteCache();
      return Promise.all(
        rows.map(async (row) => {
          const quote = await latest(row.symbol);
          const quantity = toDec(row.quantity);
          return {
            symbol: row.symbol,
            quantity: text(quantity),
            avgCost: text(toDec(row.avgCost)),
            marketValue: quote ? money(cents(quantity.times(toDec(quote.price)))) : null,
          };
        }),
      );
    },

    async account(accountId): Promise<BrokerAccount> {
      const account = await requireAccount(accountId);
      const cash = await cashOf(pool, accountId);
      let holdings = new Dec(0);
      for (const position of await broker.positions(accountId)) {
        // A position without a quote is valued at its average cost rather than left out.
        const value =
          position.marketValue ?? money(cents(toDec(position.quantity).times(position.avgCost)));
        holdings = holdings.plus(value);
      }
      return {
        accountId,
        currency: account.base_currency,
        cash: money(cash),
        equity: money(cash.plus(holdings)),
        buyingPower: money(Dec.max(cash, 0)),
      };
    },

    async fillsSince(accountId, cursor) {
      await requireAccount(accountId);
      let after: [string, string] | [null, null] = [null, null];
      if (cursor) {
        const parsed = CURSOR.exec(cursor);
        if (!parsed)
          throw new BrokerRejectedError(
            `cursor ${JSON.stringify(cursor)} is not one this broker returned (expected <filled_at>|<fill id>)`,
            'bad_cursor',
          );
        after = [parsed[1] as string, parsed[2] as string];
      }
      const { rows } = await pool.query<{
        id: string;
        broker_fill_id: string;
        client_order_id: string;
        broker_order_id: string;
        symbol: string;
        side: 'buy' | 'sell';
        quantity: string;
        price: string;
        commission: string;
        at: string;
      }>(
        `SELECT f.id, f.broker_fill_id, o.client_order_id, o.broker_order_id, f.symbol, f.side,
                f.quantity::text, f.price::text, f.commission::text,
                to_char(f.filled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
           FROM fills f JOIN orders o ON o.id = f.order_id
          WHERE f.account_id = $1 AND o.broker = $2
            AND ($3::timestamptz IS NULL OR (f.filled_at, f.id) > ($3::timestamptz, $4::uuid))
          ORDER BY f.filled_at, f.id LIMIT $5`,
        [accountId, PAPER, after[0], after[1], FILLS_PAGE],
      );
      const fills: BrokerFill[] = rows.map((row) => ({
        brokerFillId: row.broker_fill_id,
        clientOrderId: row.client_order_id,
        brokerOrderId: row.broker_order_id,
        symbol: row.symbol,
        side: row.side,
        quantity: text(toDec(row.quantity)),
        price: text(toDec(row.price)),
        commission: text(toDec(row.commission)),
        filledAt: row.at,
      }));
      const last = rows[rows.length - 1];
      return { fills, cursor: last ? `${last.at}|${last.id}` : (cursor ?? '') };
    },

    async match(accountId) {
      const result: MatchResult = { fills: [], cancelled: [] };
      const failures: { orderId: string; error: unknown }[] = [];
      const { rows } = await pool.query<{ id: string; symbol: string }>(
        `SELECT id, symbol FROM orders
          WHERE broker = $1 AND status = ANY($2) AND broker_order_id IS NOT NULL
            AND ($3::text IS NULL OR account_id = $3)
          ORDER BY submitted_at, id`,
        [PAPER, WORKING, accountId ?? null],
      );
      const latest = quoteCache();
      for (const { id, symbol } of rows) {
        try {
          const quote = await latest(symbol);
          if (!quote) continue;
          const outcome = await tx(async (client) => {
            const row = await lockOrderById(client, id);
            if (!row || !(WORKING as readonly string[]).includes(row.status)) return undefined;
            const account = await lockAccount(client, row.account_id);
            if (!account) return undefined;
            const executed = await executeLocked(client, row, account, quote, terms, false);
            return executed.cancelled
              ? { ...executed, order: await reread(client, row) }
              : executed;
          });
          if (outcome?.fill) result.fills.push(outcome.fill);
          if (outcome && 'order' in outcome) result.cancelled.push(outcome.order);
        } catch (error) {
          failures.push({ orderId: id, error });
        }
      }
      if (failures.length > 0) throw new PaperMatchError(failures, result);
      return result;
    },

    async close() {
      // The pool belongs to the caller, who closes it.
    },
  };
  return broker;
}
