/**
 * What the paper broker checks before it accepts an order: that the request is exactly the orders
 * row, that the approval proof names real approvals of that order, and that the account can pay
 * for it or holds the shares. Each refusal names the bad value and what would be valid.
 */
import { Dec, toDec } from '../../core/decimal.js';
import type { PoolClient } from '../../store/db/pool.js';
import { accountCash, heldQuantity } from '../../store/repos/accounts-repo.js';
import { type BrokerOrderRequest, BrokerRejectedError, MissingApprovalError } from '../port.js';
import { commissionFor, floorUnits, slippedPrice } from './fill-math.js';
import type { PaperTerms } from './options.js';
import { type AccountRecord, money, type OrderRecord, PAPER, text, WORKING } from './order-rows.js';
import type { Quote } from './quotes.js';

/** An approval proof that does not name approvals of this very order in the database. Nothing was sent. */
export class ApprovalProofMismatchError extends MissingApprovalError {
  constructor(clientOrderId: string, detail: string) {
    super(clientOrderId);
    this.name = 'ApprovalProofMismatchError';
    this.message = `order ${clientOrderId}: the approval proof does not hold: ${detail}; only orders/ submits, with the approval it loaded`;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function sameDecimal(a: string | undefined, b: string | null): boolean {
  if (a === undefined || b === null) return a === undefined && b === null;
  try {
    return new Dec(a).eq(b);
  } catch {
    return false;
  }
}

/** Refuses a request that differs from the orders row it names: the row is what was approved. */
export function checkRequestIsRow(request: BrokerOrderRequest, row: OrderRecord): void {
  const differences: string[] = [];
  const same = (field: string, given: unknown, stored: unknown) => {
    if (given !== stored) differences.push(`${field} ${String(given)} ≠ ${String(stored)}`);
  };
  same('clientOrderId', request.clientOrderId, row.client_order_id);
  same('accountId', request.accountId, row.account_id);
  same('broker', PAPER, row.broker);
  same('symbol', request.symbol, row.symbol);
  same('side', request.side, row.side);
  same('type', request.type, row.type);
  same('timeInForce', request.timeInForce, row.time_in_force);
  const decimals: [string, string | undefined, string | null][] = [
    ['quantity', request.quantity, row.quantity],
    ['notional', request.notional, row.notional],
    ['limitPrice', request.limitPrice, row.limit_price],
    ['stopPrice', request.stopPrice, row.stop_price],
  ];
  for (const [field, given, stored] of decimals)
    if (!sameDecimal(given, stored))
      differences.push(`${field} ${given ?? 'none'} ≠ ${stored ?? 'none'}`);
  if (differences.length > 0)
    throw new BrokerRejectedError(
      `order ${request.orderId} does not match the request (request ≠ orders row): ${differences.join('; ')}`,
      'order_mismatch',
    );
}

/**
 * Checks the proof against the database: the order belongs to the proposal, the proposal's hash is
 * the proof's, and every approval id is an 'approve' decision on that proposal bound to that hash.
 * (Whether the approvals were consumed is orders/' business: it consumes them in the transaction
 * that created this row.)
 */
export async function checkApprovalProof(
  client: PoolClient,
  request: BrokerOrderRequest,
  row: OrderRecord,
): Promise<void> {
  const proof = request.approval;
  const fail = (detail: string) => {
    throw new ApprovalProofMismatchError(request.clientOrderId, detail);
  };
  if (proof.proposalId !== row.proposal_id)
    fail(`it names proposal ${proof.proposalId}, the order belongs to ${row.proposal_id}`);
  const ids = [...new Set(proof.approvalIds)];
  const bad = ids.find((id) => !UUID.test(id));
  if (bad !== undefined) fail(`approval id ${JSON.stringify(bad)} is not a uuid`);
  const { rows } = await client.query<{ order_hash: string; approved: string }>(
    `SELECT p.order_hash,
            (SELECT count(*) FROM approvals a
              WHERE a.id = ANY($2::uuid[]) AND a.proposal_id = p.id
                AND a.decision = 'approve' AND a.order_hash = p.order_hash)::text AS approved
       FROM proposals p WHERE p.id = $1`,
    [row.proposal_id, ids],
  );
  const proposal = rows[0];
  if (!proposal) return fail(`proposal ${row.proposal_id} does not exist`);
  if (proposal.order_hash !== proof.orderHash)
    fail(
      `its order hash ${proof.orderHash.slice(0, 12)}… is not the proposal's ${proposal.order_hash.slice(0, 12)}…`,
    );
  if (Number(proposal.approved) !== ids.length)
    fail(
      `${ids.length - Number(proposal.approved)} of its ${ids.length} approval id(s) are not approvals of this proposal's order`,
    );
}

/** Refuses an account the paper broker does not keep (unknown, another broker's, or closed). */
export function checkAccount(accountId: string, account: AccountRecord | undefined): AccountRecord {
  if (!account) throw new BrokerRejectedError(`unknown account '${accountId}'`, 'unknown_account');
  if (account.broker !== PAPER)
    throw new BrokerRejectedError(
      `account '${accountId}' is kept by broker '${account.broker}', not by the paper broker`,
      'wrong_broker',
    );
  if (account.closed_at)
    throw new BrokerRejectedError(`account '${accountId}' is closed`, 'account_closed');
  return account;
}

/** The price an order is assumed to trade at when checking funds: the most a buy can pay, the least a sell gets at once. */
function planningPrice(row: OrderRecord, quote: Dec, terms: PaperTerms): Dec {
  if (row.type === 'limit' && row.side === 'buy') return toDec(row.limit_price as string);
  if (row.type === 'stop') {
    const stop = toDec(row.stop_price as string);
    const trigger = row.side === 'buy' ? Dec.max(stop, quote) : Dec.min(stop, quote);
    return slippedPrice(row.side, trigger, terms.slippageBps);
  }
  const slipped = slippedPrice(row.side, quote, terms.slippageBps);
  if (row.type === 'limit') return Dec.max(slipped, toDec(row.limit_price as string));
  return slipped;
}

/** Shares of `symbol` promised to the account's other working sell orders (their unfilled rest). */
async function promisedToSells(
  client: PoolClient,
  row: OrderRecord,
  price: Dec,
  fractional: boolean,
): Promise<Dec> {
  const { rows } = await client.query<{
    quantity: string | null;
    notional: string | null;
    filled_quantity: string;
    filled_value: string;
  }>(
    `SELECT o.quantity::text, o.notional::text, o.filled_quantity::text,
            coalesce((SELECT sum(f.quantity * f.price) FROM fills f WHERE f.order_id = o.id), 0)::text AS filled_value
       FROM orders o
      WHERE o.account_id = $1 AND o.symbol = $2 AND o.side = 'sell' AND o.broker = $3
        AND o.status = ANY($4) AND o.broker_order_id IS NOT NULL AND o.id <> $5`,
    [row.account_id, row.symbol, PAPER, WORKING, row.id],
  );
  let promised = new Dec(0);
  for (const other of rows) {
    const rest =
      other.quantity !== null
        ? toDec(other.quantity).minus(other.filled_quantity)
        : floorUnits(
            toDec(other.notional as string)
              .minus(other.filled_value)
              .div(price),
            fractional,
          );
    if (rest.gt(0)) promised = promised.plus(rest);
  }
  return promised;
}

/**
 * Refuses what cannot trade: a symbol with no price, an instrument in another currency, a notional
 * too small for one unit, a buy costing more than the cash, a sell of shares not held (no shorts).
 * Buys are checked against the cash now; every fill checks again, so cash never goes negative.
 */
export async function checkTradable(
  client: PoolClient,
  row: OrderRecord,
  account: AccountRecord,
  quote: Quote | null,
  terms: PaperTerms,
): Promise<void> {
  if (!quote)
    throw new BrokerRejectedError(
      `no price for ${row.symbol}: the paper broker fills against the latest quote (by default the last daily bar); import ${row.symbol}'s prices first`,
      'no_price',
    );
  const { rows: instrument } = await client.query<{ currency: string }>(
    'SELECT currency FROM instruments WHERE symbol = $1',
    [row.symbol],
  );
  const currency = instrument[0]?.currency ?? account.base_currency;
  if (currency !== account.base_currency)
    throw new BrokerRejectedError(
      `${row.symbol} trades in ${currency} but account '${account.id}' is in ${account.base_currency}; the paper broker does no currency exchange`,
      'currency_mismatch',
    );

  const price = planningPrice(row, toDec(quote.price), terms);
  const fractional = account.allow_fractional;
  const quantity =
    row.quantity !== null
      ? toDec(row.quantity)
      : floorUnits(toDec(row.notional as string).div(price), fractional);
  if (quantity.lte(0))
    throw new BrokerRejectedError(
      `notional ${row.notional} buys no ${fractional ? 'unit' : 'whole share'} of ${row.symbol} at ${text(price)}${fractional ? '' : '; this account does not allow fractional shares'}`,
      'notional_too_small',
    );

  if (row.side === 'buy') {
    const cash = toDec(await accountCash(client, row.account_id));
    const commission = commissionFor(quantity, price, terms);
    const cost = quantity.times(price).plus(commission);
    if (cost.gt(cash))
      throw new BrokerRejectedError(
        `insufficient cash: buying ${text(quantity)} ${row.symbol} costs up to ${money(cost)} (${text(quantity)} × ${text(price)} + commission ${money(commission)}) but account '${account.id}' has ${money(cash)} cash; paper accounts have no margin`,
        'insufficient_cash',
      );
    return;
  }

  const held = toDec(await heldQuantity(client, row.account_id, row.symbol));
  const promised = await promisedToSells(client, row, price, fractional);
  const available = Dec.max(held.minus(promised), 0);
  if (quantity.gt(available))
    throw new BrokerRejectedError(
      `insufficient shares: selling ${text(quantity)} ${row.symbol} but account '${account.id}' holds ${text(held)}${promised.gt(0) ? ` (${text(promised)} already in working sell orders)` : ''}, so at most ${text(available)} can be sold; paper accounts cannot sell short`,
      'insufficient_shares',
    );
}
