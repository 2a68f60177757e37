/**
 * The real Bolt (and its WebClient) against a local server speaking the Slack Web API
 * (test/helpers/fake-slack.ts), requests signed as Slack signs them, through /slack/events'
 * router. Refusals are checked with the order count before and after and the audit entry.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatEngine } from '../../agents/engine.js';
import { silentLogger } from '../../config/logger.js';
import { testOrders } from '../../orders/test-support.js';
import { importPaths } from '../../store/market-data/import-paths.js';
import { createLinkCode } from '../../store/repos/chat-links-repo.js';
import { addCliPrincipal } from '../../store/repos/principals-repo.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { type FakeSlack, slackSignature, startFakeSlack } from '../../test/helpers/fake-slack.js';
import { SAMPLE_DIR } from '../../test/helpers/fixtures.js';
import { createDeliveries, type Deliveries } from '../deliveries.js';
import { slackEvents } from './events.js';
import { createSlackApp, SLACK_NOT_LINKED, type SlackApp } from './slack-app.js';

const SECRET = 'slacksigningsecret0123456789';
const TEAM = 'T0TEAM';
const dm = (user: string) => `D${user}`;

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let api: FakeSlack;
let slack: SlackApp;
let deliveries: Deliveries;
let router: ReturnType<typeof slackEvents>;
let ids: Record<string, string>;
let n = 1;

async function send(
  body: object | string,
  options: { form?: boolean; at?: number; retry?: number; secret?: string } = {},
) {
  const raw = options.form
    ? new URLSearchParams({ payload: JSON.stringify(body) }).toString()
    : JSON.stringify(body);
  return router.request('/', {
    method: 'POST',
    headers: {
      'content-type': options.form ? 'application/x-www-form-urlencoded' : 'application/json',
      ...slackSignature(options.secret ?? SECRET, raw, options.at),
      ...(options.retry
        ? { 'x-slack-retry-num': String(options.retry), 'x-slack-retry-reason': 'http_timeout' }
        : {}),
    },
    body: raw,
  });
}

const dmEvent = (user: string, text: string, eventId = `Ev${n++}`) => ({
  type: 'event_callback',
  team_id: TEAM,
  api_app_id: 'A0APP',
  event_id: eventId,
  event_time: 1,
  event: { type: 'message', channel_type: 'im', user, text, channel: dm(user), ts: `${n}.0001` },
});

const pressOf = (user: string, value: string, channel: string, ts: string, action = 'approve') => ({
  type: 'block_actions',
  api_app_id: 'A0APP',
  token: 'legacy',
  trigger_id: `trigger-${n++}`,
  user: { id: user, team_id: TEAM },
  team: { id: TEAM },
  channel: { id: channel },
  container: { type: 'message', channel_id: channel, message_ts: ts },
  message: { ts, text: 'card' },
  actions: [
    { type: 'button', action_id: action, block_id: 'decision', value, action_ts: `${n}.5` },
  ],
});

const orderCount = async () =>
  Number((await db.pool.query('SELECT count(*) AS n FROM orders')).rows[0].n);

async function lastAudit(action: string) {
  const { rows } = await db.pool.query(
    'SELECT channel, after FROM audit_log WHERE action = $1 ORDER BY seq DESC LIMIT 1',
    [action],
  );
  return rows[0];
}

async function until<T>(
  read: () => Promise<T> | T,
  ok: (value: T) => boolean,
  ms = 5000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The copy of a proposal for a user's DM: its button value and where the message is. */
async function copyFor(proposalId: string, user: string) {
  const { rows } = await until(
    () =>
      db.pool.query(
        'SELECT id, message_ref FROM proposal_messages WHERE proposal_id = $1 AND chat_ref = $2 AND message_ref IS NOT NULL',
        [proposalId, user],
      ),
    (r) => r.rows.length > 0,
  );
  const [channel, ts] = String(rows[0]?.message_ref).split('|');
  return { value: rows[0]?.id as string, channel: channel as string, ts: ts as string };
}

const ephemeralTo = (user: string) =>
  api.calls.filter((c) => c.method === 'chat.postEphemeral' && c.body.user === user).at(-1)?.body
    .text;

