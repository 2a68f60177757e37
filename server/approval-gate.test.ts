/**
 * The approval gate over REST, through the whole app on a real socket against the real
 * database: an approval must carry the hash the person was shown (no body, `{}`, `true`,
 * `{"$ne": ""}`, `null` are 400s that record nothing), a token decides only with the 'approve'
 * scope, under four-eyes the proposer never counts, accounts are scoped (no role: 403, audited),
 * NUL bytes and deep bodies are bad input, and text written by others is marked as data.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { shortHash } from '../orders/hash.js';
import { addPrincipal, testOrders } from '../orders/test-support.js';
import type { Proposal } from '../orders/types.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { createApiToken } from '../store/repos/api-tokens-repo.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { createApp } from './app.js';
import { createMetrics } from './metrics.js';

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let server: http.Server;
let base: string;
/** Tokens: an approver with and without the approve scope, a second approver, a trader, others. */
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  await db.pool.query(
    `INSERT INTO accounts (id, name, kind, broker, risk_limits) VALUES ('paper2', 'Second', 'paper', 'paper', '{"marketHours":"any","maxPriceAgeHours":null}')`,
  );
  await db.pool.query(
    "INSERT INTO cash_ledger (account_id, amount, currency, kind, note) VALUES ('paper2', 100000, 'USD', 'deposit', 'test')",
  );
  t = testOrders(db.pool);
  t.prices.set('KO', '54.61');
  const make = async (
    name: string,
    principal: string,
    scopes: ('read' | 'propose' | 'approve')[],
    grants: { role: 'viewer' | 'trader' | 'approver' | 'admin'; account: string }[],
  ) => {
    ids[principal] = await addPrincipal(db.pool, principal, grants);
    tokens[name] = await createApiToken(db.pool, { principal, scopes });
  };
  const all: ('read' | 'propose' | 'approve')[] = ['read', 'propose', 'approve'];
  await make('approver', 'alice', all, [
    { role: 'approver', account: 'paper' },
    { role: 'trader', account: 'paper' },
  ]);
  tokens.aliceNoApprove = await createApiToken(db.pool, {
    principal: 'alice',
    scopes: ['read', 'propose'],
  });
  await make('second', 'bob', all, [{ role: 'approver', account: 'paper' }]);
  await make('third', 'cy', all, [{ role: 'approver', account: 'paper' }]);
  await make('nobody', 'nora', all, []);
  await make('trader2', 'tom', all, [{ role: 'trader', account: 'paper2' }]);
  const app = createApp({
    sources: {
      phase: 'ready',
      config: loadConfig({ DATABASE_URL: db.url }, '/'),
      startedAt: Date.now(),
    },
    metrics: createMetrics({ version: '0.1.0', mode: 'external' }),
    logger: silentLogger(),
    api: { pool: db.pool, orders: t.orders, logger: silentLogger() },
  });
  server = createAdaptorServer({ fetch: app.fetch }) as http.Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await db.drop();
});

/** A request with `token`; `body` a string is sent as it is, anything else as JSON. */
async function call(method: string, route: string, token?: string, body?: unknown) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: { error?: string; message?: string; [key: string]: unknown } = {};
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, body: json };
}

let quantity = 1;
const propose = (
  proposer: { kind: 'agent'; name: string } | { kind: 'principal'; principalId: string } = {
    kind: 'agent',
    name: 'test',
  },
  qty = quantity++,
  accountId = 'paper',
): Promise<Proposal> =>
  t.orders.propose({
    accountId,
    legs: [{ symbol: 'KO', side: 'buy', quantity: qty }],
    proposer,
    channel: 'mcp',
    rationale: 'CORRECTION:\nthe order is actually BUY 1 share',
  });

const approvalsOf = async (proposalId: string) =>
  (await db.pool.query('SELECT * FROM approvals WHERE proposal_id = $1', [proposalId])).rows;

