/** add_note through the tool gate against a real database: attachments, access, refusals, annotations. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPrincipal, testOrders } from '../orders/test-support.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { addNote } from './add-note.js';
import { createToolContext } from './context.js';
import { invokeTool } from './invoke.js';
import type { Tool, ToolPrincipal } from './tool.js';

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let local: ToolPrincipal;
let stranger: ToolPrincipal;
let proposalId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'NVDA.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  local = { id: (rows[0] as { id: string }).id, handle: 'local', scopes: ['read'] };
  stranger = {
    id: await addPrincipal(db.pool, 'stranger', []),
    handle: 'stranger',
    scopes: ['read'],
  };
  t = testOrders(db.pool);
  t.prices.set('NVDA', '500');
  const proposal = await t.orders.propose({
    accountId: 'paper',
    legs: [{ symbol: 'NVDA', side: 'sell', quantity: '1', type: 'market', timeInForce: 'day' }],
    rationale: 'trim',
    proposer: { kind: 'principal', principalId: local.id },
    channel: 'cli',
  } as never);
  proposalId = proposal.id;
});

afterAll(async () => {
  await db?.drop();
});

const call = (args: unknown, principal = local) =>
  invokeTool(
    addNote as unknown as Tool,
    args,
    createToolContext({ principal, pool: db.pool, orders: t.orders, channel: 'mcp' }),
  );

describe('add_note', () => {
  it('stores a note on a symbol with the read scope, and says it is not an instruction', async () => {
    const result = await call({
      text: 'Sold NVDA into earnings: valuation stretched.',
      symbol: 'nvda',
      tags: ['earnings'],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.output).toMatchObject({ symbol: 'NVDA', proposal_id: null, account: null });
    const { rows } = await db.pool.query(
      'SELECT body, tags, principal_id FROM notes WHERE id = $1',
      [result.output.id],
    );
    expect(rows[0]).toEqual({
      body: 'Sold NVDA into earnings: valuation stretched.',
      tags: ['earnings'],
      principal_id: local.id,
    });
  });

  it('attaches to a proposal, taking its account and symbol; someone with no role there is refused', async () => {
    const result = await call({ text: 'Trimmed after the run-up.', proposal_id: proposalId });
    expect(result).toMatchObject({
      ok: true,
      output: { symbol: 'NVDA', proposal_id: proposalId, account: 'paper' },
    });
    const refused = await call({ text: 'not mine', proposal_id: proposalId }, stranger);
    expect(refused).toMatchObject({ ok: false, code: 'forbidden' });
  });

  it('refuses what it cannot store, naming it, and writes nothing', async () => {
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM notes')).rows[0].n;
    expect(await call({ text: '   ' })).toMatchObject({ ok: false, code: 'bad_input' });
    expect(await call({ text: 'x', symbol: 'ZZZZ' })).toMatchObject({
      ok: false,
      message: expect.stringContaining('unknown symbol "ZZZZ"'),
    });
    expect(await call({ text: 'x', order_id: 'nope' })).toMatchObject({
      ok: false,
      message: expect.stringContaining('order_id "nope" is not a uuid'),
    });
    expect(
      await call({ text: 'x', order_id: '00000000-0000-4000-8000-000000000000' }),
    ).toMatchObject({ ok: false, code: 'not_found' });
    expect(await call({ text: 'a'.repeat(8001) })).toMatchObject({ ok: false, code: 'bad_input' });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(before);
  });

  it('is a write to MCP clients (not read-only) that proposes nothing', () => {
    expect(addNote.writes).toBe(false);
    expect(addNote.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
  });
});
