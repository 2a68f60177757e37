/**
 * Deciding: a human's approve or reject, with its checks (channel, decider, state, hash, drift,
 * risk). A completing approval, in ONE transaction, loads and consumes the approvals of exactly
 * this proposal's hash, creates the order rows and marks the proposal submitted; only after the
 * commit are the orders sent (submit.ts).
 */
import { Dec } from '../core/decimal.js';
import { inTransaction, type Pool, type PoolClient } from '../store/db/pool.js';
import { decisionEntry, systemEntry } from './audit-entries.js';
import type { AccountRow, OrdersCore } from './core.js';
import { deciderRefusal, loadDecider } from './decision-checks.js';
import { ApprovalRefusedError } from './errors.js';
import { clientOrderId, hashMatches, orderHash, SHORT_HASH_LENGTH, shortHash } from './hash.js';
import type { Proposing } from './propose.js';
import {
  consumeApprovals,
  expireIfPending,
  insertApproval,
  insertOrderRows,
  insertRejection,
  isUuid,
  loadProposal,
  lockUnconsumedApprovals,
  markProposalRejected,
  markProposalSubmitted,
  selectOrders,
} from './repo.js';
import type { Submitting } from './submit.js';
import {
  APPROVAL_CHANNELS,
  type ApproveOutcome,
  type DecisionInput,
  type Proposal,
} from './types.js';

/** The deciding part of the service. */
export type Deciding = ReturnType<typeof createDeciding>;

/** Creates the deciding part; it checks with proposing's rules and hands orders to submitting. */
export function createDeciding(core: OrdersCore, proposing: Proposing, submitting: Submitting) {
  const { pool, deps, now, publish, audit, driftGuard } = core;
  const { account, riskResults } = proposing;
  const { dispatch } = submitting;

  /** What is kept with a decision: the channel's evidence, the hash it sent back, the credential. */
  const evidenceOf = (input: DecisionInput): Record<string, unknown> => ({
    ...(input.evidence && typeof input.evidence === 'object' ? input.evidence : {}),
    shownHash: typeof input.orderHash === 'string' ? input.orderHash.slice(0, 64) : null,
    ...(input.credential ? { credential: input.credential } : {}),
  });

  /** Writes the refusal to the audit log (its own transaction: the refused one rolled back) and throws it. */
  async function refuse(
    input: DecisionInput,
    action: 'approval.refused' | 'rejection.refused',
    error: ApprovalRefusedError,
    expire?: { accountId: string },
  ): Promise<never> {
    await inTransaction(pool, async (client) => {
      if (expire) {
        if (await expireIfPending(client, input.proposalId, now()))
          await audit(
            client,
            systemEntry(
              'proposal.expired',
              'proposal',
              input.proposalId,
              { status: 'pending' },
              { status: 'expired' },
            ),
          );
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
      await insertApproval(client, {
        proposalId: proposal.id,
        principalId: input.principalId,
        channel: input.channel,
        orderHash: proposal.orderHash,
        evidence: evidenceOf(input),
        at: decidedAt,
      });
      // A completing approval is recorded in the proposal.approved entry itself (one entry, not two).
      if (proposal.approvals.length + 1 < proposal.requiredApprovals) {
        await audit(
          client,
          decisionEntry(
            input,
            'approval.recorded',
            proposal.id,
            { status: 'pending', approvals: proposal.approvals.length },
            { orderHash: proposal.orderHash, evidence: evidenceOf(input) },
          ),
        );
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
    const approvals = await lockUnconsumedApprovals(client, proposal.id, proposal.orderHash);
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
    await consumeApprovals(
      client,
      approvals.map((a) => a.id),
      at,
    );
    await markProposalSubmitted(client, proposal.id, at);
    const orders = await insertOrderRows(
      client,
      proposal,
      acct.broker,
      (leg) => clientOrderId(proposal.id, leg),
      at,
    );
    await audit(
      client,
      decisionEntry(
        input,
        'proposal.approved',
        proposal.id,
        { status: 'pending', approvals: proposal.approvals.length },
        {
          status: 'submitted',
          orderHash: proposal.orderHash,
          evidence: evidenceOf(input),
          approvals: approvals.map((a) => a.id),
          orders: orders.map((o) => ({ id: o.id, clientOrderId: o.clientOrderId })),
        },
      ),
    );
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

  async function reject(input: DecisionInput): Promise<Proposal> {
    const result = await inTransaction(pool, async (client) => {
      const checked = await checkDecision(client, input, 'reject');
      if ('refusal' in checked) return checked;
      const { proposal } = checked;
      const reason = (input.reason ?? '').trim() || 'rejected';
      await insertRejection(client, {
        proposalId: proposal.id,
        principalId: input.principalId,
        channel: input.channel,
        orderHash: proposal.orderHash,
        evidence: evidenceOf(input),
        reason,
        at: now(),
      });
      await markProposalRejected(client, proposal.id, now(), reason);
      await audit(
        client,
        decisionEntry(
          input,
          'proposal.rejected',
          proposal.id,
          { status: 'pending' },
          { status: 'rejected', reason },
        ),
      );
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

  async function canDecide(
    input: Pick<DecisionInput, 'proposalId' | 'principalId' | 'channel' | 'credential'>,
    decision: 'approve' | 'reject',
  ): Promise<ApprovalRefusedError | null> {
    const state = await decisionState(pool, input, decision, false);
    return 'refusal' in state ? state.refusal : null;
  }

  return { approve, reject, canDecide };
}
