/**
 * Socket Mode (SLACK_APP_TOKEN): the real Bolt SocketModeReceiver opens its connection through
 * apps.connections.open on the local Web API server and takes envelopes over its WebSocket
 * (test/helpers/fake-slack.ts), acking each; a DM and an Approve press arrive that way, no
 * public URL needed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatEngine } from '../../agents/engine.js';
import { silentLogger } from '../../config/logger.js';
import { testOrders } from '../../orders/test-support.js';
import { createLinkCode } from '../../store/repos/chat-links-repo.js';
import { addCliPrincipal } from '../../store/repos/principals-repo.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { type FakeSlack, startFakeSlack } from '../../test/helpers/fake-slack.js';
import { createDeliveries, type Deliveries } from '../deliveries.js';
import { createSlackApp, type SlackApp } from './slack-app.js';

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let api: FakeSlack;
let slack: SlackApp;
let deliveries: Deliveries;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(
    "INSERT INTO instruments (symbol, sector) VALUES ('MSFT', 'Information Technology')",
  );
  t = testOrders(db.pool);
  t.prices.set('MSFT', '250.00');
  await addCliPrincipal(db.pool, {
    handle: 'alice',
    roles: ['trader', 'approver'],
    account: 'paper',
  });
  api = await startFakeSlack();
  const engine = createChatEngine({ pool: db.pool, orders: t.orders });
  slack = createSlackApp({
    token: 'xoxb-socket',
    appToken: 'xapp-1-socket-token',
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
  await deliveries.start();
  await slack.start();
  await api.socketConnected();
}, 60_000);

afterAll(async () => {
  await deliveries?.stop();
  await slack?.stop();
  await api?.close();
  await db?.drop();
});

const dm = (text: string, id: string) => ({
  type: 'event_callback',
  team_id: 'T0TEAM',
  event_id: id,
  event: {
    type: 'message',
    channel_type: 'im',
    user: 'UALICE',
    text,
    channel: 'DUALICE',
    ts: `${id}.1`,
  },
});

describe('slack: Socket Mode', () => {
  it('connects with the app token and says so', () => {
    expect(slack.status()).toBe('socket_mode');
    expect(slack.receiver).toBeUndefined();
    expect(api.calls.some((c) => c.method === 'apps.connections.open')).toBe(true);
  });

  it('links, proposes and approves over the socket, acking every envelope', async () => {
    const { code } = await createLinkCode(db.pool, 'alice');
    const ack = await api.socketSend('events_api', dm(`/link ${code}`, 'EvS1'));
    expect(ack.envelope_id).toBe('env-1');
    await api.waitFor('chat.postMessage', (c) => String(c.body.text).includes('now acts as alice'));
    await api.socketSend('events_api', dm('/buy 4 MSFT', 'EvS2'));
    const card = await api.waitFor(
      'chat.postMessage',
      (c) => String(c.body.text).includes('BUY 4 shares of MSFT'),
      10_000,
    );
    const blocks = card.body.blocks as {
      type: string;
      elements?: { action_id: string; value: string }[];
    }[];
    const value = blocks.find((b) => b.type === 'actions')?.elements?.[0]?.value;
    const posted = api.messages('DUALICE').find((m) => m.text.includes('BUY 4 shares of MSFT'));
    await api.socketSend('interactive', {
      type: 'block_actions',
      trigger_id: 'trigger-socket',
      user: { id: 'UALICE', team_id: 'T0TEAM' },
      team: { id: 'T0TEAM' },
      channel: { id: 'DUALICE' },
      container: { type: 'message', channel_id: 'DUALICE', message_ts: posted?.ts },
      actions: [{ type: 'button', action_id: 'approve', value, action_ts: '9.9' }],
    });
    const told = await api.waitFor('chat.postEphemeral', (c) => c.body.user === 'UALICE', 10_000);
    expect(told.body.text).toBe('Approved: the order is sent.');
    expect(t.broker.received.at(-1)).toMatchObject({ symbol: 'MSFT', quantity: '4' });
  });

  it('handles a redelivered envelope once', async () => {
    const posts = () => api.calls.filter((c) => c.method === 'chat.postMessage').length;
    const before = posts();
    await api.socketSend('events_api', dm('/help', 'EvS-again'));
    const end = Date.now() + 5000;
    while (posts() === before && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    await api.socketSend('events_api', dm('/help', 'EvS-again'));
    await new Promise((r) => setTimeout(r, 200));
    expect(posts()).toBe(before + 1);
  });
});