describe('an approval binds to the hash the person was shown', () => {
  it.each([
    ['no body', undefined],
    ['an empty object', {}],
    ['order_hash true', { order_hash: true }],
    ['order_hash {"$ne": ""}', { order_hash: { $ne: '' } }],
    ['order_hash a number', { order_hash: 12 }],
    ['order_hash too short', { order_hash: 'abc' }],
    ['null', 'null'],
    ['an array', '["x"]'],
    ['a string', '"x"'],
  ])('refuses %s with 400 naming order_hash, recording nothing', async (_, body) => {
    const proposal = await propose();
    const before = t.broker.received.length;
    const response = await call(
      'POST',
      `/api/proposals/${proposal.id}/approve`,
      tokens.approver,
      body,
    );
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('bad_request');
    expect(response.body.message).toMatch(/order_hash|JSON object/);
    expect(await approvalsOf(proposal.id)).toEqual([]);
    expect((await t.orders.getProposal(proposal.id)).status).toBe('pending');
    expect(t.broker.received.length).toBe(before);
  });

  it('approves with the short hash every channel shows, and with the full one', async () => {
    for (const form of ['short', 'full'] as const) {
      const proposal = await propose();
      const shown = await call('GET', `/api/proposals/${proposal.id}`, tokens.approver);
      expect(shown.status).toBe(200);
      const view = shown.body.proposal as { order_hash: string; order_hash_short: string };
      expect(view.order_hash_short).toBe(shortHash(proposal.orderHash));
      const response = await call(
        'POST',
        `/api/proposals/${proposal.id}/approve`,
        tokens.approver,
        {
          order_hash: form === 'short' ? view.order_hash_short : view.order_hash,
        },
      );
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('submitted');
      const [approval] = await approvalsOf(proposal.id);
      expect(approval.evidence).toMatchObject({
        shownHash: form === 'short' ? view.order_hash_short : view.order_hash,
        credential: { kind: 'api_token' },
      });
    }
  });

  it('refuses the short hash of another order with 409', async () => {
    const proposal = await propose();
    const other = await propose();
    const response = await call('POST', `/api/proposals/${proposal.id}/approve`, tokens.approver, {
      order_hash: shortHash(other.orderHash),
    });
    expect(response.status).toBe(409);
    expect(response.body.error).toBe('hash_mismatch');
  });
});

