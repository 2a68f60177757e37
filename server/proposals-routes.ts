/**
 * REST for people deciding on proposals: list and read them, approve or reject one. Every route
 * needs a bearer token (`countersign token create`). Reading needs the 'read' scope and a role
 * on the proposal's account; approving and rejecting need the token's 'approve' scope and the
 * approver role there, which orders.approve checks with everything else. An approval must carry
 * the hash of the order the person was shown: nothing is filled in for the caller.
 */
import { type Context, Hono } from 'hono';
import type { ChatEngine } from '../agents/engine.js';
import type { BotsRuntime } from '../bots/runtime.js';
import type { Logger } from '../config/logger.js';
import { ApprovalRefusedError, NotFoundError, OrderInputError } from '../orders/errors.js';
import { shortHash } from '../orders/hash.js';
import type { Orders } from '../orders/service.js';
import { legView, PROPOSAL_STATUSES, type Proposal } from '../orders/types.js';
import type { Retrieval } from '../rag/retrieval.js';
import { auditBatcherFor } from '../store/audit/audit-batcher.js';
import type { Pool } from '../store/db/pool.js';
import type { RateLimiter } from '../store/kv/rate-limiter.js';
import { readableAccounts, rolesFor } from '../store/repos/principals-repo.js';
import type { TokenCache } from '../store/repos/token-cache.js';
import { quotedTextMarker } from '../tools/quoted-text.js';
import { type AuthPrincipal, bearerAuth } from './auth.js';
import { type HttpLimiters, retryAfterSeconds } from './http-limits.js';

/** Filled in once the database is up; until then the routes answer 503. */
export interface ApiServices {
  pool?: Pool;
  orders?: Orders;
  /** Tool calls per principal (REST and MCP over HTTP). */
  limiter?: RateLimiter;
  /** Failed authentications per client address, and approve/reject calls per principal. */
  limiters?: HttpLimiters;
  logger?: Logger;
  /** Verified tokens kept in memory while the auth-change listener runs (else every request asks the database). */
  tokens?: TokenCache;
  /** The conversation engine (POST /api/chat). */
  chat?: ChatEngine;
  /** Retrieval over the trade history (search_trade_history). */
  retrieval?: Retrieval;
  /** The Telegram and Slack bots (their webhooks are mounted from here). */
  bots?: BotsRuntime;
}

const STATUSES: readonly string[] = PROPOSAL_STATUSES;

