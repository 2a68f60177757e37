/**
 * REST for people deciding on proposals: list and read them, approve or reject one. Every route
 * needs a bearer token (`countersign token create`); approving and rejecting also need the
 * approver role on the proposal's account, which orders.approve checks with everything else.
 */
import { Hono } from 'hono';
import type { Logger } from '../config/logger.js';
import { ApprovalRefusedError, NotFoundError, OrderInputError } from '../orders/errors.js';
import type { Orders } from '../orders/service.js';
import { legView, type Proposal } from '../orders/types.js';
import type { Pool } from '../store/db/pool.js';
import type { RateLimiter } from '../store/kv/rate-limiter.js';
import type { TokenCache } from '../store/repos/token-cache.js';
import { type AuthPrincipal, bearerAuth } from './auth.js';

/** Filled in once the database is up; until then the routes answer 503. */
export interface ApiServices {
  pool?: Pool;
  orders?: Orders;
  /** Tool calls per principal (REST and MCP over HTTP). */
  limiter?: RateLimiter;
  logger?: Logger;
  /** Verified tokens kept in memory while the auth-change listener runs (else every request asks the database). */
  tokens?: TokenCache;
}

const STATUSES = ['pending', 'approved', 'rejected', 'expired', 'submitted', 'needs_attention'];

/** A proposal as the API shows it: snake_case, the hash to approve, the orders it became. */
function view(proposal: Proposal) {
  return {
    id: proposal.id,
    account: proposal.accountId,
    kind: proposal.kind,
    status: proposal.status,
    order_hash: proposal.orderHash,
    proposer_kind: proposal.proposerKind,
    proposed_by: proposal.proposedBy,
    channel: proposal.channel,
    rationale: proposal.rationale,
    required_approvals: proposal.requiredApprovals,
    approvals: proposal.approvals.map((a) => ({
      principal_id: a.principalId,
      decision: a.decision,
      channel: a.channel,
      at: a.at,
    })),
    legs: proposal.legs.map(legView),
    cancel_order_id: proposal.cancelOrderId,
    risk_results: proposal.riskResults,
    created_at: proposal.createdAt,
    expires_at: proposal.expiresAt,
    decided_at: proposal.decidedAt,
    decision_reason: proposal.decisionReason,
  };
}

/** The /api/proposals routes over `services`. */
export function proposalsRoutes(
  services: ApiServices,
): Hono<{ Variables: { principal: AuthPrincipal } }> {
  const api = new Hono<{ Variables: { principal: AuthPrincipal } }>();
  api.use('*', async (c, next) => {
    if (!services.pool || !services.orders)
      return c.json(
        { error: 'starting', message: 'The server is still starting; try again in a moment.' },
        503,
      );
    return bearerAuth(services.pool, services.tokens)(c, next);
  });
  const orders = () => services.orders as Orders;

  api.get('/', async (c) => {
    const status = c.req.query('status');
    if (status !== undefined && !STATUSES.includes(status))
      return c.json(
        {
          error: 'bad_request',
          message: `status "${status}" is not valid; use ${STATUSES.join(', ')}`,
        },
        400,
      );
    const limitText = c.req.query('limit') ?? '100';
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > 1000)
      return c.json(
        { error: 'bad_request', message: `limit "${limitText}" is not valid; use 1 to 1000` },
        400,
      );
    const list = await orders().listProposals({ status, accountId: c.req.query('account'), limit });
    return c.json({ proposals: list.map(view) });
  });

  api.get('/:id', async (c) => {
    try {
      const proposal = await orders().getProposal(c.req.param('id'));
      return c.json({ proposal: view(proposal), orders: await orders().ordersOf(proposal.id) });
    } catch (error) {
      if (error instanceof NotFoundError)
        return c.json({ error: 'not_found', message: error.message }, 404);
      throw error;
    }
  });

  const decide = (decision: 'approve' | 'reject') =>
    api.post(`/:id/${decision}`, async (c) => {
      const principal = c.get('principal');
      let body: { order_hash?: unknown; reason?: unknown } = {};
      const text = await c.req.text();
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          return c.json(
            {
              error: 'bad_request',
              message: 'the body is not JSON; send {"order_hash": "…"} or nothing',
            },
            400,
          );
        }
      }
      const id = c.req.param('id');
      let orderHash = typeof body.order_hash === 'string' ? body.order_hash : undefined;
      try {
        // Without order_hash the decision binds to the hash stored now (the tamper check still
        // recomputes it from the orders); clients that showed the order should send the hash they showed.
        orderHash ??= (await orders().getProposal(id)).orderHash;
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        orderHash = '';
      }
      const input = {
        proposalId: id,
        principalId: principal.principalId,
        channel: 'api' as const,
        orderHash,
        evidence: {
          kind: 'api_token',
          tokenId: principal.tokenId,
          handle: principal.handle,
          userAgent: c.req.header('user-agent') ?? null,
        },
        reason: typeof body.reason === 'string' ? body.reason : undefined,
      };
      try {
        if (decision === 'approve') {
          const outcome = await orders().approve(input);
          return c.json({
            status: outcome.status,
            proposal: view(outcome.proposal),
            orders: outcome.status === 'submitted' ? outcome.orders : [],
          });
        }
        const proposal = await orders().reject(input);
        return c.json({ status: 'rejected', proposal: view(proposal) });
      } catch (error) {
        if (error instanceof ApprovalRefusedError) {
          const status =
            error.code === 'not_found' ? 404 : error.code === 'not_approver' ? 403 : 409;
          return c.json({ error: error.code, message: error.message }, status);
        }
        if (error instanceof OrderInputError)
          return c.json({ error: 'bad_request', message: error.message }, 400);
        throw error;
      }
    });
  decide('approve');
  decide('reject');
  return api;
}
