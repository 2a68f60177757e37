/**
 * POST /api/chat over real HTTP (the whole app on a random port, read with fetch as an SSE
 * client would): typed events in order, bearer tokens, threads kept apart per principal and per
 * thread, a client that disconnects mid-tool (the tool is cancelled, the turn still stored whole),
 * and /approve typed in chat: refused for a token without the approve scope, a decision with it.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatEngine } from '../agents/engine.js';
import { loadConfig } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { addPrincipal, testOrders } from '../orders/test-support.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { createApiToken } from '../store/repos/api-tokens-repo.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { createApp } from './app.js';
import { createMetrics } from './metrics.js';

let db: TestDatabase;
let server: http.Server;
let base: string;
let t: ReturnType<typeof testOrders>;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'AAPL.csv.gz'),
    path.join(SAMPLE_DIR, 'MSFT.csv.gz'),
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  t = testOrders(db.pool);
  t.prices.set('MSFT', '230');
  tokens.alice = await createApiToken(db.pool, {
    principal: 'alice',
    role: 'approver',
    scopes: ['read', 'propose', 'approve'],
  });
  await addPrincipal(db.pool, 'alice', [{ role: 'trader', account: 'paper' }]);
  tokens.aliceNoApprove = await createApiToken(db.pool, {
    principal: 'alice',
    scopes: ['read', 'propose'],
  });
  tokens.bob = await createApiToken(db.pool, {
    principal: 'bob',
    role: 'trader',
    scopes: ['read', 'propose'],
  });
  const chat = createChatEngine({ pool: db.pool, orders: t.orders });
  const app = createApp({
    sources: {
      phase: 'ready',
      config: loadConfig({ DATABASE_URL: db.url }, '/'),
      startedAt: Date.now(),
    },
    metrics: createMetrics({ version: '0.1.0', mode: 'external' }),
    logger: silentLogger(),
    api: { pool: db.pool, orders: t.orders, logger: silentLogger(), chat },
  });
  server = createAdaptorServer({ fetch: app.fetch }) as http.Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections?.();
  await new Promise((resolve) => server.close(resolve));
  await db?.drop();
});

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Parses a text/event-stream body into events. */
function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) };
    });
}

async function chat(token: string | undefined, body: unknown) {
  const response = await fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    events: response.status === 200 ? parseSse(text) : [],
    json: response.status === 200 ? undefined : JSON.parse(text),
  };
}

describe('POST /api/chat', () => {
  it('answers a slash command as typed events in order, each data the event itself', async () => {
    const answer = await chat(tokens.alice, { thread: 'main', text: '/quote AAPL' });
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^text\/event-stream/);
    expect(answer.events.map((e) => e.event)).toEqual([
      'tool_started',
      'tool_result',
      'text',
      'done',
    ]);
    for (const one of answer.events) expect(one.data.type).toBe(one.event);
    expect(answer.events[1]?.data).toMatchObject({ tool: 'get_quote', ok: true });
    expect(answer.events[3]?.data).toMatchObject({ thread: 'main', mode: 'slash', tool_calls: 1 });
  });

  it('needs a bearer token and a well-formed body', async () => {
    expect((await chat(undefined, { text: '/help' })).status).toBe(401);
    const empty = await chat(tokens.alice, { text: '' });
    expect(empty.status).toBe(400);
    expect(empty.json.message).toMatch(/text is required/);
    const thread = await chat(tokens.alice, { thread: '../etc', text: '/help' });
    expect(thread.status).toBe(400);
    expect(thread.json.message).toMatch(/thread "..\/etc" is not 1-64/);
  });

  it('keeps threads apart, per thread and per principal', async () => {
    await chat(tokens.alice, { thread: 'one', text: '/quote MSFT' });
    await chat(tokens.alice, { thread: 'two', text: '/quote KO' });
    await chat(tokens.bob, { thread: 'one', text: '/help' });
    const { rows } = await db.pool.query(
      `SELECT p.handle, c.thread, array_agg(m.content ORDER BY m.id) FILTER (WHERE m.role = 'user') AS said
         FROM conversations c JOIN principals p ON p.id = c.principal_id JOIN messages m ON m.conversation_id = c.id
        WHERE c.channel = 'rest' AND c.thread IN ('one', 'two') GROUP BY p.handle, c.thread ORDER BY 1, 2`,
    );
    expect(rows).toEqual([
      { handle: 'alice', thread: 'one', said: ['/quote MSFT'] },
      { handle: 'alice', thread: 'two', said: ['/quote KO'] },
      { handle: 'bob', thread: 'one', said: ['/help'] },
    ]);
    const listed = await fetch(`${base}/api/chat/threads`, {
      headers: { Authorization: `Bearer ${tokens.bob}` },
    });
    const body = (await listed.json()) as { threads: { thread: string }[] };
    const threads = body.threads.map((one) => one.thread);
    expect(threads).toEqual(['one']);
  });

  it('a client that disconnects mid-tool cancels the tool; the turn is still stored whole', async () => {
    const abort = new AbortController();
    const response = await fetch(`${base}/api/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokens.alice}` },
      body: JSON.stringify({
        thread: 'cut',
        text: '/tune sma_cross AAPL,MSFT,KO method=random trials=2000',
      }),
      signal: abort.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let seen = '';
    while (!seen.includes('event: tool_progress')) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    abort.abort();
    // The turn ends on the server: its three messages are written, the tool ended cancelled.
    let stored: { role: string; data: Record<string, unknown> | null }[] = [];
    for (let k = 0; k < 100 && stored.length < 3; k++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stored = (
        await db.pool.query(
          `SELECT m.role, m.data FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE c.thread = 'cut' ORDER BY m.id`,
        )
      ).rows;
    }
    expect(stored.map((m) => m.role)).toEqual(['user', 'tool', 'assistant']);
    expect(stored[1]?.data).toMatchObject({ ok: false });
    const audit = await db.pool.query(
      "SELECT after->>'outcome' AS outcome FROM audit_log WHERE action = 'tool.called' AND entity_id = 'optimize_strategy' ORDER BY seq DESC LIMIT 1",
    );
    expect(audit.rows[0].outcome).toBe('cancelled');
  }, 60_000);

  it('/approve typed in chat decides only with a token holding the approve scope', async () => {
    const made = await chat(tokens.alice, { thread: 'deal', text: '/buy 4 MSFT' });
    const proposal = made.events.find((e) => e.event === 'proposal')?.data as {
      proposal_id: string;
      order_hash_short: string;
    };
    expect(proposal.proposal_id).toBeTruthy();
    const before = t.broker.received.length;
    const refused = await chat(tokens.aliceNoApprove, {
      thread: 'deal',
      text: `/approve ${proposal.proposal_id} ${proposal.order_hash_short}`,
    });
    expect(refused.events.find((e) => e.event === 'error')?.data).toMatchObject({
      code: 'refused',
    });
    expect(t.broker.received).toHaveLength(before);
    const approved = await chat(tokens.alice, {
      thread: 'deal',
      text: `/approve ${proposal.proposal_id}`,
    });
    expect(
      approved.events
        .filter((e) => e.event === 'text')
        .map((e) => e.data.text)
        .join(''),
    ).toMatch(/^Approved by you\. Sent to the broker/);
    expect(t.broker.received).toHaveLength(before + 1);
    const { rows } = await db.pool.query(
      'SELECT channel, evidence FROM approvals WHERE proposal_id = $1',
      [proposal.proposal_id],
    );
    expect(rows[0].channel).toBe('rest');
    expect(rows[0].evidence).toMatchObject({ via: 'chat', surface: 'rest', thread: 'deal' });
  });
});
