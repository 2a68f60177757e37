/**
 * The approval gate from the command line, as a user runs it: `token create` grants 'approve'
 * only when asked, `accounts set --allow-elicitation` switches the MCP form (audited),
 * `approve --hash` refuses an order other than the one shown, the proposer's note is shown last
 * and defused, and `mcp --scopes` names a bad scope.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/env.js';
import { silentLogger } from '../../config/logger.js';
import { shortHash } from '../../orders/hash.js';
import { createOrdersRuntime } from '../../orders/runtime.js';
import type { Orders } from '../../orders/service.js';
import { MemoryBus } from '../../store/kv/memory-bus.js';
import { importPaths } from '../../store/market-data/import-paths.js';
import { verifyApiToken } from '../../store/repos/api-tokens-repo.js';
import { runCli, withoutNotices } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR } from '../helpers/fixtures.js';

let db: TestDatabase;
let orders: Orders;
let close: () => Promise<void>;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url };
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  const logger = silentLogger();
  const runtime = createOrdersRuntime({
    pool: db.pool,
    bus: new MemoryBus(logger),
    config: loadConfig(env),
    logger,
  });
  orders = runtime.orders;
  close = () => runtime.close();
});

afterAll(async () => {
  await close();
  await db.drop();
});

const lastLine = (text: string) => text.trim().split('\n').pop() as string;

describe('token scopes', () => {
  it("grants 'approve' only when asked; the default token reads only", async () => {
    const plain = await runCli(
      ['token', 'create', '--principal', 'ada', '--role', 'approver'],
      env,
    );
    expect(plain.code).toBe(0);
    expect((await verifyApiToken(db.pool, lastLine(plain.stdout)))?.scopes).toEqual(['read']);
    const approving = await runCli(
      ['token', 'create', '--principal', 'ada', '--scopes', 'read,propose,approve'],
      env,
    );
    expect(approving.code).toBe(0);
    expect(approving.stdout).toMatch(/Scopes: read, propose, approve\./);
    expect((await verifyApiToken(db.pool, lastLine(approving.stdout)))?.scopes).toEqual([
      'read',
      'propose',
      'approve',
    ]);
    const bad = await runCli(['token', 'create', '--principal', 'ada', '--scopes', 'decide'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"decide" is not a scope; use read, propose and approve/);
  });
});

describe('countersign accounts', () => {
  it('lists the paper account allowing the MCP form; set switches it off and on, audited', async () => {
    const listed = await runCli(['accounts', '--json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).accounts).toEqual([
      expect.objectContaining({ id: 'paper', allow_elicitation: true }),
    ]);
    const off = await runCli(['accounts', 'set', 'paper', '--allow-elicitation', 'off'], env);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/now may not approve/);
    const { rows } = await db.pool.query(
      "SELECT allow_elicitation FROM accounts WHERE id = 'paper'",
    );
    expect(rows[0].allow_elicitation).toBe(false);
    const audit = await db.pool.query(
      "SELECT before, after FROM audit_log WHERE action = 'account.updated' ORDER BY seq DESC LIMIT 1",
    );
    expect(audit.rows[0]).toMatchObject({
      before: { allow_elicitation: true },
      after: { allow_elicitation: false },
    });
    expect(
      (await runCli(['accounts', 'set', 'paper', '--allow-elicitation', 'on'], env)).code,
    ).toBe(0);
    const bad = await runCli(['accounts', 'set', 'paper', '--allow-elicitation', 'maybe'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"maybe" is not valid; use on or off/);
    const unknown = await runCli(['accounts', 'set', 'nope', '--allow-elicitation', 'on'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no account "nope"/);
  });
});

describe('countersign approve', () => {
  const propose = (rationale: string, quantity = 3) =>
    orders.propose({
      accountId: 'paper',
      legs: [{ symbol: 'KO', side: 'buy', quantity }],
      proposer: { kind: 'agent', name: 'e2e' },
      channel: 'mcp',
      rationale,
    });

  it('--hash of another order refuses and decides nothing; the right short hash approves', async () => {
    const proposal = await propose('hash test');
    const other = await propose('other', 4);
    const wrong = await runCli(['approve', proposal.id, '--hash', shortHash(other.orderHash)], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/is not this proposal's order hash/);
    expect((await orders.getProposal(proposal.id)).status).toBe('pending');
    const right = await runCli(
      ['approve', proposal.id, '--hash', shortHash(proposal.orderHash)],
      env,
    );
    expect(withoutNotices(right.stderr)).toBe('');
    expect(right.code).toBe(0);
    expect((await orders.getProposal(proposal.id)).status).toBe('submitted');
  });

  it("shows the order from the stored legs and the proposer's note last, on one line, defused", async () => {
    const proposal = await propose(
      'fine\nOrder hash 000000000000\n\u202eCORRECTION: the order is actually BUY 1 share',
      400,
    );
    const run = await runCli(['proposals'], env);
    expect(run.code).toBe(0);
    const block = run.stdout.split('\n\n').find((part) => part.includes(proposal.id)) as string;
    const lines = block.split('\n');
    expect(lines.find((line) => line.startsWith('Leg 1'))).toMatch(
      /BUY 400 shares of KO at market/,
    );
    expect(lines.filter((line) => /Order hash/.test(line))).toHaveLength(2);
    expect(lines.at(-1)).toMatch(
      /^Proposer's note +"fine Order hash 000000000000 CORRECTION: the order is actually BUY 1 share" \(unverified, not part of the order\)$/,
    );
    expect(block).not.toMatch(/[\u202a-\u202e]/);
  });
});

describe('countersign mcp', () => {
  it('names a bad --scopes value and exits 2', async () => {
    const run = await runCli(['mcp', '--scopes', 'read,admin'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/"admin" is not a scope/);
  });
});
