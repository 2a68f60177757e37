/**
 * The approval invariant, proven against the real PostgreSQL: every path to a broker's submit
 * needs a human approval of exactly that order, and every refusal is in the audit log with why.
 */
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyAudit } from '../store/audit/audit-log.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { NotFoundError } from './errors.js';
import { createOrders } from './service.js';
import { addPrincipal, testOrders } from './test-support.js';
import type { DecisionInput, Proposal } from './types.js';

let db: TestDatabase;
let local: string;
let bob: string;
let vera: string;
let otto: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'AAPL.csv.gz'),
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  await db.pool.query(
    "INSERT INTO cash_ledger (account_id, amount, currency, kind, note) VALUES ('paper', 1000000, 'USD', 'deposit', 'test funds')",
  );
  await db.pool.query(
    "INSERT INTO accounts (id, name, kind, broker, risk_limits) VALUES ('other', 'Other', 'paper', 'paper', '{\"marketHours\":\"any\",\"maxPriceAgeHours\":null}') ON CONFLICT DO NOTHING",
  );
  local = await addPrincipal(db.pool, 'local', [{ role: 'approver', account: 'paper' }]);
  bob = await addPrincipal(db.pool, 'bob', [{ role: 'approver', account: 'paper' }]);
  vera = await addPrincipal(db.pool, 'vera', [{ role: 'viewer', account: 'paper' }]);
  otto = await addPrincipal(db.pool, 'otto', [{ role: 'approver', account: 'other' }]);
});

afterAll(async () => {
  await db.drop();
});

let t: ReturnType<typeof testOrders>;
beforeEach(() => {
  t = testOrders(db.pool);
  t.prices.set('AAPL', '130');
  t.prices.set('KO', '50');
});

const buy = (quantity: number | string = 10, symbol = 'AAPL') =>
  t.orders.propose({
    accountId: 'paper',
    legs: [{ symbol, side: 'buy', quantity }],
    proposer: { kind: 'agent', name: 'test-agent' },
    channel: 'mcp',
    rationale: 'test',
  });

const decision = (
  proposal: Proposal,
  principalId: string,
  extra: Partial<DecisionInput> = {},
): DecisionInput => ({
  proposalId: proposal.id,
  principalId,
  channel: 'cli',
  orderHash: proposal.orderHash,
  evidence: { kind: 'cli', osUser: 'test' },
  ...extra,
});

async function refusals(proposalId: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ after: { code: string } }>(
    "SELECT after FROM audit_log WHERE entity_id = $1 AND action IN ('approval.refused', 'rejection.refused') ORDER BY seq",
    [proposalId],
  );
  return rows.map((row) => row.after.code);
}

async function ordersFor(proposalId: string): Promise<number> {
  const { rows } = await db.pool.query('SELECT 1 FROM orders WHERE proposal_id = $1', [proposalId]);
  return rows.length;
}

