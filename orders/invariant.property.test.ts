/**
 * The approval invariant as a property (fast-check) over the real PostgreSQL: random interleavings
 * of proposals (by an agent or by principals), approvals by approvers and by people who are not,
 * approvals with stale, forged or short hashes, through non-human channels, with bearer tokens
 * with and without the 'approve' scope (revoked, someone else's, none at all), through MCP
 * elicitation while the account allows it or not, by the proposer under four-eyes, rejections,
 * tampering with stored orders, the clock passing expiry, price moves, broker outages and process
 * restarts never produce a broker order without a matching, valid human approval, never accept
 * an approval the rules forbid, and never send two orders for one proposal leg.
 */
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importPaths } from '../store/market-data/import-paths.js';
import { apiTokenId, createApiToken, revokeApiToken } from '../store/repos/api-tokens-repo.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { orderHash, shortHash } from './hash.js';
import { loadProposal } from './repo.js';
import { addPrincipal, testOrders } from './test-support.js';
import type { ApprovalChannel, DecisionCredential, Proposal } from './types.js';

let db: TestDatabase;
const people: Record<string, string> = {};
/** Per person: a live token with the approve scope, a live one without, a revoked one with it. */
const tokens: Record<string, { approve: string; plain: string; revoked: string }> = {};

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
  people.ann = await addPrincipal(db.pool, 'ann', [
    { role: 'approver', account: 'paper' },
    { role: 'trader', account: 'paper' },
  ]);
  people.ben = await addPrincipal(db.pool, 'ben', [{ role: 'approver', account: null }]);
  people.vic = await addPrincipal(db.pool, 'vic', [
    { role: 'viewer', account: 'paper' },
    { role: 'trader', account: 'paper' },
  ]);
  people.oz = await addPrincipal(db.pool, 'oz', [{ role: 'approver', account: 'other' }]);
  people.ghost = '00000000-0000-4000-8000-000000000000';
  for (const handle of ['ann', 'ben', 'vic', 'oz']) {
    const make = async (scopes: ('read' | 'propose' | 'approve')[]) =>
      apiTokenId(await createApiToken(db.pool, { principal: handle, scopes })) as string;
    const revoked = await make(['read', 'propose', 'approve']);
    await revokeApiToken(db.pool, revoked, 'test');
    tokens[handle] = {
      approve: await make(['read', 'propose', 'approve']),
      plain: await make(['read', 'propose']),
      revoked,
    };
  }
  tokens.ghost = {
    approve: 'ffffffffffffffff',
    plain: 'eeeeeeeeeeeeeeee',
    revoked: 'dddddddddddddddd',
  };
});

/** How an approval step authenticates: nothing, the local OS user, or one of these tokens. */
type CredentialChoice = 'none' | 'local' | 'own_approve' | 'own_plain' | 'own_revoked' | 'others';

function credentialFor(choice: CredentialChoice, who: string): DecisionCredential | undefined {
  const own = tokens[who] as { approve: string; plain: string; revoked: string };
  switch (choice) {
    case 'none':
      return undefined;
    case 'local':
      return { kind: 'local' };
    case 'own_approve':
      return { kind: 'api_token', tokenId: own.approve };
    case 'own_plain':
      return { kind: 'api_token', tokenId: own.plain };
    case 'own_revoked':
      return { kind: 'api_token', tokenId: own.revoked };
    case 'others':
      return {
        kind: 'api_token',
        tokenId: (tokens[who === 'ann' ? 'ben' : 'ann'] as { approve: string }).approve,
      };
  }
}

/** What the rules say about this approval before the order's own checks: may it be accepted? */
function credentialAllows(
  channel: string,
  choice: CredentialChoice,
  elicitationAllowed: boolean,
): boolean {
  if (channel === 'rest') return choice === 'own_approve';
  if (channel === 'mcp_elicitation')
    return elicitationAllowed && (choice === 'own_approve' || choice === 'local');
  return true;
}

afterAll(async () => {
  await db.drop();
});

