/** SQL for proposals, legs, approvals and orders: reading rows into the shapes of types.ts. */
import type { Pool, PoolClient } from '../store/db/pool.js';
import type { Leg, OrderRow, Proposal, ProposalOrigin } from './types.js';

type Queryable = Pool | PoolClient;

const iso = (value: Date | string | null): string | null =>
  value === null ? null : value instanceof Date ? value.toISOString() : value;

interface ProposalRecord {
  id: string;
  account_id: string;
  kind: Proposal['kind'];
  status: Proposal['status'];
  order_hash: string;
  proposed_by: string | null;
  proposed_by_handle: string | null;
  proposer_kind: Proposal['proposerKind'];
  channel: Proposal['channel'];
  rationale: string;
  strategy: string | null;
  risk_results: unknown[];
  required_approvals: number;
  cancel_order_id: string | null;
  created_at: Date;
  expires_at: Date;
  decided_at: Date | null;
  decision_reason: string | null;
  failure_reason: string | null;
}

/** The legs of proposals, by proposal id, in leg order. */
interface LegRecord {
  proposal_id: string;
  leg: number;
  symbol: string;
  side: Leg['side'];
  quantity: string | null;
  notional: string | null;
  type: Leg['type'];
  limit_price: string | null;
  stop_price: string | null;
  time_in_force: Leg['timeInForce'];
  reference_price: string | null;
}

function toLeg(row: LegRecord): Leg {
  return {
    leg: row.leg,
    symbol: row.symbol,
    side: row.side,
    quantity: row.quantity,
    notional: row.notional,
    type: row.type,
    limitPrice: row.limit_price,
    stopPrice: row.stop_price,
    timeInForce: row.time_in_force,
    referencePrice: row.reference_price,
  };
}

async function legsOf(db: Queryable, ids: string[]): Promise<Map<string, Leg[]>> {
  const { rows } = await db.query<LegRecord>(
    'SELECT * FROM proposal_legs WHERE proposal_id = ANY($1) ORDER BY proposal_id, leg',
    [ids],
  );
  const out = new Map<string, Leg[]>();
  for (const row of rows) {
    const list = out.get(row.proposal_id) ?? [];
    list.push(toLeg(row));
    out.set(row.proposal_id, list);
  }
  return out;
}

async function approvalsOf(db: Queryable, ids: string[]) {
  const { rows } = await db.query<{
    proposal_id: string;
    principal_id: string;
    handle: string | null;
    decision: 'approve' | 'reject';
    channel: string;
    created_at: Date;
  }>(
    `SELECT a.proposal_id, a.principal_id, p.handle, a.decision, a.channel, a.created_at
       FROM approvals a LEFT JOIN principals p ON p.id = a.principal_id
      WHERE a.proposal_id = ANY($1) ORDER BY a.created_at`,
    [ids],
  );
  const out = new Map<string, Proposal['approvals']>();
  for (const row of rows) {
    const list = out.get(row.proposal_id) ?? [];
    list.push({
      principalId: row.principal_id,
      handle: row.handle,
      decision: row.decision,
      channel: row.channel,
      at: row.created_at.toISOString(),
    });
    out.set(row.proposal_id, list);
  }
  return out;
}

async function hydrate(db: Queryable, records: ProposalRecord[]): Promise<Proposal[]> {
  const ids = records.map((r) => r.id);
  if (ids.length === 0) return [];
  const [legs, approvals] = await Promise.all([legsOf(db, ids), approvalsOf(db, ids)]);
  return records.map((r) => toProposal(r, legs, approvals));
}

