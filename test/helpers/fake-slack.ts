/**
 * A small Slack Web API server for tests: POST /api/<method> (form-encoded or JSON, as
 * @slack/web-api sends), answering {ok: true, …} or {ok: false, error}, for the methods the app
 * uses: auth.test, chat.postMessage, chat.update, chat.postEphemeral, files.getUploadURLExternal
 * and files.completeUploadExternal (with the upload URL it hands out). It records every call,
 * keeps messages by channel as last updated, and can answer the next call of a method with a 429
 * and a Retry-After. `sign` makes the v0 signature Slack puts on requests to the app.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { type RecordedCall, waitForCall } from './recorded-calls.js';

export type SlackCall = RecordedCall;

export interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: { type: string; elements?: { action_id?: string; value?: string }[] }[];
  updates: number;
}

export interface FakeSlack {
  /** slackApiUrl for the client (ends with /api/). */
  url: string;
  calls: SlackCall[];
  messages(channel: string): SlackMessage[];
  uploads: { bytes: number }[];
  rateLimitNext(method: string, retryAfterSeconds: number): void;
  /** Socket Mode: sends an envelope to the connected app; resolves with the app's ack. */
  socketSend(
    type: 'events_api' | 'interactive' | 'slash_commands',
    payload: object,
  ): Promise<Record<string, unknown>>;
  /** Resolves once a Socket Mode connection said hello. */
  socketConnected(timeoutMs?: number): Promise<void>;
  waitFor(
    method: string,
    where?: (call: SlackCall) => boolean,
    timeoutMs?: number,
  ): Promise<SlackCall>;
  close(): Promise<void>;
}

/** The headers Slack sends with a request body: v0 signature over "v0:<ts>:<body>". */
export function slackSignature(
  secret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

async function readBody(
  request: IncomingMessage,
): Promise<{ raw: Buffer; body: Record<string, unknown> }> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = request.headers['content-type'] ?? '';
  if (type.includes('application/json'))
    return { raw, body: raw.length ? JSON.parse(raw.toString('utf8')) : {} };
  if (type.includes('application/x-www-form-urlencoded')) {
    const body: Record<string, unknown> = {};
    for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) {
      // The client sends objects and arrays as JSON text.
      body[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
    }
    return { raw, body };
  }
  return { raw, body: {} };
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const channels = new Map<string, SlackMessage[]>();
  const limited = new Map<string, number[]>();
  const uploads: { bytes: number }[] = [];
  let clock = 1_700_000_000;
  let base = '';

  const answer = (method: string, body: Record<string, unknown>): Record<string, unknown> => {
    // Posting to a user id lands in their DM with the app, whose channel id Slack answers with.
    const given = String(body.channel ?? '');
    const channel = /^U/.test(given) ? `D${given}` : given;
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake',
          user: 'countersign',
          team_id: 'T0TEAM',
          user_id: 'U0BOT',
          bot_id: 'B0BOT',
        };
      case 'chat.postMessage': {
        const ts = `${clock++}.000100`;
        const message: SlackMessage = {
          channel,
          ts,
          text: String(body.text ?? ''),
          blocks: (body.blocks as SlackMessage['blocks']) ?? [],
          updates: 0,
        };
        const list = channels.get(channel) ?? [];
        list.push(message);
        channels.set(channel, list);
        return { ok: true, channel, ts, message: { text: message.text, ts } };
      }
      case 'chat.update': {
        const message = channels.get(channel)?.find((m) => m.ts === body.ts);
        if (!message) return { ok: false, error: 'message_not_found' };
        message.text = String(body.text ?? '');
        message.blocks = (body.blocks as SlackMessage['blocks']) ?? [];
        message.updates++;
        return { ok: true, channel, ts: message.ts };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: `${clock++}.000200` };
      case 'files.getUploadURLExternal':
        return { ok: true, upload_url: `${base}/upload/${clock++}`, file_id: `F${clock}` };
      case 'files.completeUploadExternal':
        return { ok: true, files: (body.files as unknown[]) ?? [] };
      case 'apps.connections.open':
        return { ok: true, url: `${base.replace('http', 'ws')}/socket` };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server: Server = createServer(async (request, response) => {
    const { raw, body } = await readBody(request);
    if (request.url?.startsWith('/upload/')) {
      uploads.push({ bytes: raw.length });
      response.writeHead(200, { 'content-type': 'text/plain' });
      return response.end('OK');
    }
    const method = /^\/api\/([\w.]+)$/.exec(request.url ?? '')?.[1] ?? '';
    calls.push({ method, body, at: Date.now() });
    const wait = limited.get(method)?.shift();
    if (wait !== undefined) {
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(wait) });
      return response.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer(method, body)));
  });
  // Socket Mode: the app connects to the URL apps.connections.open gave; Slack says hello, then
  // sends envelopes the app acks by envelope_id.
  const sockets = new WebSocketServer({ server, path: '/socket' });
  let socket: WebSocket | undefined;
  const acks = new Map<string, (ack: Record<string, unknown>) => void>();
  let envelopes = 0;
  sockets.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data) => {
      const ack = JSON.parse(String(data)) as Record<string, unknown>;
      acks.get(String(ack.envelope_id))?.(ack);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'fake' },
        connection_info: { app_id: 'A0APP' },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/api/`,
    calls,
    uploads,
    messages: (channel) => channels.get(channel) ?? [],
    rateLimitNext(method, seconds) {
      const list = limited.get(method) ?? [];
      list.push(seconds);
      limited.set(method, list);
    },
    socketSend(type, payload) {
      const envelope_id = `env-${++envelopes}`;
      return new Promise((resolve, reject) => {
        if (!socket) return reject(new Error('no Socket Mode connection'));
        acks.set(envelope_id, resolve);
        socket.send(
          JSON.stringify({
            envelope_id,
            type,
            payload,
            accepts_response_payload: type !== 'events_api',
            retry_attempt: 0,
            retry_reason: '',
          }),
        );
      });
    },
    async socketConnected(timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (!socket && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
      if (!socket) throw new Error(`no Socket Mode connection within ${timeoutMs} ms`);
    },
    waitFor: (method, where, timeoutMs) => waitForCall(calls, method, where, timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
