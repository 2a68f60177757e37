/**
 * The conversation engine's slash path against a real database and a real orders service with a
 * recording broker: tools run through the gate with channel chat, proposals come back as proposal
 * events, /approve decides only for the person who typed it on a surface that can decide, and
 * every turn is kept in the thread's memory.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPrincipal, testOrders } from '../orders/test-support.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import type { ToolPrincipal } from '../tools/tool.js';
import { type ChatEngine, type ChatSurface, createChatEngine } from './engine.js';
import type { ChatEvent } from './events.js';

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let engine: ChatEngine;
let local: ToolPrincipal;

const terminal: ChatSurface = {
  channel: 'cli',
  approval: { channel: 'cli', credential: { kind: 'local' } },
};

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'MSFT.csv.gz'),
    path.join(SAMPLE_DIR, 'AAPL.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  local = {
    id: (rows[0] as { id: string }).id,
    handle: 'local',
    scopes: ['read', 'propose'],
    credential: { kind: 'local' },
  };
  t = testOrders(db.pool);
  t.prices.set('MSFT', '230');
  t.prices.set('AAPL', '130');
  engine = createChatEngine({ pool: db.pool, orders: t.orders });
});

afterAll(async () => {
  await db?.drop();
});

async function say(
  text: string,
  options: { thread?: string; surface?: ChatSurface; principal?: ToolPrincipal } = {},
): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  for await (const event of engine.turn({
    principal: options.principal ?? local,
    surface: options.surface ?? terminal,
    thread: options.thread ?? 'main',
    text,
  }))
    events.push(event);
  return events;
}

const textOf = (events: ChatEvent[]) =>
  events
    .filter((e): e is Extract<ChatEvent, { type: 'text' }> => e.type === 'text')
    .map((e) => e.text)
    .join('\n');

describe('slash commands', () => {
  it('/quote runs get_quote through the gate with channel chat and ends with done', async () => {
    const events = await say('/quote AAPL');
    expect(events.map((e) => e.type)).toEqual(['tool_started', 'tool_result', 'text', 'done']);
    const result = events[1] as Extract<ChatEvent, { type: 'tool_result' }>;
    expect(result).toMatchObject({ tool: 'get_quote', ok: true });
    expect(result.output?.symbol).toBe('AAPL');
    expect(textOf(events)).toMatch(/symbol: AAPL/);
    const done = events.at(-1) as Extract<ChatEvent, { type: 'done' }>;
    expect(done).toMatchObject({ mode: 'slash', tool_calls: 1, thread: 'main' });
    const audit = await db.pool.query(
      "SELECT channel FROM audit_log WHERE action = 'tool.called' AND entity_id = 'get_quote' ORDER BY seq DESC LIMIT 1",
    );
    expect(audit.rows[0]).toEqual({ channel: 'chat' });
  });

  it('/backtest cites the stored backtest id', async () => {
    const events = await say('/backtest sma_cross AAPL fast=10 slow=50 2015-01-01 2020-12-31');
    const result = events.find((e) => e.type === 'tool_result') as Extract<
      ChatEvent,
      { type: 'tool_result' }
    >;
    expect(result.ok).toBe(true);
    expect(result.ids.backtest_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.output?.start).toBe('2015-01-02');
    expect(textOf(events)).toContain(result.ids.backtest_id as string);
  });

  it('a bad argument names the token and shows the usage line; nothing runs', async () => {
    const events = await say('/screen top=ten');
    expect(events.map((e) => e.type)).toEqual(['error', 'done']);
    expect((events[0] as { message: string }).message).toBe(
      'top="ten" is not a number\nusage: /screen [key=value …]',
    );
  });

  it("the tool's own validation answers with the usage line too", async () => {
    const events = await say('/backtest sma_cross AAPL 2015-02-30');
    expect(textOf(events)).toMatch(
      /start .*not a calendar date[\s\S]*usage: \/backtest <strategy>/,
    );
  });

  it('/help lists the commands and /help backtest its arguments', async () => {
    expect(textOf(await say('/help'))).toMatch(/\/quote <symbol>/);
    expect(textOf(await say('/help backtest'))).toMatch(/cash=number \(default 100000\)/);
  });

  it('plain text with no model gets the three closest commands and how to turn the model on', async () => {
    const events = await say('what is my portfolio worth?');
    const text = textOf(events);
    expect(text).toMatch(/model is not available \(no model configured\)/);
    expect(text.split('\n')[1]).toMatch(/^ {2}\/portfolio/);
    expect(text).toMatch(/OLLAMA_HOST/);
    expect(events.at(-1)).toMatchObject({ type: 'done', mode: 'fallback', tool_calls: 0 });
  });
});

describe('proposals and decisions', () => {
  it('/explain of a proposal made in chat shows the turn that proposed it, as quoted text', async () => {
    const events = await say('/buy 4 AAPL', { thread: 'explain' });
    const proposal = events.find((e) => e.type === 'proposal') as Extract<
      ChatEvent,
      { type: 'proposal' }
    >;
    const explained = await say(`/explain ${proposal.proposal_id}`, { thread: 'other' });
    const result = explained.find((e) => e.type === 'tool_result') as Extract<
      ChatEvent,
      { type: 'tool_result' }
    >;
    expect(result).toMatchObject({ tool: 'explain_trade', ok: true });
    const output = result.output as {
      chat_turn: { asked: string; channel: string; thread: string } | null;
      untrusted_text?: { fields: string[] };
    };
    expect(output.chat_turn).toMatchObject({
      asked: '/buy 4 AAPL',
      channel: 'cli',
      thread: 'explain',
    });
    expect(output.untrusted_text?.fields).toContain('chat_turn.asked');
  });

  it('/buy proposes (never places) and the proposal event says it waits for approval', async () => {
    const events = await say('/buy 3 MSFT', { thread: 'trading' });
    const proposal = events.find((e) => e.type === 'proposal') as Extract<
      ChatEvent,
      { type: 'proposal' }
    >;
    expect(proposal.status).toBe('pending');
    expect(proposal.message).toMatch(/^waiting for your approval/);
    expect(proposal.lines.map((line) => line.label)).toContain('Leg 1');
    expect(t.broker.received).toHaveLength(0);
    const { rows } = await db.pool.query(
      'SELECT channel, proposer_kind FROM proposals WHERE id = $1',
      [proposal.proposal_id],
    );
    expect(rows[0]).toEqual({ channel: 'chat', proposer_kind: 'principal' });

    // A surface that cannot decide: refused, nothing approved.
    const blocked = await say(`/approve ${proposal.proposal_id}`, {
      thread: 'trading',
      surface: { channel: 'rest', approval: null },
    });
    expect(textOf(blocked)).toMatch(/cannot take decisions/);
    expect(t.broker.received).toHaveLength(0);

    // The person typed /approve in the thread that showed it: approved with the shown hash.
    const approved = await say(`/approve ${proposal.proposal_id}`, { thread: 'trading' });
    expect(textOf(approved)).toMatch(/^Approved by you\. Sent to the broker as order /);
    expect(t.broker.received).toHaveLength(1);
    const approval = await db.pool.query(
      'SELECT channel, evidence FROM approvals WHERE proposal_id = $1',
      [proposal.proposal_id],
    );
    expect(approval.rows[0].channel).toBe('cli');
    expect(approval.rows[0].evidence).toMatchObject({ via: 'chat', thread: 'trading' });
  });

  it('/approve of a proposal not shown in the thread shows it and asks for its hash', async () => {
    const made = await say('/buy 2 AAPL', { thread: 'elsewhere' });
    const { proposal_id, order_hash_short } = made.find((e) => e.type === 'proposal') as Extract<
      ChatEvent,
      { type: 'proposal' }
    >;
    const before = t.broker.received.length;
    const asked = await say(`/approve ${proposal_id}`, { thread: 'another' });
    expect(asked.map((e) => e.type)).toContain('proposal');
    expect(textOf(asked)).toContain(`/approve ${proposal_id} ${order_hash_short}`);
    expect(t.broker.received).toHaveLength(before);
    const wrong = await say(`/approve ${proposal_id} 000000000000`, { thread: 'another' });
    expect(wrong.find((e) => e.type === 'error')).toMatchObject({ code: 'refused' });
    expect(t.broker.received).toHaveLength(before);
    await say(`/approve ${proposal_id} ${order_hash_short}`, { thread: 'another' });
    expect(t.broker.received).toHaveLength(before + 1);
  });

  it('a viewer typing the right hash is refused by orders; nothing is sent', async () => {
    const viewerId = await addPrincipal(db.pool, 'viewer-chat', [
      { role: 'viewer', account: 'paper' },
    ]);
    const made = await say('/buy 1 AAPL', { thread: 'v' });
    const { proposal_id, order_hash_short } = made.find((e) => e.type === 'proposal') as Extract<
      ChatEvent,
      { type: 'proposal' }
    >;
    const before = t.broker.received.length;
    const viewer: ToolPrincipal = {
      id: viewerId,
      handle: 'viewer-chat',
      scopes: ['read'],
      credential: { kind: 'local' },
    };
    const events = await say(`/approve ${proposal_id} ${order_hash_short}`, {
      thread: 'v',
      principal: viewer,
    });
    expect(events.find((e) => e.type === 'error')).toMatchObject({ code: 'refused' });
    expect(t.broker.received).toHaveLength(before);
    const { rows } = await db.pool.query('SELECT status FROM proposals WHERE id = $1', [
      proposal_id,
    ]);
    expect(rows[0].status).toBe('pending');
  });
});

describe('/explain', () => {
  it('takes a proposal, an order or an imported trade id, and says when none has it', async () => {
    const made = await say('/buy 5 MSFT', { thread: 'explain' });
    const { proposal_id } = made.find((e) => e.type === 'proposal') as { proposal_id: string };
    const approved = await say(`/approve ${proposal_id}`, { thread: 'explain' });
    const orderId = /order ([0-9a-f-]{36})/.exec(textOf(approved))?.[1] as string;
    const byOrder = await say(`/explain ${orderId}`);
    expect(byOrder.filter((e) => e.type === 'tool_result').at(-1)).toMatchObject({
      ok: true,
      output: { proposal_id },
    });
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO imported_trades (trade_date, symbol, side, quantity, price, source_file, source_sha256, line, content_key, note)
       VALUES ('2020-03-02', 'AAPL', 'buy', 3, 75.5, 'old-broker.csv', repeat('a', 64), 2, repeat('b', 32), 'bought the dip')
       RETURNING id`,
    );
    const imported = (rows[0] as { id: string }).id;
    const byImport = await say(`/explain ${imported}`);
    expect(byImport.filter((e) => e.type === 'tool_result').at(-1)).toMatchObject({
      ok: true,
      output: { imported_trade_id: imported },
    });
    const nothing = await say('/explain 00000000-0000-4000-8000-000000000000');
    const tried = nothing.filter((e) => e.type === 'tool_result');
    expect(tried).toHaveLength(3);
    expect(tried.every((e) => (e as { ok: boolean }).ok === false)).toBe(true);
  });
});

describe('memory', () => {
  it('keeps each turn whole per principal, surface and thread, and /new starts another', async () => {
    await say('/quote MSFT', { thread: 'mem' });
    const { rows } = await db.pool.query(
      `SELECT m.role, m.tool_name FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.thread = 'mem' AND c.channel = 'cli' ORDER BY m.id`,
    );
    expect(rows).toEqual([
      { role: 'user', tool_name: null },
      { role: 'tool', tool_name: 'get_quote' },
      { role: 'assistant', tool_name: null },
    ]);
    const fresh = await say('/new research', { thread: 'mem' });
    expect(fresh.at(-1)).toMatchObject({ type: 'done', thread: 'research' });
  });

  it('refuses a bad thread name or empty text with a message, and still ends with done', async () => {
    const events = await say('hello', { thread: 'no spaces allowed' });
    expect(events.map((e) => e.type)).toEqual(['error', 'done']);
    expect((await say('   ')).map((e) => e.type)).toEqual(['error', 'done']);
  });
});
