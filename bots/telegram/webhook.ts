/**
 * POST /webhooks/telegram, mounted by server/: Telegram sends each update here when
 * TELEGRAM_WEBHOOK_URL is set. The X-Telegram-Bot-Api-Secret-Token header must equal
 * TELEGRAM_WEBHOOK_SECRET (compared in constant time); anything else is refused 401 and written to
 * the audit log, and nothing of it is read further. An accepted update is answered 200 at once and
 * handled in the background (a turn may take minutes; Telegram retries what is not answered fast).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Update } from 'telegraf/types';
import type { Logger } from '../../config/logger.js';
import { auditBatcherFor } from '../../store/audit/audit-batcher.js';
import type { Pool } from '../../store/db/pool.js';

/** Equal strings, in time that does not depend on where they differ. */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

export function telegramWebhook(deps: {
  pool: Pool;
  secret: string;
  logger: Logger;
  handle: (update: Update) => Promise<void>;
}): Hono {
  const app = new Hono();
  app.post('/', async (c) => {
    const given = c.req.header('x-telegram-bot-api-secret-token') ?? '';
    if (!constantTimeEqual(given, deps.secret)) {
      await auditBatcherFor(deps.pool)
        .append({
          actorKind: 'system',
          actorId: null,
          channel: 'telegram',
          action: 'webhook.refused',
          entityKind: 'webhook',
          entityId: 'telegram',
          after: { why: given ? 'wrong secret token' : 'no secret token' },
        })
        .catch((error: unknown) =>
          deps.logger.warn({ err: error }, 'telegram: could not audit a refused webhook call'),
        );
      return c.json(
        {
          ok: false,
          error: 'unauthorized',
          message: 'wrong or missing X-Telegram-Bot-Api-Secret-Token',
        },
        401,
      );
    }
    let update: unknown;
    try {
      update = await c.req.json();
    } catch {
      return c.json(
        { ok: false, error: 'bad_request', message: 'the body must be a JSON Telegram update' },
        400,
      );
    }
    if (
      typeof update !== 'object' ||
      update === null ||
      typeof (update as { update_id?: unknown }).update_id !== 'number'
    )
      return c.json(
        { ok: false, error: 'bad_request', message: 'an update needs a numeric update_id' },
        400,
      );
    deps
      .handle(update as Update)
      .catch((error: unknown) =>
        deps.logger.error({ err: error }, 'telegram: a webhook update failed'),
      );
    return c.json({ ok: true });
  });
  return app;
}
