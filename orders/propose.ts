/**
 * Proposing: the account lookup, the legs' checks, the risk rules, and the proposal rows. Nothing
 * is sent to a broker here; a proposal waits for a human decision (decide.ts).
 */
import { Dec } from '../core/decimal.js';
import { parseRiskLimits, type RiskLimits, runRiskRules } from '../core/risk/index.js';
import type { RiskCheck, RiskContext } from '../core/risk/types.js';
import { inTransaction, type Pool, type PoolClient } from '../store/db/pool.js';
import { type AccountRow, type OrdersCore, STRATEGY_PATTERN } from './core.js';
import { AccessDeniedError, NotFoundError, OrderInputError } from './errors.js';
import { normalDecimal, orderHash } from './hash.js';
import {
  insertProposalRows,
  instrumentLots,
  isUuid,
  loadProposal,
  openAccountIds,
  riskStateRow,
  selectOpenAccount,
  selectOrders,
} from './repo.js';
import type { Leg, LegInput, Proposal, ProposeInput } from './types.js';

const MAX_LEGS = 1000;
const MAX_EXPIRY_SECONDS = 86_400;

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

/** The proposing part of the service. */
export type Proposing = ReturnType<typeof createProposing>;

/** Creates the proposing part over the shared core. */
export function createProposing(core: OrdersCore) {
  const { pool, deps, now, publish, audit, defaultExpiry } = core;

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
    const row = await selectOpenAccount(db, id, principalId);
    if (!row) {
      const known = await openAccountIds(db);
      throw new OrderInputError(
        `unknown account "${id}"; the accounts are ${known.join(', ') || 'none'}`,
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
    const lots = await instrumentLots(pool, symbols);
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
    const row = await riskStateRow(db, accountId, symbols, since);
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
        'proposer' | 'channel' | 'rationale' | 'strategy' | 'origin' | 'expiresInSeconds'
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
    const expiresAt = new Date(created.getTime() + expiry * 1000);
    const id = await insertProposalRows(client, {
      accountId: values.accountId,
      kind: values.kind,
      hash: values.hash,
      proposedBy: values.input.proposer.principalId ?? null,
      proposerKind: values.input.proposer.kind,
      channel: values.input.channel,
      rationale: values.input.rationale ?? '',
      risk: values.risk,
      requiredApprovals: values.requiredApprovals,
      cancelOrderId: values.cancelOrderId,
      createdAt: created,
      expiresAt,
      strategy: values.input.strategy ?? null,
      origin: values.input.origin ?? null,
      legs: values.legs,
    });
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

  return { account, riskResults, propose, proposeCancel };
}
