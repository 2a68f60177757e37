/**
 * The Slack app (@slack/bolt 5.1): a thin channel over the conversation engine, like the
 * Telegram bot. DMs to the app, @mentions in channels and the slash command `/cs` are turns on
 * the thread `sl-<channel>`; tool work shows progress by updating one message. Proposal cards
 * are Block Kit messages with Approve / Reject buttons (`action_id` approve / reject, the
 * proposal_messages id in `value`); a press is acked at once, decided by orders (bots/press.ts)
 * and answered to the presser alone (chat.postEphemeral); every copy is then updated
 * (chat.update) with the outcome and no buttons.
 *
 * Requests reach Bolt through a small receiver (events.ts verifies the signature and the
 * timestamp, de-duplicates event ids and Slack's retries, then hands the body to
 * `app.processEvent`). Socket Mode (SLACK_APP_TOKEN) uses Bolt's own receiver instead.
 */
import { App, LogLevel, SocketModeReceiver } from '@slack/bolt';
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
import { cardText, type ProposalCard } from '../proposal-card.js';
import { dedupeKey } from './dedupe-key.js';

type BoltApp = InstanceType<typeof App>;
type ReceiverEvent = Parameters<BoltApp['processEvent']>[0];

/** Slack's limit on a section's text. */
const SECTION_MAX = 2900;

export const SLACK_NOT_LINKED =
  'This Slack account is not linked to Countersign, so it gets no data. Ask your admin for a code (`countersign link --principal NAME`) and send `/cs link CODE` (or DM the app `/link CODE`).';

export type SlackStatus = 'starting' | 'http' | 'socket_mode' | 'error' | 'stopped';

/** Text in Slack's mrkdwn: only &, < and > are special. */
export const mrkdwn = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The card as Block Kit blocks. */
export function cardBlocks(card: ProposalCard, buttonId: string) {
  const section = (text: string) => ({
    type: 'section',
    text: { type: 'mrkdwn', text: text.slice(0, SECTION_MAX) },
  });
  return [
    section(`*${mrkdwn(card.heading)}*`),
    section(card.lines.map((line) => `*${mrkdwn(line.label)}:* ${mrkdwn(line.text)}`).join('\n')),
    ...(card.outcome ? [section(`*${mrkdwn(card.outcome)}*`)] : []),
    ...(card.buttons
      ? [
          {
            type: 'actions',
            block_id: 'decision',
            elements: [
              {
                type: 'button',
                action_id: 'approve',
                style: 'primary',
                text: { type: 'plain_text', text: 'Approve' },
                value: buttonId,
              },
              {
                type: 'button',
                action_id: 'reject',
                style: 'danger',
                text: { type: 'plain_text', text: 'Reject' },
                value: buttonId,
              },
            ],
          },
        ]
      : []),
  ];
}

