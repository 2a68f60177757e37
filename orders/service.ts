/**
 * The orders service: proposals, human decisions, submission, reconciliation, expiry. This is the
 * only code that calls a broker's submit or cancel, and it does so only for orders it created in
 * the same transaction that loaded and consumed the human approvals of exactly those orders.
 *
 * Flow: propose (nothing is sent) → approve (checks, then in ONE transaction: record the
 * approval; when enough approvals exist, load them, consume them, create the order rows with
 * client order ids derived from the proposal, mark the proposal submitted) → after commit, send
 * each order to the broker (idempotent by client order id) → the broker's answer updates the row.
 * A crash after the commit leaves rows in 'submitting'; `reconcile` asks the broker for each and
 * sends the ones it never received — so there is never a second order for a proposal.
 */
import type { Broker, BrokerOrder, BrokerOrderRequest } from '../broker/port.js';
import { BrokerRejectedError } from '../broker/port.js';
import type { Logger } from '../config/logger.js';
import { Dec } from '../core/decimal.js';
import { parseRiskLimits, type RiskLimits, runRiskRules } from '../core/risk/index.js';
import type { RiskCheck, RiskContext } from '../core/risk/types.js';
import { appendAudit } from '../store/audit/audit-log.js';
import type { AuditInput } from '../store/audit/types.js';
import { inTransaction, type Pool, type PoolClient } from '../store/db/pool.js';
import type { Bus } from '../store/kv/bus.js';
import { deciderRefusal, loadDecider } from './decision-checks.js';
import {
  AccessDeniedError,
  ApprovalRefusedError,
  NotFoundError,
  OrderInputError,
} from './errors.js';
import {
  clientOrderId,
  hashMatches,
  normalDecimal,
  orderHash,
  SHORT_HASH_LENGTH,
  shortHash,
} from './hash.js';
import type { PriceSource } from './prices.js';
import { isUuid, listProposals, loadProposal, selectOrders, toOrderRow } from './repo.js';
import {
  APPROVAL_CHANNELS,
  type ApproveOutcome,
  type DecisionInput,
  type Leg,
  type LegInput,
  type OrderRow,
  type OrderStatus,
  type Proposal,
  type ProposeInput,
} from './types.js';

declare module '../store/kv/events.js' {
  interface BusEvents {
    'proposal.created': { proposalId: string; accountId: string; at: string };
    'proposal.approved': { proposalId: string; accountId: string; at: string };
    'proposal.rejected': { proposalId: string; accountId: string; reason: string; at: string };
    'proposal.expired': { proposalId: string; accountId: string; at: string };
    'order.submitted': { orderId: string; proposalId: string; accountId: string; at: string };
    'order.filled': {
      orderId: string;
      proposalId: string;
      accountId: string;
      status: 'partially_filled' | 'filled';
      filledQuantity: string;
      at: string;
    };
    'order.cancelled': { orderId: string; proposalId: string; accountId: string; at: string };
    'order.failed': {
      orderId: string;
      proposalId: string;
      accountId: string;
      reason: string;
      at: string;
    };
  }
}

/** What the service needs. */
export interface OrdersDeps {
  pool: Pool;
  bus: Bus;
  /** Adapters by accounts.broker ('paper', 'alpaca'). */
  brokers: Record<string, Broker>;
  prices: PriceSource;
  logger: Logger;
  /** The clock (tests move it). */
  now?: () => Date;
  /** Largest |latest / reference − 1| at approval time; default 0.02. */
  driftGuard?: number;
  /** Default proposal lifetime in seconds; 900. */
  defaultExpirySeconds?: number;
}

const MAX_LEGS = 1000;
const MAX_EXPIRY_SECONDS = 86_400;
/** What a proposal's strategy label may be (the proposals.strategy CHECK). */
export const STRATEGY_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,39}$/;

interface AccountRow {
  id: string;
  broker: string;
  allow_fractional: boolean;
  risk_limits: unknown;
  four_eyes_notional: string | null;
  allow_elicitation: boolean;
  allow_short: boolean;
  /** Whether the principal asked about (propose's proposer) holds the trader role here. */
  trader: boolean | null;
  /** That principal's handle. */
  handle: string | null;
}

/** The service's operations; see the file comment for the flow. */
export interface Orders {
  propose(input: ProposeInput): Promise<Proposal>;
  proposeCancel(input: {
    orderId: string;
    proposer: ProposeInput['proposer'];
    channel: ProposeInput['channel'];
    rationale?: string;
  }): Promise<Proposal>;
  approve(input: DecisionInput): Promise<ApproveOutcome>;
  reject(input: DecisionInput): Promise<Proposal>;
  /**
   * Whether `principalId` could decide on the proposal now through `channel` with `credential`
   * (role, scope, channel allowed on the account, four-eyes proposer rule, still pending): null
   * when it could, else the refusal it would get. Writes nothing; a channel asks before it
   * shows a person a form that could never succeed. approve() checks everything again.
   */
  canDecide(
    input: Pick<DecisionInput, 'proposalId' | 'principalId' | 'channel' | 'credential'>,
    decision: 'approve' | 'reject',
  ): Promise<ApprovalRefusedError | null>;
  expireDue(): Promise<string[]>;
  reconcile(): Promise<{ checked: number; sent: number; updated: number; needsAttention: number }>;
  /**
   * Brings working orders up to date with their broker (fills, cancels, rejections after the
   * fact) and publishes what changed. `clientOrderIds` limits it to those orders (the paper
   * broker's match pass names the ones it filled).
   */
  syncOpen(clientOrderIds?: string[]): Promise<number>;
  getProposal(id: string): Promise<Proposal>;
  /** Newest first; `accountIds` limits the list to those accounts (what a principal may see). */
  listProposals(filter: {
    status?: string;
    accountId?: string;
    accountIds?: string[];
    limit?: number;
  }): Promise<Proposal[]>;
  ordersOf(proposalId: string): Promise<OrderRow[]>;
}

/** Maps a broker's order status onto ours. */
function statusFrom(order: BrokerOrder): OrderStatus {
  switch (order.status) {
    case 'accepted':
      return 'submitted';
    case 'partially_filled':
      return 'partially_filled';
    case 'filled':
      return 'filled';
    case 'cancelled':
    case 'expired':
      return 'cancelled';
    case 'rejected':
      return 'failed';
  }
}

const positive = (field: string, value: number | string | undefined): string | null => {
  if (value === undefined || value === null) return null;
  const text = String(value).trim();
  let parsed: Dec;
  try {
    parsed = new Dec(text);
  } catch {
    throw new OrderInputError(
      `${field} ${JSON.stringify(value)} is not a number; give a number > 0`,
    );
  }
  if (!parsed.isFinite() || parsed.lte(0))
    throw new OrderInputError(`${field} ${JSON.stringify(value)} must be a number > 0`);
  return parsed.toString();
};