function toProposal(
  r: ProposalRecord,
  legs: Map<string, Leg[]>,
  approvals: Map<string, Proposal['approvals']>,
): Proposal {
  return {
    id: r.id,
    accountId: r.account_id,
    kind: r.kind,
    status: r.status,
    orderHash: r.order_hash,
    proposedBy: r.proposed_by,
    proposedByHandle: r.proposed_by_handle,
    proposerKind: r.proposer_kind,
    channel: r.channel,
    rationale: r.rationale,
    strategy: r.strategy,
    riskResults: r.risk_results,
    requiredApprovals: r.required_approvals,
    cancelOrderId: r.cancel_order_id,
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at.toISOString(),
    decidedAt: iso(r.decided_at),
    decisionReason: r.decision_reason,
    failureReason: r.failure_reason,
    legs: legs.get(r.id) ?? [],
    approvals: approvals.get(r.id) ?? [],
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `id` can be a proposal or order id (a uuid): anything else is not found without asking the database. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/**
 * One proposal with legs and decisions, in one round trip (legs and approvals as JSON arrays, with
 * decimals as text so nothing passes through a float); `lock` takes its row lock.
 */
export async function loadProposal(
  db: Queryable,
  id: string,
  lock = false,
): Promise<Proposal | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<ProposalRecord & { legs: unknown[]; approvals: unknown[] }>(
    `SELECT p.*, (SELECT handle FROM principals WHERE id = p.proposed_by) AS proposed_by_handle,
       COALESCE((SELECT json_agg(json_build_object(
           'proposal_id', l.proposal_id, 'leg', l.leg, 'symbol', l.symbol, 'side', l.side,
           'quantity', l.quantity::text, 'notional', l.notional::text, 'type', l.type,
           'limit_price', l.limit_price::text, 'stop_price', l.stop_price::text,
           'time_in_force', l.time_in_force, 'reference_price', l.reference_price::text) ORDER BY l.leg)
         FROM proposal_legs l WHERE l.proposal_id = p.id), '[]') AS legs,
       COALESCE((SELECT json_agg(json_build_object(
           'principal_id', a.principal_id, 'handle', d.handle, 'decision', a.decision,
           'channel', a.channel, 'created_at', a.created_at) ORDER BY a.created_at)
         FROM approvals a LEFT JOIN principals d ON d.id = a.principal_id WHERE a.proposal_id = p.id), '[]') AS approvals
       FROM proposals p WHERE p.id = $1${lock ? ' FOR UPDATE OF p' : ''}`,
    [id],
  );
  const row = rows[0];
  if (!row) return undefined;
  const legs = new Map([[row.id, (row.legs as LegRecord[]).map(toLeg)]]);
  const approvals = new Map([
    [
      row.id,
      (
        row.approvals as {
          principal_id: string;
          handle: string | null;
          decision: 'approve' | 'reject';
          channel: string;
          created_at: string;
        }[]
      ).map((a) => ({
        principalId: a.principal_id,
        handle: a.handle,
        decision: a.decision,
        channel: a.channel,
        at: new Date(a.created_at).toISOString(),
      })),
    ],
  ]);
  return toProposal(row, legs, approvals);
}

/** Proposals, newest first, optionally by status and account. */
export async function listProposals(
  db: Queryable,
  filter: { status?: string; accountId?: string; accountIds?: string[]; limit?: number },
): Promise<Proposal[]> {
  const { rows } = await db.query<ProposalRecord>(
    `SELECT *, (SELECT handle FROM principals WHERE id = proposed_by) AS proposed_by_handle
       FROM proposals
      WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR account_id = $2)
        AND ($4::text[] IS NULL OR account_id = ANY($4))
      ORDER BY created_at DESC LIMIT $3`,
    [
      filter.status ?? null,
      filter.accountId ?? null,
      filter.limit ?? 100,
      filter.accountIds ?? null,
    ],
  );
  return hydrate(db, rows);
}

interface OrderRecord {
  id: string;
  proposal_id: string;
  leg: number;
  account_id: string;
  client_order_id: string;
  broker: string;
  broker_order_id: string | null;
  symbol: string;
  side: OrderRow['side'];
  quantity: string | null;
  notional: string | null;
  type: OrderRow['type'];
  limit_price: string | null;
  stop_price: string | null;
  time_in_force: OrderRow['timeInForce'];
  status: OrderRow['status'];
  filled_quantity: string;
  avg_fill_price: string | null;
  failure_reason: string | null;
  created_at: Date;
  submitted_at: Date | null;
}

export function toOrderRow(r: OrderRecord): OrderRow {
  return {
    id: r.id,
    proposalId: r.proposal_id,
    leg: r.leg,
    accountId: r.account_id,
    clientOrderId: r.client_order_id,
    broker: r.broker,
    brokerOrderId: r.broker_order_id,
    symbol: r.symbol,
    side: r.side,
    quantity: r.quantity,
    notional: r.notional,
    type: r.type,
    limitPrice: r.limit_price,
    stopPrice: r.stop_price,
    timeInForce: r.time_in_force,
    status: r.status,
    filledQuantity: r.filled_quantity,
    avgFillPrice: r.avg_fill_price,
    failureReason: r.failure_reason,
    createdAt: r.created_at.toISOString(),
    submittedAt: iso(r.submitted_at),
  };
}

/** Orders matching a WHERE clause over `orders` (parameters $1…). */
export async function selectOrders(
  db: Queryable,
  where: string,
  params: unknown[],
): Promise<OrderRow[]> {
  const { rows } = await db.query<OrderRecord>(
    `SELECT * FROM orders WHERE ${where} ORDER BY created_at, leg`,
    params,
  );
  return rows.map(toOrderRow);
}

// ---- Writes and the service's own reads (propose.ts, decide.ts, submit.ts, sweeps.ts) ----

/** An open account as the orders service reads it. */
export interface AccountRow {
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

/** The open account `id` with whether `principalId` (null: nobody asked about) is a trader on it. */
export async function selectOpenAccount(
  db: Queryable,
  id: string,
  principalId: string | null,
): Promise<AccountRow | undefined> {
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
  return rows[0];
}

/** The ids of the open accounts, in order. */
export async function openAccountIds(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM accounts WHERE closed_at IS NULL ORDER BY id',
  );
  return rows.map((row) => row.id);
}

/** The lot sizes of those of `symbols` that are instruments, by symbol. */
export async function instrumentLots(
  db: Queryable,
  symbols: string[],
): Promise<Map<string, string>> {
  const { rows } = await db.query<{ symbol: string; lot_size: string }>(
    'SELECT symbol, lot_size::text FROM instruments WHERE symbol = ANY($1)',
    [symbols],
  );
  return new Map(rows.map((row) => [row.symbol, row.lot_size]));
}

/** What riskStateRow reads, as the database returns it. */
export interface RiskStateRow {
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
}

/**
 * The account's state for the risk rules in one round trip: cash, positions, sectors, the open
 * sells of `symbols`, and the recent proposals of the same symbols (`since` null: none).
 */
export async function riskStateRow(
  db: Queryable,
  accountId: string,
  symbols: string[],
  since: Date | null,
): Promise<RiskStateRow> {
  const { rows } = await db.query<RiskStateRow>(
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
  return rows[0] as RiskStateRow;
}

/** A proposal row as propose writes it. */
export interface ProposalInsert {
  accountId: string;
  kind: 'order' | 'basket' | 'cancel';
  hash: string;
  proposedBy: string | null;
  proposerKind: Proposal['proposerKind'];
  channel: Proposal['channel'];
  rationale: string;
  risk: unknown[];
  requiredApprovals: number;
  cancelOrderId: string | null;
  createdAt: Date;
  expiresAt: Date;
  strategy: string | null;
  origin?: ProposalOrigin | null;
  legs: Leg[];
}

/** Inserts a proposal and its legs (in the caller's transaction); the new proposal's id. */
export async function insertProposalRows(
  client: PoolClient,
  values: ProposalInsert,
): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO proposals (account_id, kind, order_hash, proposed_by, proposer_kind, channel, rationale,
                            risk_results, required_approvals, cancel_order_id, created_at, expires_at,
                            strategy, origin)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
    [
      values.accountId,
      values.kind,
      values.hash,
      values.proposedBy,
      values.proposerKind,
      values.channel,
      values.rationale,
      JSON.stringify(values.risk),
      values.requiredApprovals,
      values.cancelOrderId,
      values.createdAt,
      values.expiresAt,
      values.strategy,
      values.origin ? JSON.stringify(values.origin) : null,
    ],
  );
  const id = (rows[0] as { id: string }).id;
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
  return id;
}