/** A proposal as the API shows it: snake_case, the hash to approve, the orders it became. */
function view(proposal: Proposal) {
  return {
    id: proposal.id,
    account: proposal.accountId,
    kind: proposal.kind,
    status: proposal.status,
    order_hash: proposal.orderHash,
    order_hash_short: shortHash(proposal.orderHash),
    failure_reason: proposal.failureReason,
    proposer_kind: proposal.proposerKind,
    proposed_by: proposal.proposedByHandle,
    proposed_by_id: proposal.proposedBy,
    channel: proposal.channel,
    rationale: proposal.rationale,
    required_approvals: proposal.requiredApprovals,
    approvals: proposal.approvals.map((a) => ({
      principal: a.handle,
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
    untrusted_text: quotedTextMarker(['rationale', 'decision_reason', 'failure_reason']),
  };
}

/** The decision body: `order_hash` (a string: the full hash or its 12-digit short form) and `reason`. */
type DecisionBody =
  | { ok: true; orderHash: string | undefined; reason: string | undefined }
  | { ok: false; message: string };

/** Reads a decision body strictly: a JSON object or nothing; no field is ever filled in for the caller. */
function decisionBody(text: string, decision: 'approve' | 'reject'): DecisionBody {
  const form =
    '{"order_hash": "<the hash shown with the order: all 64 hex digits or the first 12>"' +
    (decision === 'reject' ? ', "reason": "…"}' : '}');
  let body: unknown;
  if (text.trim() === '') body = undefined;
  else
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, message: `the body is not JSON; send ${form}` };
    }
  if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body)))
    return {
      ok: false,
      message: `the body must be a JSON object, not ${body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body}; send ${form}`,
    };
  const fields = (body ?? {}) as Record<string, unknown>;
  const hash = fields.order_hash;
  if (hash === undefined && decision === 'approve')
    return {
      ok: false,
      message: `order_hash is required: an approval is bound to the order the person was shown; send ${form} (GET /api/proposals/:id shows order_hash and order_hash_short)`,
    };
  if (
    hash !== undefined &&
    (typeof hash !== 'string' || !/^(?:[0-9a-fA-F]{12}|[0-9a-fA-F]{64})$/.test(hash))
  )
    return {
      ok: false,
      message: `order_hash must be a string of 12 or 64 hex digits (the short or full hash shown with the order), not ${typeof hash === 'string' ? JSON.stringify(hash.slice(0, 80)) : hash === null ? 'null' : Array.isArray(hash) ? 'an array' : typeof hash}`,
    };
  const reason = fields.reason;
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > 2000))
    return { ok: false, message: 'reason must be a string of at most 2,000 characters' };
  return { ok: true, orderHash: hash as string | undefined, reason: reason as string | undefined };
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
  const pool = () => services.pool as Pool;

  /** A refused read, in the audit log like every refusal, then its 403. */
  const refuseRead = async (
    c: Context<{ Variables: { principal: AuthPrincipal } }>,
    entityId: string,
    message: string,
  ) => {
    const principal = c.get('principal');
    await auditBatcherFor(pool()).append({
      actorKind: 'principal',
      actorId: principal.principalId,
      channel: 'rest',
      action: 'access.refused',
      entityKind: 'proposal',
      entityId,
      after: { route: `${c.req.method} ${c.req.routePath}`, reason: message },
    });
    return c.json({ error: 'forbidden', message }, 403);
  };

  // Reading proposals needs the 'read' scope (deciding is checked by orders: the 'approve' scope).
  api.use('*', async (c, next) => {
    if (c.req.method !== 'GET') return next();
    const { scopes } = c.get('principal');
    if (!scopes.includes('read'))
      return refuseRead(
        c,
        c.req.param('id') ?? '-',
        `reading proposals needs the 'read' scope; this token has ${scopes.map((s) => `'${s}'`).join(', ') || 'no scopes'}`,
      );
    return next();
  });

  api.get('/', async (c) => {
    const status = c.req.query('status');
    if (status !== undefined && !STATUSES.includes(status))
      return c.json(
        {
          error: 'bad_request',
          message: `status "${status.slice(0, 40)}" is not valid; use ${STATUSES.join(', ')}`,
        },
        400,
      );
    const limitText = c.req.query('limit') ?? '100';
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > 1000)
      return c.json(
        {
          error: 'bad_request',
          message: `limit "${limitText.slice(0, 40)}" is not valid; use 1 to 1000`,
        },
        400,
      );
    const principal = c.get('principal');
    const account = c.req.query('account');
    const readable = await readableAccounts(pool(), principal.principalId);
    if (account !== undefined && readable !== 'all' && !readable.includes(account))
      return refuseRead(
        c,
        '-',
        `${principal.handle} holds no role on account ${account.slice(0, 40)}: listing its proposals needs the viewer role (or any other role) there`,
      );
    const list = await orders().listProposals({
      status,
      accountId: account,
      ...(readable === 'all' ? {} : { accountIds: readable }),
      limit,
    });
    return c.json({ proposals: list.map(view) });
  });

  api.get('/:id', async (c) => {
    let proposal: Proposal;
    try {
      proposal = await orders().getProposal(c.req.param('id'));
    } catch (error) {
      if (error instanceof NotFoundError)
        return c.json({ error: 'not_found', message: error.message }, 404);
      throw error;
    }
    const principal = c.get('principal');
    if ((await rolesFor(pool(), principal.principalId, proposal.accountId)).length === 0)
      return refuseRead(
        c,
        proposal.id,
        `${principal.handle} holds no role on account ${proposal.accountId}: reading its proposals needs the viewer role (or any other role) there`,
      );
    return c.json({ proposal: view(proposal), orders: await orders().ordersOf(proposal.id) });
  });

  const decide = (decision: 'approve' | 'reject') =>
    api.post(`/:id/${decision}`, async (c) => {
      const principal = c.get('principal');
      const limited = await services.limiters?.decisions?.take(principal.principalId);
      if (limited && !limited.allowed) {
        const seconds = retryAfterSeconds(limited);
        return c.json(
          {
            error: 'rate_limited',
            message: `too many decisions from ${principal.handle}; retry in ${seconds} s`,
          },
          429,
          { 'Retry-After': String(seconds) },
        );
      }
      const body = decisionBody(await c.req.text(), decision);
      if (!body.ok) return c.json({ error: 'bad_request', message: body.message }, 400);
      const id = c.req.param('id');
      let orderHash = body.orderHash;
      if (orderHash === undefined) {
        // Only a rejection may leave the hash out: it binds to the proposal as it stands (a
        // rejection sends nothing). An approval without the hash was refused above.
        try {
          orderHash = (await orders().getProposal(id)).orderHash;
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          orderHash = '';
        }
      }
      const input = {
        proposalId: id,
        principalId: principal.principalId,
        channel: 'rest' as const,
        orderHash,
        evidence: {
          kind: 'api_token',
          tokenId: principal.tokenId,
          handle: principal.handle,
          userAgent: c.req.header('user-agent')?.slice(0, 200) ?? null,
        },
        credential: { kind: 'api_token' as const, tokenId: principal.tokenId },
        reason: body.reason,
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
            error.code === 'not_found'
              ? 404
              : [
                    'not_approver',
                    'scope_missing',
                    'channel_disabled',
                    'proposer_cannot_approve',
                  ].includes(error.code)
                ? 403
                : 409;
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
