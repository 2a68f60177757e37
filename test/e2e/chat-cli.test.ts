/**
 * `countersign chat` as a real process: one message for scripts (--json), a session typed on a
 * piped stdin (propose, then /approve typed by the person), threads that survive a restart, and
 * plain language answered by a model (the real ollama client and ChatOllama against the Ollama
 * stand-in); with no Ollama, it says so and slash commands still answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.js';

let db: TestDatabase;
let fake: FakeOllama;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeOllama();
  // No Ollama by default: a port nothing listens on.
  env = { DATABASE_URL: db.url, OLLAMA_HOST: `http://127.0.0.1:${await freePort()}` };
});

afterAll(async () => {
  await fake?.close();
  await db?.drop();
});

describe('countersign chat', () => {
  it('answers one slash command as JSON and says the agent is slash-only without Ollama', async () => {
    const run = await runCli(['chat', '--message', '/quote AAPL', '--json'], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `countersign chat: agent slash_only (no Ollama at ${env.OLLAMA_HOST})`,
    );
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ thread: 'main', mode: 'slash' });
    expect(out.tool_calls[0]).toMatchObject({
      tool: 'get_quote',
      ok: true,
      output: { symbol: 'AAPL' },
    });
    expect(out.text).toMatch(/^symbol: AAPL/);
  }, 60_000);

  it('plain text without a model gets the closest commands and how to turn Ollama on', async () => {
    const run = await runCli(['chat', '--message', "what's my portfolio worth?"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/model is not available \(no Ollama at/);
    expect(run.stdout).toMatch(/^ {2}\/portfolio/m);
    expect(run.stdout).toMatch(/ollama pull qwen3:8b/);
  }, 60_000);

  it('a session on stdin: /buy proposes, /approve typed by the person submits it', async () => {
    const cli = startCli(['chat', '--thread', 'desk'], env, { stdin: 'pipe' });
    cli.child.stdin?.write('/buy 2 MSFT\n');
    await cli.waitFor(/waiting for your approval: \/approve ([0-9a-f-]{36})/);
    const id = /waiting for your approval: \/approve ([0-9a-f-]{36})/.exec(
      cli.stdout(),
    )?.[1] as string;
    const pending = await db.pool.query('SELECT status FROM proposals WHERE id = $1', [id]);
    expect(pending.rows[0].status).toBe('pending');
    cli.child.stdin?.write(`/approve ${id}\n`);
    await cli.waitFor(/Approved by you\. Sent to the broker as order/);
    cli.child.stdin?.end();
    expect(await cli.exited).toBe(0);
    const { rows } = await db.pool.query(
      `SELECT p.status, a.channel, a.evidence->>'via' AS via FROM proposals p JOIN approvals a ON a.proposal_id = p.id WHERE p.id = $1`,
      [id],
    );
    expect(rows[0]).toEqual({ status: 'submitted', channel: 'cli', via: 'chat' });
  }, 90_000);

  it('keeps a thread across processes (--thread continues it)', async () => {
    await runCli(['chat', '--thread', 'keep', '--message', '/quote KO'], env);
    await runCli(['chat', '--thread', 'keep', '--message', '/quote JNJ'], env);
    const { rows } = await db.pool.query(
      `SELECT m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.thread = 'keep' AND c.channel = 'cli' AND m.role = 'user' ORDER BY m.id`,
    );
    expect(rows.map((row) => row.content)).toEqual(['/quote KO', '/quote JNJ']);
  }, 90_000);

  it('plain language is answered by the model through the tools when Ollama answers', async () => {
    fake.script([
      { tool_calls: [{ name: 'get_quote', arguments: { symbol: 'KO' } }] },
      (request) => {
        const quote = JSON.parse(
          [...request.messages].reverse().find((m) => m.role === 'tool')?.content ?? '{}',
        );
        return { content: `KO closed at ${quote.price} on ${quote.as_of}.` };
      },
    ]);
    const run = await runCli(['chat', '--message', "what's Coca-Cola trading at?", '--json'], {
      ...env,
      OLLAMA_HOST: fake.url,
    });
    expect(run.stderr).toContain(
      `countersign chat: agent ready (qwen3:8b on Ollama 0.12.0 at ${fake.url})`,
    );
    const out = JSON.parse(run.stdout);
    expect(out.mode).toBe('agent');
    expect(out.tool_calls[0]).toMatchObject({ tool: 'get_quote', ok: true });
    expect(out.text).toBe(
      `KO closed at ${out.tool_calls[0].output.price} on ${out.tool_calls[0].output.as_of}.`,
    );
  }, 60_000);
});
