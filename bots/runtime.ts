/**
 * The chat bots as the server runs them: the Telegram bot when TELEGRAM_BOT_TOKEN is set
 * (a webhook at /webhooks/telegram when TELEGRAM_WEBHOOK_URL is set, long polling otherwise),
 * the Slack app when SLACK_BOT_TOKEN is set (HTTP events at /slack/events with
 * SLACK_SIGNING_SECRET, or Socket Mode with SLACK_APP_TOKEN),
 * proposal delivery to every linked approver, and what /health says of each. A bot that cannot
 * start is reported (status `down`, with why) and leaves the rest of the server running.
 */
import type { Hono } from 'hono';
import type { ChatEngine } from '../agents/engine.js';
import type { Config } from '../config/env.js';
import type { Logger } from '../config/logger.js';
import { databasePrices } from '../orders/prices.js';
import type { Orders } from '../orders/service.js';
import type { Pool } from '../store/db/pool.js';
import type { Bus } from '../store/kv/bus.js';
import { type Alerts, createAlerts } from './alerts.js';
import { forgetOldUpdates } from './dedupe.js';
import { createDeliveries, type Deliveries, type ProposalChannel } from './deliveries.js';
import { slackEvents } from './slack/events.js';
import { createSlackApp, type SlackApp } from './slack/slack-app.js';
import { createTelegramBot, type TelegramBot } from './telegram/telegram-bot.js';
import { telegramWebhook } from './telegram/webhook.js';

/** What /health shows of one bot: ok with its mode (polling, webhook, socket_mode), or why not. */
export interface BotHealth {
  status: 'ok' | 'down' | 'not_configured';
  detail: string;
}

export interface BotsRuntime {
  /** The router for /webhooks/telegram, when the bot runs in webhook mode. */
  telegramWebhook?: Hono;
  telegram?: TelegramBot;
  /** The router for /slack/events, when the Slack app takes HTTP events. */
  slackEvents?: Hono;
  slack?: SlackApp;
  deliveries?: Deliveries;
  alerts?: Alerts;
  health(): { telegram: BotHealth; slack: BotHealth };
  close(): Promise<void>;
}

export async function startBots(deps: {
  config: Config;
  pool: Pool;
  orders: Orders;
  engine: ChatEngine;
  bus: Bus;
  logger: Logger;
}): Promise<BotsRuntime> {
  const { config, pool, orders, engine, logger } = deps;
  const runtime: BotsRuntime = {
    health: () => ({ telegram: telegramHealth(), slack: slackHealth() }),
    close: async () => {
      await runtime.alerts?.stop();
      await runtime.deliveries?.stop();
      await runtime.telegram?.stop();
      await runtime.slack?.stop();
    },
  };
  let telegramProblem: string | undefined;
  let slackProblem: string | undefined;
  const telegramHealth = (): BotHealth => {
    if (!config.telegram.botToken)
      return { status: 'not_configured', detail: 'set TELEGRAM_BOT_TOKEN' };
    if (telegramProblem) return { status: 'down', detail: `error: ${telegramProblem}` };
    const state = runtime.telegram?.status() ?? 'starting';
    return state === 'polling' || state === 'webhook'
      ? { status: 'ok', detail: state }
      : { status: 'down', detail: state };
  };
  const slackHealth = (): BotHealth => {
    if (!config.slack.botToken)
      return {
        status: 'not_configured',
        detail: 'set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN)',
      };
    if (slackProblem) return { status: 'down', detail: `error: ${slackProblem}` };
    const state = runtime.slack?.status() ?? 'starting';
    return state === 'http'
      ? { status: 'ok', detail: 'webhook' }
      : state === 'socket_mode'
        ? { status: 'ok', detail: 'socket_mode' }
        : { status: 'down', detail: state };
  };

  void forgetOldUpdates(pool).catch(() => undefined);
  const channels: ProposalChannel[] = [];

  const token = config.telegram.botToken;
  const telegram = token
    ? createTelegramBot({ token, apiRoot: config.telegram.apiRoot, pool, orders, engine, logger })
    : undefined;
  if (telegram) {
    runtime.telegram = telegram;
    channels.push(telegram.channel);
  }

  const { botToken: slackToken, signingSecret, appToken } = config.slack;
  if (slackToken && !appToken && !signingSecret) {
    slackProblem =
      'SLACK_BOT_TOKEN is set without SLACK_SIGNING_SECRET (HTTP events) or SLACK_APP_TOKEN (Socket Mode)';
    logger.error(slackProblem);
  }
  const slack =
    slackToken && !slackProblem
      ? createSlackApp({
          token: slackToken,
          apiUrl: config.slack.apiUrl,
          ...(appToken ? { appToken } : {}),
          pool,
          orders,
          engine,
          logger,
        })
      : undefined;
  if (slack) {
    runtime.slack = slack;
    channels.push(slack.channel);
    if (slack.receiver && signingSecret)
      runtime.slackEvents = slackEvents({ pool, signingSecret, receiver: slack.receiver, logger });
  }

  if (channels.length === 0) return runtime;
  const deliveries = createDeliveries({ pool, orders, bus: deps.bus, channels, logger });
  telegram?.useDeliveries(deliveries);
  slack?.useDeliveries(deliveries);
  runtime.deliveries = deliveries;
  await deliveries.start();
  // create_alert's rules fire to every linked chat (bots/alerts.ts).
  const alerts = createAlerts({
    pool,
    orders,
    bus: deps.bus,
    prices: databasePrices(pool),
    channels,
    deliveries,
    logger,
  });
  runtime.alerts = alerts;
  await alerts.start();

  if (slack)
    slack
      .start()
      .then(() => logger.info({ mode: slack.status() }, 'slack app running'))
      .catch((error: Error) => {
        slackProblem = error.message.slice(0, 200);
        logger.error({ err: error }, 'slack app could not start');
      });

  if (!telegram) return runtime;
  const { webhookUrl, webhookSecret } = config.telegram;
  if (webhookUrl && !webhookSecret) {
    telegramProblem =
      'TELEGRAM_WEBHOOK_URL is set without TELEGRAM_WEBHOOK_SECRET; set both (the secret proves a call comes from Telegram)';
    logger.error(telegramProblem);
    return runtime;
  }
  if (webhookUrl && webhookSecret)
    runtime.telegramWebhook = telegramWebhook({
      pool,
      secret: webhookSecret,
      logger,
      handle: (update) => telegram.handleUpdate(update),
    });
  // Started in the background: Telegram being slow or down must not hold up the server.
  telegram
    .start(webhookUrl ? { webhookUrl, ...(webhookSecret ? { secret: webhookSecret } : {}) } : {})
    .then(() => logger.info({ mode: telegram.status() }, 'telegram bot running'))
    .catch((error: Error) => {
      telegramProblem = error.message.slice(0, 200);
      logger.error({ err: error }, 'telegram bot could not start');
    });
  return runtime;
}
