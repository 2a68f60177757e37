/**
 * The human channels of the Orders release, as people use them: `countersign proposals`,
 * `approve` and `reject` on the command line, and the REST API with a bearer token from
 * `countersign token create` — against a real server process and a real database.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/env.js';
import { silentLogger } from '../../config/logger.js';
import { createOrdersRuntime } from '../../orders/runtime.js';
import type { Orders } from '../../orders/service.js';
import { MemoryBus } from '../../store/kv/memory-bus.js';
import { importPaths } from '../../store/market-data/import-paths.js';
import {
  type CliProcess,
  freePort,
  runCli,
  startCli,
  waitForHealthy,
  withoutNotices,
} from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR } from '../helpers/fixtures.js';

let db: TestDatabase;
let orders: Orders;
let close: () => Promise<void>;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'AAPL.csv.gz'),
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  const logger = silentLogger();
  const runtime = createOrdersRuntime({
    pool: db.pool,
    bus: new MemoryBus(logger),
    config: loadConfig({ DATABASE_URL: db.url }),
    logger,
  });
  orders = runtime.orders;
  close = () => runtime.close();
});

afterAll(async () => {
  await close();
  await db.drop();
});

let quantity = 1;
const propose = () =>
  orders.propose({
    accountId: 'paper',
    legs: [{ symbol: 'KO', side: 'buy', quantity: quantity++ }],
    proposer: { kind: 'agent', name: 'e2e' },
    channel: 'mcp',
    rationale: 'KO looks cheap',
  });

describe('the command line', () => {
  it('lists pending proposals, approves one as local (filled on the paper broker), rejects another', async () => {
    const first = await propose();
    const second = await propose();
    const env = { DATABASE_URL: db.url };
    const listed = await runCli(['proposals', '--json'], env);
    expect(listed.code).toBe(0);
    const ids = (JSON.parse(listed.stdout).proposals as { id: string }[]).map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining([first.id, second.id]));

    const approved = await runCli(['approve', first.id], env);
    expect(withoutNotices(approved.stderr)).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('BUY 1 share of KO at market');
    expect(approved.stdout).toMatch(/Approved and sent: buy 1 KO → filled at [\d.]+/);
    const [order] = await orders.ordersOf(first.id);
    expect(order?.status).toBe('filled');

    const again = await runCli(['approve', first.id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/refused \(already_decided\): proposal .* is submitted/);

    const noReason = await runCli(['reject', second.id], env);
    expect(noReason.code).not.toBe(0);
    const rejected = await runCli(['reject', second.id, '--reason', 'not today'], env);
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toContain('Rejected: not today');
    expect((await orders.getProposal(second.id)).status).toBe('rejected');
  });

  it('names a proposal that does not exist and a principal without a CLI identity', async () => {
    const env = { DATABASE_URL: db.url };
    const missing = await runCli(['approve', '3f1d0c1e-0000-4000-8000-000000000000'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no proposal with id "3f1d0c1e-0000-4000-8000-000000000000"');
    const proposal = await propose();
    const stranger = await runCli(['approve', proposal.id, '--as', 'mallory'], env);
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toContain('no principal "mallory" with a command-line identity');
  });
});

describe('the REST API', () => {
  let server: CliProcess;
  let url: string;
  let approver: string;
  let viewer: string;

  beforeAll(async () => {
    const env = { DATABASE_URL: db.url };
    const token = async (args: string[]) => {
      const run = await runCli(['token', 'create', ...args], env);
      expect(run.code).toBe(0);
      return run.stdout.trim().split('\n').pop() as string;
    };
    approver = await token([
      '--principal',
      'alice',
      '--role',
      'approver',
      '--account',
      'paper',
      '--scopes',
      'read,approve',
    ]);
    viewer = await token(['--principal', 'victor', '--role', 'viewer', '--account', 'paper']);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = startCli(['serve'], { ...env, PORT: String(port) });
    await waitForHealthy(url);
  }, 120_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
  });

  const call = (method: string, route: string, token?: string, body?: unknown) =>
    fetch(`${url}${route}`, {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });

  it('refuses calls without a valid token', async () => {
    expect((await call('GET', '/api/proposals?status=pending')).status).toBe(401);
    expect((await call('GET', '/api/proposals', 'not-a-real-token-aaaaaaaaaaaaaaaa')).status).toBe(
      401,
    );
  });

  it('lists pending proposals and approves one with the hash it showed', async () => {
    const proposal = await propose();
    const listed = await call('GET', '/api/proposals?status=pending', approver);
    expect(listed.status).toBe(200);
    const shown = (
      (await listed.json()) as { proposals: { id: string; order_hash: string }[] }
    ).proposals.find((p) => p.id === proposal.id);
    expect(shown?.order_hash).toBe(proposal.orderHash);
    const response = await call('POST', `/api/proposals/${proposal.id}/approve`, approver, {
      order_hash: shown?.order_hash,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; orders: { status: string }[] };
    expect(body.status).toBe('submitted');
    expect(body.orders[0]?.status).toBe('filled');
    const replay = await call('POST', `/api/proposals/${proposal.id}/approve`, approver, {
      order_hash: shown?.order_hash,
    });
    expect(replay.status).toBe(409);
    expect(((await replay.json()) as { error: string }).error).toBe('already_decided');
  });

  it('a viewer cannot approve (403, logged), a wrong hash is refused (409), a reject needs the role too', async () => {
    const proposal = await propose();
    const byViewer = await call('POST', `/api/proposals/${proposal.id}/approve`, viewer, {
      order_hash: proposal.orderHash,
    });
    expect(byViewer.status).toBe(403);
    const wrongHash = await call('POST', `/api/proposals/${proposal.id}/approve`, approver, {
      order_hash: 'a'.repeat(64),
    });
    expect(wrongHash.status).toBe(409);
    expect(((await wrongHash.json()) as { error: string }).error).toBe('hash_mismatch');
    const { rows } = await db.pool.query<{ after: { code: string } }>(
      "SELECT after FROM audit_log WHERE entity_id = $1 AND action = 'approval.refused' ORDER BY seq",
      [proposal.id],
    );
    expect(rows.map((r) => r.after.code)).toEqual(['not_approver', 'hash_mismatch']);
    const rejected = await call('POST', `/api/proposals/${proposal.id}/reject`, approver, {
      reason: 'no',
    });
    expect(rejected.status).toBe(200);
    expect((await orders.getProposal(proposal.id)).status).toBe('rejected');
  });

  it('answers 404 for an unknown proposal and 400 for a bad status filter', async () => {
    expect(
      (await call('GET', '/api/proposals/3f1d0c1e-0000-4000-8000-000000000000', approver)).status,
    ).toBe(404);
    expect(
      (await call('POST', '/api/proposals/nope/approve', approver, { order_hash: 'a'.repeat(12) }))
        .status,
    ).toBe(404);
    // Without the hash the person was shown, nothing is decided: 400 before anything else.
    expect((await call('POST', '/api/proposals/nope/approve', approver)).status).toBe(400);
    expect((await call('GET', '/api/proposals?status=maybe', approver)).status).toBe(400);
  });

  it('`countersign audit verify` finds the chain intact', async () => {
    const run = await runCli(['audit', 'verify'], { DATABASE_URL: db.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/audit log intact: \d+ entries/);
  });
});
