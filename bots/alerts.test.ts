/**
 * Alerts through the real Telegram client against the local Bot API server: each rule kind
 * fires, at most once per interval, to every linked chat; quiet hours hold a delivery; a restart
 * resumes what was not sent and repeats nothing that was; a drift alert carries a rebalance
 * proposal whose Approve press is the only thing that trades.
 */
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createChatEngine } from '../agents/engine.js';
import { silentLogger } from '../config/logger.js';
import { testOrders } from '../orders/test-support.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { addCliPrincipal } from '../store/repos/principals-repo.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { type FakeTelegram, startFakeTelegram } from '../test/helpers/fake-telegram.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { createAlerts } from './alerts.js';
import { createDeliveries, type Deliveries } from './deliveries.js';
import { createTelegramBot, type TelegramBot } from './telegram/telegram-bot.js';

const ALICE = 5151;
let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let api: FakeTelegram;
let bot: TelegramBot;
let deliveries: Deliveries;
let alice: string;
const clock = { now: new Date('2026-12-04T12:00:00Z') };

const alertsNow = () =>
  createAlerts({
    pool: db.pool,
    orders: t.orders,
    bus: t.bus,
    prices: t.prices,
    channels: [bot.channel],
    deliveries,
    logger: silentLogger(),
    now: () => clock.now,
  });

async function rule(condition: object, cooldownMinutes = 60, symbol: string | null = null) {
  const { rows } = await db.pool.query(
    `INSERT INTO alerts (principal_id, account_id, symbol, condition, action, channel, cooldown_s)
     VALUES ($1, 'paper', $2, $3, $4, 'telegram', $5) RETURNING id`,
    [
      alice,
      symbol,
      JSON.stringify(condition),
      (condition as { kind: string }).kind === 'drift_above' ? 'propose' : 'notify',
      cooldownMinutes * 60,
    ],
  );
  return rows[0].id as string;
}

const texts = () => api.messages(ALICE).map((m) => m.text);

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  await db.pool.query(
    "INSERT INTO cash_ledger (account_id, amount, currency, kind, note) VALUES ('paper', 100000, 'USD', 'deposit', 'test funds')",
  );
  t = testOrders(db.pool);
  t.prices.set('KO', '52.00');
  alice = (
    await addCliPrincipal(db.pool, {
      handle: 'alice',
      roles: ['trader', 'approver'],
      account: 'paper',
    })
  ).principalId;
  await db.pool.query(
    "INSERT INTO identities (principal_id, kind, external_id) VALUES ($1, 'telegram', $2)",
    [alice, String(ALICE)],
  );
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
}, 60_000);

afterAll(async () => {
  await api?.close();
  await db?.drop();
});

beforeEach(async () => {
  await db.pool.query("UPDATE alerts SET status = 'paused'");
  await db.pool.query('DELETE FROM quiet_hours');
});

