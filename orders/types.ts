/** The shapes of proposals, legs, approvals and the orders they become. Quantities and prices are decimal strings. */
import type { OrderSide, OrderType, TimeInForce } from '../broker/port.js';

export type { OrderSide, OrderType, TimeInForce };

/** Where a proposal came from. */
export type ProposalChannel =
  | 'slack'
  | 'telegram'
  | 'web'
  | 'cli'
  | 'mcp'
  | 'rest'
  | 'chat'
  | 'system';
/** The human channels an approval can come through. */
export type ApprovalChannel = 'slack' | 'telegram' | 'web' | 'cli' | 'mcp_elicitation' | 'rest';
export const APPROVAL_CHANNELS: readonly ApprovalChannel[] = [
  'slack',
  'telegram',
  'web',
  'cli',
  'mcp_elicitation',
  'rest',
];
/** Who or what drafted a proposal. */
export type ProposerKind =
  | 'principal'
  | 'agent'
  | 'mcp_client'
  | 'api_client'
  | 'alert'
  | 'rebalance';

/** Every status a proposal can have ('failed': every order it became failed at the broker). */
export const PROPOSAL_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'submitted',
  'failed',
  'needs_attention',
] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

export type OrderStatus =
  | 'submitting'
  | 'submitted'
  | 'partially_filled'
  | 'filled'
  | 'cancelled'
  | 'failed'
  | 'needs_attention';

/** One order of a proposal, as a caller gives it. */
export interface LegInput {
  symbol: string;
  side: OrderSide;
  /** Shares; exactly one of quantity and notional. */
  quantity?: number | string;
  /** Currency amount. */
  notional?: number | string;
  type?: OrderType;
  limitPrice?: number | string;
  stopPrice?: number | string;
  timeInForce?: TimeInForce;
}

/** A leg as stored: normalised decimal strings, the reference price at proposal time. */
export interface Leg {
  leg: number;
  symbol: string;
  side: OrderSide;
  quantity: string | null;
  notional: string | null;
  type: OrderType;
  limitPrice: string | null;
  stopPrice: string | null;
  timeInForce: TimeInForce;
  referencePrice: string | null;
}

/** What led to a proposal (see ProposeInput.origin). */
export interface ProposalOrigin {
  strategy_params?: Record<string, number>;
  screen?: { as_of: string; weights?: Record<string, number> };
}

export interface ProposeInput {
  accountId: string;
  legs: LegInput[];
  proposer: { kind: ProposerKind; principalId?: string | null; name?: string };
  channel: ProposalChannel;
  rationale?: string;
  /** The strategy or idea it follows, for trade_stats: 1-40 of a-z, 0-9, _ . - (not hashed). */
  strategy?: string;
  /**
   * What led to it, as the proposer states it (strategy parameters, the screen that picked it),
   * for explain_trade. Not hashed; validated by the caller.
   */
  origin?: ProposalOrigin;
  /** Default 900 (15 minutes), at most a day. */
  expiresInSeconds?: number;
}

/** A proposal as stored, with its legs. */
export interface Proposal {
  id: string;
  accountId: string;
  kind: 'order' | 'basket' | 'cancel';
  status: ProposalStatus;
  orderHash: string;
  /** The proposer's principal id, and its handle (what people are shown). */
  proposedBy: string | null;
  proposedByHandle: string | null;
  proposerKind: ProposerKind;
  channel: ProposalChannel;
  rationale: string;
  strategy: string | null;
  riskResults: unknown[];
  requiredApprovals: number;
  cancelOrderId: string | null;
  createdAt: string;
  expiresAt: string;
  decidedAt: string | null;
  decisionReason: string | null;
  /**
   * Why orders of this proposal failed at the broker, leg by leg (null when none did). With every
   * order failed the status is 'failed'; with some, it stays 'submitted' and this says which.
   */
  failureReason: string | null;
  legs: Leg[];
  approvals: {
    principalId: string;
    /** The decider's handle. */
    handle: string | null;
    decision: 'approve' | 'reject';
    channel: string;
    at: string;
  }[];
}

/**
 * How the channel authenticated the person deciding, for the checks that depend on it: a bearer
 * token (REST, or an MCP session over HTTP) decides only while that token is live and holds the
 * 'approve' scope; 'local' is the OS user at this machine (the CLI, `countersign mcp` on stdio).
 */
export type DecisionCredential = { kind: 'api_token'; tokenId: string } | { kind: 'local' };

/** A human's decision, as a channel adapter hands it over after verifying its evidence. */
export interface DecisionInput {
  proposalId: string;
  principalId: string;
  channel: ApprovalChannel;
  /** The hash of the order the person was shown; it must be the proposal's. */
  orderHash: string;
  /** What the adapter verified (a signature, a session, an OS user…), kept with the decision. */
  evidence: Record<string, unknown>;
  reason?: string;
  /** Required on the 'rest' and 'mcp_elicitation' channels (see DecisionCredential). */
  credential?: DecisionCredential;
}

/** What an approval call ended in. */
export type ApproveOutcome =
  | { status: 'awaiting_second_approval'; proposal: Proposal }
  | { status: 'submitted'; proposal: Proposal; orders: OrderRow[] };

/** An orders row. */
export interface OrderRow {
  id: string;
  proposalId: string;
  leg: number;
  accountId: string;
  clientOrderId: string;
  broker: string;
  brokerOrderId: string | null;
  symbol: string;
  side: OrderSide;
  quantity: string | null;
  notional: string | null;
  type: OrderType;
  limitPrice: string | null;
  stopPrice: string | null;
  timeInForce: TimeInForce;
  status: OrderStatus;
  filledQuantity: string;
  avgFillPrice: string | null;
  failureReason: string | null;
  createdAt: string;
  submittedAt: string | null;
}

/** A leg as every channel shows it: snake_case, decimals as strings. */
export function legView(leg: Leg) {
  return {
    leg: leg.leg,
    symbol: leg.symbol,
    side: leg.side,
    quantity: leg.quantity,
    notional: leg.notional,
    type: leg.type,
    limit_price: leg.limitPrice,
    stop_price: leg.stopPrice,
    time_in_force: leg.timeInForce,
    reference_price: leg.referencePrice,
  };
}
