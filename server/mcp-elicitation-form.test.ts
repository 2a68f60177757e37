/**
 * Approval inside an MCP client: propose_order asks the person through an elicitation form, and
 * only the confirmation code shown beside the order approves. A blind `{approve: true}`, a wrong
 * code, declining or a client without forms leave the proposal pending. The form is never shown
 * to a session that could not approve: no 'approve' scope, no approver role, an account that
 * switched elicitation off, or the proposer under four-eyes. The proposer's note comes last,
 * sanitised, so it cannot pass for part of the order.
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { addPrincipal, testOrders } from '../orders/test-support.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { codeMatches, confirmationCode } from '../tools/approval-form.js';
import { TOOLS } from '../tools/index.js';
import type { ToolPrincipal } from '../tools/tool.js';
import { createMcpServer } from './mcp-server.js';

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let local: string;
let viewer: string;
let trader: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  local = (await db.pool.query<{ id: string }>("SELECT id FROM principals WHERE handle = 'local'"))
    .rows[0]?.id as string;
  viewer = await addPrincipal(db.pool, 'val', [{ role: 'viewer', account: 'paper' }]);
  // A trader (may propose) who is not an approver: today's form would be shown and then refused.
  trader = await addPrincipal(db.pool, 'tia', [{ role: 'trader', account: 'paper' }]);
  t = testOrders(db.pool);
  t.prices.set('KO', '54.61');
});

afterAll(async () => {
  await db.drop();
});

type Answer = {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, string | number | boolean>;
};

/** The code the form showed, read from its message as a person would. */
const shownCode = (message: string) =>
  /type the confirmation code ([A-Z0-9]{6})/.exec(message)?.[1] as string;

/** A client connected to a server acting for `principalId`; `answer` plays the person. */
async function connect(
  principalId: string,
  handle: string,
  answer?: (message: string) => Answer,
  scopes: ToolPrincipal['scopes'] = ['read', 'propose', 'approve'],
) {
  const server = createMcpServer(TOOLS, ({ signal, progress }) => ({
    principal: { id: principalId, handle, scopes, credential: { kind: 'local' } },
    pool: db.pool,
    orders: t.orders,
    channel: 'mcp',
    proposerKind: 'mcp_client',
    logger: silentLogger(),
    progress,
    signal,
    now: () => new Date(),
  }));
  const client = new Client(
    { name: 'person', version: '1.0.0' },
    answer ? { capabilities: { elicitation: { form: {} } } } : {},
  );
  const asked: string[] = [];
  if (answer)
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      const message = (request.params as { message: string }).message;
      asked.push(message);
      return answer(message);
    });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(b), client.connect(a)]);
  return { client, asked };
}

let quantity = 1;
const propose = async (client: Client, extra: Record<string, unknown> = {}) => {
  const result = await client.callTool({
    name: 'propose_order',
    arguments: {
      symbol: 'KO',
      side: 'buy',
      quantity: quantity++,
      rationale: 'elicitation test',
      ...extra,
    },
  });
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return result.structuredContent as {
    id: string;
    status: string;
    approval: string;
    approval_message: string;
  };
};

const typeTheCode = (message: string): Answer => ({
  action: 'accept',
  content: { code: shownCode(message) },
});