async function link(user: string, handle: string) {
  const { code } = await createLinkCode(db.pool, handle);
  expect((await send(dmEvent(user, `/link ${code}`))).status).toBe(200);
  await api.waitFor(
    'chat.postMessage',
    (c) => c.body.channel === dm(user) && String(c.body.text).includes(`now acts as ${handle}`),
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(
    "INSERT INTO instruments (symbol, sector) VALUES ('MSFT', 'Information Technology'), ('KO', 'Consumer Staples')",
  );
  await importPaths(db.pool, [path.join(SAMPLE_DIR, 'MSFT.csv.gz')]);
  t = testOrders(db.pool);
  t.prices.set('MSFT', '250.00');
  t.prices.set('KO', '50.00');
  ids = {};
  for (const [handle, roles] of [
    ['alice', ['trader', 'approver']],
    ['carol', ['approver']],
  ] as const)
    ids[handle] = (
      await addCliPrincipal(db.pool, { handle, roles: [...roles], account: 'paper' })
    ).principalId;
  api = await startFakeSlack();
  const engine = createChatEngine({ pool: db.pool, orders: t.orders });
  slack = createSlackApp({
    token: 'xoxb-test-token',
    apiUrl: api.url,
    pool: db.pool,
    orders: t.orders,
    engine,
    logger: silentLogger(),
    retries: 0,
  });
  deliveries = createDeliveries({
    pool: db.pool,
    orders: t.orders,
    bus: t.bus,
    channels: [slack.channel],
    logger: silentLogger(),
  });
  slack.useDeliveries(deliveries);
  await slack.start();
  await deliveries.start();
  router = slackEvents({
    pool: db.pool,
    signingSecret: SECRET,
    receiver: slack.receiver as NonNullable<SlackApp['receiver']>,
    logger: silentLogger(),
  });
  await link('UALICE', 'alice');
  await link('UCAROL', 'carol');
}, 60_000);

afterAll(async () => {
  await deliveries?.stop();
  await slack?.stop();
  await api?.close();
  await db?.drop();
});

