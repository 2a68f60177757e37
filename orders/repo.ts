/** SQL for proposals, legs, approvals and orders: reading rows into the shapes of types.ts. */
import type { Pool, PoolClient } from '../store/db/pool.js';
import type { Leg, OrderRow, Proposal } from './types.js';

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