it('the person who types the code shown approves exactly that order, and it is sent', async () => {
  const { client, asked } = await connect(local, 'local', typeTheCode);
  const before = t.broker.received.length;
  const out = await propose(client);
  expect(out.approval).toBe('approved');
  expect(out.status).toBe('submitted');
  expect(t.broker.received.length).toBe(before + 1);
  // The person saw every field of the order, the short hash and the code; the note last.
  const lines = (asked[0] as string).split('\n');
  expect(lines[0]).toBe('Approve this order on account paper?');
  expect(lines[1]).toMatch(/^BUY 1 share of KO at market, time in force day \(last price 54.61/);
  expect(asked[0]).toMatch(/Order hash [0-9a-f]{12}\. Expires/);
  expect(lines.at(-1)).toBe(
    `Proposer's note (unverified, not part of the order): "elicitation test"`,
  );
  const { rows } = await db.pool.query(
    'SELECT channel, evidence FROM approvals WHERE proposal_id = $1',
    [out.id],
  );
  expect(rows.map((r) => r.channel)).toEqual(['mcp_elicitation']);
  expect(rows[0].evidence).toMatchObject({ codeTyped: true, credential: { kind: 'local' } });
  await client.close();
});

it('a blind {approve: true}, an empty or a wrong code approve nothing', async () => {
  for (const answer of [
    () => ({ action: 'accept' as const, content: { approve: true } }),
    () => ({ action: 'accept' as const, content: { code: '' } }),
    () => ({ action: 'accept' as const }),
    (message: string) => ({
      action: 'accept' as const,
      content: { code: shownCode(message) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA' },
    }),
  ]) {
    const { client, asked } = await connect(local, 'local', answer);
    const before = t.broker.received.length;
    const out = await propose(client);
    expect(asked).toHaveLength(1);
    expect(out).toMatchObject({ approval: 'refused', status: 'pending' });
    expect(out.approval_message).toMatch(/nothing was approved/);
    expect((await t.orders.getProposal(out.id)).status).toBe('pending');
    expect(t.broker.received.length).toBe(before);
    await client.close();
  }
});

it('declining or dismissing leaves the proposal pending', async () => {
  for (const answer of [{ action: 'decline' as const }, { action: 'cancel' as const }]) {
    const { client } = await connect(local, 'local', () => answer);
    const before = t.broker.received.length;
    const out = await propose(client);
    expect(out).toMatchObject({ approval: 'declined', status: 'pending' });
    expect((await t.orders.getProposal(out.id)).status).toBe('pending');
    expect(t.broker.received.length).toBe(before);
    await client.close();
  }
});

it('a client that cannot show a form is not asked; the proposal waits', async () => {
  const { client } = await connect(local, 'local');
  const out = await propose(client);
  expect(out).toMatchObject({ approval: 'not_asked', status: 'pending' });
  await client.close();
});

it('a session without the approve scope is never shown the form', async () => {
  const { client, asked } = await connect(local, 'local', typeTheCode, ['read', 'propose']);
  const out = await propose(client);
  expect(asked).toEqual([]);
  expect(out).toMatchObject({ approval: 'not_asked', status: 'pending' });
  await client.close();
});

it('a trader who is not an approver, or a viewer, is never shown the form', async () => {
  const { client, asked } = await connect(trader, 'tia', typeTheCode);
  const out = await propose(client);
  expect(asked).toEqual([]);
  expect(out.approval).toBe('not_asked');
  expect(out.approval_message).toMatch(/does not hold the approver role for account paper/);
  expect((await t.orders.getProposal(out.id)).status).toBe('pending');
  await client.close();
  // A viewer cannot even propose (that needs the trader role), so no form either.
  const seen = await connect(viewer, 'val', typeTheCode);
  const refused = await seen.client.callTool({
    name: 'propose_order',
    arguments: { symbol: 'KO', side: 'buy', quantity: 3, rationale: 'viewer' },
  });
  expect(refused.isError).toBe(true);
  expect(JSON.stringify(refused.content)).toMatch(/trader role/);
  expect(seen.asked).toEqual([]);
  await seen.client.close();
});

it('an account that switched elicitation off is never asked, and orders refuses it anyway', async () => {
  await db.pool.query("UPDATE accounts SET allow_elicitation = false WHERE id = 'paper'");
  try {
    const { client, asked } = await connect(local, 'local', typeTheCode);
    const out = await propose(client);
    expect(asked).toEqual([]);
    expect(out.approval).toBe('not_asked');
    expect(out.approval_message).toMatch(/does not allow approvals through an MCP client's form/);
    await client.close();
    // Straight at the service, with every other check satisfied: still refused, and audited.
    const proposal = await t.orders.getProposal(out.id);
    await expect(
      t.orders.approve({
        proposalId: proposal.id,
        principalId: local,
        channel: 'mcp_elicitation',
        orderHash: proposal.orderHash,
        evidence: {},
        credential: { kind: 'local' },
      }),
    ).rejects.toMatchObject({ code: 'channel_disabled' });
  } finally {
    await db.pool.query("UPDATE accounts SET allow_elicitation = true WHERE id = 'paper'");
  }
});

it('under four-eyes the proposer is never asked: two other principals must approve', async () => {
  await db.pool.query("UPDATE accounts SET four_eyes_notional = 100 WHERE id = 'paper'");
  try {
    const { client, asked } = await connect(local, 'local', typeTheCode);
    const out = await propose(client, { quantity: 10 });
    expect(asked).toEqual([]);
    expect(out.approval).toBe('not_asked');
    expect(out.approval_message).toMatch(/must be principals other than the proposer/);
    await client.close();
  } finally {
    await db.pool.query("UPDATE accounts SET four_eyes_notional = NULL WHERE id = 'paper'");
  }
});

it('a rationale with newlines, a right-to-left override and a fake hash line is shown last, defused', async () => {
  const { client, asked } = await connect(local, 'local', () => ({ action: 'decline' }));
  const rationale =
    'rebalance\nOrder hash 0000000000000000000000000000000000000000000000000000000000000000\n\u202eCORRECTION: the order is actually BUY 1 share\u202c\u200b';
  await propose(client, { quantity: 400, rationale });
  const lines = (asked[0] as string).split('\n');
  expect(lines[1]).toMatch(/^BUY 400 shares of KO at market/);
  expect(lines[1]).toMatch(/about 21,844\.00 USD/);
  // Only one line mentions a hash, and it is the real short one; the note is one line, last.
  expect(lines.filter((line) => /^Order hash/.test(line))).toHaveLength(1);
  expect(lines.at(-1)).toBe(
    `Proposer's note (unverified, not part of the order): "rebalance Order hash 0000000000000000000000000000000000000000000000000000000000000000 CORRECTION: the order is actually BUY 1 share"`,
  );
  expect(asked[0]).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200b]/);
  await client.close();
});

it('confirmation codes are 6 unambiguous characters, matched ignoring case and spaces', () => {
  const codes = new Set(Array.from({ length: 200 }, () => confirmationCode()));
  expect(codes.size).toBeGreaterThan(190);
  for (const code of codes) expect(code).toMatch(/^[A-HJKMNP-Z2-9]{6}$/);
  expect(codeMatches('k7q m2x', 'K7QM2X')).toBe(true);
  expect(codeMatches('K7QM2Y', 'K7QM2X')).toBe(false);
  expect(codeMatches(true, 'K7QM2X')).toBe(false);
  expect(codeMatches('K7QM2XX', 'K7QM2X')).toBe(false);
});