describe('slack: requests that are not from Slack', () => {
  it('refuses a bad signature, a timestamp 6 minutes old and one 6 minutes ahead; nothing changes', async () => {
    const before = await orderCount();
    const now = Math.floor(Date.now() / 1000);
    const body = dmEvent('UALICE', '/buy 1 MSFT');
    expect((await send(body, { secret: 'not-the-secret-at-all' })).status).toBe(401);
    expect((await lastAudit('webhook.refused'))?.after.why).toBe('the signature does not match');
    expect((await send(body, { at: now - 360 })).status).toBe(401);
    expect((await lastAudit('webhook.refused'))?.after.why).toMatch(/360 s in the past/);
    expect((await send(body, { at: now + 360 })).status).toBe(401);
    expect((await lastAudit('webhook.refused'))?.after.why).toMatch(/360 s in the future/);
    const unsigned = await router.request('/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(unsigned.status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(await orderCount()).toBe(before);
  });

  it('answers url_verification with its challenge', async () => {
    const response = await send({ type: 'url_verification', challenge: 'abc123' });
    expect(await response.json()).toEqual({ challenge: 'abc123' });
  });

  it('tells an unlinked user how to link', async () => {
    await send(dmEvent('UNOBODY', 'what is my portfolio?'));
    const reply = await api.waitFor('chat.postMessage', (c) => c.body.channel === dm('UNOBODY'));
    expect(reply.body.text).toBe(SLACK_NOT_LINKED);
  });
});

describe('slack: "/buy 20 MSFT" to an order', () => {
  it('posts the card with buttons, approves on a press, updates it, and refuses the rest', async () => {
    const before = await orderCount();
    await send(dmEvent('UALICE', '/buy 20 MSFT'));
    const { rows } = await until(
      () =>
        db.pool.query(
          "SELECT p.id FROM proposals p JOIN proposal_legs l ON l.proposal_id = p.id WHERE l.symbol = 'MSFT' AND l.quantity = 20",
        ),
      (r) => r.rows.length > 0,
    );
    const proposalId = rows[0]?.id as string;
    const alice = await copyFor(proposalId, 'UALICE');
    const card = api.messages(alice.channel).find((m) => m.ts === alice.ts);
    expect(card?.text).toContain('BUY 20 shares of MSFT at market');
    expect(card?.blocks.at(-1)?.elements?.map((e) => e.action_id)).toEqual(['approve', 'reject']);
    // One card in alice's DM although she proposed there and is an approver.
    expect(
      api.messages(dm('UALICE')).filter((m) => m.text.includes('20 shares of MSFT')),
    ).toHaveLength(1);

    // Carol, an approver, presses alice's copy: not hers.
    await send(pressOf('UCAROL', alice.value, alice.channel, alice.ts), { form: true });
    await until(
      () => ephemeralTo('UCAROL'),
      (text) => typeof text === 'string',
    );
    expect(ephemeralTo('UCAROL')).toMatch(/sent to alice/);
    // Someone not linked presses it.
    await send(pressOf('USTRANGER', alice.value, alice.channel, alice.ts), { form: true });
    await until(
      () => ephemeralTo('USTRANGER'),
      (text) => typeof text === 'string',
    );
    expect(ephemeralTo('USTRANGER')).toMatch(/not linked/);
    expect(await orderCount()).toBe(before);

    const press = pressOf('UALICE', alice.value, alice.channel, alice.ts);
    const started = performance.now();
    const acked = await send(press, { form: true });
    expect(acked.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(2500);
    expect(
      await until(
        () => ephemeralTo('UALICE'),
        (text) => text === 'Approved: the order is sent.',
      ),
    ).toBe('Approved: the order is sent.');
    expect(await orderCount()).toBe(before + 1);
    const updated = await until(
      () => api.messages(alice.channel).find((m) => m.ts === alice.ts),
      (m) => Boolean(m?.text.includes('APPROVED')),
    );
    expect(updated?.text).toMatch(/APPROVED by alice via slack/);
    expect(updated?.blocks.some((b) => b.type === 'actions')).toBe(false);
    // Carol's copy is updated too.
    const carol = await copyFor(proposalId, 'UCAROL');
    expect(
      await until(
        () => api.messages(carol.channel).find((m) => m.ts === carol.ts)?.text,
        (text) => Boolean(text?.includes('APPROVED')),
      ),
    ).toMatch(/APPROVED by alice/);

    // Slack retries the same press (same trigger): handled once; a new press is refused by orders.
    const ephemerals = api.calls.filter((c) => c.method === 'chat.postEphemeral').length;
    expect((await send(press, { form: true, retry: 1 })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(api.calls.filter((c) => c.method === 'chat.postEphemeral').length).toBe(ephemerals);
    await send(pressOf('UALICE', alice.value, alice.channel, alice.ts), { form: true });
    expect(
      await until(
        () => ephemeralTo('UALICE'),
        (text) => String(text).startsWith('Refused'),
      ),
    ).toMatch(/^Refused: /);
    expect(await orderCount()).toBe(before + 1);
    expect((await lastAudit('approval.refused'))?.channel).toBe('slack');
  });

  it('handles a retried event once', async () => {
    const event = dmEvent('UCAROL', '/help');
    const posts = () =>
      api.calls.filter((c) => c.method === 'chat.postMessage' && c.body.channel === dm('UCAROL'))
        .length;
    const before = posts();
    await send(event);
    await until(posts, (count) => count > before);
    await send(event, { retry: 1 });
    await send(event, { retry: 2 });
    await new Promise((r) => setTimeout(r, 200));
    expect(posts()).toBe(before + 1);
  });

  it('waits out a 429 from chat.postMessage', async () => {
    api.rateLimitNext('chat.postMessage', 1);
    const started = Date.now();
    const proposal = await t.orders.propose({
      accountId: 'paper',
      legs: [{ symbol: 'KO', side: 'buy', quantity: 11 }],
      proposer: { kind: 'mcp_client', principalId: ids.alice as string },
      channel: 'mcp',
    });
    const carol = await until(
      () => copyFor(proposal.id, 'UCAROL'),
      (copy) => Boolean(copy.ts),
      8000,
    );
    expect(carol.ts).toBeTruthy();
    await copyFor(proposal.id, 'UALICE');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });
});

describe('slack: charts', () => {
  it('uploads a backtest equity chart through files.uploadV2', async () => {
    await send(dmEvent('UALICE', '/backtest sma_cross MSFT fast=10 slow=50'));
    const done = await api.waitFor('files.completeUploadExternal', () => true, 10_000);
    expect(JSON.stringify(done.body.files)).toContain('sma_cross on MSFT');
    expect(done.body.channel_id).toBe(dm('UALICE'));
    expect(api.uploads.at(-1)?.bytes).toBeGreaterThan(10_000);
  });
});
