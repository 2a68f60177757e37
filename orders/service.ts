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
 *
 * The parts: proposing (propose.ts), deciding (decide.ts), submitting (submit.ts) and the sweeps
 * (sweeps.ts), over one shared core (core.ts); the SQL is in repo.ts.
 */
import { createCore, type OrdersDeps } from './core.js';
import { createDeciding } from './decide.js';
import type { ApprovalRefusedError } from './errors.js';
import { NotFoundError } from './errors.js';
import { createProposing } from './propose.js';
import { isUuid, listProposals, loadProposal, selectOrders } from './repo.js';
import { createSubmitting } from './submit.js';
import { createSweeps } from './sweeps.js';
import type { ApproveOutcome, DecisionInput, OrderRow, Proposal, ProposeInput } from './types.js';

export { type OrdersDeps, STRATEGY_PATTERN } from './core.js';

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

/** Creates the service: one core, the four parts over it. */
export function createOrders(deps: OrdersDeps): Orders {
  const core = createCore(deps);
  const { pool } = core;
  const proposing = createProposing(core);
  const submitting = createSubmitting(core);
  const deciding = createDeciding(core, proposing, submitting);
  const sweeps = createSweeps(core, submitting);
  const { propose, proposeCancel } = proposing;
  const { approve, reject, canDecide } = deciding;
  const { expireDue, reconcile, syncOpen } = sweeps;

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
