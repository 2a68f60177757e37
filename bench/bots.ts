/**
 * The bots' speed on a throwaway database with the bundled sample, the real telegraf and Bolt
 * clients talking to the local Bot API and Web API servers of the tests: an Approve press to the
 * order submitted on the paper broker (in-process: the press handled as Telegram's update, the
 * callback answered over loopback HTTP), and 100 alerts fanned out to 3 linked chats each
 * (two Telegram, one Slack) until every delivery is sent; and one chart PNG of each kind
 * (bench/charts.ts).
 */
import { createChatEngine } from '../agents/engine.js';
import { createAlerts } from '../bots/alerts.js';
import { createDeliveries } from '../bots/deliveries.js';
import { createSlackApp } from '../bots/slack/slack-app.js';
import { createTelegramBot } from '../bots/telegram/telegram-bot.js';
import type { Config } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { databasePrices } from '../orders/prices.js';
import { createOrdersRuntime } from '../orders/runtime.js';
import { createPool } from '../store/db/pool.js';
import { MemoryBus } from '../store/kv/memory-bus.js';
import { startFakeSlack } from '../test/helpers/fake-slack.js';
import { startFakeTelegram } from '../test/helpers/fake-telegram.js';
import { benchCharts } from './charts.js';
import { freshDatabase, seedBenchAccount } from './fresh-database.js';

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
const ms = (value: number) => Math.round(value * 100) / 100;

export async function benchBots(config: Config, emit: (line: object) => void): Promise<void> {
  const database = await freshDatabase(config);
  const pool = createPool(database.url, { max: 8 });
  const logger = silentLogger();
  const telegramApi = await startFakeTelegram();
  const slackApi = await startFakeSlack();
  try {
    const principal = await seedBenchAccount(pool, logger, ['approver', 'trader']);
    await pool.query(
      `INSERT INTO identities (principal_id, kind, external_id) VALUES
         ($1, 'telegram', '1001'), ($1, 'telegram', '1002'), ($1, 'slack', 'T0TEAM:UBENCH')`,
      [principal],
    );
    const bus = new MemoryBus(logger);
    const runtime = createOrdersRuntime({ pool, bus, config, logger });
    const { orders } = runtime;
    const engine = createChatEngine({ pool, orders });
    const telegram = createTelegramBot({
      token: telegramApi.token,
      apiRoot: telegramApi.url,
      pool,
      orders,
      engine,
      logger,
    });
    const slack = createSlackApp({
      token: 'xoxb-bench',
      apiUrl: slackApi.url,
      pool,
      orders,
      engine,
      logger,
      retries: 0,
    });
    await slack.start();
    const channels = [telegram.channel, slack.channel];
    const deliveries = createDeliveries({ pool, orders, bus, channels, logger });
    telegram.useDeliveries(deliveries);

    // Approve press → order submitted on the paper broker.
    const symbols = (
      await pool.query<{ symbol: string }>('SELECT DISTINCT symbol FROM daily_bars ORDER BY symbol')
    ).rows.map((r) => r.symbol);
    const laps: number[] = [];
    for (let k = 0; k < 220; k++) {
      const proposal = await orders.propose({
        accountId: 'paper',
        legs: [
          { symbol: symbols[k % symbols.length] as string, side: 'buy', quantity: 1 + (k % 5) },
        ],
        proposer: { kind: 'mcp_client', principalId: principal },
        channel: 'mcp',
      });
      const buttonId = (await deliveries.sendTo(proposal, 'telegram', '1001', principal)) as string;
      const started = performance.now();
      await telegram.handleUpdate({
        update_id: 500_000 + k,
        callback_query: {
          id: `bench-${k}`,
          from: { id: 1001, is_bot: false, first_name: 'Bench' },
          chat_instance: 'bench',
          data: `a:${buttonId}`,
          message: { message_id: 1, date: 1, chat: { id: 1001, type: 'private' }, text: '' },
        },
      } as never);
      const elapsed = performance.now() - started;
      const { rows: sent } = await pool.query<{ status: string }>(
        'SELECT status FROM orders WHERE proposal_id = $1',
        [proposal.id],
      );
      if (!sent[0]) throw new Error(`bench press sent no order (proposal ${proposal.id})`);
      if (k >= 20) laps.push(elapsed);
    }
    laps.sort((a, b) => a - b);
    emit({
      bench: 'bots_press_to_submitted',
      channel: 'telegram',
      target_p95_ms: 50,
      n: laps.length,
      p50_ms: ms(percentile(laps, 0.5)),
      p95_ms: ms(percentile(laps, 0.95)),
      max_ms: ms(laps.at(-1) as number),
      note: 'update handled (dedupe, press, orders.approve, paper fill, callback answered, card edited) until handleUpdate resolves',
    });

    // 100 alerts × 3 chats.
    const alerts = createAlerts({
      pool,
      orders,
      bus,
      prices: databasePrices(pool),
      channels,
      deliveries,
      logger,
    });
    const { rows: rule } = await pool.query<{ id: string }>(
      `INSERT INTO alerts (principal_id, account_id, condition, action, channel, cooldown_s)
       VALUES ($1, 'paper', '{"kind": "fill", "account": "paper"}', 'notify', 'telegram', 60) RETURNING id`,
      [principal],
    );
    const alertId = rule[0]?.id as string;
    const started = performance.now();
    for (let k = 0; k < 100; k++)
      await alerts.fire(alertId, `bench:${k}`, `Fill: bench alert ${k} of 100.`);
    let sent = 0;
    while (sent < 300) {
      const now = await alerts.deliverDue();
      if (now === 0) break;
      sent += now;
    }
    const elapsed = performance.now() - started;
    const { rows: counted } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM alert_deliveries WHERE status = 'sent'",
    );
    emit({
      bench: 'bots_alert_fanout',
      alerts: 100,
      chats_each: 3,
      target_s: 1,
      deliveries_sent: counted[0]?.n,
      seconds: ms(elapsed / 1000),
    });
    await slack.stop();
    await runtime.close();
    // The chart PNGs backtests and portfolios come with.
    await benchCharts(emit);
  } finally {
    await telegramApi.close();
    await slackApi.close();
    await pool.end();
    await database.dispose();
  }
}
