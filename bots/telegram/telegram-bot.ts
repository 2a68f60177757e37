/**
 * The Telegram bot (telegraf 4.16): a thin channel over the conversation engine. It parses what
 * a person sends, renders what the engine answers and delivers proposal cards with Approve /
 * Reject buttons; it decides nothing about orders (bots/press.ts hands a press to orders).
 *
 * - `/link CODE` binds the Telegram user to a principal; anyone unlinked gets one short
 *   explanation and no data. `/start` says which.
 * - Text and slash commands go to the engine as a turn on the thread `tg-<chat id>`; tool work
 *   shows progress by editing one message, then that message becomes the answer.
 * - A button carries only `a:<id>` or `r:<id>` (callback_data holds at most 64 bytes); the id is
 *   a proposal_messages row holding the proposal, the order hash shown and who it was sent to.
 * - Every update_id is handled once (bot_updates), across restarts; `bot.catch` is always set;
 *   every API call goes through a per-chat queue that waits out a 429's retry_after.
 * Updates arrive through the webhook (webhook.ts, when TELEGRAM_WEBHOOK_URL is set) or long
 * polling.
 */
import { Markup, Telegraf, TelegramError } from 'telegraf';
import { bold, type FmtString, fmt, join } from 'telegraf/format';
import type { Update } from 'telegraf/types';
import type { ChatEngine } from '../../agents/engine.js';
import type { ApiScope } from '../../config/env.js';
import type { Logger } from '../../config/logger.js';
import type { Orders } from '../../orders/service.js';
import type { Pool } from '../../store/db/pool.js';
import { principalForChat, redeemLinkCode } from '../../store/repos/chat-links-repo.js';
import { runChatTurn } from '../chat-turn.js';
import { firstTime } from '../dedupe.js';
import type { Deliveries, ProposalChannel } from '../deliveries.js';
import { handlePress } from '../press.js';
import type { ProposalCard } from '../proposal-card.js';

/** Telegram refuses messages longer than this. */
const MAX_MESSAGE = 4096;
/** The longest 429 wait honoured before giving up on a call. */
const MAX_RETRY_AFTER_S = 60;

export type TelegramStatus = 'not_configured' | 'polling' | 'webhook' | 'starting' | 'error';

export const NOT_LINKED =
  'This chat is not linked to Countersign, so it gets no data. Ask your admin for a code (`countersign link --principal NAME`) and send /link CODE here.';

/** Runs Telegram API calls one after another per chat, waiting out 429s (at most 3 tries). */
export function createSendQueue(
  logger: Logger,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
) {
  const chains = new Map<string, Promise<unknown>>();
  return function run<T>(chat: string, call: () => Promise<T>): Promise<T> {
    const attempt = async (): Promise<T> => {
      for (let tries = 1; ; tries++) {
        try {
          return await call();
        } catch (error) {
          const wait =
            error instanceof TelegramError && error.code === 429
              ? (error.parameters?.retry_after ?? 1)
              : undefined;
          if (wait === undefined || tries >= 3 || wait > MAX_RETRY_AFTER_S) throw error;
          logger.warn({ chat, retry_after: wait }, 'telegram: rate limited; waiting as asked');
          await sleep(wait * 1000);
        }
      }
    };
    const next = (chains.get(chat) ?? Promise.resolve()).catch(() => undefined).then(attempt);
    chains.set(chat, next);
    void next
      .finally(() => {
        if (chains.get(chat) === next) chains.delete(chat);
      })
      .catch(() => undefined);
    return next;
  };
}

/** The card as Telegram entities (no hand-escaped MarkdownV2). */
export function cardMessage(card: ProposalCard): FmtString {
  const lines = card.lines.map((line) => fmt`${bold(line.label)}: ${line.text}`);
  return join(
    [fmt`${bold(card.heading)}`, ...lines, ...(card.outcome ? [fmt`${bold(card.outcome)}`] : [])],
    '\n',
  );
}

const keyboard = (card: ProposalCard, id: string) =>
  card.buttons
    ? Markup.inlineKeyboard([
        Markup.button.callback('Approve', `a:${id}`),
        Markup.button.callback('Reject', `r:${id}`),
      ]).reply_markup
    : { inline_keyboard: [] };