/** A person's decision as stored in approvals. */
export interface DecisionRow {
  proposalId: string;
  principalId: string;
  channel: string;
  orderHash: string;
  evidence: Record<string, unknown>;
  at: Date;
}

/** Records an approval (not yet consumed). */
export async function insertApproval(client: PoolClient, row: DecisionRow): Promise<void> {
  await client.query(
    `INSERT INTO approvals (proposal_id, principal_id, decision, channel, order_hash, evidence, created_at)
     VALUES ($1, $2, 'approve', $3, $4, $5, $6)`,
    [
      row.proposalId,
      row.principalId,
      row.channel,
      row.orderHash,
      JSON.stringify(row.evidence),
      row.at,
    ],
  );
}

/** Records a rejection with its reason. */
export async function insertRejection(
  client: PoolClient,
  row: DecisionRow & { reason: string },
): Promise<void> {
  await client.query(
    `INSERT INTO approvals (proposal_id, principal_id, decision, channel, order_hash, evidence, reason, created_at)
     VALUES ($1, $2, 'reject', $3, $4, $5, $6, $7)`,
    [
      row.proposalId,
      row.principalId,
      row.channel,
      row.orderHash,
      JSON.stringify(row.evidence),
      row.reason,
      row.at,
    ],
  );
}

/** Marks a proposal rejected. */
export async function markProposalRejected(
  client: PoolClient,
  proposalId: string,
  at: Date,
  reason: string,
): Promise<void> {
  await client.query(
    `UPDATE proposals SET status = 'rejected', decided_at = $2, decision_reason = $3 WHERE id = $1`,
    [proposalId, at, reason],
  );
}