type Command =
  | {
      kind: 'propose';
      quantity: number;
      symbol: 'AAPL' | 'KO';
      legs: 1 | 2;
      by: 'agent' | 'ann' | 'vic';
    }
  | {
      kind: 'approve';
      target: number;
      who: string;
      hash: 'shown' | 'short' | 'other' | 'forged' | 'missing';
      channel: ApprovalChannel | 'mcp';
      credential: CredentialChoice;
    }
  | { kind: 'elicitation'; allowed: boolean }
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
      by: fc.constantFrom('agent' as const, 'agent' as const, 'ann' as const, 'vic' as const),
    }),
  },
  {
    // A plain approval by an approver, as most are.
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('approve' as const),
      target: fc.nat(),
      // 'proposer': whoever proposed the target (ann when an agent did).
      who: fc.constantFrom('ann', 'ben', 'proposer'),
      hash: fc.constantFrom('shown' as const, 'short' as const),
      channel: fc.constantFrom<ApprovalChannel | 'mcp'>('cli', 'rest', 'slack'),
      credential: fc.constantFrom<CredentialChoice>('own_approve', 'local'),
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
        'short' as const,
        'other' as const,
        'forged' as const,
        'missing' as const,
      ),
      channel: fc.constantFrom<ApprovalChannel | 'mcp'>(
        'cli',
        'rest',
        'slack',
        'mcp_elicitation',
        'mcp',
      ),
      credential: fc.constantFrom<CredentialChoice>(
        'none',
        'local',
        'own_approve',
        'own_plain',
        'own_revoked',
        'others',
      ),
    }),
  },
  {
    // An approver through a channel where the credential decides: the right hash, any credential.
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('approve' as const),
      target: fc.nat(),
      who: fc.constantFrom('ann', 'ben'),
      hash: fc.constant('shown' as const),
      channel: fc.constantFrom<ApprovalChannel | 'mcp'>('rest', 'mcp_elicitation'),
      credential: fc.constantFrom<CredentialChoice>(
        'none',
        'local',
        'own_approve',
        'own_plain',
        'own_revoked',
        'others',
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('elicitation' as const), allowed: fc.boolean() }),
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
    // Under four-eyes, the approvers are principals other than the proposer.
    if (proposal.requiredApprovals > 1)
      for (const row of rows) expect(row.principal_id).not.toBe(proposal.proposedBy);
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
  let accepted = 0;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 14 }), async (commands) => {
      const t = testOrders(db.pool);
      t.prices.set('AAPL', '130');
      t.prices.set('KO', '50');
      // Half the runs start with MCP elicitation switched off for the account.
      let elicitation = runs++ % 2 === 0;
      await db.pool.query("UPDATE accounts SET allow_elicitation = $1 WHERE id = 'paper'", [
        elicitation,
      ]);
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
                  proposer:
                    step.by === 'agent'
                      ? { kind: 'agent', name: 'fuzz' }
                      : { kind: 'principal', principalId: people[step.by] as string },
                  channel: 'mcp',
                }),
              );
              break;
            }
            case 'elicitation':
              await db.pool.query("UPDATE accounts SET allow_elicitation = $1 WHERE id = 'paper'", [
                step.allowed,
              ]);
              elicitation = step.allowed;
              break;
            case 'approve': {
              const target = pick(step.target);
              if (!target) break;
              const other = proposals.find((p) => p.id !== target.id);
              const hash =
                step.hash === 'shown'
                  ? target.orderHash
                  : step.hash === 'short'
                    ? shortHash(target.orderHash)
                    : step.hash === 'other'
                      ? (other?.orderHash ?? 'f'.repeat(64))
                      : step.hash === 'missing'
                        ? (undefined as unknown as string)
                        : 'e'.repeat(64);
              const who =
                step.who === 'proposer'
                  ? (Object.keys(people).find((name) => people[name] === target.proposedBy) ??
                    'ann')
                  : step.who;
              const credential = credentialFor(step.credential, who);
              await orders.approve({
                proposalId: target.id,
                principalId: people[who] as string,
                channel: step.channel as ApprovalChannel,
                orderHash: hash,
                evidence: { fuzz: true },
                ...(credential ? { credential } : {}),
              });
              // Accepted: the rules must allow exactly this approval.
              accepted += 1;
              expect(credentialAllows(step.channel, step.credential, elicitation)).toBe(true);
              expect(['shown', 'short']).toContain(step.hash);
              expect(['ann', 'ben']).toContain(who);
              if (target.requiredApprovals > 1) expect(target.proposedBy).not.toBe(people[who]);
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
    { numRuns: 150, seed: 20261121 },
  );
  expect(sent).toBeGreaterThan(20);
  expect(refused).toBeGreaterThan(50);
  expect(accepted).toBeGreaterThan(20);
}, 120_000);