describe('alerts', () => {
  it('fires a price alert once per interval, to the linked chat, and again after the interval', async () => {
    const id = await rule({ kind: 'price_above', value: '50' }, 60, 'KO');
    const alerts = alertsNow();
    expect(await alerts.check()).toBe(1);
    expect(texts().at(-1)).toMatch(/^Alert: KO is 52\.00 USD .*above your level of 50\.00 USD/);
    expect(await alerts.check()).toBe(0);
    clock.now = new Date(clock.now.getTime() + 61 * 60_000);
    expect(await alerts.check()).toBe(1);
    const { rows } = await db.pool.query(
      "SELECT count(*)::int AS n FROM alert_events e JOIN alert_deliveries d ON d.event_id = e.id WHERE e.alert_id = $1 AND d.status = 'sent'",
      [id],
    );
    expect(rows[0].n).toBe(2);
  });

  it('sends the daily summary with the market regime, once a day', async () => {
    await rule({ kind: 'daily_summary', value: '10' }, 60);
    const alerts = alertsNow();
    expect(await alerts.check()).toBe(1);
    expect(texts().at(-1)).toMatch(
      /^Daily summary for account paper, 2026-12-04: .* Market regime on 2021-04-21: ((calm|volatile)-(up|down)|sideways) \(63-day trend -?\d+\.\d %, volatility \d+ % a year\)\.$/,
    );
    expect(await alerts.check()).toBe(0);
  });

  it('sends a model drift alert once per model and drifted features', async () => {
    await rule({ kind: 'model_drift' }, 60);
    const alerts = alertsNow();
    await alerts.start();
    try {
      const event = {
        model: 'screen v3',
        features: ['vol_1m', 'vol_3m'],
        at: '2026-12-04T12:00:00Z',
      };
      await t.bus.publish('model.drifted', event);
      await t.bus.publish('model.drifted', event);
      await api.waitFor('sendMessage', (c) =>
        String(c.body.text).startsWith('Model drift: screen v3'),
      );
      expect(texts().at(-1)).toBe(
        "Model drift: screen v3's features vol_1m, vol_3m moved beyond PSI 0.2 since its training window. Its scores may no longer hold; retrain with countersign models train --retrain.",
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(texts().filter((text) => text.startsWith('Model drift')).length).toBe(1);
    } finally {
      await alerts.stop();
    }
  });

  it('does not fire below the level', async () => {
    await rule({ kind: 'price_above', value: '60' }, 60, 'KO');
    expect(await alertsNow().check()).toBe(0);
  });

  it('resumes an unsent delivery after a restart and never sends one twice', async () => {
    const id = await rule({ kind: 'proposal_rejected', account: 'paper' });
    const first = alertsNow();
    api.failNext('sendMessage', { error_code: 500, description: 'Internal Server Error' });
    await first.fire(id, 'rejected:one', 'Proposal one was rejected.');
    expect(await first.deliverDue()).toBe(0);
    // The process stops; a new one starts 31 s later (past the retry time).
    clock.now = new Date(clock.now.getTime() + 31_000);
    const second = alertsNow();
    expect(await second.fire(id, 'rejected:one', 'Proposal one was rejected.')).toBeNull();
    expect(await second.deliverDue()).toBe(1);
    const third = alertsNow();
    expect(await third.deliverDue()).toBe(0);
    expect(texts().filter((text) => text === 'Proposal one was rejected.')).toHaveLength(1);
  });

  it('holds a delivery during quiet hours and sends it when they end', async () => {
    await db.pool.query(
      'INSERT INTO quiet_hours (principal_id, from_hour, to_hour) VALUES ($1, $2, $3)',
      [alice, clock.now.getUTCHours(), (clock.now.getUTCHours() + 2) % 24],
    );
    const id = await rule({ kind: 'fill', account: 'paper' });
    const alerts = alertsNow();
    await alerts.fire(id, 'fill:quiet', 'A quiet fill.');
    expect(await alerts.deliverDue()).toBe(0);
    clock.now = new Date(clock.now.getTime() + 2 * 3600_000 + 60_000);
    expect(await alerts.deliverDue()).toBe(1);
    expect(texts().at(-1)).toBe('A quiet fill.');
  });

  it('sends fills and rejections from the orders events', async () => {
    await rule({ kind: 'fill', account: 'paper' });
    await rule({ kind: 'proposal_rejected', account: 'paper' });
    const alerts = alertsNow();
    await alerts.start();
    try {
      const proposal = await t.orders.propose({
        accountId: 'paper',
        legs: [{ symbol: 'KO', side: 'buy', quantity: 2 }],
        proposer: { kind: 'mcp_client', principalId: alice },
        channel: 'mcp',
      });
      await t.orders.reject({
        proposalId: proposal.id,
        principalId: alice,
        channel: 'cli',
        orderHash: proposal.orderHash,
        evidence: { kind: 'cli' },
        reason: 'not now',
        credential: { kind: 'local' },
      });
      await api.waitFor('sendMessage', (c) =>
        String(c.body.text).includes(
          `Proposal ${proposal.id} on account paper was rejected: not now`,
        ),
      );
      await t.bus.publish('order.filled', {
        orderId: '00000000-0000-0000-0000-000000000001',
        proposalId: proposal.id,
        accountId: 'paper',
        status: 'filled',
        filledQuantity: '2',
        at: clock.now.toISOString(),
      });
      await api.waitFor(
        'sendMessage',
        (c) => String(c.body.text).startsWith('Fill: ') && String(c.body.text).includes('2'),
      );
    } finally {
      await alerts.stop();
    }
  });

  it('carries a rebalance proposal with a drift alert; only the Approve press trades', async () => {
    await rule({
      kind: 'drift_above',
      value: '0.05',
      account: 'paper',
      targets: [{ symbol: 'KO', weight: 0.1 }],
    });
    const before = t.broker.received.length;
    const alerts = alertsNow();
    expect(await alerts.check()).toBe(1);
    expect(t.broker.received.length).toBe(before);
    const { rows } = await db.pool.query(
      'SELECT e.proposal_id, p.proposer_kind, p.status FROM alert_events e JOIN proposals p ON p.id = e.proposal_id ORDER BY e.fired_at DESC LIMIT 1',
    );
    expect(rows[0]).toMatchObject({ proposer_kind: 'alert', status: 'pending' });
    expect(
      texts().some((text) =>
        /^Alert: account paper has drifted: KO is 10\.0 percentage points/.test(text),
      ),
    ).toBe(true);
    const card = api.messages(ALICE).findLast((m) => m.reply_markup?.inline_keyboard?.length);
    expect(card?.text).toContain('BUY');
    expect(card?.text).toContain('of KO');
    const data = card?.reply_markup?.inline_keyboard[0]?.[0]?.callback_data as string;
    await bot.handleUpdate({
      update_id: 880001,
      callback_query: {
        id: 'cb-drift',
        from: { id: ALICE, is_bot: false, first_name: 'A' },
        chat_instance: 'x',
        data,
        message: {
          message_id: card?.message_id,
          date: 1,
          chat: { id: ALICE, type: 'private' },
          text: '',
        },
      },
    } as never);
    expect(t.broker.received.length).toBe(before + 1);
    expect(t.broker.received.at(-1)).toMatchObject({ symbol: 'KO', side: 'buy' });
  });
});

describe('alerts: a drift whose rebalance breaks the risk limits', () => {
  it('proposes it with the failed checks shown, which an approval then refuses', async () => {
    await db.pool.query("UPDATE alerts SET status = 'paused'");
    clock.now = new Date(clock.now.getTime() + 24 * 3600_000);
    await rule({
      kind: 'drift_above',
      value: '0.05',
      account: 'paper',
      targets: [{ symbol: 'KO', weight: 0.9 }],
    });
    expect(await alertsNow().check()).toBe(1);
    expect(texts().some((text) => /has drifted: KO is \d+\.\d percentage points/.test(text))).toBe(
      true,
    );
    expect(texts().at(-1)).toMatch(/Risk: FAILS: KO would be/);
  });
});

describe('alerts: two processes', () => {
  it('propose one rebalance for one drift, however many check it at once', async () => {
    await db.pool.query("UPDATE alerts SET status = 'paused'");
    clock.now = new Date(clock.now.getTime() + 48 * 3600_000);
    const id = await rule({
      kind: 'drift_above',
      value: '0.05',
      account: 'paper',
      targets: [{ symbol: 'KO', weight: 0.08 }],
    });
    const before = Number(
      (await db.pool.query("SELECT count(*) AS n FROM proposals WHERE proposer_kind = 'alert'"))
        .rows[0].n,
    );
    const fired = await Promise.all([
      alertsNow().check(),
      alertsNow().check(),
      alertsNow().check(),
    ]);
    expect(fired.reduce((a, b) => a + b, 0)).toBe(1);
    const after = Number(
      (await db.pool.query("SELECT count(*) AS n FROM proposals WHERE proposer_kind = 'alert'"))
        .rows[0].n,
    );
    expect(after).toBe(before + 1);
    expect(
      (await db.pool.query('SELECT count(*)::int AS n FROM alert_events WHERE alert_id = $1', [id]))
        .rows[0].n,
    ).toBe(1);
  });
});
