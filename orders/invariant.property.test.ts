/**
 * The approval invariant as a property (fast-check) over the real PostgreSQL: random interleavings
 * of proposals, approvals by approvers and by people who are not, approvals with stale or forged
 * hashes or through non-human channels, rejections, tampering with stored orders, the clock
 * passing expiry, price moves, broker outages and process restarts never produce a broker order
 * without a matching, valid human approval, and never two orders for one proposal leg.
 */
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importPaths } from '../store/market-data/import-paths.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { orderHash } from './hash.js';
import { loadProposal } from './repo.js';
import { addPrincipal, testOrders } from './test-support.js';
import type { ApprovalChannel, Proposal } from './types.js';

let db: TestDatabase;
const people: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'AAPL.csv.gz'),
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  await db.pool.query(
    "INSERT INTO cash_ledger (account_id, amount, currency, kind, note) VALUES ('paper', 100000000, 'USD', 'deposit', 'test funds')",
  );
  await db.pool.query("UPDATE accounts SET four_eyes_notional = 20000 WHERE id = 'paper'");
  await db.pool.query(
    "INSERT INTO accounts (id, name, kind, broker) VALUES ('other', 'Other', 'paper', 'paper') ON CONFLICT DO NOTHING",
  );
  people.ann = await addPrincipal(db.pool, 'ann', [{ role: 'approver', account: 'paper' }]);
  people.ben = await addPrincipal(db.pool, 'ben', [{ role: 'approver', account: null }]);
  people.vic = await addPrincipal(db.pool, 'vic', [
    { role: 'viewer', account: 'paper' },
    { role: 'trader', account: 'paper' },
  ]);
  people.oz = await addPrincipal(db.pool, 'oz', [{ role: 'approver', account: 'other' }]);
  people.ghost = '00000000-0000-4000-8000-000000000000';
});

afterAll(async () => {
  await db.drop();
});

type Command =
  | { kind: 'propose'; quantity: number; symbol: 'AAPL' | 'KO'; legs: 1 | 2 }
  | {
      kind: 'approve';
      target: number;
      who: string;
      hash: 'shown' | 'other' | 'forged';
      channel: ApprovalChannel | 'mcp';
    }
  | { kind: 'reject'; target: number; who: string }
  | { kind: 'tamper'; target: number }
  | { kind: 'clock'; minutes: number }
  | { kind: 'price'; symbol: 'AAPL' | 'KO'; percent: number }
  | { kind: 'broker'; mode: 'fill' | 'accept' | 'unavailable' | 'reject' | 'crash_after_send' }
  | { kind: 'restart' }
  | { kind: 'sweep' };

