/**
 * Approval inside an MCP client: propose_order asks the person through an elicitation form when
 * the client can show one. Accepting on an approver's session approves and sends; declining, a
 * client without the form, or a viewer's session leave the proposal pending — never approved.
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
import { TOOLS } from './index.js';
import { createMcpServer } from './mcp-server.js';

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let local: string;
let viewer: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  local = (await db.pool.query<{ id: string }>("SELECT id FROM principals WHERE handle = 'local'"))
    .rows[0]?.id as string;
  viewer = await addPrincipal(db.pool, 'val', [{ role: 'viewer', account: 'paper' }]);
  t = testOrders(db.pool);
  t.prices.set('KO', '54.61');
});

afterAll(async () => {
  await db.drop();
});

/** A client connected to a server acting for `principalId`; `answer` plays the person. */
async function connect(
  principalId: string,
  handle: string,
  answer?: (message: string) => {
    action: 'accept' | 'decline' | 'cancel';
    content?: { approve: boolean };
  },
) {
  const server = createMcpServer(TOOLS, ({ signal, progress }) => ({
    principal: { id: principalId, handle, scopes: ['read', 'propose'] },
    pool: db.pool,
    orders: t.orders,
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
const propose = async (client: Client) => {
  const result = await client.callTool({
    name: 'propose_order',
    arguments: { symbol: 'KO', side: 'buy', quantity: quantity++, rationale: 'elicitation test' },
  });
  expect(result.isError).toBeFalsy();
  return result.structuredContent as {
    id: string;
    status: string;
    approval: string;
    approval_message: string;
  };
};

it('an approver who accepts the form approves exactly that order, and it is sent', async () => {
  const { client, asked } = await connect(local, 'local', () => ({
    action: 'accept',
    content: { approve: true },
  }));
  const before = t.broker.received.length;
  const out = await propose(client);
  expect(out.approval).toBe('approved');
  expect(out.status).toBe('submitted');
  expect(t.broker.received.length).toBe(before + 1);
  // The person saw every field of the order.
  expect(asked[0]).toMatch(/BUY 1 shares of KO at market, time in force day/);
  expect(asked[0]).toMatch(/Rationale: elicitation test/);
  expect(asked[0]).toMatch(/Order hash [0-9a-f]{64}/);
  const { rows } = await db.pool.query('SELECT channel FROM approvals WHERE proposal_id = $1', [
    out.id,
  ]);
  expect(rows.map((r) => r.channel)).toEqual(['mcp_elicitation']);
  await client.close();
});

it('declining, dismissing or unticking leaves the proposal pending', async () => {
  for (const answer of [
    { action: 'decline' as const },
    { action: 'cancel' as const },
    { action: 'accept' as const, content: { approve: false } },
  ]) {
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

it("a viewer's session accepting the form is refused: not an approver, nothing sent", async () => {
  const { client } = await connect(viewer, 'val', () => ({
    action: 'accept',
    content: { approve: true },
  }));
  const before = t.broker.received.length;
  const out = await propose(client);
  expect(out.approval).toBe('refused');
  expect(out.approval_message).toMatch(/does not hold the approver role for account paper/);
  expect((await t.orders.getProposal(out.id)).status).toBe('pending');
  expect(t.broker.received.length).toBe(before);
  await client.close();
});
