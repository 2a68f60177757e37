/**
 * The real telegraf against a local server speaking the Bot API (test/helpers/fake-telegram.ts),
 * with the real orders service, engine and database. Every refusal is checked with the order
 * count before and after and its audit entry.
 */
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createChatEngine } from '../../agents/engine.js';
import { silentLogger } from '../../config/logger.js';
import { testOrders } from '../../orders/test-support.js';
import { importPaths } from '../../store/market-data/import-paths.js';
import { createLinkCode } from '../../store/repos/chat-links-repo.js';
import { addCliPrincipal } from '../../store/repos/principals-repo.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { type FakeTelegram, startFakeTelegram } from '../../test/helpers/fake-telegram.js';
import { SAMPLE_DIR } from '../../test/helpers/fixtures.js';
import { createDeliveries, type Deliveries } from '../deliveries.js';
import { createTelegramBot, NOT_LINKED, type TelegramBot } from './telegram-bot.js';
import { telegramWebhook } from './webhook.js';

const ALICE = 111; // trader and approver
const BOB = 222; // viewer
const CAROL = 333; // approver
const GROUP = -100500;

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let api: FakeTelegram;
let bot: TelegramBot;
let deliveries: Deliveries;
let ids: Record<string, string>;
let updateId = 1;

const user = (id: number) => ({ id, is_bot: false, first_name: `u${id}` });
const chatOf = (id: number) => ({ id, type: id < 0 ? 'group' : 'private' });

function message(from: number, text: string, chat = from) {
  return {
    update_id: updateId++,
    message: { message_id: updateId, date: 1, chat: chatOf(chat), from: user(from), text },
  } as never;
}

function press(from: number, data: string, chat: number, messageId: number) {
  return {
    update_id: updateId++,
    callback_query: {
      id: `cb${updateId}`,
      from: user(from),
      chat_instance: 'ci',
      data,
      message: { message_id: messageId, date: 1, chat: chatOf(chat), text: '' },
    },
  } as never;
}

const orderCount = async () =>
  Number((await db.pool.query('SELECT count(*) AS n FROM orders')).rows[0].n);

async function lastAudit(action: string) {
  const { rows } = await db.pool.query(
    'SELECT channel, action, after FROM audit_log WHERE action = $1 ORDER BY seq DESC LIMIT 1',
    [action],
  );
  return rows[0];
}

const lastText = (chat: number) => api.messages(chat).at(-1)?.text ?? '';
const cardIn = (chat: number) =>
  api.messages(chat).findLast((m) => m.reply_markup?.inline_keyboard?.length);
const buttonOf = (chat: number, which: 0 | 1 = 0) =>
  cardIn(chat)?.reply_markup?.inline_keyboard[0]?.[which]?.callback_data as string;