const who = fc.constantFrom('ann', 'ben', 'vic', 'oz', 'ghost');
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('propose' as const),
      quantity: fc.integer({ min: 1, max: 300 }),
      symbol: fc.constantFrom('AAPL' as const, 'KO' as const),
      legs: fc.constantFrom(1 as const, 2 as const),
    }),
  },
  {
    // A plain approval by an approver, as most are.
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('approve' as const),
      target: fc.nat(),
      who: fc.constantFrom('ann', 'ben'),
      hash: fc.constant('shown' as const),
      channel: fc.constantFrom<ApprovalChannel | 'mcp'>('cli', 'api', 'slack'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('approve' as const),
      target: fc.nat(),
      who,
      hash: fc.constantFrom(
        'shown' as const,
        'shown' as const,
        'other' as const,
        'forged' as const,
      ),
      channel: fc.constantFrom<ApprovalChannel | 'mcp'>(
        'cli',
        'api',
        'slack',
        'mcp_elicitation',
        'mcp',
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('reject' as const), target: fc.nat(), who }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tamper' as const), target: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('clock' as const),
      minutes: fc.integer({ min: 1, max: 20 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('price' as const),
      symbol: fc.constantFrom('AAPL' as const, 'KO' as const),
      percent: fc.integer({ min: -4, max: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('broker' as const),
      mode: fc.constantFrom(
        'fill' as const,
        'accept' as const,
        'unavailable' as const,
        'reject' as const,
        'crash_after_send' as const,
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
);

/** Checks the invariant over every proposal this run created. */
async function checkInvariant(
  ids: string[],
  received: {
    clientOrderId: string;
    approval: { proposalId: string; approvalIds: string[]; orderHash: string };
  }[],
) {
  // Never two broker orders for one proposal leg.
  const clientIds = received.map((order) => order.clientOrderId);
  expect(new Set(clientIds).size).toBe(clientIds.length);
  for (const sent of received) {
    const proposal = (await loadProposal(db.pool, sent.approval.proposalId)) as Proposal;
    expect(proposal).toBeDefined();
    // Every order that reached the broker belongs to a proposal that was submitted …
    expect(['submitted', 'needs_attention']).toContain(proposal.status);
    // … under approvals of exactly its hash, by distinct approvers of its account, enough of them.
    expect(sent.approval.orderHash).toBe(proposal.orderHash);
    const { rows } = await db.pool.query<{
      principal_id: string;
      order_hash: string;
      consumed_at: Date | null;
      approver: boolean;
      channel: string;
    }>(
      `SELECT a.principal_id, a.order_hash, a.consumed_at, a.channel,
              EXISTS (SELECT 1 FROM role_grants g WHERE g.principal_id = a.principal_id AND g.role = 'approver'
                        AND (g.account_id IS NULL OR g.account_id = $2)) AS approver
         FROM approvals a WHERE a.id = ANY($1)`,
      [sent.approval.approvalIds, proposal.accountId],
    );
    expect(rows).toHaveLength(sent.approval.approvalIds.length);
    expect(new Set(rows.map((r) => r.principal_id)).size).toBeGreaterThanOrEqual(
      proposal.requiredApprovals,
    );
    for (const row of rows) {
      expect(row.approver).toBe(true);
      expect(row.order_hash).toBe(proposal.orderHash);
      expect(row.consumed_at).not.toBeNull();
      expect(row.channel).not.toBe('mcp');
    }
  }
  // Orders rows: at most one per leg, and only for submitted proposals.
  const { rows: orders } = await db.pool.query<{
    proposal_id: string;
    leg: number;
    status: string;
  }>(
    `SELECT o.proposal_id, o.leg, p.status FROM orders o JOIN proposals p ON p.id = o.proposal_id WHERE o.proposal_id = ANY($1)`,
    [ids],
  );
  const keys = orders.map((o) => `${o.proposal_id}/${o.leg}`);
  expect(new Set(keys).size).toBe(keys.length);
  for (const order of orders) expect(['submitted', 'needs_attention']).toContain(order.status);
}

it('no interleaving sends an order without a valid human approval, or sends one twice', async () => {
  // Guards against a vacuous pass: the runs must both send orders and refuse approvals.
  let sent = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 14 }), async (commands) => {
      const t = testOrders(db.pool);
      t.prices.set('AAPL', '130');
      t.prices.set('KO', '50');
      let orders = t.orders;
      const proposals: Proposal[] = [];
      const pick = (n: number) =>
        proposals.length === 0 ? undefined : proposals[n % proposals.length];
      for (const step of commands) {
        try {
          switch (step.kind) {
            case 'propose': {
              const legs = [{ symbol: step.symbol, side: 'buy' as const, quantity: step.quantity }];
              if (step.legs === 2)
                legs.push({
                  symbol: step.symbol === 'AAPL' ? 'KO' : 'AAPL',
                  side: 'buy',
                  quantity: step.quantity + 1,
                });
              proposals.push(
                await orders.propose({
                  accountId: 'paper',
                  legs,
                  proposer: { kind: 'agent', name: 'fuzz' },
                  channel: 'mcp',
                }),
              );
              break;
            }
            case 'approve': {
              const target = pick(step.target);
              if (!target) break;
              const other = proposals.find((p) => p.id !== target.id);
              const hash =
                step.hash === 'shown'
                  ? target.orderHash
                  : step.hash === 'other'
                    ? (other?.orderHash ?? 'f'.repeat(64))
                    : 'e'.repeat(64);
              await orders.approve({
                proposalId: target.id,
                principalId: people[step.who] as string,
                channel: step.channel as ApprovalChannel,
                orderHash: hash,
                evidence: { fuzz: true },
              });
              break;
            }
            case 'reject': {
              const target = pick(step.target);
              if (!target) break;
              await orders.reject({
                proposalId: target.id,
                principalId: people[step.who] as string,
                channel: 'cli',
                orderHash: target.orderHash,
                evidence: {},
                reason: 'fuzz',
              });
              break;
            }
            case 'tamper': {
              const target = pick(step.target);
              if (target)
                await db.pool.query(
                  'UPDATE proposal_legs SET quantity = quantity + 1 WHERE proposal_id = $1 AND quantity IS NOT NULL',
                  [target.id],
                );
              break;
            }
            case 'clock':
              t.clock.now = new Date(t.clock.now.getTime() + step.minutes * 60_000);
              break;
            case 'price': {
              const base = step.symbol === 'AAPL' ? 130 : 50;
              t.prices.set(step.symbol, String(base * (1 + step.percent / 100)));
              break;
            }
            case 'broker':
              t.broker.mode = step.mode;
              break;
            case 'restart':
              orders = t.restart();
              await orders.reconcile();
              break;
            case 'sweep':
              await orders.expireDue();
              break;
          }
        } catch (error) {
          // Refusals and input errors are expected outcomes; anything else is a bug.
          const name = (error as Error).name;
          if (!['ApprovalRefusedError', 'OrderInputError', 'NotFoundError'].includes(name))
            throw error;
          if (name === 'ApprovalRefusedError') refused += 1;
        }
      }
      // A final restart and reconcile with a healthy broker, as after an outage.
      t.broker.mode = 'fill';
      await t.restart().reconcile();
      await checkInvariant(
        proposals.map((p) => p.id),
        t.broker.received,
      );
      sent += t.broker.received.length;
      // Any proposal whose stored legs no longer hash to its order_hash never reached the broker after the change.
      for (const p of proposals) {
        const now = (await loadProposal(db.pool, p.id)) as Proposal;
        const intact =
          orderHash({
            accountId: now.accountId,
            kind: now.kind,
            cancelOrderId: now.cancelOrderId,
            legs: now.legs,
          }) === now.orderHash;
        if (!intact)
          expect(['pending', 'expired', 'rejected', 'submitted', 'needs_attention']).toContain(
            now.status,
          );
      }
    }),
    { numRuns: 100, seed: 20261121 },
  );
  expect(sent).toBeGreaterThan(20);
  expect(refused).toBeGreaterThan(50);
}, 120_000);
