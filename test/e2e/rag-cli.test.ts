/**
 * Retrieval from the terminal as a user meets it: a journal note added with `countersign notes
 * add`, `countersign rag reindex` twice (the second adds nothing), and `/ask` in `countersign
 * chat` finding the note and citing its id, with no model and no vector store (keyword search,
 * said so).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url, OLLAMA_HOST: `http://127.0.0.1:${await freePort()}` };
});

afterAll(async () => {
  await db?.drop();
});

describe('notes, rag reindex and /ask', () => {
  it('finds a note by its words and cites its id; reindexing twice adds nothing', async () => {
    const added = await runCli(
      [
        'notes',
        'add',
        'Sold NVDA: valuation stretched after earnings.',
        '--symbol',
        'NVDA',
        '--json',
      ],
      env,
    );
    expect(added.code, added.stderr).toBe(0);
    const note = JSON.parse(added.stdout) as { id: string; symbol: string };
    expect(note.symbol).toBe('NVDA');

    const first = await runCli(['rag', 'reindex', '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      added: 1,
      vectors: 'pending',
      embedder: 'hash-v1',
    });
    const second = await runCli(['rag', 'reindex', '--json'], env);
    expect(JSON.parse(second.stdout)).toMatchObject({ added: 0, changed: 0, unchanged: 1 });

    const asked = await runCli(['chat', '--message', '/ask why did we sell NVDA?', '--json'], env);
    expect(asked.code, asked.stderr).toBe(0);
    const out = JSON.parse(asked.stdout);
    const call = out.tool_calls[0];
    expect(call).toMatchObject({ tool: 'search_trade_history', ok: true });
    expect(call.output.mode).toBe('keyword');
    expect(call.output.passages[0].cites).toEqual({ note_id: note.id });
    expect(out.text).toContain(note.id);
  }, 90_000);

  it('refuses a note about a symbol with no prices, exit 2, nothing stored', async () => {
    const run = await runCli(['notes', 'add', 'x', '--symbol', 'ZZZZ'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown symbol "ZZZZ"');
  }, 60_000);
});
