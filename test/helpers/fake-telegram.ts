/**
 * A small Telegram Bot API server for tests: the documented HTTP interface
 * (POST /bot<token>/<method>, JSON or multipart, answering {ok, result} or {ok: false,
 * error_code, description, parameters}) for the methods the bot uses: getMe, sendMessage,
 * editMessageText, answerCallbackQuery, sendPhoto, setWebhook, deleteWebhook and getUpdates
 * (long polling, from a queue the test fills). It records every call, keeps each chat's messages
 * as last edited, and can answer the next call of a method with an error (a 429 with
 * retry_after, say).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RecordedCall, waitForCall } from './recorded-calls.js';

export type TelegramCall = RecordedCall;

export interface FakeMessage {
  message_id: number;
  chat_id: string;
  text: string;
  entities: unknown[];
  reply_markup: { inline_keyboard: { text: string; callback_data: string }[][] } | undefined;
  edits: number;
  photo?: boolean;
}

export interface FakeTelegram {
  /** The apiRoot to give telegraf. */
  url: string;
  token: string;
  calls: TelegramCall[];
  /** Messages by chat, in order sent. */
  messages(chat: string | number): FakeMessage[];
  /** Answers the next call of `method` with this error. */
  failNext(
    method: string,
    error: { error_code: number; description: string; retry_after?: number },
  ): void;
  /** Queues an update for getUpdates. */
  queueUpdate(update: Record<string, unknown>): void;
  /** Resolves when a call of `method` matching `where` has been recorded (polls every 5 ms). */
  waitFor(
    method: string,
    where?: (call: TelegramCall) => boolean,
    timeoutMs?: number,
  ): Promise<TelegramCall>;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = request.headers['content-type'] ?? '';
  if (type.includes('application/json'))
    return raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
  if (type.includes('multipart/form-data')) {
    // Fields as text; a file field as its byte count (enough for a test to see a PNG arrived).
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type);
    const mark = `--${boundary?.[1] ?? boundary?.[2]}`;
    const fields: Record<string, unknown> = {};
    for (const part of raw.toString('latin1').split(mark).slice(1, -1)) {
      const [head = '', ...rest] = part.split('\r\n\r\n');
      const name = /name="([^"]+)"/.exec(head)?.[1];
      const value = rest.join('\r\n\r\n').replace(/\r\n$/, '');
      if (!name) continue;
      fields[name] = /filename="/.test(head)
        ? { file_bytes: Buffer.byteLength(value, 'latin1'), head: value.slice(0, 8) }
        : value;
    }
    return fields;
  }
  return {};
}

export async function startFakeTelegram(
  token = '123456:TEST-token-for-the-fake-server',
): Promise<FakeTelegram> {
  const calls: TelegramCall[] = [];
  const chats = new Map<string, FakeMessage[]>();
  const failures = new Map<
    string,
    { error_code: number; description: string; retry_after?: number }[]
  >();
  const updates: Record<string, unknown>[] = [];
  let nextMessageId = 100;
  let offsetSeen = 0;

  const answer = (method: string, body: Record<string, unknown>): unknown => {
    const chatId = String(body.chat_id ?? '');
    const markup = (raw: unknown) =>
      (typeof raw === 'string' ? JSON.parse(raw) : raw) as FakeMessage['reply_markup'];
    switch (method) {
      case 'getMe':
        return { id: 999000, is_bot: true, first_name: 'Countersign', username: 'countersign_bot' };
      case 'setWebhook':
      case 'deleteWebhook':
      case 'answerCallbackQuery':
        return true;
      case 'sendMessage':
      case 'sendPhoto': {
        const message: FakeMessage = {
          message_id: nextMessageId++,
          chat_id: chatId,
          text: String(body.text ?? body.caption ?? ''),
          entities: (body.entities as unknown[]) ?? [],
          reply_markup: markup(body.reply_markup),
          edits: 0,
          ...(method === 'sendPhoto' ? { photo: true } : {}),
        };
        const list = chats.get(chatId) ?? [];
        list.push(message);
        chats.set(chatId, list);
        return {
          message_id: message.message_id,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(chatId), type: 'private' },
          text: message.text,
        };
      }
      case 'editMessageText': {
        const message = chats.get(chatId)?.find((m) => m.message_id === Number(body.message_id));
        if (!message)
          throw { error_code: 400, description: 'Bad Request: message to edit not found' };
        const text = String(body.text ?? '');
        const replyMarkup = markup(body.reply_markup);
        if (
          text === message.text &&
          JSON.stringify(replyMarkup) === JSON.stringify(message.reply_markup)
        )
          throw { error_code: 400, description: 'Bad Request: message is not modified' };
        message.text = text;
        message.entities = (body.entities as unknown[]) ?? [];
        message.reply_markup = replyMarkup;
        message.edits++;
        return {
          message_id: message.message_id,
          chat: { id: Number(chatId), type: 'private' },
          text,
        };
      }
      case 'getUpdates': {
        const offset = Number(body.offset ?? 0);
        if (offset > offsetSeen) offsetSeen = offset;
        return updates.filter((u) => Number(u.update_id) >= offsetSeen);
      }
      default:
        throw { error_code: 404, description: `Not Found: method ${method} is not in this fake` };
    }
  };

  const server: Server = createServer(async (request, response) => {
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(request.url ?? '');
    const send = (status: number, payload: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(payload));
    };
    if (!match || match[1] !== token)
      return send(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = match[2] as string;
    const body = await readBody(request);
    calls.push({ method, body, at: Date.now() });
    const failure = failures.get(method)?.shift();
    if (failure) {
      const { retry_after, ...rest } = failure;
      return send(failure.error_code, {
        ok: false,
        ...rest,
        ...(retry_after !== undefined ? { parameters: { retry_after } } : {}),
      });
    }
    if (method === 'getUpdates') {
      // Long polling: wait up to the asked timeout (capped at 1 s here) for an update.
      const until = Date.now() + Math.min(Number(body.timeout ?? 0), 1) * 1000;
      while (Date.now() < until && (answer(method, body) as unknown[]).length === 0)
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    try {
      send(200, { ok: true, result: answer(method, body) });
    } catch (error) {
      const failed = error as { error_code: number; description: string };
      send(failed.error_code ?? 500, { ok: false, ...failed });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    calls,
    messages: (chat) => chats.get(String(chat)) ?? [],
    failNext(method, error) {
      const list = failures.get(method) ?? [];
      list.push(error);
      failures.set(method, list);
    },
    queueUpdate(update) {
      updates.push(update);
    },
    waitFor: (method, where, timeoutMs) => waitForCall(calls, method, where, timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