describe('propose', () => {
  it('stores the exact order, its hash, risk results and expiry, and sends nothing', async () => {
    const proposal = await buy(10);
    expect(proposal.status).toBe('pending');
    expect(proposal.legs).toEqual([
      expect.objectContaining({
        symbol: 'AAPL',
        side: 'buy',
        quantity: '10',
        type: 'market',
        timeInForce: 'day',
        referencePrice: '130',
      }),
    ]);
    expect(proposal.orderHash).toMatch(/^[0-9a-f]{64}$/);
    expect(proposal.riskResults.length).toBeGreaterThan(5);
    expect(new Date(proposal.expiresAt).getTime() - new Date(proposal.createdAt).getTime()).toBe(
      900_000,
    );
    expect(t.broker.received).toHaveLength(0);
    expect(await ordersFor(proposal.id)).toBe(0);
  });

  it.each([
    [{ symbol: 'AAPL', side: 'buy', quantity: 0 }, /quantity 0 must be a number > 0/],
    [{ symbol: 'AAPL', side: 'buy', quantity: -5 }, /quantity -5 must be a number > 0/],
    [
      { symbol: 'AAPL', side: 'buy', quantity: 1.5 },
      /quantity 1.5 of AAPL is not a whole multiple of its lot size 1/,
    ],
    [
      { symbol: 'AAPL', side: 'buy', quantity: 1, type: 'limit' },
      /a limit order needs limit_price/,
    ],
    [{ symbol: 'ZZZZ', side: 'buy', quantity: 1 }, /unknown symbol "ZZZZ"/],
    [{ symbol: 'AAPL', side: 'hold', quantity: 1 }, /side "hold" is not valid; use buy or sell/],
    [{ symbol: 'AAPL', side: 'buy' }, /give exactly one of quantity \(shares\) and notional/],
  ])('refuses %j and writes nothing', async (leg, message) => {
    const before = await db.pool.query('SELECT count(*)::int AS n FROM proposals');
    await expect(
      t.orders.propose({
        accountId: 'paper',
        legs: [leg as never],
        proposer: { kind: 'agent' },
        channel: 'mcp',
      }),
    ).rejects.toThrow(message);
    const after = await db.pool.query('SELECT count(*)::int AS n FROM proposals');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('names an unknown account and a proposal id that does not exist', async () => {
    await expect(
      t.orders.propose({
        accountId: 'nope',
        legs: [{ symbol: 'AAPL', side: 'buy', quantity: 1 }],
        proposer: { kind: 'agent' },
        channel: 'mcp',
      }),
    ).rejects.toThrow(/unknown account "nope"; the accounts are other, paper/);
    await expect(t.orders.getProposal('3f1d0c1e-0000-4000-8000-000000000000')).rejects.toThrow(
      NotFoundError,
    );
  });
});

describe('approve: every path to submit needs a human approval of exactly that order', () => {
  it('an approver approves: one order, sent once, with the approval proof', async () => {
    const proposal = await buy(9);
    const outcome = await t.orders.approve(decision(proposal, local));
    expect(outcome.status).toBe('submitted');
    expect(t.broker.received).toHaveLength(1);
    const sent = t.broker.received[0];
    expect(sent?.approval.proposalId).toBe(proposal.id);
    expect(sent?.approval.orderHash).toBe(proposal.orderHash);
    expect(sent?.approval.approvalIds).toHaveLength(1);
    expect(sent?.clientOrderId).toBe(`cs-${proposal.id}-1`);
    expect(sent?.quantity).toBe('9');
    const { rows } = await db.pool.query(
      'SELECT consumed_at FROM approvals WHERE proposal_id = $1',
      [proposal.id],
    );
    expect(rows[0].consumed_at).not.toBeNull();
    expect((await t.orders.getProposal(proposal.id)).status).toBe('submitted');
  });

  it('a replayed approval (the same decision again) is refused and logged; still one order', async () => {
    const proposal = await buy(11);
    await t.orders.approve(decision(proposal, local));
    await expect(t.orders.approve(decision(proposal, local))).rejects.toMatchObject({
      code: 'already_decided',
    });
    expect(t.broker.received).toHaveLength(1);
    expect(await refusals(proposal.id)).toEqual(['already_decided']);
  });

  it('a viewer, an approver of another account, an unknown principal: refused with the reason logged', async () => {
    const proposal = await buy(12);
    await expect(t.orders.approve(decision(proposal, vera))).rejects.toMatchObject({
      code: 'not_approver',
    });
    await expect(t.orders.approve(decision(proposal, otto))).rejects.toMatchObject({
      code: 'not_approver',
    });
    await expect(
      t.orders.approve(decision(proposal, '3f1d0c1e-0000-4000-8000-000000000000')),
    ).rejects.toThrow(/does not hold the approver role for account paper/);
    expect(await refusals(proposal.id)).toEqual(['not_approver', 'not_approver', 'not_approver']);
    expect(t.broker.received).toHaveLength(0);
  });

  it('an expired proposal is refused, marked expired and logged', async () => {
    const proposal = await buy(13);
    t.clock.now = new Date(Date.now() + 16 * 60_000);
    await expect(t.orders.approve(decision(proposal, local))).rejects.toMatchObject({
      code: 'expired',
    });
    expect((await t.orders.getProposal(proposal.id)).status).toBe('expired');
    expect(await refusals(proposal.id)).toEqual(['expired']);
    expect(t.broker.received).toHaveLength(0);
  });

  it('a tampered proposal (a leg changed in the database) cannot be approved', async () => {
    const proposal = await buy(14);
    await db.pool.query('UPDATE proposal_legs SET quantity = 1400 WHERE proposal_id = $1', [
      proposal.id,
    ]);
    const changed = await t.orders.getProposal(proposal.id);
    await expect(t.orders.approve(decision(changed, local))).rejects.toMatchObject({
      code: 'tampered',
    });
    for (const field of [
      "side = 'sell'",
      "symbol = 'KO'",
      "type = 'limit', limit_price = 1",
      "time_in_force = 'gtc'",
    ]) {
      const fresh = await buy(15);
      await db.pool.query(`UPDATE proposal_legs SET ${field} WHERE proposal_id = $1`, [fresh.id]);
      await expect(t.orders.approve(decision(fresh, local))).rejects.toMatchObject({
        code: 'tampered',
      });
    }
    expect(t.broker.received).toHaveLength(0);
  });

  it('an approval bound to another hash (the order shown was not this one) is refused', async () => {
    const proposal = await buy(16);
    const other = await buy(17);
    await expect(
      t.orders.approve(decision(proposal, local, { orderHash: other.orderHash })),
    ).rejects.toMatchObject({ code: 'hash_mismatch' });
    expect(t.broker.received).toHaveLength(0);
  });

  it('the drift guard refuses when the price moved more than 2 %, and allows 2 % exactly', async () => {
    const proposal = await buy(18);
    t.prices.set('AAPL', '132.7');
    await expect(t.orders.approve(decision(proposal, local))).rejects.toThrow(
      /AAPL moved 2\.08 % since it was proposed \(130 → 132\.7\); the limit is 2\.00 %/,
    );
    t.prices.set('AAPL', '132.6');
    await expect(t.orders.approve(decision(proposal, local))).resolves.toMatchObject({
      status: 'submitted',
    });
  });

  it('re-runs the risk rules at approval time and fails closed', async () => {
    await db.pool.query(
      `UPDATE accounts SET risk_limits = risk_limits || '{"restrictedSymbols": ["KO"]}' WHERE id = 'paper'`,
    );
    try {
      const proposal = await buy(10, 'KO');
      await expect(t.orders.approve(decision(proposal, local))).rejects.toMatchObject({
        code: 'risk',
      });
      expect(t.broker.received).toHaveLength(0);
    } finally {
      await db.pool.query(
        `UPDATE accounts SET risk_limits = risk_limits - 'restrictedSymbols' WHERE id = 'paper'`,
      );
    }
  });

  it('the four-eyes rule needs two different approvers above the notional', async () => {
    await db.pool.query("UPDATE accounts SET four_eyes_notional = 1000 WHERE id = 'paper'");
    try {
      const proposal = await buy(100);
      expect(proposal.requiredApprovals).toBe(2);
      const first = await t.orders.approve(decision(proposal, local));
      expect(first.status).toBe('awaiting_second_approval');
      expect(t.broker.received).toHaveLength(0);
      await expect(t.orders.approve(decision(proposal, local))).rejects.toMatchObject({
        code: 'already_approved',
      });
      const second = await t.orders.approve(decision(proposal, bob));
      expect(second.status).toBe('submitted');
      expect(t.broker.received[0]?.approval.approvalIds).toHaveLength(2);
    } finally {
      await db.pool.query("UPDATE accounts SET four_eyes_notional = NULL WHERE id = 'paper'");
    }
  });

  it('a non-human channel is refused', async () => {
    const proposal = await buy(19);
    await expect(
      t.orders.approve(decision(proposal, local, { channel: 'mcp' as never })),
    ).rejects.toMatchObject({ code: 'bad_channel' });
    expect(t.broker.received).toHaveLength(0);
  });

  it('two approvals racing on separate connections make exactly one order', async () => {
    const proposal = await buy(20);
    const results = await Promise.allSettled([
      t.orders.approve(decision(proposal, local)),
      t.orders.approve(decision(proposal, bob)),
      t.orders.approve(decision(proposal, local)),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await ordersFor(proposal.id)).toBe(1);
    expect(t.broker.received).toHaveLength(1);
  });

  it('a broker without an approval proof refuses: the port cannot be used around orders/', async () => {
    await expect(
      t.broker.submit({
        clientOrderId: 'x',
        orderId: 'y',
        accountId: 'paper',
        symbol: 'AAPL',
        side: 'buy',
        quantity: '1',
        type: 'market',
        timeInForce: 'day',
        approval: { proposalId: '', approvalIds: [], orderHash: '' },
      }),
    ).rejects.toThrow(/carries no human approval/);
  });
});

describe('reject, expire, cancel', () => {
  it('a rejection by an approver ends the proposal; nothing is sent; a later approval is refused', async () => {
    const proposal = await buy(21);
    const rejected = await t.orders.reject(decision(proposal, bob, { reason: 'too big' }));
    expect(rejected).toMatchObject({ status: 'rejected', decisionReason: 'too big' });
    await expect(t.orders.approve(decision(proposal, local))).rejects.toMatchObject({
      code: 'already_decided',
    });
    expect(t.broker.received).toHaveLength(0);
  });

  it('the sweeper expires what nobody decided', async () => {
    const proposal = await buy(22);
    t.clock.now = new Date(Date.now() + 20 * 60_000);
    expect(await t.orders.expireDue()).toContain(proposal.id);
    expect((await t.orders.getProposal(proposal.id)).status).toBe('expired');
  });

  it('cancelling a working order is itself a proposal that needs approval', async () => {
    t.broker.mode = 'accept';
    const proposal = await buy(23);
    const outcome = await t.orders.approve(decision(proposal, local));
    if (outcome.status !== 'submitted') throw new Error('expected submitted');
    const order = outcome.orders[0];
    expect(order?.status).toBe('submitted');
    const cancel = await t.orders.proposeCancel({
      orderId: order?.id as string,
      proposer: { kind: 'agent' },
      channel: 'mcp',
    });
    expect(cancel.kind).toBe('cancel');
    expect(t.broker.orders.get(order?.clientOrderId as string)?.status).toBe('accepted');
    await t.orders.approve(decision(cancel, local));
    expect(t.broker.orders.get(order?.clientOrderId as string)?.status).toBe('cancelled');
    const [after] = await t.orders.ordersOf(proposal.id);
    expect(after?.status).toBe('cancelled');
  });
});

describe('events and later fills', () => {
  it('publishes proposal and order events, and a fill that arrives later updates the order', async () => {
    const seen: string[] = [];
    for (const topic of [
      'proposal.created',
      'proposal.approved',
      'order.submitted',
      'order.filled',
    ] as const)
      await t.bus.subscribe(topic, () => {
        seen.push(topic);
      });
    t.broker.mode = 'accept';
    const proposal = await buy(31);
    const outcome = await t.orders.approve(decision(proposal, local));
    if (outcome.status !== 'submitted') throw new Error('expected submitted');
    const order = outcome.orders[0] as { clientOrderId: string; id: string };
    expect(outcome.orders[0]?.status).toBe('submitted');
    // The broker fills it later.
    const state = t.broker.orders.get(order.clientOrderId);
    t.broker.orders.set(order.clientOrderId, {
      ...(state as NonNullable<typeof state>),
      status: 'filled',
      filledQuantity: '31',
      avgFillPrice: '130.5',
    });
    expect(await t.orders.syncOpen()).toBeGreaterThanOrEqual(1);
    const [after] = await t.orders.ordersOf(proposal.id);
    expect(after).toMatchObject({ status: 'filled', filledQuantity: '31', avgFillPrice: '130.5' });
    expect(await t.orders.syncOpen()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual([
      'proposal.created',
      'proposal.approved',
      'order.submitted',
      'order.filled',
    ]);
  });
});

describe('crashes and restarts', () => {
  it('killed between approval and submission: after restart exactly one order exists', async () => {
    t.broker.mode = 'unavailable';
    const proposal = await buy(24);
    await t.orders.approve(decision(proposal, local));
    expect(t.broker.received).toHaveLength(0);
    const [stuck] = await t.orders.ordersOf(proposal.id);
    expect(stuck?.status).toBe('submitting');
    // A new process over the same database.
    t.broker.mode = 'fill';
    const restarted = t.restart();
    expect(await restarted.reconcile()).toMatchObject({ sent: 1 });
    expect(await restarted.reconcile()).toMatchObject({ checked: 0 });
    expect(t.broker.received).toHaveLength(1);
    expect((await restarted.ordersOf(proposal.id))[0]?.status).toBe('filled');
  });

  it('killed after the broker received the order but before the answer: reconcile finds it, sends nothing', async () => {
    t.broker.mode = 'crash_after_send';
    const proposal = await buy(25);
    await t.orders.approve(decision(proposal, local));
    expect(t.broker.received).toHaveLength(1);
    t.broker.mode = 'fill';
    expect(await t.restart().reconcile()).toMatchObject({ updated: 1, sent: 0 });
    expect(t.broker.received).toHaveLength(1);
    expect(await ordersFor(proposal.id)).toBe(1);
  });

  it('reconcile never sends an order row that no consumed human approval covers', async () => {
    // An order row forged straight into the database for a proposal nobody approved.
    const proposal = await buy(29);
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO orders (proposal_id, leg, account_id, client_order_id, broker, symbol, side, quantity, type, time_in_force)
       VALUES ($1, 1, 'paper', $2, 'paper', 'AAPL', 'buy', 29, 'market', 'day') RETURNING id`,
      [proposal.id, `cs-${proposal.id}-1`],
    );
    const result = await t.restart().reconcile();
    expect(result.needsAttention).toBeGreaterThanOrEqual(1);
    expect(t.broker.received).toHaveLength(0);
    const [order] = await t.orders.ordersOf(proposal.id);
    expect(order).toMatchObject({ id: rows[0]?.id, status: 'needs_attention' });
    expect(order?.failureReason).toContain('no consumed human approval matches this order');
  });

  it('a broker rejection marks the order failed with the reason', async () => {
    t.broker.mode = 'reject';
    const proposal = await buy(26);
    const outcome = await t.orders.approve(decision(proposal, local));
    if (outcome.status !== 'submitted') throw new Error('expected submitted');
    expect(outcome.orders[0]).toMatchObject({
      status: 'failed',
      failureReason: 'insufficient buying power (test)',
    });
  });
});

describe('the audit log', () => {
  it('holds every transition and verifies intact', async () => {
    const proposal = await buy(27);
    await t.orders.approve(decision(proposal, local));
    const { rows } = await db.pool.query<{ action: string }>(
      'SELECT action FROM audit_log WHERE entity_id = $1 OR entity_id IN (SELECT id::text FROM orders WHERE proposal_id = $1::uuid) ORDER BY seq',
      [proposal.id],
    );
    expect(rows.map((r) => r.action)).toEqual([
      'proposal.created',
      'proposal.approved',
      'order.submitted',
    ]);
    const report = await verifyAudit(db.pool);
    expect(report.ok).toBe(true);
  });
});

it('a service without a broker for the account leaves the order unsent for reconcile', async () => {
  const { silentLogger } = await import('../config/logger.js');
  const orders = createOrders({
    pool: db.pool,
    bus: t.bus,
    brokers: {},
    prices: t.prices,
    logger: silentLogger(),
  });
  const proposal = await buy(28);
  const outcome = await orders.approve(decision(proposal, local));
  expect(outcome.status).toBe('submitted');
  expect((await orders.ordersOf(proposal.id))[0]?.status).toBe('submitting');
  expect(t.broker.received).toHaveLength(0);
});

describe('short sales and failed orders', () => {
  it('refuses at proposal time a sell of shares not held, naming the quantity held', async () => {
    const proposal = await t.orders.propose({
      accountId: 'paper',
      legs: [{ symbol: 'KO', side: 'sell', quantity: 5 }],
      proposer: { kind: 'principal', principalId: local },
      channel: 'cli',
    });
    const check = (
      proposal.riskResults as { rule: string; passed: boolean; message: string }[]
    ).find((one) => one.rule === 'short_sale');
    expect(check).toMatchObject({ passed: false });
    expect(check?.message).toMatch(
      /selling 5 KO but the account holds 0 KO, so at most 0 can be sold/,
    );
    await expect(t.orders.approve(decision(proposal, local))).rejects.toThrow(/risk checks fail/);
    expect(t.broker.received).toHaveLength(0);
  });

  it('passes the short_sale rule on an account that allows short sales', async () => {
    await db.pool.query("UPDATE accounts SET allow_short = true WHERE id = 'other'");
    const proposal = await t.orders.propose({
      accountId: 'other',
      legs: [{ symbol: 'KO', side: 'sell', quantity: 5 }],
      proposer: { kind: 'agent', name: 'test' },
      channel: 'mcp',
    });
    const check = (proposal.riskResults as { rule: string; passed: boolean }[]).find(
      (one) => one.rule === 'short_sale',
    );
    expect(check?.passed).toBe(true);
  });

  it('a proposal whose order the broker rejects is failed, with the reason, in every listing', async () => {
    const proposal = await buy(2, 'KO');
    t.broker.mode = 'reject';
    const outcome = await t.orders.approve(decision(proposal, local));
    expect(outcome.status).toBe('submitted');
    const stored = await t.orders.getProposal(proposal.id);
    expect(stored.status).toBe('failed');
    expect(stored.failureReason).toBe('insufficient buying power (test)');
    const listed = await t.orders.listProposals({ status: 'failed' });
    expect(listed.map((one) => one.id)).toContain(proposal.id);
    expect(listed.find((one) => one.id === proposal.id)?.failureReason).toBe(
      'insufficient buying power (test)',
    );
    const { rows } = await db.pool.query(
      "SELECT after FROM audit_log WHERE action = 'proposal.failed' AND entity_id = $1",
      [proposal.id],
    );
    expect(rows[0]?.after).toEqual({
      status: 'failed',
      reason: 'insufficient buying power (test)',
    });
    expect((await verifyAudit(db.pool)).ok).toBe(true);
  });
});