/** Bolt's logger interface over ours. */
function boltLogger(logger: Logger) {
  let level = LogLevel.WARN;
  return {
    debug: (...parts: unknown[]) =>
      logger.debug({ component: 'slack' }, parts.map(String).join(' ')),
    info: (...parts: unknown[]) =>
      logger.debug({ component: 'slack' }, parts.map(String).join(' ')),
    warn: (...parts: unknown[]) => logger.warn({ component: 'slack' }, parts.map(String).join(' ')),
    error: (...parts: unknown[]) =>
      logger.error({ component: 'slack' }, parts.map(String).join(' ')),
    setLevel: (value: typeof level) => {
      level = value;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** Hands verified request bodies to Bolt (the HTTP side is events.ts). */
export class DispatchReceiver {
  private app: BoltApp | undefined;
  init(app: BoltApp): void {
    this.app = app;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  dispatch(event: ReceiverEvent): Promise<void> {
    if (!this.app) return Promise.reject(new Error('the Slack app is not initialised yet'));
    return this.app.processEvent(event);
  }
}

export interface SlackApp {
  readonly channel: ProposalChannel;
  /** The receiver events.ts hands verified requests to (absent in Socket Mode). */
  readonly receiver: DispatchReceiver | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): SlackStatus;
  useDeliveries(deliveries: Deliveries): void;
}

export function createSlackApp(deps: {
  token: string;
  apiUrl?: string;
  /** Socket Mode instead of HTTP events. */
  appToken?: string;
  pool: Pool;
  orders: Orders;
  engine: ChatEngine;
  logger: Logger;
  /** Web API retries (0 in tests); rate-limited calls are waited out by the client either way. */
  retries?: number;
}): SlackApp {
  const { pool, orders, engine, logger } = deps;
  const receiver = deps.appToken ? undefined : new DispatchReceiver();
  const clientOptions = {
    // A 429 comes back to us (not retried inside the client), and `slow` waits it out.
    rejectRateLimitedCalls: true,
    ...(deps.apiUrl ? { slackApiUrl: deps.apiUrl } : {}),
    ...(deps.retries !== undefined ? { retryConfig: { retries: deps.retries } } : {}),
  };
  const log = boltLogger(logger);
  // Socket Mode's own receiver, told where the Web API is (apps.connections.open goes there).
  const socketReceiver = deps.appToken
    ? new SocketModeReceiver({
        appToken: deps.appToken,
        logger: log as never,
        installerOptions: { clientOptions: deps.apiUrl ? { slackApiUrl: deps.apiUrl } : {} },
      })
    : undefined;
  const app = new App({
    token: deps.token,
    clientOptions,
    logger: log as never,
    receiver: (receiver ?? socketReceiver) as never,
  });
  const raw = app.client;
  /** A Web API call, again after Slack's Retry-After when it is rate limited (3 tries, waits up to 60 s). */
  const slow = async <T>(call: () => Promise<T>): Promise<T> => {
    for (let tries = 1; ; tries++) {
      try {
        return await call();
      } catch (error) {
        const limited = error as { code?: string; retryAfter?: number };
        if (
          limited.code !== 'slack_webapi_rate_limited_error' ||
          tries >= 3 ||
          (limited.retryAfter ?? 0) > 60
        )
          throw error;
        logger.warn({ retry_after: limited.retryAfter }, 'slack: rate limited; waiting as asked');
        await new Promise((resolve) => setTimeout(resolve, (limited.retryAfter ?? 1) * 1000));
      }
    }
  };
  const client = {
    chat: {
      postMessage: (args: Parameters<typeof raw.chat.postMessage>[0]) =>
        slow(() => raw.chat.postMessage(args)),
      update: (args: Parameters<typeof raw.chat.update>[0]) => slow(() => raw.chat.update(args)),
      postEphemeral: (args: Parameters<typeof raw.chat.postEphemeral>[0]) =>
        slow(() => raw.chat.postEphemeral(args)),
    },
    files: {
      uploadV2: (args: Parameters<typeof raw.files.uploadV2>[0]) =>
        slow(() => raw.files.uploadV2(args)),
    },
  };
  let state: SlackStatus = 'starting';
  let deliveries: Deliveries | undefined;

  const channel: ProposalChannel = {
    kind: 'slack',
    // chatRef is a channel id, or a user id for their DM with the app (so that a proposal the
    // person made in that DM and the copy for them as an approver are the same one). The message
    // ref is "<channel id>|<ts>": chat.update needs the DM's own channel id.
    async sendCard(chatRef, card, id) {
      const posted = await client.chat.postMessage({
        channel: chatRef,
        text: cardText(card),
        blocks: cardBlocks(card, id) as never,
      });
      return `${posted.channel ?? chatRef}|${posted.ts}`;
    },
    async sendText(chatRef, text) {
      await client.chat.postMessage({ channel: chatRef, text: text.slice(0, 39_000) });
    },
    async editCard(chatRef, messageRef, card, id) {
      const [where = chatRef, ts = messageRef] = messageRef.includes('|')
        ? messageRef.split('|')
        : [chatRef, messageRef];
      await client.chat.update({
        channel: where,
        ts,
        text: cardText(card),
        blocks: cardBlocks(card, id) as never,
      });
    },
  };

  // Socket Mode redelivers what it thinks was not acked: each event or press is handled once
  // (HTTP events are de-duplicated in events.ts before they reach Bolt).
  if (socketReceiver)
    app.use(async ({ body, next }) => {
      const key = dedupeKey(body as Record<string, unknown>);
      if (key && !(await firstTime(pool, 'slack', key))) return;
      await next();
    });

  app.error(async (error) => {
    logger.error({ err: error }, 'slack: a request failed');
  });

  /** What a person wrote, from a DM, a mention or /cs. */
  async function handleText(input: {
    team: string;
    user: string;
    channel: string;
    text: string;
    dm: boolean;
  }) {
    const text = input.text.trim();
    const identity = `${input.team}:${input.user}`;
    const say = (message: string) =>
      client.chat.postMessage({ channel: input.channel, text: message });
    const link = /^\/?link(?:\s+(.*))?$/i.exec(text);
    if (link) {
      const outcome = await redeemLinkCode(pool, {
        kind: 'slack',
        externalId: identity,
        code: (link[1] ?? '').trim(),
      });
      await say(
        outcome.ok
          ? `Linked: this Slack account now acts as ${outcome.principal.handle}. Proposals you may approve arrive in this DM with their buttons.`
          : `Not linked: ${outcome.reason}`,
      );
      return;
    }
    const principal = await principalForChat(pool, 'slack', identity);
    if (!principal) {
      await say(SLACK_NOT_LINKED);
      return;
    }
    const who = {
      id: principal.id,
      handle: principal.handle,
      scopes: ['read', 'propose'] as ApiScope[],
    };
    const update = (ts: string, body: string) =>
      client.chat.update({ channel: input.channel, ts, text: body }).then(
        () => undefined,
        (error: unknown) => {
          logger.warn({ err: error }, 'slack: could not update the progress message');
        },
      );
    await runChatTurn(
      { engine, pool, orders, logger },
      { principal: who, channel: 'slack', thread: `sl-${input.channel}`, text },
      {
        post: async (body) => String((await say(body)).ts),
        edit: update,
        async answer(body, progress) {
          if (progress !== undefined) await update(progress, body);
          else await say(body);
        },
        chart: (chart) =>
          client.files
            .uploadV2({
              channel_id: input.channel,
              file: chart.png,
              filename: chart.name,
              title: chart.title,
            })
            .then(
              () => undefined,
              (error: unknown) => logger.warn({ err: error }, 'slack: could not upload a chart'),
            ),
        proposal: async (proposal) => {
          if (deliveries)
            await deliveries.sendTo(
              proposal,
              'slack',
              input.dm ? input.user : input.channel,
              principal.id,
            );
        },
      },
    );
  }

  const run = (work: () => Promise<void>) => {
    // After the ack: Slack wants an answer within 3 s; the turn may take longer.
    work().catch((error: unknown) =>
      logger.error({ err: error }, 'slack: handling a message failed'),
    );
  };

  app.event('message', async ({ event, body }) => {
    const message = event as {
      channel_type?: string;
      subtype?: string;
      bot_id?: string;
      user?: string;
      text?: string;
      channel: string;
    };
    if (
      message.channel_type !== 'im' ||
      message.subtype ||
      message.bot_id ||
      !message.user ||
      !message.text
    )
      return;
    const team = String((body as { team_id?: string }).team_id ?? '');
    run(() =>
      handleText({
        team,
        user: message.user as string,
        channel: message.channel,
        text: message.text as string,
        dm: true,
      }),
    );
  });

  app.event('app_mention', async ({ event, body }) => {
    const team = String((body as { team_id?: string }).team_id ?? '');
    const text = String(event.text ?? '')
      .replace(/<@[A-Z0-9]+>/g, '')
      .trim();
    if (!event.user) return;
    run(() =>
      handleText({ team, user: event.user as string, channel: event.channel, text, dm: false }),
    );
  });

  app.command('/cs', async ({ command, ack }) => {
    await ack();
    run(() =>
      handleText({
        team: command.team_id,
        user: command.user_id,
        channel: command.channel_id,
        text: command.text || '/help',
        dm: command.channel_name === 'directmessage',
      }),
    );
  });

  app.action(/^(approve|reject)$/, async ({ ack, body, action }) => {
    await ack();
    const pressed = action as { action_id: string; value?: string; action_ts?: string };
    const actions = body as {
      user: { id: string; team_id?: string };
      team?: { id: string } | null;
      channel?: { id: string };
      container?: { channel_id?: string; message_ts?: string };
      trigger_id?: string;
    };
    const team = actions.user.team_id ?? actions.team?.id ?? '';
    const where = actions.channel?.id ?? actions.container?.channel_id;
    const result = await handlePress(
      { pool, orders, logger },
      {
        channel: 'slack',
        buttonId: pressed.value ?? '',
        action: pressed.action_id === 'approve' ? 'approve' : 'reject',
        userId: `${team}:${actions.user.id}`,
        evidence: {
          signed_request: true,
          channel_id: where ?? null,
          message_ts: actions.container?.message_ts ?? null,
          trigger_id: actions.trigger_id ?? null,
          action_ts: pressed.action_ts ?? null,
        },
      },
    );
    if (where)
      await client.chat
        .postEphemeral({ channel: where, user: actions.user.id, text: result.text })
        .catch((error: unknown) => logger.warn({ err: error }, 'slack: could not answer a press'));
    if (result.proposal && deliveries)
      await deliveries.refresh(result.proposal.id, result.proposal);
  });

  return {
    channel,
    receiver,
    async start() {
      try {
        await app.start();
        state = receiver ? 'http' : 'socket_mode';
      } catch (error) {
        state = 'error';
        throw error;
      }
    },
    async stop() {
      await app.stop().catch(() => undefined);
      state = 'stopped';
    },
    status: () => state,
    useDeliveries(value) {
      deliveries = value;
    },
  };
}