/** The newest card in `chat` whose text matches, once it has arrived (a delivery may still be sending). */
async function cardArrives(chat: number, text: string) {
  const until = Date.now() + 5000;
  for (;;) {
    const card = api
      .messages(chat)
      .findLast((m) => m.reply_markup?.inline_keyboard?.length && m.text.includes(text));
    if (card) return card;
    if (Date.now() > until) throw new Error(`no card with ${text} in chat ${chat}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits until `count` copies of the proposal are sent. */
async function copiesSent(proposalId: string, count: number) {
  const until = Date.now() + 8000;
  const sent = async () =>
    Number(
      (
        await db.pool.query(
          'SELECT count(*) AS n FROM proposal_messages WHERE proposal_id = $1 AND message_ref IS NOT NULL',
          [proposalId],
        )
      ).rows[0].n,
    );
  while ((await sent()) < count && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  return sent();
}

async function link(telegramId: number, handle: string) {
  const { code } = await createLinkCode(db.pool, handle);
  await bot.handleUpdate(message(telegramId, `/link ${code}`));
  expect(lastText(telegramId)).toContain(`now acts as ${handle}`);
}

/** A proposal made over MCP by `handle`, once its copies to the approvers (alice, carol) are sent. */
async function proposeAs(handle: string, symbol = 'MSFT', quantity = '3') {
  const proposal = await t.orders.propose({
    accountId: 'paper',
    legs: [{ symbol, side: 'buy', quantity, type: 'market', timeInForce: 'day' }],
    rationale: 'test',
    proposer: { kind: 'mcp_client', principalId: ids[handle] as string },
    channel: 'mcp',
  });
  await copiesSent(proposal.id, 2);
  return proposal;
}

/** The button data and message id of the proposal's copy in `chat`. */
async function copyIn(proposalId: string, chat: number, action: 'a' | 'r' = 'a') {
  const { rows } = await db.pool.query(
    'SELECT id, message_ref FROM proposal_messages WHERE proposal_id = $1 AND chat_ref = $2',
    [proposalId, String(chat)],
  );
  return { data: `${action}:${rows[0]?.id}`, messageId: Number(rows[0]?.message_ref) };
}

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(
    "INSERT INTO instruments (symbol, sector) VALUES ('MSFT', 'Information Technology'), ('AAPL', 'Information Technology'), ('KO', 'Consumer Staples')",
  );
  await importPaths(db.pool, [path.join(SAMPLE_DIR, 'MSFT.csv.gz')]);
  t = testOrders(db.pool);
  for (const [symbol, price] of Object.entries({ MSFT: '250.00', AAPL: '130.00', KO: '50.00' }))
    t.prices.set(symbol, price);
  ids = {};
  for (const [handle, roles] of [
    ['alice', ['trader', 'approver']],
    ['bob', ['viewer']],
    ['carol', ['approver']],
  ] as const)
    ids[handle] = (
      await addCliPrincipal(db.pool, { handle, roles: [...roles], account: 'paper' })
    ).principalId;
  api = await startFakeTelegram();
  const engine = createChatEngine({ pool: db.pool, orders: t.orders });
  bot = createTelegramBot({
    token: api.token,
    apiRoot: api.url,
    pool: db.pool,
    orders: t.orders,
    engine,
    logger: silentLogger(),
  });
  deliveries = createDeliveries({
    pool: db.pool,
    orders: t.orders,
    bus: t.bus,
    channels: [bot.channel],
    logger: silentLogger(),
  });
  bot.useDeliveries(deliveries);
  await deliveries.start();
  await link(ALICE, 'alice');
  await link(BOB, 'bob');
  await link(CAROL, 'carol');
}, 60_000);

afterAll(async () => {
  await deliveries?.stop();
  await api?.close();
  await db?.drop();
});

beforeEach(() => {
  t.clock.now = new Date();
  t.prices.set('MSFT', '250.00');
});

describe('telegram: linking', () => {
  it('tells an unlinked user how to link and shows no data', async () => {
    await bot.handleUpdate(message(444, '/portfolio'));
    expect(lastText(444)).toBe(NOT_LINKED);
    expect(api.messages(444)).toHaveLength(1);
  });

  it('takes a code once, and not after 10 minutes', async () => {
    const { code } = await createLinkCode(db.pool, 'bob');
    await bot.handleUpdate(message(555, `/link ${code.toLowerCase()}`));
    expect(lastText(555)).toContain('now acts as bob');
    await bot.handleUpdate(message(556, `/link ${code}`));
    expect(lastText(556)).toMatch(/used already/);
    const old = await createLinkCode(db.pool, 'bob', new Date(Date.now() - 11 * 60_000));
    await bot.handleUpdate(message(557, `/link ${old.code}`));
    expect(lastText(557)).toMatch(/expired/);
    expect((await lastAudit('link_code.refused'))?.after).toMatchObject({ why: 'expired' });
  });
});

describe('telegram: "/buy 20 MSFT" to a fill', () => {
  it('shows the proposal with buttons, approves on a press, edits the message, and refuses a second press', async () => {
    const before = await orderCount();
    await bot.handleUpdate(message(ALICE, '/buy 20 MSFT'));
    const card = await cardArrives(ALICE, '20 shares of MSFT');
    expect(card?.text).toMatch(/^Approve this order on account paper\? \(hash [0-9a-f]{12}\)/);
    expect(card?.text).toContain('BUY 20 shares of MSFT at market');
    expect(card?.text).toContain('last price 250 USD; about 5,000.00 USD');
    expect(card?.reply_markup?.inline_keyboard[0]?.map((b) => b.text)).toEqual([
      'Approve',
      'Reject',
    ]);
    // Delivered once although alice is both the proposer in this chat and an approver.
    expect(api.messages(ALICE).filter((m) => m.reply_markup?.inline_keyboard?.length)).toHaveLength(
      1,
    );
    const data = buttonOf(ALICE);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);

    await bot.handleUpdate(press(ALICE, data, ALICE, card?.message_id as number));
    expect(await orderCount()).toBe(before + 1);
    expect(t.broker.received.at(-1)).toMatchObject({ symbol: 'MSFT', side: 'buy', quantity: '20' });
    const answered = api.calls.filter((c) => c.method === 'answerCallbackQuery').at(-1);
    expect(answered?.body.text).toBe('Approved: the order is sent.');
    const edited = api.messages(ALICE).find((m) => m.message_id === card?.message_id);
    expect(edited?.text).toMatch(/APPROVED by alice via telegram at /);
    expect(edited?.reply_markup?.inline_keyboard ?? []).toEqual([]);
    const approval = await db.pool.query(
      "SELECT channel, evidence FROM approvals WHERE decision = 'approve' ORDER BY created_at DESC LIMIT 1",
    );
    expect(approval.rows[0]).toMatchObject({
      channel: 'telegram',
      evidence: { user: String(ALICE), chat_id: ALICE },
    });

    await bot.handleUpdate(press(ALICE, data, ALICE, card?.message_id as number));
    expect(await orderCount()).toBe(before + 1);
    expect(api.calls.filter((c) => c.method === 'answerCallbackQuery').at(-1)?.body.text).toMatch(
      /^Refused: /,
    );
    expect((await lastAudit('approval.refused'))?.channel).toBe('telegram');
  });
});

describe('telegram: refused presses', () => {
  it('refuses a press by an unlinked user, by someone else in a group, and by a viewer', async () => {
    const proposal = await proposeAs('alice');
    await deliveries.sendTo(proposal, 'telegram', String(GROUP), ids.alice as string);
    const { data, messageId } = await copyIn(proposal.id, GROUP);
    const before = await orderCount();

    await bot.handleUpdate(press(777, data, GROUP, messageId));
    expect((await lastAudit('approval.refused'))?.after).toMatchObject({
      why: 'unlinked',
      user: '777',
    });
    await bot.handleUpdate(press(CAROL, data, GROUP, messageId));
    expect((await lastAudit('approval.refused'))?.after).toMatchObject({ why: 'not_addressee' });
    expect(api.calls.filter((c) => c.method === 'answerCallbackQuery').at(-1)?.body.text).toMatch(
      /sent to alice/,
    );

    // A copy addressed to the viewer (as the proposer's chat would be): orders refuses the role.
    await deliveries.sendTo(proposal, 'telegram', String(BOB), ids.bob as string);
    const bobs = await copyIn(proposal.id, BOB);
    await bot.handleUpdate(press(BOB, bobs.data, BOB, bobs.messageId));
    expect(api.calls.filter((c) => c.method === 'answerCallbackQuery').at(-1)?.body.text).toMatch(
      /^Refused: .*approver/i,
    );
    expect(await orderCount()).toBe(before);
    expect((await t.orders.getProposal(proposal.id)).status).toBe('pending');
  });

  it('refuses a press after expiry and after the price moved beyond the drift guard', async () => {
    const late = await proposeAs('alice', 'KO', '4');
    t.prices.set('MSFT', '250.00');
    const moved = await proposeAs('alice', 'MSFT', '2');
    const before = await orderCount();

    t.prices.set('MSFT', '275.00');
    const movedCopy = await copyIn(moved.id, CAROL);
    await bot.handleUpdate(press(CAROL, movedCopy.data, CAROL, movedCopy.messageId));
    expect(api.calls.filter((c) => c.method === 'answerCallbackQuery').at(-1)?.body.text).toMatch(
      /^Refused: .*(moved|drift)/i,
    );

    t.clock.now = new Date(Date.now() + 3600_000);
    const lateCopy = await copyIn(late.id, CAROL);
    await bot.handleUpdate(press(CAROL, lateCopy.data, CAROL, lateCopy.messageId));
    expect(api.calls.filter((c) => c.method === 'answerCallbackQuery').at(-1)?.body.text).toMatch(
      /^Refused: .*expired/i,
    );
    expect(await orderCount()).toBe(before);
  });

  it('handles a duplicated update once', async () => {
    const proposal = await proposeAs('alice', 'AAPL', '1');
    const copy = await copyIn(proposal.id, CAROL, 'r');
    const update = press(CAROL, copy.data, CAROL, copy.messageId);
    const answers = () => api.calls.filter((c) => c.method === 'answerCallbackQuery').length;
    const before = answers();
    await bot.handleUpdate(update);
    await bot.handleUpdate(update);
    expect(answers()).toBe(before + 1);
    expect((await t.orders.getProposal(proposal.id)).status).toBe('rejected');
  });
});

describe('telegram: delivery', () => {
  it('sends a proposal made over MCP to every approver, and edits every copy when it is decided', async () => {
    const proposal = await proposeAs('alice', 'KO', '7');
    const copies = await db.pool.query(
      'SELECT chat_ref FROM proposal_messages WHERE proposal_id = $1 ORDER BY chat_ref',
      [proposal.id],
    );
    expect(copies.rows.map((r) => r.chat_ref)).toEqual([String(ALICE), String(CAROL)]);
    const copy = await copyIn(proposal.id, CAROL);
    await bot.handleUpdate(press(CAROL, copy.data, CAROL, copy.messageId));
    for (const chat of [ALICE, CAROL]) {
      const copy = api.messages(chat).find((m) => m.text.includes('7 shares of KO'));
      expect(copy?.text).toContain('APPROVED by carol via telegram');
      expect(copy?.reply_markup?.inline_keyboard ?? []).toEqual([]);
    }
  });

  it('waits out a 429 and sends the message', async () => {
    api.failNext('sendMessage', {
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      retry_after: 1,
    });
    const proposal = await proposeAs('alice', 'KO', '9');
    expect(await copiesSent(proposal.id, 2)).toBe(2);
    // The refused call and its retry, to the same chat, at least retry_after apart.
    const tries = api.calls.filter(
      (c) => c.method === 'sendMessage' && String(c.body.text).includes('9 shares of KO'),
    );
    expect(tries).toHaveLength(3);
    const [first, ,] = tries;
    const retry = tries.slice(1).find((c) => c.body.chat_id === first?.body.chat_id);
    expect((retry?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
    for (const chat of [ALICE, CAROL])
      expect(api.messages(chat).filter((m) => m.text.includes('9 shares of KO'))).toHaveLength(1);
  });
});

describe('telegram: webhook', () => {
  it('refuses an update without the right secret, and hands on one with it', async () => {
    const handled: unknown[] = [];
    const app = telegramWebhook({
      pool: db.pool,
      secret: 's3cret-token',
      logger: silentLogger(),
      handle: async (u) => void handled.push(u),
    });
    const before = await orderCount();
    const post = (headers: Record<string, string>) =>
      app.request('/', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(message(ALICE, '/buy 1 MSFT')),
      });
    expect((await post({})).status).toBe(401);
    expect((await lastAudit('webhook.refused'))?.after).toEqual({ why: 'no secret token' });
    expect((await post({ 'x-telegram-bot-api-secret-token': 's3cret-tokem' })).status).toBe(401);
    expect((await lastAudit('webhook.refused'))?.after).toEqual({ why: 'wrong secret token' });
    expect(handled).toHaveLength(0);
    expect((await post({ 'x-telegram-bot-api-secret-token': 's3cret-token' })).status).toBe(200);
    expect(handled).toHaveLength(1);
    expect(await orderCount()).toBe(before);
  });
});

describe('telegram: long polling', () => {
  it('answers updates fetched with getUpdates when no webhook URL is set', async () => {
    const polling = await startFakeTelegram();
    const engine = createChatEngine({ pool: db.pool, orders: t.orders });
    const other = createTelegramBot({
      token: polling.token,
      apiRoot: polling.url,
      pool: db.pool,
      orders: t.orders,
      engine,
      logger: silentLogger(),
    });
    try {
      await other.start({});
      expect(other.status()).toBe('polling');
      polling.queueUpdate({
        update_id: 70001,
        message: { message_id: 1, date: 1, chat: chatOf(888), from: user(888), text: '/start' },
      });
      await polling.waitFor('sendMessage', (c) => String(c.body.chat_id) === '888');
      expect(polling.messages(888)[0]?.text).toBe(NOT_LINKED);
    } finally {
      await other.stop();
      await polling.close();
    }
  });
});

describe('telegram: four-eyes', () => {
  it('shows "1 of 2 approvals" after the first press and sends on the second approver', async () => {
    const DAVE = 444_001;
    ids.dave = (
      await addCliPrincipal(db.pool, { handle: 'dave', roles: ['approver'], account: 'paper' })
    ).principalId;
    await link(DAVE, 'dave');
    await db.pool.query("UPDATE accounts SET four_eyes_notional = 1000 WHERE id = 'paper'");
    try {
      const proposal = await t.orders.propose({
        accountId: 'paper',
        legs: [{ symbol: 'MSFT', side: 'buy', quantity: 10 }],
        rationale: 'four eyes',
        proposer: { kind: 'mcp_client', principalId: ids.alice as string },
        channel: 'mcp',
      });
      expect(proposal.requiredApprovals).toBe(2);
      // The approvers other than the proposer: carol and dave.
      expect(await copiesSent(proposal.id, 2)).toBe(2);
      const copies = await db.pool.query(
        'SELECT chat_ref FROM proposal_messages WHERE proposal_id = $1 ORDER BY chat_ref',
        [proposal.id],
      );
      expect(copies.rows.map((r) => r.chat_ref)).toEqual([String(CAROL), String(DAVE)]);
      const before = await orderCount();
      const carol = await copyIn(proposal.id, CAROL);
      await bot.handleUpdate(press(CAROL, carol.data, CAROL, carol.messageId));
      expect(api.calls.filter((c) => c.method === 'answerCallbackQuery').at(-1)?.body.text).toBe(
        'Approved: one more approval is needed.',
      );
      expect(await orderCount()).toBe(before);
      for (const chat of [CAROL, DAVE]) {
        const copy = api
          .messages(chat)
          .find(
            (m) =>
              m.message_id === (chat === CAROL ? carol.messageId : undefined) ||
              (chat === DAVE && m.text.includes('10 shares of MSFT')),
          );
        expect(copy?.text).toContain('1 of 2 approvals');
      }
      const dave = await copyIn(proposal.id, DAVE);
      await bot.handleUpdate(press(DAVE, dave.data, DAVE, dave.messageId));
      expect(api.calls.filter((c) => c.method === 'answerCallbackQuery').at(-1)?.body.text).toBe(
        'Approved: the order is sent.',
      );
      expect(await orderCount()).toBe(before + 1);
    } finally {
      await db.pool.query("UPDATE accounts SET four_eyes_notional = NULL WHERE id = 'paper'");
    }
  });
});

describe('telegram: charts', () => {
  it('sends a backtest with its equity and drawdown chart as a PNG', async () => {
    await bot.handleUpdate(message(ALICE, '/backtest sma_cross MSFT fast=10 slow=50'));
    const photo = await api.waitFor('sendPhoto', (c) => String(c.body.chat_id) === String(ALICE));
    const file = photo.body.photo as { file_bytes: number; head: string };
    expect(file.head.startsWith('\x89PNG')).toBe(true);
    expect(file.file_bytes).toBeGreaterThan(10_000);
    expect(String(photo.body.caption)).toMatch(/sma_cross on MSFT/);
  });
});

describe('telegram: expiry', () => {
  it('edits every copy to EXPIRED, buttons gone, when the proposal expires', async () => {
    const proposal = await proposeAs('alice', 'KO', '13');
    t.clock.now = new Date(Date.now() + 3600_000);
    expect(await t.orders.expireDue()).toContain(proposal.id);
    for (const chat of [ALICE, CAROL]) {
      const { messageId } = await copyIn(proposal.id, chat);
      const end = Date.now() + 5000;
      const copy = () => api.messages(chat).find((m) => m.message_id === messageId);
      while (!copy()?.text.includes('EXPIRED') && Date.now() < end)
        await new Promise((r) => setTimeout(r, 10));
      expect(copy()?.text).toMatch(/EXPIRED at .* without a decision\. Nothing was sent\./);
      expect(copy()?.reply_markup?.inline_keyboard ?? []).toEqual([]);
    }
  });
});
