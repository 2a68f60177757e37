/**
 * `countersign serve` with a Telegram bot and a Slack app, as a user runs it: a real server
 * process whose telegraf and Bolt talk to local servers speaking the Bot API and the Slack Web
 * API (test/helpers/fake-telegram.ts, fake-slack.ts), updates posted to its /webhooks/telegram
 * and signed requests to /slack/events. The whole path: link, "/buy 20 MSFT", the card, Approve,
 * the order at the paper broker; a proposal made in one app approved from the other; forged
 * requests refused; /health reporting both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinkCode } from '../../store/repos/chat-links-repo.js';
import { addCliPrincipal } from '../../store/repos/principals-repo.js';
import { dataFolder, freePort, startCli, waitForHealthy } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { type FakeSlack, slackSignature, startFakeSlack } from '../helpers/fake-slack.js';
import { type FakeTelegram, startFakeTelegram } from '../helpers/fake-telegram.js';

const SECRET = 'e2e-webhook-secret';
const SLACK_SECRET = 'e2eslacksigningsecret0123';
const ALICE = 4242;

describe('countersign serve with TELEGRAM_BOT_TOKEN and SLACK_BOT_TOKEN', () => {
  let db: TestDatabase;
  let api: FakeTelegram;
  let slack: FakeSlack;
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
    slack = await startFakeSlack();
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
      SLACK_BOT_TOKEN: 'xoxb-e2e-token',
      SLACK_SIGNING_SECRET: SLACK_SECRET,
      SLACK_API_URL: slack.url,
    });
    await waitForHealthy(base, 90_000);
    await addCliPrincipal(db.pool, {
      handle: 'alice',
      roles: ['trader', 'approver'],
      account: 'paper',
    });
    await addCliPrincipal(db.pool, { handle: 'carol', roles: ['approver'], account: 'paper' });
  }, 120_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await api?.close();
    await slack?.close();
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
    expect(health.components.slack).toEqual({ status: 'ok', detail: 'webhook' });
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
    const { rows: who } = await db.pool.query("SELECT id FROM principals WHERE handle = 'alice'");
    await db.pool.query(
      `INSERT INTO alerts (principal_id, account_id, condition, action, channel, cooldown_s)
       VALUES ($1, 'paper', '{"kind": "fill", "account": "paper"}', 'notify', 'telegram', 60)`,
      [who[0].id],
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
    // The paper fill reaches her as an alert.
    const fill = await api.waitFor(
      'sendMessage',
      (c) => String(c.body.text).startsWith('Fill: buy 20 MSFT'),
      20_000,
    );
    expect(String(fill.body.chat_id)).toBe(String(ALICE));
  });

  const slackPost = (body: object, form = false) => {
    const raw = form
      ? new URLSearchParams({ payload: JSON.stringify(body) }).toString()
      : JSON.stringify(body);
    return fetch(`${base}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
        ...slackSignature(SLACK_SECRET, raw),
      },
      body: raw,
    });
  };

  it('delivers a proposal made in Telegram to an approver in Slack, whose press sends it; the Telegram copy shows who decided', async () => {
    const { code } = await createLinkCode(db.pool, 'carol');
    const linked = await slackPost({
      type: 'event_callback',
      team_id: 'T0TEAM',
      event_id: 'Ev-link',
      event: {
        type: 'message',
        channel_type: 'im',
        user: 'UCAROL',
        text: `/link ${code}`,
        channel: 'DUCAROL',
        ts: '1.1',
      },
    });
    expect(linked.status).toBe(200);
    await slack.waitFor(
      'chat.postMessage',
      (c) => String(c.body.text).includes('now acts as carol'),
      10_000,
    );
    const forged = await fetch(`${base}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...slackSignature('wrong-secret-entirely', '{}'),
      },
      body: '{}',
    });
    expect(forged.status).toBe(401);

    const before = await orders();
    await say('/buy 3 MSFT');
    const card = await slack.waitFor(
      'chat.postMessage',
      (c) => c.body.channel === 'UCAROL' && String(c.body.text).includes('BUY 3 shares of MSFT'),
      20_000,
    );
    const blocks = card.body.blocks as {
      type: string;
      elements?: { action_id: string; value: string }[];
    }[];
    const approve = blocks
      .find((b) => b.type === 'actions')
      ?.elements?.find((e) => e.action_id === 'approve');
    const posted = slack.messages('DUCAROL').find((m) => m.text.includes('BUY 3 shares of MSFT'));
    const pressed = await slackPost(
      {
        type: 'block_actions',
        trigger_id: 'trigger-e2e',
        user: { id: 'UCAROL', team_id: 'T0TEAM' },
        team: { id: 'T0TEAM' },
        channel: { id: 'DUCAROL' },
        container: { type: 'message', channel_id: 'DUCAROL', message_ts: posted?.ts },
        actions: [
          { type: 'button', action_id: 'approve', value: approve?.value, action_ts: '2.2' },
        ],
      },
      true,
    );
    expect(pressed.status).toBe(200);
    const told = await slack.waitFor('chat.postEphemeral', (c) => c.body.user === 'UCAROL', 10_000);
    expect(told.body.text).toBe('Approved: the order is sent.');
    expect(await orders()).toBe(before + 1);
    const until = Date.now() + 10_000;
    const telegramCopy = () =>
      api.messages(ALICE).find((m) => m.text.includes('BUY 3 shares of MSFT'));
    while (!telegramCopy()?.text.includes('APPROVED') && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    expect(telegramCopy()?.text).toMatch(/APPROVED by carol via slack/);
    expect(telegramCopy()?.reply_markup?.inline_keyboard ?? []).toEqual([]);
  });

  it('in Slack too: "/buy 2 MSFT" typed in a DM, Approve pressed, the fill alert arrives there', async () => {
    const { code } = await createLinkCode(db.pool, 'alice');
    await slackPost({
      type: 'event_callback',
      team_id: 'T0TEAM',
      event_id: 'Ev-link-alice',
      event: {
        type: 'message',
        channel_type: 'im',
        user: 'UALICE',
        text: `/link ${code}`,
        channel: 'DUALICE',
        ts: '3.1',
      },
    });
    await slack.waitFor(
      'chat.postMessage',
      (c) => c.body.channel === 'DUALICE' && String(c.body.text).includes('now acts as alice'),
      10_000,
    );
    const before = await orders();
    await slackPost({
      type: 'event_callback',
      team_id: 'T0TEAM',
      event_id: 'Ev-buy-alice',
      event: {
        type: 'message',
        channel_type: 'im',
        user: 'UALICE',
        text: '/buy 2 MSFT',
        channel: 'DUALICE',
        ts: '3.2',
      },
    });
    const card = await slack.waitFor(
      'chat.postMessage',
      (c) => c.body.channel === 'UALICE' && String(c.body.text).includes('BUY 2 shares of MSFT'),
      20_000,
    );
    const blocks = card.body.blocks as {
      type: string;
      elements?: { action_id: string; value: string }[];
    }[];
    const value = blocks
      .find((b) => b.type === 'actions')
      ?.elements?.find((e) => e.action_id === 'approve')?.value;
    const posted = slack.messages('DUALICE').find((m) => m.text.includes('BUY 2 shares of MSFT'));
    await slackPost(
      {
        type: 'block_actions',
        trigger_id: 'trigger-alice',
        user: { id: 'UALICE', team_id: 'T0TEAM' },
        team: { id: 'T0TEAM' },
        channel: { id: 'DUALICE' },
        container: { type: 'message', channel_id: 'DUALICE', message_ts: posted?.ts },
        actions: [{ type: 'button', action_id: 'approve', value, action_ts: '3.3' }],
      },
      true,
    );
    const told = await slack.waitFor('chat.postEphemeral', (c) => c.body.user === 'UALICE', 10_000);
    expect(told.body.text).toBe('Approved: the order is sent.');
    expect(await orders()).toBe(before + 1);
    const fill = await slack.waitFor(
      'chat.postMessage',
      (c) => c.body.channel === 'UALICE' && String(c.body.text).startsWith('Fill: buy 2 MSFT'),
      20_000,
    );
    expect(fill.body.text).toMatch(/on account paper/);
  });
});
