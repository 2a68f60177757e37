/**
 * The scripted MCP client of the probe, over real HTTP: an approver's token that answers the
 * elicitation form by itself. Without the 'approve' scope the form is never shown and nothing is
 * approved; with it, a blind {approve: true} still approves nothing; only the typed code does,
 * and the approval records the session's token, which orders checks again.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Hono } from 'hono';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { addPrincipal, testOrders } from '../orders/test-support.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { apiTokenId, createApiToken, revokeApiToken } from '../store/repos/api-tokens-repo.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { type McpRoutes, mcpRoutes } from './mcp-routes.js';

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let server: http.Server;
let routes: McpRoutes;
let base: string;
let plain: string;
let approving: string;
const clients: Client[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  t = testOrders(db.pool);
  t.prices.set('KO', '54.61');
  await addPrincipal(db.pool, 'sam', [
    { role: 'trader', account: 'paper' },
    { role: 'approver', account: 'paper' },
  ]);
  plain = await createApiToken(db.pool, { principal: 'sam', scopes: ['read', 'propose'] });
  approving = await createApiToken(db.pool, {
    principal: 'sam',
    scopes: ['read', 'propose', 'approve'],
  });
  routes = mcpRoutes({ pool: db.pool, orders: t.orders, logger: silentLogger() });
  const app = new Hono();
  app.route('/mcp', routes.app);
  server = createAdaptorServer({ fetch: app.fetch }) as http.Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  await routes.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await db.drop();
});

/** A script that can show forms and answers each one with `answer(message)`. */
async function script(
  token: string,
  answer: (message: string) => { action: 'accept'; content: Record<string, unknown> },
) {
  const client = new Client(
    { name: 'script', version: '1.0.0' },
    { capabilities: { elicitation: { form: {} } } },
  );
  const asked: string[] = [];
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    const message = (request.params as { message: string }).message;
    asked.push(message);
    return answer(message) as never;
  });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(base), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  clients.push(client);
  return { client, asked };
}

let quantity = 1;
const propose = async (client: Client) => {
  const result = await client.callTool({
    name: 'propose_order',
    arguments: { symbol: 'KO', side: 'buy', quantity: quantity++, rationale: 'scripted' },
  });
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return result.structuredContent as { id: string; status: string; approval: string };
};

it('an approver token without the approve scope is never shown the form; nothing is approved', async () => {
  const { client, asked } = await script(plain, () => ({
    action: 'accept',
    content: { approve: true },
  }));
  const before = t.broker.received.length;
  const out = await propose(client);
  expect(asked).toEqual([]);
  expect(out).toMatchObject({ status: 'pending', approval: 'not_asked' });
  expect(t.broker.received.length).toBe(before);
});

it('with the approve scope a blind {approve: true} approves nothing; the typed code does', async () => {
  const blind = await script(approving, () => ({ action: 'accept', content: { approve: true } }));
  const before = t.broker.received.length;
  const refused = await propose(blind.client);
  expect(blind.asked).toHaveLength(1);
  expect(refused).toMatchObject({ status: 'pending', approval: 'refused' });
  expect(t.broker.received.length).toBe(before);

  const typing = await script(approving, (message) => ({
    action: 'accept',
    content: { code: /type the confirmation code ([A-Z0-9]{6})/.exec(message)?.[1] as string },
  }));
  const approved = await propose(typing.client);
  expect(approved).toMatchObject({ status: 'submitted', approval: 'approved' });
  expect(t.broker.received.length).toBe(before + 1);
  const { rows } = await db.pool.query(
    'SELECT channel, evidence FROM approvals WHERE proposal_id = $1',
    [approved.id],
  );
  expect(rows[0]).toMatchObject({
    channel: 'mcp_elicitation',
    evidence: { credential: { kind: 'api_token', tokenId: apiTokenId(approving) } },
  });
});

it('a token revoked while its session is open cannot approve through it', async () => {
  const extra = await createApiToken(db.pool, {
    principal: 'sam',
    scopes: ['read', 'propose', 'approve'],
  });
  const typing = await script(extra, (message) => ({
    action: 'accept',
    content: { code: /type the confirmation code ([A-Z0-9]{6})/.exec(message)?.[1] as string },
  }));
  await revokeApiToken(db.pool, apiTokenId(extra) as string, 'test');
  // The next request with the revoked token is refused at the door.
  await expect(
    typing.client.callTool({
      name: 'propose_order',
      arguments: { symbol: 'KO', side: 'buy', quantity: 2, rationale: 'revoked' },
    }),
  ).rejects.toThrow();
});