/** Text split into pieces Telegram accepts, at line ends where it can. */
export function splitMessage(text: string, max = MAX_MESSAGE): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const cut = rest.lastIndexOf('\n', max);
    const at = cut > max / 2 ? cut : max;
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n/, '');
  }
  if (rest.length > 0 || pieces.length === 0) pieces.push(rest);
  return pieces;
}

const notModified = (error: unknown) =>
  error instanceof TelegramError && /message is not modified/i.test(error.description);

export interface TelegramBot {
  readonly bot: Telegraf;
  readonly channel: ProposalChannel;
  /** Handles one update (from the webhook or a test); resolves when it is handled. */
  handleUpdate(update: Update): Promise<void>;
  /** Long polling (no webhook URL) or setWebhook with the secret. */
  start(options: { webhookUrl?: string; secret?: string }): Promise<void>;
  stop(): Promise<void>;
  status(): TelegramStatus;
  /** Wire the deliveries in once they exist (they need this bot's channel). */
  useDeliveries(deliveries: Deliveries): void;
}

export function createTelegramBot(deps: {
  token: string;
  apiRoot?: string;
  pool: Pool;
  orders: Orders;
  engine: ChatEngine;
  logger: Logger;
}): TelegramBot {
  const { pool, orders, engine, logger } = deps;
  const bot = new Telegraf(deps.token, {
    telegram: { webhookReply: false, ...(deps.apiRoot ? { apiRoot: deps.apiRoot } : {}) },
    // A turn with a long backtest may run for minutes; telegraf must not time it out.
    handlerTimeout: 15 * 60_000,
  });
  const send = createSendQueue(logger);
  const api = bot.telegram;
  let state: TelegramStatus = 'starting';
  let deliveries: Deliveries | undefined;
  let mode: 'webhook' | 'polling' = 'polling';

  const channel: ProposalChannel = {
    kind: 'telegram',
    async sendCard(chatRef, card, id) {
      const message = await send(chatRef, () =>
        api.sendMessage(chatRef, cardMessage(card), { reply_markup: keyboard(card, id) }),
      );
      return String(message.message_id);
    },
    async sendText(chatRef, text) {
      for (const piece of splitMessage(text))
        await send(chatRef, () => api.sendMessage(chatRef, piece));
    },
    async editCard(chatRef, messageRef, card, id) {
      await send(chatRef, () =>
        api.editMessageText(chatRef, Number(messageRef), undefined, cardMessage(card), {
          reply_markup: keyboard(card, id),
        }),
      ).catch((error: unknown) => {
        if (!notModified(error)) throw error;
      });
    },
  };

  bot.catch((error, ctx) => {
    logger.error({ err: error, update: ctx.update.update_id }, 'telegram: an update failed');
  });

  // Each update once, across restarts too.
  bot.use(async (ctx, next) => {
    if (!(await firstTime(pool, 'telegram', String(ctx.update.update_id)))) {
      logger.debug({ update: ctx.update.update_id }, 'telegram: update seen already; skipped');
      return;
    }
    await next();
  });

  bot.on('callback_query', async (ctx) => {
    const query = ctx.callbackQuery;
    const data = 'data' in query ? query.data : '';
    const match = /^([ar]):([A-Za-z0-9_-]{8,32})$/.exec(data ?? '');
    const chatId = query.message?.chat.id;
    if (!match) {
      await send(String(chatId ?? query.from.id), () =>
        ctx.answerCbQuery('This button is not one of ours.'),
      );
      return;
    }
    const result = await handlePress(
      { pool, orders, logger },
      {
        channel: 'telegram',
        buttonId: match[2] as string,
        action: match[1] === 'a' ? 'approve' : 'reject',
        userId: String(query.from.id),
        evidence: {
          update_id: ctx.update.update_id,
          callback_query_id: query.id,
          chat_id: chatId ?? null,
          message_id: query.message?.message_id ?? null,
          via: mode,
        },
      },
    );
    await send(String(chatId ?? query.from.id), () =>
      ctx.answerCbQuery(result.text.slice(0, 200)),
    ).catch((error: unknown) => logger.warn({ err: error }, 'telegram: could not answer a press'));
    if (result.proposal && deliveries)
      await deliveries.refresh(result.proposal.id, result.proposal);
  });

  bot.on('message', async (ctx) => {
    const message = ctx.message;
    if (!('text' in message) || typeof message.text !== 'string') return;
    const chat = String(message.chat.id);
    const from = String(message.from.id);
    const reply = (text: string) => send(chat, () => api.sendMessage(chat, text));
    // "/quote@countersign_bot AAPL" in a group is "/quote AAPL".
    const username = ctx.botInfo?.username;
    let text = message.text.trim();
    if (username) text = text.replace(new RegExp(`^(/\\w+)@${username}\\b`, 'i'), '$1');
    const link = /^\/link(?:\s+(.*))?$/i.exec(text);
    if (link) {
      const outcome = await redeemLinkCode(pool, {
        kind: 'telegram',
        externalId: from,
        code: (link[1] ?? '').trim(),
        ...(message.from.username ? { label: `@${message.from.username}` } : {}),
      });
      await reply(
        outcome.ok
          ? `Linked: this Telegram account now acts as ${outcome.principal.handle}. Proposals you may approve arrive here with their buttons.`
          : `Not linked: ${outcome.reason}`,
      );
      return;
    }
    const principal = await principalForChat(pool, 'telegram', from);
    if (!principal) {
      await reply(NOT_LINKED);
      return;
    }
    if (/^\/start\b/i.test(text)) {
      await reply(
        `You are linked as ${principal.handle}. Ask in plain language, or try /help. Proposals you may approve arrive here with Approve and Reject buttons.`,
      );
      return;
    }
    await runTurn(chat, { id: principal.id, handle: principal.handle }, text);
  });

  /** One turn (bots/chat-turn.ts): progress in one message that becomes the answer; charts and cards after. */
  async function runTurn(chat: string, who: { id: string; handle: string }, text: string) {
    const principal = { id: who.id, handle: who.handle, scopes: ['read', 'propose'] as ApiScope[] };
    const edit = (ref: string, body: string) =>
      send(chat, () => api.editMessageText(chat, Number(ref), undefined, body)).then(
        () => undefined,
        (error: unknown) => {
          if (!notModified(error))
            logger.warn({ err: error }, 'telegram: could not edit the progress message');
        },
      );
    await runChatTurn(
      { engine, pool, orders, logger },
      { principal, channel: 'telegram', thread: `tg-${chat}`, text },
      {
        post: async (body) =>
          String((await send(chat, () => api.sendMessage(chat, body))).message_id),
        edit,
        async answer(body, progress) {
          for (const [k, piece] of splitMessage(body).entries()) {
            if (k === 0 && progress !== undefined) await edit(progress, piece);
            else await send(chat, () => api.sendMessage(chat, piece));
          }
        },
        chart: (chart) =>
          send(chat, () =>
            api.sendPhoto(
              chat,
              { source: chart.png, filename: chart.name },
              { caption: chart.title.slice(0, 1000) },
            ),
          ).then(
            () => undefined,
            (error: unknown) => logger.warn({ err: error }, 'telegram: could not send a chart'),
          ),
        proposal: async (proposal) => {
          if (deliveries) await deliveries.sendTo(proposal, 'telegram', chat, who.id);
        },
      },
    );
  }

  return {
    bot,
    channel,
    handleUpdate: (update) => bot.handleUpdate(update),
    async start(options) {
      try {
        if (options.webhookUrl) {
          mode = 'webhook';
          await api.setWebhook(options.webhookUrl, {
            ...(options.secret ? { secret_token: options.secret } : {}),
            allowed_updates: ['message', 'callback_query'],
          });
          bot.botInfo ??= await api.getMe();
          state = 'webhook';
          return;
        }
        mode = 'polling';
        await new Promise<void>((resolve, reject) => {
          bot
            .launch({ allowedUpdates: ['message', 'callback_query'] }, () => {
              state = 'polling';
              resolve();
            })
            .catch((error: unknown) => {
              state = 'error';
              logger.error({ err: error }, 'telegram: polling stopped');
              reject(error);
            });
        });
      } catch (error) {
        state = 'error';
        throw error;
      }
    },
    async stop() {
      if (state === 'polling') bot.stop('shutdown');
      state = 'not_configured';
    },
    status: () => state,
    useDeliveries(value) {
      deliveries = value;
    },
  };
}
