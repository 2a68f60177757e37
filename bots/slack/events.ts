/**
 * POST /slack/events, mounted by server/: every request Slack sends the app (Events API,
 * interactivity payloads, the /cs slash command). Before anything is parsed, the v0 signature
 * (HMAC-SHA256 of "v0:<timestamp>:<raw body>" with SLACK_SIGNING_SECRET) is checked in constant
 * time and the timestamp must be within 5 minutes of now in either direction (Bolt's own check
 * looks only at the past); a refusal is 401 and an audit entry. Then: url_verification answered
 * with its challenge; an event id or interaction already handled (Slack retries what it thinks
 * was not acked) answered 200 and dropped; the rest handed to Bolt, and the HTTP answer sent as
 * soon as Bolt acks (at most 2.5 s: Slack allows 3).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Logger } from '../../config/logger.js';
import { auditBatcherFor } from '../../store/audit/audit-batcher.js';
import type { Pool } from '../../store/db/pool.js';
import { firstTime } from '../dedupe.js';
import { dedupeKey } from './dedupe-key.js';
import type { DispatchReceiver } from './slack-app.js';

/** How far a request's timestamp may be from now, either way. */
export const SLACK_SKEW_SECONDS = 5 * 60;
/** Bolt must ack within this; Slack gives up at 3 s. */
const ACK_WITHIN_MS = 2500;
/** Slack's requests are small; anything bigger is not Slack. */
const MAX_BODY = 256 * 1024;

/** Why the request is not Slack's, or null when its signature and timestamp hold. */
export function slackRequestProblem(
  secret: string,
  headers: { timestamp?: string; signature?: string },
  raw: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string | null {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return 'no signature or timestamp';
  if (!/^\d{1,12}$/.test(timestamp)) return 'the timestamp is not a number of seconds';
  const skew = nowSeconds - Number(timestamp);
  if (Math.abs(skew) > SLACK_SKEW_SECONDS)
    return `the timestamp is ${Math.abs(skew)} s in the ${skew > 0 ? 'past' : 'future'} (at most ${SLACK_SKEW_SECONDS} s either way)`;
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${raw}`).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return 'the signature does not match';
  return null;
}

/** The request body as Bolt wants it: JSON, or form fields (an interaction's `payload` parsed). */
function parseBody(raw: string, type: string): Record<string, unknown> | null {
  try {
    if (type.includes('application/json')) {
      const value = JSON.parse(raw) as unknown;
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : null;
    }
    const fields = Object.fromEntries(new URLSearchParams(raw));
    if (typeof fields.payload === 'string')
      return JSON.parse(fields.payload) as Record<string, unknown>;
    return fields;
  } catch {
    return null;
  }
}

export function slackEvents(deps: {
  pool: Pool;
  signingSecret: string;
  receiver: DispatchReceiver;
  logger: Logger;
  now?: () => number;
}): Hono {
  const app = new Hono();
  app.post('/', async (c) => {
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > MAX_BODY)
      return c.json({ error: 'too_large', message: `at most ${MAX_BODY} bytes` }, 413);
    const raw = await c.req.text();
    if (raw.length > MAX_BODY)
      return c.json({ error: 'too_large', message: `at most ${MAX_BODY} bytes` }, 413);
    const problem = slackRequestProblem(
      deps.signingSecret,
      {
        timestamp: c.req.header('x-slack-request-timestamp'),
        signature: c.req.header('x-slack-signature'),
      },
      raw,
      Math.floor((deps.now?.() ?? Date.now()) / 1000),
    );
    if (problem) {
      await auditBatcherFor(deps.pool)
        .append({
          actorKind: 'system',
          actorId: null,
          channel: 'slack',
          action: 'webhook.refused',
          entityKind: 'webhook',
          entityId: 'slack',
          after: { why: problem },
        })
        .catch((error: unknown) =>
          deps.logger.warn({ err: error }, 'slack: could not audit a refused request'),
        );
      return c.json(
        { error: 'unauthorized', message: `not a request from Slack: ${problem}` },
        401,
      );
    }
    const body = parseBody(raw, c.req.header('content-type') ?? '');
    if (!body)
      return c.json(
        { error: 'bad_request', message: 'the body is neither JSON nor form fields' },
        400,
      );
    if (body.type === 'url_verification')
      return c.json({ challenge: String(body.challenge ?? '') });
    const key = dedupeKey(body);
    if (key && !(await firstTime(deps.pool, 'slack', key))) {
      deps.logger.debug(
        { key, retry: c.req.header('x-slack-retry-num') },
        'slack: handled already; acked again',
      );
      return c.body(null, 200);
    }
    let acked: (value: unknown) => void = () => undefined;
    const ack = new Promise<unknown>((resolve) => {
      acked = resolve;
    });
    const retryNum = c.req.header('x-slack-retry-num');
    const retryReason = c.req.header('x-slack-retry-reason');
    deps.receiver
      .dispatch({
        body,
        ...(retryNum ? { retryNum: Number(retryNum) } : {}),
        ...(retryReason ? { retryReason } : {}),
        ack: async (response?: unknown) => {
          acked(response ?? null);
        },
      })
      .catch((error: unknown) => {
        deps.logger.error({ err: error }, 'slack: Bolt could not handle a request');
        acked(null);
      });
    const response = await Promise.race([
      ack,
      new Promise((resolve) => setTimeout(() => resolve(undefined), ACK_WITHIN_MS).unref()),
    ]);
    if (response === undefined) deps.logger.warn('slack: no ack within 2.5 s; answered 200 anyway');
    if (typeof response === 'string') return c.text(response);
    if (response && typeof response === 'object') return c.json(response);
    return c.body(null, 200);
  });
  return app;
}