/** Expires proposal `proposalId` if it is still pending (a refused late decision); whether it did. */
export async function expireIfPending(
  client: PoolClient,
  proposalId: string,
  at: Date,
): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE proposals SET status = 'expired', decided_at = $2, decision_reason = 'expired before approval'
      WHERE id = $1 AND status = 'pending'`,
    [proposalId, at],
  );
  return Boolean(rowCount);
}

/** Expires every pending proposal past its expiry at `at`; the ones expired. */
export async function expirePendingProposals(
  client: PoolClient,
  at: Date,
): Promise<{ id: string; account_id: string }[]> {
  const { rows } = await client.query<{ id: string; account_id: string }>(
    `UPDATE proposals SET status = 'expired', decided_at = $1, decision_reason = 'not decided before it expired'
      WHERE status = 'pending' AND expires_at <= $1 RETURNING id, account_id`,
    [at],
  );
  return rows;
}

/** Loads and locks the unconsumed approvals of exactly this proposal's hash. */
export async function lockUnconsumedApprovals(
  client: PoolClient,
  proposalId: string,
  orderHash: string,
): Promise<{ id: string; principal_id: string }[]> {
  const { rows } = await client.query<{ id: string; principal_id: string }>(
    `SELECT id, principal_id FROM approvals
      WHERE proposal_id = $1 AND decision = 'approve' AND order_hash = $2 AND consumed_at IS NULL
      FOR UPDATE`,
    [proposalId, orderHash],
  );
  return rows;
}

/** Spends approvals: each is consumed once, for the orders created with it. */
export async function consumeApprovals(
  client: PoolClient,
  approvalIds: string[],
  at: Date,
): Promise<void> {
  await client.query('UPDATE approvals SET consumed_at = $2 WHERE id = ANY($1)', [approvalIds, at]);
}

/** Marks a proposal submitted (its approvals consumed, its orders created). */
export async function markProposalSubmitted(
  client: PoolClient,
  proposalId: string,
  at: Date,
): Promise<void> {
  await client.query(
    `UPDATE proposals SET status = 'submitted', decided_at = $2, decision_reason = NULL WHERE id = $1`,
    [proposalId, at],
  );
}

/** Creates one order row per leg, 'submitting', with client order ids derived from the proposal. */
export async function insertOrderRows(
  client: PoolClient,
  proposal: Pick<Proposal, 'id' | 'accountId' | 'legs'>,
  broker: string,
  clientOrderIdOf: (leg: number) => string,
  at: Date,
): Promise<OrderRow[]> {
  const orders: OrderRow[] = [];
  for (const leg of proposal.legs) {
    const { rows } = await client.query<OrderRecord>(
      `INSERT INTO orders (proposal_id, leg, account_id, client_order_id, broker, symbol, side, quantity, notional,
                           type, limit_price, stop_price, time_in_force, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'submitting', $14, $14) RETURNING *`,
      [
        proposal.id,
        leg.leg,
        proposal.accountId,
        clientOrderIdOf(leg.leg),
        broker,
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
    orders.push(toOrderRow(rows[0] as OrderRecord));
  }
  return orders;
}

/** The consumed approvals of `proposalId`, with the proposal's current hash and status. */
export async function consumedApprovals(
  db: Queryable,
  proposalId: string,
): Promise<{ id: string; order_hash: string; proposal_hash: string; status: string }[]> {
  const { rows } = await db.query<{
    id: string;
    order_hash: string;
    proposal_hash: string;
    status: string;
  }>(
    `SELECT a.id, a.order_hash, p.order_hash AS proposal_hash, p.status
       FROM approvals a JOIN proposals p ON p.id = a.proposal_id
      WHERE a.proposal_id = $1 AND a.decision = 'approve' AND a.consumed_at IS NOT NULL`,
    [proposalId],
  );
  return rows;
}

/**
 * The proposal keeps why its orders failed, leg by leg, and becomes 'failed' once every order
 * failed; the proposal's status and reason afterwards (none when it was not 'submitted').
 */
export async function settleProposalFailure(
  client: PoolClient,
  proposalId: string,
): Promise<{ status: string; failure_reason: string | null } | undefined> {
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
  return rows[0];
}

/** Records a broker's first answer on a row still 'submitting'; the row's status afterwards. */
export async function recordBrokerAnswer(
  client: PoolClient,
  orderId: string,
  answer: {
    status: OrderRow['status'];
    brokerOrderId: string | null;
    at: Date;
    filledQuantity: string;
    avgFillPrice: string | null;
    reason: string | null;
  },
): Promise<OrderRow['status'] | undefined> {
  const { rows } = await client.query<{ status: OrderRow['status'] }>(
    `UPDATE orders SET status = CASE WHEN status = 'submitting' THEN $2 ELSE status END,
            broker_order_id = COALESCE(broker_order_id, $3),
            submitted_at = COALESCE(submitted_at, $4),
            filled_quantity = CASE WHEN status = 'submitting' THEN $5::numeric ELSE filled_quantity END,
            avg_fill_price = CASE WHEN status = 'submitting' THEN $6::numeric ELSE avg_fill_price END,
            failure_reason = CASE WHEN status = 'submitting' THEN $7 ELSE failure_reason END,
            updated_at = $4
      WHERE id = $1 RETURNING status`,
    [
      orderId,
      answer.status,
      answer.brokerOrderId,
      answer.at,
      answer.filledQuantity,
      answer.avgFillPrice,
      answer.reason,
    ],
  );
  return rows[0]?.status;
}

/** Fails an order still 'submitting'. */
export async function markOrderFailed(
  client: PoolClient,
  orderId: string,
  reason: string,
  at: Date,
): Promise<void> {
  await client.query(
    `UPDATE orders SET status = 'failed', failure_reason = $2, updated_at = $3 WHERE id = $1 AND status = 'submitting'`,
    [orderId, reason, at],
  );
}

/** Records a cancel's answer on a working order. */
export async function recordCancelAnswer(
  client: PoolClient,
  orderId: string,
  status: OrderRow['status'],
  filledQuantity: string,
  at: Date,
): Promise<void> {
  await client.query(
    `UPDATE orders SET status = $2, filled_quantity = $3::numeric, updated_at = $4
      WHERE id = $1 AND status IN ('submitted', 'partially_filled')`,
    [orderId, status, filledQuantity, at],
  );
}

/** Marks an order still 'submitting', and its proposal, as needing a person's attention. */
export async function markNeedsAttentionRows(
  client: PoolClient,
  order: Pick<OrderRow, 'id' | 'proposalId'>,
  reason: string,
  at: Date,
): Promise<void> {
  await client.query(
    `UPDATE orders SET status = 'needs_attention', failure_reason = $2, updated_at = $3 WHERE id = $1 AND status = 'submitting'`,
    [order.id, reason, at],
  );
  await client.query(
    `UPDATE proposals SET status = 'needs_attention', decision_reason = $2 WHERE id = $1`,
    [order.proposalId, reason],
  );
}

/** Brings an order up to its broker's state (a sync). */
export async function updateOrderStatus(
  client: PoolClient,
  orderId: string,
  state: {
    status: OrderRow['status'];
    filledQuantity: string;
    avgFillPrice: string | null;
    reason: string | null;
    at: Date;
  },
): Promise<void> {
  await client.query(
    `UPDATE orders SET status = $2, filled_quantity = $3::numeric, avg_fill_price = $4::numeric,
            failure_reason = COALESCE($5, failure_reason), updated_at = $6 WHERE id = $1`,
    [orderId, state.status, state.filledQuantity, state.avgFillPrice, state.reason, state.at],
  );
}
