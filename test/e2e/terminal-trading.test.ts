/**
 * Trading from the terminal as a newcomer does it: `countersign propose` (the propose_order tool,
 * channel cli), a short sale refused at proposal time, an approved order the broker refuses
 * exiting non-zero with the proposal failed in every listing, and four-eyes with a second
 * approver added by `countersign principal add`.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPaths } from '../../store/market-data/import-paths.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR } from '../helpers/fixtures.js';

let db: TestDatabase;
let env: Record<string, string>;
let paperLimits: string;

beforeAll(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url };
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  const { rows } = await db.pool.query(
    "SELECT risk_limits::text AS limits FROM accounts WHERE id = 'paper'",
  );
  paperLimits = rows[0].limits;
});

afterAll(async () => {
  await db.drop();
});

const propose = (...extra: string[]) =>
  runCli(['propose', '--symbol', 'KO', '--rationale', 'terminal test', '--json', ...extra], env);

describe('countersign propose', () => {
  it('proposes through the tool with channel cli and the local principal; nothing is sent', async () => {
    const made = await propose('--side', 'buy', '--quantity', '2');
    expect(made.code).toBe(0);
    const output = JSON.parse(made.stdout);
    expect(output).toMatchObject({ status: 'pending', risk_passed: true });
    const { rows } = await db.pool.query(
      `SELECT p.channel, p.proposer_kind, pr.handle FROM proposals p JOIN principals pr ON pr.id = p.proposed_by WHERE p.id = $1`,
      [output.id],
    );
    expect(rows[0]).toEqual({ channel: 'cli', proposer_kind: 'principal', handle: 'local' });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(0);
    const { rows: audit } = await db.pool.query(
      "SELECT channel FROM audit_log WHERE action = 'tool.called' AND entity_id = 'propose_order'",
    );
    expect(audit.map((row) => row.channel)).toContain('cli');
  });

  it('names a bad flag with exit 2, and shows the proposal in words without --json', async () => {
    const bad = await runCli(
      ['propose', '--symbol', 'KO', '--side', 'hold', '--quantity', '1', '--rationale', 'x'],
      env,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/side must be one of "buy", "sell"/);
    const words = await runCli(
      ['propose', '--symbol', 'KO', '--side', 'buy', '--quantity', '1', '--rationale', 'words'],
      env,
    );
    expect(words.code).toBe(0);
    expect(words.stdout).toMatch(/Leg 1\s+BUY 1 share of KO at market/);
    expect(words.stdout).toMatch(/Proposed by\s+local \(principal via cli\)/);
    expect(words.stdout).toMatch(/countersign approve [0-9a-f-]{36} --hash [0-9a-f]{12}/);
  });

  it('refuses a short sale at proposal time, naming the shares held', async () => {
    const made = await propose('--side', 'sell', '--quantity', '5');
    expect(made.code).toBe(0);
    const output = JSON.parse(made.stdout);
    expect(output.risk_passed).toBe(false);
    expect(output.failed_checks.join(' ')).toMatch(
      /selling 5 KO but the account holds 0 KO, so at most 0 can be sold: this account does not allow short sales/,
    );
    const approve = await runCli(['approve', output.id, '--yes'], env);
    expect(approve.code).toBe(1);
    expect(approve.stderr).toMatch(/refused \(risk\)/);
  }, 60_000);
});

describe('an approved order the broker refuses', () => {
  it('exits non-zero, and the proposal says failed with the reason in every listing', async () => {
    // Risk limits off, so the paper broker is the one to refuse a buy beyond the cash.
    await db.pool.query(
      `UPDATE accounts SET risk_limits = '{"marketHours":"any","maxPriceAgeHours":null,"minCash":null,"maxOrderNotional":null,"maxPositionWeight":null,"maxSectorWeight":null,"maxDailyLoss":null}' WHERE id = 'paper'`,
    );
    const made = JSON.parse((await propose('--side', 'buy', '--quantity', '100000')).stdout);
    const approve = await runCli(['approve', made.id, '--yes'], env);
    expect(approve.code).toBe(1);
    expect(approve.stderr).toMatch(/Approved, but the broker refused it: .*failed/);
    expect(approve.stderr).toMatch(new RegExp(`Proposal ${made.id} is failed`));
    const listed = await runCli(['proposals', '--status', 'failed'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`${made.id} (failed)`);
    expect(listed.stdout).toMatch(/Failed\s+.*cash/);
    const json = JSON.parse((await runCli(['proposals', '--status', 'all', '--json'], env)).stdout);
    const stored = json.proposals.find((one: { id: string }) => one.id === made.id);
    expect(stored.status).toBe('failed');
    expect(stored.failureReason).toMatch(/cash/);
    await db.pool.query("UPDATE accounts SET risk_limits = $1 WHERE id = 'paper'", [paperLimits]);
  }, 60_000);
});

describe('four-eyes from the command line', () => {
  it('a second approver added with principal add completes the approval with --as', async () => {
    const added = await runCli(['principal', 'add', 'bea', '--role', 'approver', '--json'], env);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ principal: 'bea', roles: ['approver'] });
    const bad = await runCli(['principal', 'add', 'bea', '--role', 'boss'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"boss" is not a role: use viewer, trader, approver, admin/);
    await db.pool.query("UPDATE accounts SET four_eyes_notional = 1 WHERE id = 'paper'");
    // Proposed by local; under four-eyes the proposer never counts: bea and cai decide.
    // A quantity no earlier test proposed, so the duplicate-order guard stays quiet.
    const made = JSON.parse((await propose('--side', 'buy', '--quantity', '3')).stdout);
    expect(made).toMatchObject({ required_approvals: 2, risk_passed: true });
    const own = await runCli(['approve', made.id, '--yes'], env);
    expect(own.code).toBe(1);
    expect(own.stderr).toMatch(/refused/);
    const first = await runCli(['approve', made.id, '--yes', '--as', 'bea'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Approved \(1 of 2\)\. This order needs a second approver/);
    await runCli(['principal', 'add', 'cai', '--role', 'approver'], env);
    const second = await runCli(['approve', made.id, '--yes', '--as', 'cai'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/Approved and sent: buy 3 KO → filled/);
    await db.pool.query(`UPDATE accounts SET four_eyes_notional = NULL WHERE id = 'paper'`);
  }, 120_000);
});