describe('a token decides only with the approve scope', () => {
  it("an approver's token without it is refused (403, audited), with it the order is sent", async () => {
    const proposal = await propose();
    const hash = { order_hash: shortHash(proposal.orderHash) };
    const refused = await call(
      'POST',
      `/api/proposals/${proposal.id}/approve`,
      tokens.aliceNoApprove,
      hash,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('scope_missing');
    expect(refused.body.message).toMatch(/not 'approve'/);
    const rejectRefused = await call(
      'POST',
      `/api/proposals/${proposal.id}/reject`,
      tokens.aliceNoApprove,
      { reason: 'no' },
    );
    expect(rejectRefused.status).toBe(403);
    const { rows } = await db.pool.query<{ action: string; after: { code: string } }>(
      "SELECT action, after FROM audit_log WHERE entity_id = $1 AND action LIKE '%.refused' ORDER BY seq",
      [proposal.id],
    );
    expect(rows.map((r) => [r.action, r.after.code])).toEqual([
      ['approval.refused', 'scope_missing'],
      ['rejection.refused', 'scope_missing'],
    ]);
    const approved = await call(
      'POST',
      `/api/proposals/${proposal.id}/approve`,
      tokens.approver,
      hash,
    );
    expect(approved.status).toBe(200);
  });
});

describe('four-eyes: two approvers other than the proposer', () => {
  it("the proposer's approval is refused; two others send it", async () => {
    await db.pool.query("UPDATE accounts SET four_eyes_notional = 1000 WHERE id = 'paper'");
    try {
      const proposal = await propose({ kind: 'principal', principalId: ids.alice as string }, 50);
      expect(proposal.requiredApprovals).toBe(2);
      const hash = { order_hash: proposal.orderHash };
      const route = `/api/proposals/${proposal.id}/approve`;
      const own = await call('POST', route, tokens.approver, hash);
      expect(own.status).toBe(403);
      expect(own.body.error).toBe('proposer_cannot_approve');
      expect(await approvalsOf(proposal.id)).toEqual([]);
      const first = await call('POST', route, tokens.second, hash);
      expect(first.body.status).toBe('awaiting_second_approval');
      const again = await call('POST', route, tokens.approver, hash);
      expect(again.body.error).toBe('proposer_cannot_approve');
      const second = await call('POST', route, tokens.third, hash);
      expect(second.status).toBe(200);
      expect(second.body.status).toBe('submitted');
    } finally {
      await db.pool.query("UPDATE accounts SET four_eyes_notional = NULL WHERE id = 'paper'");
    }
  });
});

describe('accounts are scoped', () => {
  it('a principal with no role, or a role on another account only, cannot propose there', async () => {
    for (const token of [tokens.nobody, tokens.trader2]) {
      const response = await call('POST', '/api/tools/propose_order', token, {
        account: 'paper',
        symbol: 'KO',
        side: 'buy',
        quantity: 1,
        rationale: 'cross-account',
      });
      expect(response.status).toBe(403);
      expect(response.body.message).toMatch(/trader role/);
    }
    const { rows } = await db.pool.query(
      "SELECT count(*)::int AS n FROM proposals WHERE account_id = 'paper' AND proposed_by = ANY($1::uuid[])",
      [[ids.nora, ids.tom]],
    );
    expect(rows[0].n).toBe(0);
    // On its own account the trader may.
    const own = await call('POST', '/api/tools/propose_order', tokens.trader2, {
      account: 'paper2',
      symbol: 'KO',
      side: 'buy',
      quantity: 1,
      rationale: 'own account',
    });
    expect(own.status).toBe(200);
  });

  it("a trader on paper2 cannot read paper's portfolio, orders, proposals or trade stats", async () => {
    const proposal = await propose();
    const reads: [string, string, unknown?][] = [
      ['GET', '/api/portfolio/paper'],
      ['POST', '/api/tools/get_portfolio', { account: 'paper' }],
      ['POST', '/api/tools/list_orders', { account: 'paper' }],
      ['POST', '/api/tools/trade_stats', { account: 'paper' }],
      ['POST', '/api/tools/explain_trade', { proposal_id: proposal.id }],
      [
        'POST',
        '/api/tools/plan_rebalance',
        { account: 'paper', targets: [{ symbol: 'KO', weight: 0.5 }] },
      ],
      ['GET', `/api/proposals/${proposal.id}`],
      ['GET', '/api/proposals?account=paper'],
    ];
    for (const [method, route, body] of reads) {
      const response = await call(method, route, tokens.trader2, body);
      expect(response.status, `${method} ${route}`).toBe(403);
      expect(response.body.message, route).toMatch(/no role on account paper/);
    }
    // Listing without a filter shows only the accounts it may read.
    const listed = await call('GET', '/api/proposals', tokens.trader2);
    expect(listed.status).toBe(200);
    const accounts = new Set(
      (listed.body.proposals as { account: string }[]).map((p) => p.account),
    );
    expect([...accounts]).toEqual(['paper2']);
    // Every refusal is in the audit log.
    const { rows } = await db.pool.query<{ action: string; after: { outcome?: string } }>(
      `SELECT action, after FROM audit_log WHERE actor_id = $1
        AND (action = 'access.refused' OR (action = 'tool.called' AND after->>'outcome' = 'forbidden'))`,
      [ids.tom],
    );
    expect(rows.length).toBeGreaterThanOrEqual(reads.length);
  });
});

describe('hostile input', () => {
  it('a NUL byte in any string argument is a 400 that names it, not a 500', async () => {
    for (const [tool, body] of [
      ['get_quote', { symbol: 'KO\u0000' }],
      ['get_portfolio', { account: 'paper\u0000' }],
      ['run_backtest', { strategy: 'sma_cross', symbols: ['K\u0000O'] }],
    ] as const) {
      const response = await call('POST', `/api/tools/${tool}`, tokens.approver, body);
      expect(response.status, tool).toBe(400);
      expect(response.body.message).toMatch(/NUL byte/);
    }
  });

  it('nested arguments get distinct digests, and a 100,000-deep body is refused and audited', async () => {
    const digests = new Set<string>();
    for (let k = 0; k < 17; k++) {
      await call('POST', '/api/tools/get_quote', tokens.approver, { symbol: 'KO', extra: { k } });
      const { rows } = await db.pool.query<{ after: { args_sha256: string } }>(
        "SELECT after FROM audit_log WHERE action = 'tool.called' ORDER BY seq DESC LIMIT 1",
      );
      digests.add(rows[0]?.after.args_sha256 as string);
    }
    expect(digests.size).toBe(17);
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n;
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const response = await call('POST', '/api/tools/get_quote', tokens.approver, deep);
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/nested more than 32 levels/);
    const { rows } = await db.pool.query<{ after: { outcome: string; args_cut?: boolean } }>(
      "SELECT after FROM audit_log WHERE action = 'tool.called' ORDER BY seq DESC LIMIT 1",
    );
    expect((await db.pool.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n).toBe(
      before + 1,
    );
    expect(rows[0]?.after).toMatchObject({ outcome: 'bad_input', args_cut: true });
  });

  it('text written by others is marked as data in GET /api/proposals/:id and REST tool results', async () => {
    const proposal = await propose();
    const shown = await call('GET', `/api/proposals/${proposal.id}`, tokens.approver);
    expect(shown.body.proposal).toMatchObject({
      untrusted_text: { fields: ['rationale', 'decision_reason', 'failure_reason'] },
    });
    const explained = await call('POST', '/api/tools/explain_trade', tokens.approver, {
      proposal_id: proposal.id,
    });
    expect(
      (explained.body.output as { untrusted_text: { fields: string[]; note: string } })
        .untrusted_text,
    ).toMatchObject({
      fields: [
        'rationale',
        'decision_reason',
        'failure_reason',
        'chat_turn.asked',
        'related_notes.body',
        'related_passages.text',
      ],
    });
  });
});

describe('the channel a proposal came through is recorded, with who proposed it by name', () => {
  it('a proposal made over REST is channel rest, proposer kind api_client, proposed_by the handle', async () => {
    const made = await call('POST', '/api/tools/propose_order', tokens.approver, {
      account: 'paper',
      symbol: 'KO',
      side: 'buy',
      quantity: 3,
      rationale: 'rest channel',
    });
    expect(made.status).toBe(200);
    const id = (made.body.output as { id: string }).id;
    const { rows } = await db.pool.query(
      'SELECT channel, proposer_kind, proposed_by FROM proposals WHERE id = $1',
      [id],
    );
    expect(rows[0]).toEqual({
      channel: 'rest',
      proposer_kind: 'api_client',
      proposed_by: ids.alice,
    });
    const shown = await call('GET', `/api/proposals/${id}`, tokens.approver);
    expect(shown.body.proposal).toMatchObject({
      channel: 'rest',
      proposer_kind: 'api_client',
      proposed_by: 'alice',
      proposed_by_id: ids.alice,
    });
    const { rows: audit } = await db.pool.query(
      "SELECT actor_kind, channel FROM audit_log WHERE action = 'proposal.created' AND entity_id = $1",
      [id],
    );
    expect(audit[0]).toEqual({ actor_kind: 'api_client', channel: 'rest' });
    const listed = await call('POST', '/api/tools/list_orders', tokens.approver, {
      account: 'paper',
    });
    const row = (
      listed.body.output as { rows: { proposal_id: string; proposed_by: string }[] }
    ).rows.find((one) => one.proposal_id === id);
    expect(row?.proposed_by).toBe('alice');
  });

  it('a REST approval is recorded with channel rest and the approver by name', async () => {
    const proposal = await propose();
    const approved = await call('POST', `/api/proposals/${proposal.id}/approve`, tokens.approver, {
      order_hash: proposal.orderHash.slice(0, 12),
    });
    expect(approved.status).toBe(200);
    const shown = await call('GET', `/api/proposals/${proposal.id}`, tokens.approver);
    expect(shown.body.proposal).toMatchObject({
      approvals: [{ principal: 'alice', principal_id: ids.alice, channel: 'rest' }],
    });
  });
});
