/**
 * `countersign mcp` as an MCP client starts it: a child process speaking MCP on stdio (through the
 * SDK's own stdio client), with logs on stderr only, against a real database.
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../config/app-info.js';
import { importPaths } from '../../store/market-data/import-paths.js';
import { childEnv } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR } from '../helpers/fixtures.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [path.join(SAMPLE_DIR, 'KO.csv.gz')]);
});

afterAll(async () => {
  await db.drop();
});

it('lists the tools and answers get_quote over stdio; a proposal stays pending', async () => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(PROJECT_ROOT, 'bin', 'countersign.js'), 'mcp'],
    env: childEnv({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' }) as Record<string, string>,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining(['get_quote', 'propose_order']),
    );
    const quote = await client.callTool({ name: 'get_quote', arguments: { symbol: 'KO' } });
    expect(quote.isError).toBeFalsy();
    expect((quote.structuredContent as { symbol: string }).symbol).toBe('KO');
    const proposal = await client.callTool({
      name: 'propose_order',
      arguments: { symbol: 'KO', side: 'buy', quantity: 5, rationale: 'stdio e2e' },
    });
    expect(proposal.isError).toBeFalsy();
    const id = (proposal.structuredContent as { id: string }).id;
    const { rows } = await db.pool.query('SELECT status FROM proposals WHERE id = $1', [id]);
    expect(rows[0]?.status).toBe('pending');
    const { rows: orders } = await db.pool.query('SELECT 1 FROM orders WHERE proposal_id = $1', [
      id,
    ]);
    expect(orders).toHaveLength(0);
  } finally {
    await client.close();
  }
}, 60_000);