/** Creates the service. */
export function createOrders(deps: OrdersDeps): Orders {
  const { pool, bus, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const driftGuard = deps.driftGuard ?? 0.02;
  const defaultExpiry = deps.defaultExpirySeconds ?? 900;

  const publish = <K extends Parameters<Bus['publish']>[0]>(
    topic: K,
    payload: Parameters<Bus['publish']>[1] & object,
  ) => {
    void bus.publish(topic, payload as never).catch((error: unknown) => {
      logger.warn({ err: error, topic }, 'could not publish an orders event');
    });
  };

  const audit = (client: PoolClient, entry: AuditInput) => appendAudit(client, entry);

  /** What is kept with a decision: the channel's evidence, the hash it sent back, the credential. */
  const evidenceOf = (input: DecisionInput): Record<string, unknown> => ({
    ...(input.evidence && typeof input.evidence === 'object' ? input.evidence : {}),
    shownHash: typeof input.orderHash === 'string' ? input.orderHash.slice(0, 64) : null,
    ...(input.credential ? { credential: input.credential } : {}),
  });

  /** The proposal.created entry: the proposer, its channel, and what was proposed. */
  const auditCreated = (
    client: PoolClient,
    input: Pick<ProposeInput, 'proposer' | 'channel'>,
    proposalId: string,
    after: Record<string, unknown>,
  ) =>
    audit(client, {
      actorKind: input.proposer.kind,
      actorId: input.proposer.principalId ?? input.proposer.name ?? null,
      channel: input.channel,
      action: 'proposal.created',
      entityKind: 'proposal',
      entityId: proposalId,
      before: null,
      after,
    });

  /**
   * The open account `id` (an OrderInputError naming the accounts when there is none), with
   * whether `principalId` holds the trader role on it (null when no principal is asked about).
   */
  async function account(
    db: Pool | PoolClient,
    id: string,
    principalId: string | null = null,
  ): Promise<AccountRow> {
    const { rows } = await db.query<AccountRow>(
      `SELECT a.id, a.broker, a.allow_fractional, a.risk_limits, a.four_eyes_notional::text, a.allow_elicitation, a.allow_short,
              CASE WHEN $2::uuid IS NULL THEN NULL ELSE EXISTS (
                SELECT 1 FROM role_grants g JOIN principals p ON p.id = g.principal_id
                 WHERE g.principal_id = $2::uuid AND g.role = 'trader' AND p.disabled_at IS NULL
                   AND (g.account_id IS NULL OR g.account_id = a.id)) END AS trader,
              (SELECT handle FROM principals WHERE id = $2::uuid) AS handle
         FROM accounts a WHERE a.id = $1 AND a.closed_at IS NULL`,
      [id, principalId],
    );
    const row = rows[0];
    if (!row) {
      const { rows: known } = await db.query<{ id: string }>(
        'SELECT id FROM accounts WHERE closed_at IS NULL ORDER BY id',
      );
      throw new OrderInputError(
        `unknown account "${id}"; the accounts are ${known.map((k) => k.id).join(', ') || 'none'}`,
      );
    }
    return row;
  }

  /**
   * A principal proposes only on an account where it holds the trader role; proposals with no
   * principal (an alert rule, a rebalance job) are the system's. AccessDeniedError otherwise.
   */
  async function proposerAccount(
    accountId: string,
    proposer: ProposeInput['proposer'],
  ): Promise<AccountRow> {
    const principalId = proposer?.principalId ?? null;
    if (principalId !== null && !isUuid(principalId))
      throw new AccessDeniedError(
        `proposer ${JSON.stringify(principalId)} is not a principal id`,
        accountId,
        'trader',
      );
    const acct = await account(pool, accountId, principalId);
    if (acct.trader === false)
      throw new AccessDeniedError(
        `this principal holds no trader role on account ${acct.id}: proposing needs the trader role there (grant it with \`countersign token create --principal <name> --role trader --account ${acct.id}\`)`,
        acct.id,
        'trader',
      );
    return acct;
  }

  /** Normalises and checks the legs against the instruments table; errors name the leg and value. */
  async function checkLegs(account: AccountRow, legs: LegInput[]): Promise<Leg[]> {
    if (!Array.isArray(legs) || legs.length === 0)
      throw new OrderInputError('a proposal needs at least one order (leg)');
    if (legs.length > MAX_LEGS)
      throw new OrderInputError(`a proposal holds at most ${MAX_LEGS} legs, got ${legs.length}`);
    const symbols = legs.map((leg) =>
      String(leg.symbol ?? '')
        .trim()
        .toUpperCase(),
    );
    const { rows } = await pool.query<{ symbol: string; lot_size: string }>(
      'SELECT symbol, lot_size::text FROM instruments WHERE symbol = ANY($1)',
      [symbols],
    );
    const lots = new Map(rows.map((row) => [row.symbol, row.lot_size]));
    return legs.map((input, k) => {
      const where = legs.length > 1 ? `leg ${k + 1}: ` : '';
      const symbol = symbols[k] as string;
      if (!lots.has(symbol))
        throw new OrderInputError(
          `${where}unknown symbol ${JSON.stringify(input.symbol)}; import its prices first (countersign import)`,
        );
      if (input.side !== 'buy' && input.side !== 'sell')
        throw new OrderInputError(
          `${where}side ${JSON.stringify(input.side)} is not valid; use buy or sell`,
        );
      const type = input.type ?? 'market';
      if (!['market', 'limit', 'stop'].includes(type))
        throw new OrderInputError(
          `${where}type ${JSON.stringify(type)} is not valid; use market, limit or stop`,
        );
      const timeInForce = input.timeInForce ?? 'day';
      if (!['day', 'gtc', 'ioc', 'fok', 'opg', 'cls'].includes(timeInForce))
        throw new OrderInputError(
          `${where}time_in_force ${JSON.stringify(timeInForce)} is not valid; use day, gtc, ioc, fok, opg or cls`,
        );
      const quantity = positive(`${where}quantity`, input.quantity);
      const notional = positive(`${where}notional`, input.notional);
      if ((quantity === null) === (notional === null))
        throw new OrderInputError(
          `${where}give exactly one of quantity (shares) and notional (amount)`,
        );
      const limitPrice = positive(`${where}limit_price`, input.limitPrice);
      const stopPrice = positive(`${where}stop_price`, input.stopPrice);
      if (type === 'limit' && limitPrice === null)
        throw new OrderInputError(`${where}a limit order needs limit_price`);
      if (type === 'stop' && stopPrice === null)
        throw new OrderInputError(`${where}a stop order needs stop_price`);
      if (type !== 'limit' && limitPrice !== null)
        throw new OrderInputError(`${where}limit_price is only for limit orders (type is ${type})`);
      if (type !== 'stop' && stopPrice !== null)
        throw new OrderInputError(`${where}stop_price is only for stop orders (type is ${type})`);
      if (quantity !== null && !account.allow_fractional) {
        const lot = new Dec(lots.get(symbol) as string);
        if (!new Dec(quantity).mod(lot).isZero())
          throw new OrderInputError(
            `${where}quantity ${quantity} of ${symbol} is not a whole multiple of its lot size ${lot.toString()}${lot.eq(1) ? ' (whole shares; this account does not allow fractions)' : ''}`,
          );
      }
      return {
        leg: k + 1,
        symbol,
        side: input.side,
        quantity,
        notional,
        type,
        limitPrice,
        stopPrice,
        timeInForce,
        referencePrice: null,
      };
    });
  }

  /**
   * The account's state for the risk rules in one round trip: cash, positions, sectors, and the
   * recent proposals of the same symbols (for the duplicate guard; `since` null: none), then the
   * latest prices of the legs and holdings.
   */
  async function riskState(
    db: Pool | PoolClient,
    accountId: string,
    symbols: string[],
    since: Date | null,
  ) {
    const { rows } = await db.query<{
      cash: string;
      positions: { symbol: string; quantity: string }[];
      sectors: Record<string, string | null>;
      open_sells: Record<string, string>;
      recent: {
        id: string;
        symbol: string;
        side: 'buy' | 'sell';
        quantity: string | null;
        notional: string | null;
        type: 'market' | 'limit' | 'stop';
        limit_price: string | null;
        stop_price: string | null;
        created_at: string;
      }[];
    }>(
      `WITH held AS (SELECT symbol, quantity FROM positions WHERE account_id = $1 AND quantity <> 0)
       SELECT
         (SELECT COALESCE(sum(amount), 0)::text FROM cash_ledger WHERE account_id = $1) AS cash,
         COALESCE((SELECT json_agg(json_build_object('symbol', symbol, 'quantity', quantity::text)) FROM held), '[]') AS positions,
         COALESCE((SELECT json_object_agg(symbol, sector) FROM instruments
                    WHERE symbol = ANY($2) OR symbol IN (SELECT symbol FROM held)), '{}') AS sectors,
         COALESCE((SELECT json_object_agg(symbol, open) FROM (
                     SELECT symbol, sum(quantity - filled_quantity)::text AS open FROM orders
                      WHERE account_id = $1 AND side = 'sell' AND quantity IS NOT NULL AND symbol = ANY($2)
                        AND status IN ('submitting', 'submitted', 'partially_filled')
                      GROUP BY symbol) s), '{}') AS open_sells,
         COALESCE((SELECT json_agg(json_build_object('id', p.id, 'symbol', l.symbol, 'side', l.side,
                     'quantity', l.quantity::text, 'notional', l.notional::text, 'type', l.type,
                     'limit_price', l.limit_price::text, 'stop_price', l.stop_price::text, 'created_at', p.created_at))
                    FROM proposals p JOIN proposal_legs l ON l.proposal_id = p.id
                   WHERE $3::timestamptz IS NOT NULL AND p.account_id = $1 AND p.created_at > $3
                     AND p.status IN ('pending', 'approved', 'submitted') AND l.symbol = ANY($2)), '[]') AS recent`,
      [accountId, symbols, since],
    );
    const row = rows[0] as NonNullable<(typeof rows)[number]>;
    const held = row.positions;
    const prices = await deps.prices.latest([
      ...new Set([...symbols, ...held.map((p) => p.symbol)]),
    ]);
    const cash = Number(row.cash);
    const positions: RiskContext['account']['positions'] = {};
    let equity = cash;
    for (const position of held) {
      const price = Number(prices.get(position.symbol)?.price ?? 0);
      positions[position.symbol] = { quantity: Number(position.quantity), price: price || 1 };
      equity += Number(position.quantity) * price;
    }
    const openSells: Record<string, number> = {};
    for (const [symbol, open] of Object.entries(row.open_sells)) openSells[symbol] = Number(open);
    return {
      cash,
      equity,
      positions,
      openSells,
      prices,
      sectors: row.sectors,
      recent: row.recent,
    };
  }

  /** Runs every risk rule on every leg; the results as stored with the proposal. */
  async function riskResults(
    db: Pool | PoolClient,
    account: AccountRow,
    legs: Leg[],
    proposalId: string | null,
  ): Promise<{ passed: boolean; results: (RiskCheck & { leg: number })[] }> {
    let limits: RiskLimits;
    try {
      limits = parseRiskLimits(account.risk_limits);
    } catch (error) {
      // A broken limits object fails closed: every check reports it.
      const message = `the account's risk_limits are invalid: ${(error as Error).message}`;
      return {
        passed: false,
        results: legs.map((leg) => ({
          leg: leg.leg,
          rule: 'risk_limits',
          passed: false,
          message,
          limit: null,
          value: null,
        })) as (RiskCheck & { leg: number })[],
      };
    }
    const window = limits.duplicateWindowSeconds;
    const state = await riskState(
      db,
      account.id,
      legs.map((leg) => leg.symbol),
      window === null || window === undefined ? null : new Date(now().getTime() - window * 1000),
    );
    const recent = state.recent;
    const recentBySymbol = new Map<string, RiskContext['recentOrders']>();
    for (const row of recent) {
      const list = recentBySymbol.get(row.symbol) ?? [];
      list.push({
        id: row.id,
        account: account.id,
        symbol: row.symbol,
        side: row.side,
        quantity: row.quantity === null ? null : Number(row.quantity),
        notional: row.notional === null ? null : Number(row.notional),
        type: row.type,
        limitPrice: row.limit_price === null ? null : Number(row.limit_price),
        stopPrice: row.stop_price === null ? null : Number(row.stop_price),
        at: new Date(row.created_at).toISOString(),
      });
      recentBySymbol.set(row.symbol, list);
    }
    const results: (RiskCheck & { leg: number })[] = [];
    let passed = true;
    for (const leg of legs) {
      const last = state.prices.get(leg.symbol);
      const context: RiskContext = {
        now: now().toISOString(),
        order: {
          id: proposalId,
          account: account.id,
          symbol: leg.symbol,
          side: leg.side,
          quantity: leg.quantity === null ? null : Number(leg.quantity),
          notional: leg.notional === null ? null : Number(leg.notional),
          type: leg.type,
          limitPrice: leg.limitPrice === null ? null : Number(leg.limitPrice),
          stopPrice: leg.stopPrice === null ? null : Number(leg.stopPrice),
          timeInForce: leg.timeInForce,
        },
        account: {
          equity: state.equity > 0 ? state.equity : 1,
          cash: state.cash,
          startOfDayEquity: state.equity > 0 ? state.equity : 1,
          positions: state.positions,
          allowShort: account.allow_short,
          openSells: state.openSells,
        },
        lastPrice: last ? { price: Number(last.price), asOf: last.at } : null,
        sectors: state.sectors,
        // Only the same symbol can be a duplicate: each leg sees just those (a basket stays linear).
        recentOrders: recentBySymbol.get(leg.symbol) ?? [],
      };
      try {
        const report = runRiskRules(context, limits);
        if (!report.passed) passed = false;
        for (const check of report.checks) results.push({ ...check, leg: leg.leg });
      } catch (error) {
        passed = false;
        results.push({
          leg: leg.leg,
          rule: 'risk_input',
          passed: false,
          message: (error as Error).message,
          limit: null,
          value: null,
        } as RiskCheck & { leg: number });
      }
    }
    return { passed, results };
  }

  async function insertProposal(
    client: PoolClient,
    values: {
      accountId: string;
      kind: 'order' | 'basket' | 'cancel';
      hash: string;
      input: Pick<
        ProposeInput,
        'proposer' | 'channel' | 'rationale' | 'strategy' | 'expiresInSeconds'
      >;
      risk: unknown[];
      requiredApprovals: number;
      cancelOrderId: string | null;
      legs: Leg[];
    },
  ): Promise<{ id: string; createdAt: Date; expiresAt: Date }> {
    const expiry = values.input.expiresInSeconds ?? defaultExpiry;
    if (!(Number.isInteger(expiry) && expiry >= 10 && expiry <= MAX_EXPIRY_SECONDS))
      throw new OrderInputError(
        `expires_in_seconds ${expiry} is not valid; use a whole number of seconds from 10 to ${MAX_EXPIRY_SECONDS}`,
      );
    const created = now();
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO proposals (account_id, kind, order_hash, proposed_by, proposer_kind, channel, rationale,
                              risk_results, required_approvals, cancel_order_id, created_at, expires_at,
                              strategy)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
      [
        values.accountId,
        values.kind,
        values.hash,
        values.input.proposer.principalId ?? null,
        values.input.proposer.kind,
        values.input.channel,
        values.input.rationale ?? '',
        JSON.stringify(values.risk),
        values.requiredApprovals,
        values.cancelOrderId,
        created,
        new Date(created.getTime() + expiry * 1000),
        values.input.strategy ?? null,
      ],
    );
    const id = (rows[0] as { id: string }).id;
    const expiresAt = new Date(created.getTime() + expiry * 1000);
    if (values.legs.length > 0) {
      const column = <K extends keyof Leg>(key: K) => values.legs.map((leg) => leg[key]);
      await client.query(
        `INSERT INTO proposal_legs (proposal_id, leg, symbol, side, quantity, notional, type, limit_price, stop_price, time_in_force, reference_price)
         SELECT $1, * FROM unnest($2::smallint[], $3::text[], $4::text[], $5::numeric[], $6::numeric[], $7::text[], $8::numeric[], $9::numeric[], $10::text[], $11::numeric[])`,
        [
          id,
          column('leg'),
          column('symbol'),
          column('side'),
          column('quantity'),
          column('notional'),
          column('type'),
          column('limitPrice'),
          column('stopPrice'),
          column('timeInForce'),
          column('referencePrice'),
        ],
      );
    }
    return { id, createdAt: created, expiresAt };
  }

  async function propose(input: ProposeInput): Promise<Proposal> {
    if (!input || typeof input !== 'object') throw new OrderInputError('no proposal given');
    if (input.strategy !== undefined && !STRATEGY_PATTERN.test(String(input.strategy)))
      throw new OrderInputError(
        `strategy "${String(input.strategy).slice(0, 60)}" is not valid: use 1 to 40 of a-z, 0-9, _ . - starting with a letter or digit, e.g. sma_cross`,
      );
    const acct = await proposerAccount(String(input.accountId ?? ''), input.proposer);
    const legs = await checkLegs(acct, input.legs);
    const prices = await deps.prices.latest(legs.map((leg) => leg.symbol));
    for (const leg of legs) leg.referencePrice = normalDecimal(prices.get(leg.symbol)?.price);
    const kind = legs.length > 1 ? 'basket' : 'order';
    const hash = orderHash({ accountId: acct.id, kind, cancelOrderId: null, legs });
    const risk = await riskResults(pool, acct, legs, null);
    let total = new Dec(0);
    for (const leg of legs) {
      const price = leg.limitPrice ?? leg.stopPrice ?? leg.referencePrice;
      total = total.plus(
        leg.notional !== null
          ? new Dec(leg.notional)
          : new Dec(leg.quantity as string).times(price ?? 0),
      );
    }
    const fourEyes = acct.four_eyes_notional !== null && total.gt(acct.four_eyes_notional);
    const stored = await inTransaction(pool, async (client) => {
      const inserted = await insertProposal(client, {
        accountId: acct.id,
        kind,
        hash,
        input,
        risk: risk.results,
        requiredApprovals: fourEyes ? 2 : 1,
        cancelOrderId: null,
        legs,
      });
      const proposalId = inserted.id;
      await auditCreated(client, input, proposalId, {
        accountId: acct.id,
        kind,
        orderHash: hash,
        legs,
        riskPassed: risk.passed,
        requiredApprovals: fourEyes ? 2 : 1,
      });
      return inserted;
    });
    // What was stored, as loadProposal would read it back (without three more queries).
    const proposal: Proposal = {
      id: stored.id,
      accountId: acct.id,
      kind,
      status: 'pending',
      orderHash: hash,
      proposedBy: input.proposer.principalId ?? null,
      proposedByHandle: acct.handle,
      proposerKind: input.proposer.kind,
      channel: input.channel,
      rationale: input.rationale ?? '',
      strategy: input.strategy ?? null,
      riskResults: risk.results,
      requiredApprovals: fourEyes ? 2 : 1,
      cancelOrderId: null,
      createdAt: stored.createdAt.toISOString(),
      expiresAt: stored.expiresAt.toISOString(),
      decidedAt: null,
      decisionReason: null,
      failureReason: null,
      legs,
      approvals: [],
    };
    publish('proposal.created', {
      proposalId: stored.id,
      accountId: acct.id,
      at: proposal.createdAt,
    });
    return proposal;
  }

  async function proposeCancel(input: {
    orderId: string;
    proposer: ProposeInput['proposer'];
    channel: ProposeInput['channel'];
    rationale?: string;
  }): Promise<Proposal> {
    const [order] = isUuid(input.orderId)
      ? await selectOrders(pool, 'id = $1', [input.orderId])
      : [];
    if (!order) throw new NotFoundError(`no order with id ${JSON.stringify(input.orderId)}`);
    await proposerAccount(order.accountId, input.proposer);
    if (!['submitted', 'partially_filled'].includes(order.status))
      throw new OrderInputError(
        `order ${order.id} is ${order.status}; only a working order (submitted or partially filled) can be cancelled`,
      );
    const hash = orderHash({
      accountId: order.accountId,
      kind: 'cancel',
      cancelOrderId: order.id,
      legs: [],
    });
    const id = await inTransaction(pool, async (client) => {
      const { id: proposalId } = await insertProposal(client, {
        accountId: order.accountId,
        kind: 'cancel',
        hash,
        input: { ...input, rationale: input.rationale ?? `cancel order ${order.id}` },
        risk: [],
        requiredApprovals: 1,
        cancelOrderId: order.id,
        legs: [],
      });
      await auditCreated(client, input, proposalId, {
        accountId: order.accountId,
        kind: 'cancel',
        cancelOrderId: order.id,
        orderHash: hash,
      });
      return proposalId;
    });
    const proposal = (await loadProposal(pool, id)) as Proposal;
    publish('proposal.created', {
      proposalId: id,
      accountId: order.accountId,
      at: proposal.createdAt,
    });
    return proposal;
  }

  /** Writes the refusal to the audit log (its own transaction: the refused one rolled back) and throws it. */
  async function refuse(
    input: DecisionInput,
    action: 'approval.refused' | 'rejection.refused',
    error: ApprovalRefusedError,
    expire?: { accountId: string },
  ): Promise<never> {
    await inTransaction(pool, async (client) => {
      if (expire) {
        const { rowCount } = await client.query(
          `UPDATE proposals SET status = 'expired', decided_at = $2, decision_reason = 'expired before approval'
            WHERE id = $1 AND status = 'pending'`,
          [input.proposalId, now()],
        );
        if (rowCount)
          await audit(client, {
            actorKind: 'system',
            actorId: null,
            channel: 'system',
            action: 'proposal.expired',
            entityKind: 'proposal',
            entityId: input.proposalId,
            before: { status: 'pending' },
            after: { status: 'expired' },
          });
      }
      await audit(client, {
        actorKind: 'principal',
        actorId: isUuid(String(input.principalId))
          ? input.principalId
          : String(input.principalId ?? ''),
        channel: String(input.channel ?? 'unknown'),
        action,
        entityKind: 'proposal',
        entityId: String(input.proposalId ?? ''),
        before: null,
        after: { code: error.code, reason: error.message, evidence: evidenceOf(input) },
      });
    });
    if (expire)
      publish('proposal.expired', {
        proposalId: input.proposalId,
        accountId: expire.accountId,
        at: now().toISOString(),
      });
    throw error;
  }

  /** The checks every decision passes: channel, principal, role, credential, status, expiry, hash. */
  async function checkDecision(
    client: PoolClient,
    input: DecisionInput,
    decision: 'approve' | 'reject',
  ): Promise<
    | { proposal: Proposal; account: AccountRow; deciderHandle: string | null }
    | { refusal: ApprovalRefusedError; expired?: string }
  > {
    const early = await decisionState(client, input, decision, true);
    if ('refusal' in early) return early;
    const { proposal, account: acct } = early;
    const recomputed = orderHash({
      accountId: proposal.accountId,
      kind: proposal.kind,
      cancelOrderId: proposal.cancelOrderId,
      legs: proposal.legs,
    });
    if (recomputed !== proposal.orderHash)
      return {
        refusal: new ApprovalRefusedError(
          'tampered',
          `proposal ${proposal.id} no longer matches its hash: its orders were changed after it was proposed; it cannot be approved`,
        ),
      };
    if (!hashMatches(input.orderHash, proposal.orderHash))
      return {
        refusal: new ApprovalRefusedError(
          'hash_mismatch',
          typeof input.orderHash === 'string'
            ? `the order shown (hash ${input.orderHash.slice(0, 12)}…) is not proposal ${proposal.id}'s (hash ${shortHash(proposal.orderHash)}); show the proposal again and decide on what it holds`
            : `no order hash was given for proposal ${proposal.id}: a decision must carry the hash of the order the person was shown (in full, or its first ${SHORT_HASH_LENGTH} hex digits)`,
        ),
      };
    return { proposal, account: acct, deciderHandle: early.deciderHandle };
  }

  /**
   * The decider, channel and state checks, without the hash: what a channel runs before it asks
   * a person (canDecide), and the first half of every decision. `lock` takes the proposal row.
   */
  async function decisionState(
    db: Pool | PoolClient,
    input: Pick<DecisionInput, 'proposalId' | 'principalId' | 'channel' | 'credential'>,
    decision: 'approve' | 'reject',
    lock: boolean,
  ): Promise<
    | { proposal: Proposal; account: AccountRow; deciderHandle: string | null }
    | { refusal: ApprovalRefusedError; expired?: string }
  > {
    if (!APPROVAL_CHANNELS.includes(input.channel))
      return {
        refusal: new ApprovalRefusedError(
          'bad_channel',
          `channel ${JSON.stringify(input.channel)} is not a human approval channel; use ${APPROVAL_CHANNELS.join(', ')}`,
        ),
      };
    const proposal = await loadProposal(db, String(input.proposalId ?? ''), lock);
    if (!proposal)
      return {
        refusal: new ApprovalRefusedError(
          'not_found',
          `no proposal with id ${JSON.stringify(input.proposalId)}`,
        ),
      };
    const [decider, acct] = await Promise.all([
      loadDecider(db, input, proposal.accountId),
      account(db, proposal.accountId),
    ]);
    const refused = deciderRefusal(input, decision, proposal, acct, decider, input.principalId);
    if (refused) return { refusal: refused };
    if (proposal.status !== 'pending')
      return {
        refusal: new ApprovalRefusedError(
          proposal.status === 'expired' ? 'expired' : 'already_decided',
          `proposal ${proposal.id} is ${proposal.status}${proposal.decisionReason ? ` (${proposal.decisionReason})` : ''}; only a pending proposal can be decided`,
        ),
      };
    if (now().getTime() >= new Date(proposal.expiresAt).getTime())
      return {
        refusal: new ApprovalRefusedError(
          'expired',
          `proposal ${proposal.id} expired at ${proposal.expiresAt}`,
        ),
        expired: proposal.accountId,
      };
    if (proposal.approvals.some((a) => a.principalId === input.principalId))
      return {
        refusal: new ApprovalRefusedError(
          'already_approved',
          `principal ${decider?.handle} already decided proposal ${proposal.id}; an approval counts once${proposal.requiredApprovals > 1 ? ' (the four-eyes rule needs a different approver)' : ''}`,
        ),
      };
    return { proposal, account: acct, deciderHandle: decider?.handle ?? null };
  }

  /** Drift guard and risk rules at approval time. */
  async function checkMarket(
    client: PoolClient,
    proposal: Proposal,
    acct: AccountRow,
  ): Promise<ApprovalRefusedError | null> {
    if (proposal.kind === 'cancel') return null;
    const prices = await deps.prices.latest(proposal.legs.map((leg) => leg.symbol));
    for (const leg of proposal.legs) {
      const latest = prices.get(leg.symbol);
      if (!latest || leg.referencePrice === null)
        return new ApprovalRefusedError(
          'no_price',
          `no price for ${leg.symbol}${leg.referencePrice === null ? ' when it was proposed' : ' now'}: the drift guard cannot be checked, so the approval fails closed`,
        );
      const move = new Dec(latest.price).div(leg.referencePrice).minus(1).abs();
      if (move.gt(driftGuard))
        return new ApprovalRefusedError(
          'price_drift',
          `${leg.symbol} moved ${move.times(100).toFixed(2)} % since it was proposed (${leg.referencePrice} → ${latest.price}); the limit is ${(driftGuard * 100).toFixed(2)} %: propose again at the new price`,
        );
    }
    const risk = await riskResults(client, acct, proposal.legs, proposal.id);
    if (!risk.passed) {
      const failed = risk.results.filter((r) => !r.passed).map((r) => r.message);
      return new ApprovalRefusedError('risk', `risk checks fail: ${failed.join('; ')}`);
    }
    return null;
  }

  async function approve(input: DecisionInput): Promise<ApproveOutcome> {
    const result = await inTransaction(pool, async (client) => {
      const checked = await checkDecision(client, input, 'approve');
      if ('refusal' in checked) return checked;
      const { proposal, account: acct, deciderHandle } = checked;
      const market = await checkMarket(client, proposal, acct);
      if (market) return { refusal: market };
      const decidedAt = now();
      await client.query(
        `INSERT INTO approvals (proposal_id, principal_id, decision, channel, order_hash, evidence, created_at)
         VALUES ($1, $2, 'approve', $3, $4, $5, $6)`,
        [
          proposal.id,
          input.principalId,
          input.channel,
          proposal.orderHash,
          JSON.stringify(evidenceOf(input)),
          decidedAt,
        ],
      );
      // A completing approval is recorded in the proposal.approved entry itself (one entry, not two).
      if (proposal.approvals.length + 1 < proposal.requiredApprovals) {
        await audit(client, {
          actorKind: 'principal',
          actorId: input.principalId,
          channel: input.channel,
          action: 'approval.recorded',
          entityKind: 'proposal',
          entityId: proposal.id,
          before: { status: 'pending', approvals: proposal.approvals.length },
          after: { orderHash: proposal.orderHash, evidence: evidenceOf(input) },
        });
        return { waiting: proposal.id };
      }
      const submitted = await markSubmitted(client, proposal, acct, input);
      return {
        submitted: {
          ...submitted,
          // The proposal as it now stands, without reading it back.
          proposal: {
            ...proposal,
            status: 'submitted' as const,
            decidedAt: decidedAt.toISOString(),
            approvals: [
              ...proposal.approvals,
              {
                principalId: input.principalId,
                handle: deciderHandle,
                decision: 'approve' as const,
                channel: input.channel,
                at: decidedAt.toISOString(),
              },
            ],
          },
        },
      };
    });
    if ('refusal' in result)
      return refuse(
        input,
        'approval.refused',
        result.refusal,
        result.expired ? { accountId: result.expired } : undefined,
      );
    if ('waiting' in result)
      return {
        status: 'awaiting_second_approval',
        proposal: (await loadProposal(pool, result.waiting as string)) as Proposal,
      };
    const { proposal, orders, proof } = result.submitted;
    publish('proposal.approved', {
      proposalId: proposal.id,
      accountId: proposal.accountId,
      at: now().toISOString(),
    });
    await dispatch(proposal, orders, proof);
    return {
      status: 'submitted',
      proposal,
      orders: await selectOrders(pool, 'proposal_id = $1', [proposal.id]),
    };
  }

  /**
   * In the approving transaction: load the approvals of exactly this proposal's hash, consume
   * them, create the order rows (or, for a cancel, nothing) and mark the proposal submitted.
   */
  async function markSubmitted(
    client: PoolClient,
    proposal: Proposal,
    acct: AccountRow,
    input: DecisionInput,
  ) {
    const { rows: approvals } = await client.query<{ id: string; principal_id: string }>(
      `SELECT id, principal_id FROM approvals
        WHERE proposal_id = $1 AND decision = 'approve' AND order_hash = $2 AND consumed_at IS NULL
        FOR UPDATE`,
      [proposal.id, proposal.orderHash],
    );
    // Under four-eyes the proposer never counts (deciderRefusal already refuses them; this is the
    // last line, where the approvals are spent).
    const principals = new Set(
      approvals
        .map((a) => a.principal_id)
        .filter((id) => proposal.requiredApprovals < 2 || id !== proposal.proposedBy),
    );
    if (principals.size < proposal.requiredApprovals)
      throw new Error(
        `proposal ${proposal.id}: ${principals.size} valid approvals for ${proposal.requiredApprovals} required`,
      );
    const at = now();
    await client.query('UPDATE approvals SET consumed_at = $2 WHERE id = ANY($1)', [
      approvals.map((a) => a.id),
      at,
    ]);
    await client.query(
      `UPDATE proposals SET status = 'submitted', decided_at = $2, decision_reason = NULL WHERE id = $1`,
      [proposal.id, at],
    );
    const orders: OrderRow[] = [];
    for (const leg of proposal.legs) {
      const { rows } = await client.query(
        `INSERT INTO orders (proposal_id, leg, account_id, client_order_id, broker, symbol, side, quantity, notional,
                             type, limit_price, stop_price, time_in_force, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'submitting', $14, $14) RETURNING *`,
        [
          proposal.id,
          leg.leg,
          proposal.accountId,
          clientOrderId(proposal.id, leg.leg),
          acct.broker,
          leg.symbol,
          leg.side,
          leg.quantity,
          leg.notional,
          leg.type,
          leg.limitPrice,
          leg.stopPrice,
          leg.timeInForce,
          at,
        ],
      );
      orders.push(toOrderRow(rows[0] as Parameters<typeof toOrderRow>[0]));
    }
    await audit(client, {
      actorKind: 'principal',
      actorId: input.principalId,
      channel: input.channel,
      action: 'proposal.approved',
      entityKind: 'proposal',
      entityId: proposal.id,
      before: { status: 'pending', approvals: proposal.approvals.length },
      after: {
        status: 'submitted',
        orderHash: proposal.orderHash,
        evidence: evidenceOf(input),
        approvals: approvals.map((a) => a.id),
        orders: orders.map((o) => ({ id: o.id, clientOrderId: o.clientOrderId })),
      },
    });
    return {
      proposal,
      orders,
      proof: {
        proposalId: proposal.id,
        approvalIds: approvals.map((a) => a.id),
        orderHash: proposal.orderHash,
      },
    };
  }

  function brokerFor(name: string): Broker {
    const broker = deps.brokers[name];
    if (!broker) throw new Error(`no broker adapter "${name}" is configured`);
    return broker;
  }

  /** Sends freshly created orders (or a cancel) to the broker and records what it answered. */
  async function dispatch(
    proposal: Proposal,
    orders: OrderRow[],
    proof: { proposalId: string; approvalIds: string[]; orderHash: string },
  ): Promise<void> {
    if (proposal.kind === 'cancel') {
      await sendCancel(proposal);
      return;
    }
    for (const order of orders) await send(order, proof);
  }

  async function send(
    order: OrderRow,
    proof: { proposalId: string; approvalIds: string[]; orderHash: string },
  ): Promise<void> {
    const request: BrokerOrderRequest = {
      clientOrderId: order.clientOrderId,
      orderId: order.id,
      accountId: order.accountId,
      symbol: order.symbol,
      side: order.side,
      ...(order.quantity !== null ? { quantity: order.quantity } : {}),
      ...(order.notional !== null ? { notional: order.notional } : {}),
      type: order.type,
      ...(order.limitPrice !== null ? { limitPrice: order.limitPrice } : {}),
      ...(order.stopPrice !== null ? { stopPrice: order.stopPrice } : {}),
      timeInForce: order.timeInForce,
      approval: proof,
    };
    let answer: BrokerOrder;
    try {
      answer = await brokerFor(order.broker).submit(request);
    } catch (error) {
      if (error instanceof BrokerRejectedError) {
        await fail(order, error.message);
        return;
      }
      // Unreachable broker (or a crash): the row stays 'submitting' and reconcile() finishes it.
      logger.warn(
        { err: error, orderId: order.id },
        'order not confirmed by the broker yet; reconcile will retry',
      );
      return;
    }
    await record(order, answer);
  }

  /**
   * After an order of `proposalId` failed: the proposal keeps why, leg by leg, and becomes
   * 'failed' once every order it became has failed (a basket with some orders working stays
   * 'submitted', its failure_reason naming the legs that failed). In the caller's transaction.
   */
  async function settleFailure(client: PoolClient, proposalId: string): Promise<void> {
    const { rows } = await client.query<{ status: string; failure_reason: string | null }>(
      `UPDATE proposals p SET
          status = CASE WHEN NOT EXISTS (SELECT 1 FROM orders o WHERE o.proposal_id = p.id AND o.status <> 'failed')
                        THEN 'failed' ELSE p.status END,
          failure_reason = (
            SELECT string_agg(
                     CASE WHEN p.kind = 'basket' THEN 'leg ' || o.leg || ' (' || o.symbol || '): ' ELSE '' END
                       || COALESCE(o.failure_reason, 'rejected by the broker'), '; ' ORDER BY o.leg)
              FROM orders o WHERE o.proposal_id = p.id AND o.status = 'failed')
        WHERE p.id = $1 AND p.status = 'submitted'
        RETURNING p.status, p.failure_reason`,
      [proposalId],
    );
    const row = rows[0];
    if (row?.status === 'failed')
      await audit(client, {
        actorKind: 'system',
        actorId: null,
        channel: 'system',
        action: 'proposal.failed',
        entityKind: 'proposal',
        entityId: proposalId,
        before: { status: 'submitted' },
        after: { status: 'failed', reason: row.failure_reason },
      });
  }

  /** Applies the broker's answer to a row still marked 'submitting' (the paper broker may already have moved it on). */
  async function record(order: OrderRow, answer: BrokerOrder): Promise<void> {
    const status = statusFrom(answer);
    const updated = await inTransaction(pool, async (client) => {
      const { rows } = await client.query<{ status: OrderStatus }>(
        `UPDATE orders SET status = CASE WHEN status = 'submitting' THEN $2 ELSE status END,
                broker_order_id = COALESCE(broker_order_id, $3),
                submitted_at = COALESCE(submitted_at, $4),
                filled_quantity = CASE WHEN status = 'submitting' THEN $5::numeric ELSE filled_quantity END,
                avg_fill_price = CASE WHEN status = 'submitting' THEN $6::numeric ELSE avg_fill_price END,
                failure_reason = CASE WHEN status = 'submitting' THEN $7 ELSE failure_reason END,
                updated_at = $4
          WHERE id = $1 RETURNING status`,
        [
          order.id,
          status,
          answer.brokerOrderId,
          now(),
          answer.filledQuantity,
          answer.avgFillPrice,
          answer.reason ?? null,
        ],
      );
      await audit(client, {
        actorKind: 'system',
        actorId: null,
        channel: 'system',
        action: 'order.submitted',
        entityKind: 'order',
        entityId: order.id,
        before: { status: order.status },
        after: {
          status: rows[0]?.status,
          brokerOrderId: answer.brokerOrderId,
          brokerStatus: answer.status,
        },
      });
      if (rows[0]?.status === 'failed') await settleFailure(client, order.proposalId);
      return rows[0]?.status ?? status;
    });
    const base = {
      orderId: order.id,
      proposalId: order.proposalId,
      accountId: order.accountId,
      at: now().toISOString(),
    };
    publish('order.submitted', base);
    if (updated === 'filled' || updated === 'partially_filled')
      publish('order.filled', { ...base, status: updated, filledQuantity: answer.filledQuantity });
    if (updated === 'failed')
      publish('order.failed', { ...base, reason: answer.reason ?? 'rejected by the broker' });
    if (updated === 'cancelled') publish('order.cancelled', base);
  }

  async function fail(order: OrderRow, reason: string): Promise<void> {
    await inTransaction(pool, async (client) => {
      await client.query(
        `UPDATE orders SET status = 'failed', failure_reason = $2, updated_at = $3 WHERE id = $1 AND status = 'submitting'`,
        [order.id, reason, now()],
      );
      await audit(client, {
        actorKind: 'system',
        actorId: null,
        channel: 'system',
        action: 'order.failed',
        entityKind: 'order',
        entityId: order.id,
        before: { status: order.status },
        after: { status: 'failed', reason },
      });
      await settleFailure(client, order.proposalId);
    });
    publish('order.failed', {
      orderId: order.id,
      proposalId: order.proposalId,
      accountId: order.accountId,
      reason,
      at: now().toISOString(),
    });
  }

  async function sendCancel(proposal: Proposal): Promise<void> {
    const [order] = await selectOrders(pool, 'id = $1', [proposal.cancelOrderId]);
    if (!order) return;
    try {
      const answer = await brokerFor(order.broker).cancel(order.accountId, order.clientOrderId);
      await inTransaction(pool, async (client) => {
        await client.query(
          `UPDATE orders SET status = $2, filled_quantity = $3::numeric, updated_at = $4
            WHERE id = $1 AND status IN ('submitted', 'partially_filled')`,
          [order.id, statusFrom(answer), answer.filledQuantity, now()],
        );
        await audit(client, {
          actorKind: 'system',
          actorId: null,
          channel: 'system',
          action: 'order.cancel_sent',
          entityKind: 'order',
          entityId: order.id,
          before: { status: order.status },
          after: { status: statusFrom(answer), cancelProposalId: proposal.id },
        });
      });
      if (statusFrom(answer) === 'cancelled')
        publish('order.cancelled', {
          orderId: order.id,
          proposalId: order.proposalId,
          accountId: order.accountId,
          at: now().toISOString(),
        });
    } catch (error) {
      logger.warn({ err: error, orderId: order.id }, 'cancel not confirmed by the broker');
      await inTransaction(pool, (client) =>
        audit(client, {
          actorKind: 'system',
          actorId: null,
          channel: 'system',
          action: 'order.cancel_failed',
          entityKind: 'order',
          entityId: order.id,
          before: { status: order.status },
          after: { reason: (error as Error).message, cancelProposalId: proposal.id },
        }),
      );
    }
  }

  async function reject(input: DecisionInput): Promise<Proposal> {
    const result = await inTransaction(pool, async (client) => {
      const checked = await checkDecision(client, input, 'reject');
      if ('refusal' in checked) return checked;
      const { proposal } = checked;
      const reason = (input.reason ?? '').trim() || 'rejected';
      await client.query(
        `INSERT INTO approvals (proposal_id, principal_id, decision, channel, order_hash, evidence, reason, created_at)
         VALUES ($1, $2, 'reject', $3, $4, $5, $6, $7)`,
        [
          proposal.id,
          input.principalId,
          input.channel,
          proposal.orderHash,
          JSON.stringify(evidenceOf(input)),
          reason,
          now(),
        ],
      );
      await client.query(
        `UPDATE proposals SET status = 'rejected', decided_at = $2, decision_reason = $3 WHERE id = $1`,
        [proposal.id, now(), reason],
      );
      await audit(client, {
        actorKind: 'principal',
        actorId: input.principalId,
        channel: input.channel,
        action: 'proposal.rejected',
        entityKind: 'proposal',
        entityId: proposal.id,
        before: { status: 'pending' },
        after: { status: 'rejected', reason },
      });
      return { proposal, reason };
    });
    if ('refusal' in result)
      return refuse(
        input,
        'rejection.refused',
        result.refusal,
        result.expired ? { accountId: result.expired } : undefined,
      );
    publish('proposal.rejected', {
      proposalId: result.proposal.id,
      accountId: result.proposal.accountId,
      reason: result.reason,
      at: now().toISOString(),
    });
    return (await loadProposal(pool, result.proposal.id)) as Proposal;
  }

  async function expireDue(): Promise<string[]> {
    const expired = await inTransaction(pool, async (client) => {
      const { rows } = await client.query<{ id: string; account_id: string }>(
        `UPDATE proposals SET status = 'expired', decided_at = $1, decision_reason = 'not decided before it expired'
          WHERE status = 'pending' AND expires_at <= $1 RETURNING id, account_id`,
        [now()],
      );
      for (const row of rows)
        await audit(client, {
          actorKind: 'system',
          actorId: null,
          channel: 'system',
          action: 'proposal.expired',
          entityKind: 'proposal',
          entityId: row.id,
          before: { status: 'pending' },
          after: { status: 'expired' },
        });
      return rows;
    });
    for (const row of expired)
      publish('proposal.expired', {
        proposalId: row.id,
        accountId: row.account_id,
        at: now().toISOString(),
      });
    return expired.map((row) => row.id);
  }

  /**
   * After a restart (or a broker outage): every order still 'submitting' is looked up at the
   * broker by its client order id. Found: its state is recorded. Not found: it is sent now, once,
   * under the approvals consumed for it. Without such approvals it is marked needs_attention.
   */
  async function reconcile() {
    const pending = await selectOrders(pool, "status = 'submitting'", []);
    let sent = 0;
    let updated = 0;
    let needsAttention = 0;
    for (const order of pending) {
      let known: BrokerOrder | null;
      try {
        known = await brokerFor(order.broker).getOrder(order.accountId, order.clientOrderId);
      } catch (error) {
        logger.warn({ err: error, orderId: order.id }, 'reconcile: broker unavailable');
        continue;
      }
      if (known) {
        await record(order, known);
        updated += 1;
        continue;
      }
      const { rows } = await pool.query<{
        id: string;
        order_hash: string;
        proposal_hash: string;
        status: string;
      }>(
        `SELECT a.id, a.order_hash, p.order_hash AS proposal_hash, p.status
           FROM approvals a JOIN proposals p ON p.id = a.proposal_id
          WHERE a.proposal_id = $1 AND a.decision = 'approve' AND a.consumed_at IS NOT NULL`,
        [order.proposalId],
      );
      const valid = rows.filter(
        (row) => row.order_hash === row.proposal_hash && row.status === 'submitted',
      );
      if (valid.length === 0) {
        await markNeedsAttention(
          order,
          'no consumed human approval matches this order; it was not sent',
        );
        needsAttention += 1;
        continue;
      }
      await send(order, {
        proposalId: order.proposalId,
        approvalIds: valid.map((row) => row.id),
        orderHash: (valid[0] as { order_hash: string }).order_hash,
      });
      sent += 1;
    }
    return { checked: pending.length, sent, updated, needsAttention };
  }

  async function markNeedsAttention(order: OrderRow, reason: string): Promise<void> {
    await inTransaction(pool, async (client) => {
      await client.query(
        `UPDATE orders SET status = 'needs_attention', failure_reason = $2, updated_at = $3 WHERE id = $1 AND status = 'submitting'`,
        [order.id, reason, now()],
      );
      await client.query(
        `UPDATE proposals SET status = 'needs_attention', decision_reason = $2 WHERE id = $1`,
        [order.proposalId, reason],
      );
      await audit(client, {
        actorKind: 'system',
        actorId: null,
        channel: 'system',
        action: 'order.needs_attention',
        entityKind: 'order',
        entityId: order.id,
        before: { status: order.status },
        after: { status: 'needs_attention', reason },
      });
    });
  }

  async function syncOpen(clientOrderIds?: string[]): Promise<number> {
    const open = clientOrderIds
      ? await selectOrders(pool, 'client_order_id = ANY($1)', [clientOrderIds])
      : await selectOrders(pool, "status IN ('submitted', 'partially_filled')", []);
    let changed = 0;
    for (const order of open) {
      let answer: BrokerOrder | null;
      try {
        answer = await brokerFor(order.broker).getOrder(order.accountId, order.clientOrderId);
      } catch (error) {
        logger.warn({ err: error, orderId: order.id }, 'sync: broker unavailable');
        continue;
      }
      if (!answer) continue;
      const status = statusFrom(answer);
      // The paper broker books fills into the row itself: only the event is missing then.
      const known = clientOrderIds !== undefined;
      if (!known && status === order.status && answer.filledQuantity === order.filledQuantity)
        continue;
      if (!known) {
        await inTransaction(pool, async (client) => {
          await client.query(
            `UPDATE orders SET status = $2, filled_quantity = $3::numeric, avg_fill_price = $4::numeric,
                    failure_reason = COALESCE($5, failure_reason), updated_at = $6 WHERE id = $1`,
            [
              order.id,
              status,
              answer.filledQuantity,
              answer.avgFillPrice,
              answer.reason ?? null,
              now(),
            ],
          );
          await audit(client, {
            actorKind: 'system',
            actorId: null,
            channel: 'system',
            action: `order.${status}`,
            entityKind: 'order',
            entityId: order.id,
            before: { status: order.status, filledQuantity: order.filledQuantity },
            after: {
              status,
              filledQuantity: answer.filledQuantity,
              avgFillPrice: answer.avgFillPrice,
            },
          });
          if (status === 'failed') await settleFailure(client, order.proposalId);
        });
      } else if (status === 'failed') {
        // The paper broker moved the row itself (a fill-time shortfall): the proposal follows.
        await inTransaction(pool, (client) => settleFailure(client, order.proposalId));
      }
      changed += 1;
      const base = {
        orderId: order.id,
        proposalId: order.proposalId,
        accountId: order.accountId,
        at: now().toISOString(),
      };
      if (status === 'filled' || status === 'partially_filled')
        publish('order.filled', { ...base, status, filledQuantity: answer.filledQuantity });
      else if (status === 'cancelled') publish('order.cancelled', base);
      else if (status === 'failed')
        publish('order.failed', { ...base, reason: answer.reason ?? 'rejected by the broker' });
    }
    return changed;
  }

  async function canDecide(
    input: Pick<DecisionInput, 'proposalId' | 'principalId' | 'channel' | 'credential'>,
    decision: 'approve' | 'reject',
  ): Promise<ApprovalRefusedError | null> {
    const state = await decisionState(pool, input, decision, false);
    return 'refusal' in state ? state.refusal : null;
  }

  return {
    propose,
    proposeCancel,
    approve,
    reject,
    canDecide,
    expireDue,
    reconcile,
    syncOpen,
    async getProposal(id) {
      const proposal = await loadProposal(pool, id);
      if (!proposal) throw new NotFoundError(`no proposal with id ${JSON.stringify(id)}`);
      return proposal;
    },
    listProposals: (filter) => listProposals(pool, filter),
    ordersOf: (proposalId) =>
      isUuid(proposalId)
        ? selectOrders(pool, 'proposal_id = $1', [proposalId])
        : Promise.resolve([]),
  };
}
