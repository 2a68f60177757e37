/**
 * `countersign serve` with a Telegram bot, as a user runs it: a real server process whose
 * telegraf talks to a local Bot API server (test/helpers/fake-telegram.ts), updates posted to
 * its /webhooks/telegram. The whole path: link, "/buy 20 MSFT", the card, Approve, the order at
 * the paper broker; a forged update refused; /health reporting the bot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinkCode } from '../../store/repos/chat-links-repo.js';
import { addCliPrincipal } from '../../store/repos/principals-repo.js';
import { dataFolder, freePort, startCli, waitForHealthy } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { type FakeTelegram, startFakeTelegram } from '../helpers/fake-telegram.js';

const SECRET = 'e2e-webhook-secret';
const ALICE = 4242;

describe('countersign serve with TELEGRAM_BOT_TOKEN', () => {
  let db: TestDatabase;
  let api: FakeTelegram;
  let data: Awaited<ReturnType<typeof dataFolder>>;
  let server: ReturnType<typeof startCli>;
  let base: string;
  let update = 9000;

  const post = (body: object, secret = SECRET) =>
    fetch(`${base}/webhooks/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
      body: JSON.stringify({ update_id: update++, ...body }),
    });
  const say = (text: string) =>
    post({
      message: {
        message_id: update,
        date: 1,
        chat: { id: ALICE, type: 'private' },
        from: { id: ALICE, is_bot: false, first_name: 'Alice' },
        text,
      },
    });
  const orders = async () =>
    Number((await db.pool.query('SELECT count(*) AS n FROM orders')).rows[0].n);

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startFakeTelegram();
    data = await dataFolder();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = startCli(['serve'], {
      DATABASE_URL: db.url,
      DATA_DIR: data.dir,
      PORT: String(port),
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: api.url,
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/webhooks/telegram',
      TELEGRAM_WEBHOOK_SECRET: SECRET,
    });
    await waitForHealthy(base, 90_000);
    await addCliPrincipal(db.pool, {
      handle: 'alice',
      roles: ['trader', 'approver'],
      account: 'paper',
    });
  }, 120_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await api?.close();
    await data?.cleanup();
    await db?.drop();
  });

  it('registers its webhook with the secret and reports it in /health', async () => {
    const call = await api.waitFor('setWebhook', () => true, 10_000);
    expect(call.body).toMatchObject({
      url: 'https://bot.example.com/webhooks/telegram',
      secret_token: SECRET,
    });
    const health = (await (await fetch(`${base}/health`)).json()) as {
      components: Record<string, unknown>;
    };
    expect(health.components.telegram).toEqual({ status: 'ok', detail: 'webhook' });
  });

  it('refuses a forged update: no secret, a wrong one; nothing changes', async () => {
    const before = await orders();
    expect((await post({ message: {} }, '')).status).toBe(401);
    expect((await post({ message: {} }, 'not-the-secret')).status).toBe(401);
    expect(await orders()).toBe(before);
    const { rows } = await db.pool.query(
      "SELECT after FROM audit_log WHERE action = 'webhook.refused' ORDER BY seq DESC LIMIT 2",
    );
    expect(rows.map((row) => row.after.why)).toEqual(['wrong secret token', 'no secret token']);
  });

  it('links, proposes "/buy 20 MSFT", and one Approve press sends it to the paper broker', async () => {
    const { code } = await createLinkCode(db.pool, 'alice');
    expect((await say(`/link ${code}`)).status).toBe(200);
    await api.waitFor(
      'sendMessage',
      (c) => String(c.body.text).includes('now acts as alice'),
      10_000,
    );
    const before = await orders();
    await say('/buy 20 MSFT');
    const until = Date.now() + 20_000;
    let card = api.messages(ALICE).find((m) => m.reply_markup?.inline_keyboard?.length);
    while (!card && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
      card = api.messages(ALICE).find((m) => m.reply_markup?.inline_keyboard?.length);
    }
    expect(card?.text).toContain('BUY 20 shares of MSFT at market');
    const data = card?.reply_markup?.inline_keyboard[0]?.[0]?.callback_data;
    expect(data).toMatch(/^a:/);
    const pressed = await post({
      callback_query: {
        id: 'press-1',
        from: { id: ALICE, is_bot: false, first_name: 'Alice' },
        chat_instance: 'ci',
        data,
        message: {
          message_id: card?.message_id,
          date: 1,
          chat: { id: ALICE, type: 'private' },
          text: '',
        },
      },
    });
    expect(pressed.status).toBe(200);
    const answer = await api.waitFor('answerCallbackQuery', () => true, 10_000);
    expect(answer.body.text).toBe('Approved: the order is sent.');
    expect(await orders()).toBe(before + 1);
    const { rows } = await db.pool.query(
      "SELECT o.symbol, o.quantity::text, o.status, a.channel FROM orders o JOIN approvals a ON a.proposal_id = o.proposal_id WHERE o.symbol = 'MSFT'",
    );
    expect(rows[0]).toMatchObject({ symbol: 'MSFT', quantity: '20', channel: 'telegram' });
    const until2 = Date.now() + 10_000;
    while (
      !api
        .messages(ALICE)
        .find((m) => m.message_id === card?.message_id && m.text.includes('APPROVED')) &&
      Date.now() < until2
    )
      await new Promise((r) => setTimeout(r, 20));
    expect(api.messages(ALICE).find((m) => m.message_id === card?.message_id)?.text).toMatch(
      /APPROVED by alice via telegram/,
    );
  });
});
