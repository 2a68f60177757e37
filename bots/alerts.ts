/**
 * Alerts fire. Rules come from create_alert (table alerts); this watches for what fires them and
 * sends each firing to every linked Telegram and Slack chat of the rule's principal:
 *
 * - price_above / price_below: the latest price (new bars, and a check every tick) past the level;
 * - drift_above: the account's largest |weight − target| past the threshold; the alert carries a
 *   rebalance *proposal* (proposer kind `alert`) with its Approve / Reject buttons, so one press
 *   rebalances, and nothing trades without it;
 * - fill, proposal_rejected, proposal_expired: the orders module's events on the rule's account;
 * - daily_summary: once a day, at the rule's hour (UTC), with the market regime;
 * - model_drift: the live screening model's features drifted (models/start.ts's check after an
 *   import), once per model and set of drifted features.
 *
 * A firing is an alert_events row unique per (rule, what fired it): the fill, the proposal, the
 * day, or the rule's interval for price and drift rules ("at most one alert per rule per
 * interval"), so two processes or a restart never fire one twice. Each message is an
 * alert_deliveries row sent by the delivery pass: pending → sending → sent (or failed after 5
 * tries); a restart resumes what was not sent. Quiet hours (table quiet_hours) set a delivery's
 * due time to their end.
 */
import type { Logger } from '../config/logger.js';
// The bus topic model.drifted is declared where it is published.
import type {} from '../models/start.js';
import type { PriceSource } from '../orders/prices.js';
import type { Orders } from '../orders/service.js';
import type { Pool } from '../store/db/pool.js';
import type { Bus, Unsubscribe } from '../store/kv/bus.js';
import type { ChatKind } from '../store/repos/chat-links-repo.js';
import { createToolContext } from '../tools/context.js';
import type { AlertRule } from '../tools/create-alert.js';
import { latestMarketRegime } from '../tools/market-regime.js';
import { planRebalanceTool } from '../tools/plan-rebalance.js';
import type { Deliveries, ProposalChannel } from './deliveries.js';

/** Sends this many times at most before a delivery is marked failed. */
const MAX_ATTEMPTS = 5;

interface AlertRow {
  id: string;
  principal_id: string;
  handle: string;
  account_id: string | null;
  symbol: string | null;
  condition: AlertRule;
  cooldown_s: number;
  last_fired_at: Date | null;
}

export interface Alerts {
  /** Fires `alert` for `key` unless it fired for that key already; returns the event id or null. */
  fire(alertId: string, key: string, text: string, proposalId?: string): Promise<string | null>;
  /** Checks the price, drift and daily rules now. */
  check(): Promise<number>;
  /** Sends what is due; returns how many were sent. */
  deliverDue(): Promise<number>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** When quiet hours [from, to) (UTC) hold at `now`, the end of them; else undefined. */
export function quietUntil(now: Date, from: number, to: number): Date | undefined {
  const hour = now.getUTCHours();
  const inside = from < to ? hour >= from && hour < to : hour >= from || hour < to;
  if (!inside) return undefined;
  const end = new Date(now);
  end.setUTCMinutes(0, 0, 0);
  end.setUTCHours(to);
  if (end.getTime() <= now.getTime()) end.setUTCDate(end.getUTCDate() + 1);
  return end;
}

const money = (value: number) =>
  value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function createAlerts(deps: {
  pool: Pool;
  orders: Orders;
  bus: Bus;
  prices: PriceSource;
  channels: ProposalChannel[];
  deliveries?: Deliveries;
  logger: Logger;
  now?: () => Date;
  /** How often rules are checked and due deliveries sent (default 60 s). */
  tickMs?: number;
}): Alerts {
  const { pool, orders, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const byKind = new Map(deps.channels.map((channel) => [channel.kind, channel]));
  const subscriptions: Unsubscribe[] = [];
  let timer: NodeJS.Timeout | undefined;
  let delivering: Promise<number> | undefined;

  async function rules(kinds: string[]): Promise<AlertRow[]> {
    const { rows } = await pool.query<AlertRow>(
      `SELECT a.id, a.principal_id, p.handle, a.account_id, a.symbol, a.condition, a.cooldown_s, a.last_fired_at
         FROM alerts a JOIN principals p ON p.id = a.principal_id
        WHERE a.status = 'active' AND p.disabled_at IS NULL AND a.condition->>'kind' = ANY($1)
          AND (a.expires_at IS NULL OR a.expires_at > $2)`,
      [kinds, now()],
    );
    return rows;
  }

  /** The interval a price or drift rule is in: one firing per rule per interval. */
  const interval = (rule: AlertRow) =>
    `interval:${Math.floor(now().getTime() / 1000 / Math.max(rule.cooldown_s, 60))}`;
  const cooledDown = (rule: AlertRow) =>
    rule.last_fired_at === null ||
    now().getTime() - rule.last_fired_at.getTime() >= rule.cooldown_s * 1000;

  /** Claims the firing of `alertId` for `key`: its event id the first time, null after. */
  async function claim(
    alertId: string,
    key: string,
    text = '',
  ): Promise<{ id: string; principalId: string } | null> {
    const { rows } = await pool.query<{ id: string; principal_id: string }>(
      `WITH fired AS (
         INSERT INTO alert_events (alert_id, dedupe_key, fired_at, text)
         VALUES ($1, $2, $3, $4) ON CONFLICT (alert_id, dedupe_key) DO NOTHING RETURNING id, alert_id
       ), marked AS (
         UPDATE alerts SET last_fired_at = $3 FROM fired WHERE alerts.id = fired.alert_id RETURNING alerts.principal_id
       )
       SELECT fired.id, marked.principal_id FROM fired, marked`,
      [alertId, key.slice(0, 200), now(), text],
    );
    const event = rows[0];
    return event ? { id: event.id, principalId: event.principal_id } : null;
  }

  /** Gives a claimed firing its text (and proposal) and queues a message to every linked chat. */
  async function finish(
    event: { id: string; principalId: string },
    text: string,
    proposalId?: string,
  ) {
    const at = now();
    await pool.query('UPDATE alert_events SET text = $2, proposal_id = $3 WHERE id = $1', [
      event.id,
      text,
      proposalId ?? null,
    ]);
    // Every linked chat of the principal; due at once, or when their quiet hours end.
    const quiet = await pool.query<{ from_hour: number; to_hour: number }>(
      'SELECT from_hour, to_hour FROM quiet_hours WHERE principal_id = $1',
      [event.principalId],
    );
    const hours = quiet.rows[0];
    const due = (hours && quietUntil(at, hours.from_hour, hours.to_hour)) ?? at;
    await pool.query(
      `INSERT INTO alert_deliveries (event_id, channel, chat_ref, due_at)
       SELECT $1, i.kind, CASE WHEN i.kind = 'slack' THEN split_part(i.external_id, ':', 2) ELSE i.external_id END, $3
         FROM identities i
        WHERE i.principal_id = $2 AND i.kind IN ('telegram', 'slack') AND i.revoked_at IS NULL
       ON CONFLICT DO NOTHING`,
      [event.id, event.principalId, due],
    );
  }

  async function fire(alertId: string, key: string, text: string, proposalId?: string) {
    const event = await claim(alertId, key, text);
    if (!event) return null;
    await finish(event, text, proposalId);
    logger.info({ alert: alertId, key }, 'alert fired');
    return event.id;
  }

  async function deliverOnce(): Promise<number> {
    // Claim what is due (a crashed pass's "sending" older than a minute is claimed again).
    const { rows } = await pool.query<{
      id: string;
      channel: ChatKind;
      chat_ref: string;
      text: string;
      proposal_id: string | null;
      principal_id: string;
    }>(
      `UPDATE alert_deliveries d SET status = 'sending', attempts = d.attempts + 1, due_at = $1
         FROM alert_events e JOIN alerts a ON a.id = e.alert_id
        WHERE d.event_id = e.id AND d.id IN (
          SELECT id FROM alert_deliveries
           WHERE due_at <= $1 AND (status = 'pending' OR (status = 'sending' AND due_at < $1 - interval '1 minute'))
           ORDER BY due_at LIMIT 500 FOR UPDATE SKIP LOCKED)
       RETURNING d.id, d.channel, d.chat_ref, e.text, e.proposal_id, a.principal_id`,
      [now()],
    );
    let sent = 0;
    await Promise.all(
      rows.map(async (row) => {
        const channel = byKind.get(row.channel);
        try {
          if (!channel) throw new Error(`no ${row.channel} channel runs here`);
          await channel.sendText(row.chat_ref, row.text);
          if (row.proposal_id && deps.deliveries) {
            const proposal = await orders.getProposal(row.proposal_id);
            await deps.deliveries.sendTo(proposal, row.channel, row.chat_ref, row.principal_id);
          }
          await pool.query(
            "UPDATE alert_deliveries SET status = 'sent', sent_at = $2, error = NULL WHERE id = $1",
            [row.id, now()],
          );
          sent++;
        } catch (error) {
          const message = (error as Error).message.slice(0, 300);
          await pool.query(
            `UPDATE alert_deliveries SET status = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END,
                    error = $2, due_at = $4 WHERE id = $1`,
            [row.id, message, MAX_ATTEMPTS, new Date(now().getTime() + 30_000)],
          );
          logger.warn({ err: error, delivery: row.id }, 'alert delivery failed; tried again later');
        }
      }),
    );
    return sent;
  }

  function deliverDue(): Promise<number> {
    delivering ??= deliverOnce().finally(() => {
      delivering = undefined;
    });
    return delivering;
  }

  async function checkPrices(): Promise<number> {
    const price = await rules(['price_above', 'price_below']);
    const due = price.filter(cooledDown);
    if (due.length === 0) return 0;
    const latest = await deps.prices.latest([...new Set(due.map((rule) => rule.symbol as string))]);
    let fired = 0;
    for (const rule of due) {
      const quote = latest.get(rule.symbol as string);
      if (!quote) continue;
      const level = Number(rule.condition.value);
      const last = Number(quote.price);
      const above = rule.condition.kind === 'price_above';
      if (above ? last > level : last < level) {
        const text = `Alert: ${rule.symbol} is ${quote.price} USD (as of ${quote.at}), ${above ? 'above' : 'below'} your level of ${money(level)} USD. This alert trades nothing.`;
        if (await fire(rule.id, interval(rule), text)) fired++;
      }
    }
    return fired;
  }

  async function checkDrift(): Promise<number> {
    let fired = 0;
    for (const rule of (await rules(['drift_above'])).filter(cooledDown)) {
      const account = rule.account_id ?? rule.condition.account ?? 'paper';
      const threshold = Number(rule.condition.value);
      const context = createToolContext({
        principal: { id: rule.principal_id, handle: rule.handle, scopes: ['read', 'propose'] },
        pool,
        orders,
        channel: 'chat',
        proposerKind: 'alert',
        logger,
        now,
      });
      try {
        const plan = (await planRebalanceTool.handler(
          planRebalanceTool.input.parse({
            account,
            targets: rule.condition.targets ?? [],
            drift_threshold: 0,
          }),
          context,
        )) as {
          orders: {
            symbol: string;
            side: 'buy' | 'sell';
            quantity: number;
            from_weight: number;
            target_weight: number;
          }[];
          skipped: { symbol: string; from_weight: number; target_weight: number }[];
        };
        const gaps = [...plan.orders, ...plan.skipped].map((one) => ({
          symbol: one.symbol,
          gap: Math.abs(one.from_weight - one.target_weight),
        }));
        const worst = gaps.reduce((a, b) => (b.gap > a.gap ? b : a), { symbol: '-', gap: 0 });
        if (worst.gap <= threshold || plan.orders.length === 0) continue;
        // The interval is claimed before proposing: a second process (or pass) proposes nothing.
        const event = await claim(rule.id, interval(rule));
        if (!event) continue;
        const drifted = `Alert: account ${account} has drifted: ${worst.symbol} is ${(worst.gap * 100).toFixed(1)} percentage points from its target (your threshold is ${(threshold * 100).toFixed(1)}).`;
        let proposalId: string | undefined;
        let text: string;
        try {
          const proposal = await orders.propose({
            accountId: account,
            legs: plan.orders.map((order) => ({
              symbol: order.symbol,
              side: order.side,
              quantity: order.quantity,
            })),
            proposer: { kind: 'alert', principalId: rule.principal_id },
            channel: 'system',
            rationale: `Drift alert ${rule.id}: ${worst.symbol} is ${(worst.gap * 100).toFixed(1)} points from its target (threshold ${(threshold * 100).toFixed(1)}).`,
          });
          proposalId = proposal.id;
          text = `${drifted} A rebalance of ${plan.orders.length} order${plan.orders.length === 1 ? '' : 's'} is proposed below; nothing trades unless you approve it.`;
        } catch (error) {
          // Said, not swallowed: the person learns of the drift and why no rebalance was proposed.
          text = `${drifted} No rebalance could be proposed: ${(error as Error).message.slice(0, 300)}`;
        }
        await finish(event, text, proposalId);
        logger.info({ alert: rule.id }, 'drift alert fired');
        fired++;
      } catch (error) {
        logger.warn({ err: error, alert: rule.id }, 'drift alert: could not check the account');
      }
    }
    return fired;
  }

  async function checkDaily(): Promise<number> {
    const at = now();
    let fired = 0;
    for (const rule of await rules(['daily_summary'])) {
      if (at.getUTCHours() < Number(rule.condition.value ?? 21)) continue;
      const day = at.toISOString().slice(0, 10);
      const account = rule.account_id ?? rule.condition.account ?? 'paper';
      const { rows } = await pool.query<{ fills: string; pending: string; proposed: string }>(
        `SELECT (SELECT count(*) FROM fills WHERE account_id = $1 AND filled_at >= $2::date) AS fills,
                (SELECT count(*) FROM proposals WHERE account_id = $1 AND status = 'pending') AS pending,
                (SELECT count(*) FROM proposals WHERE account_id = $1 AND created_at >= $2::date) AS proposed`,
        [account, day],
      );
      const figures = rows[0] ?? { fills: '0', pending: '0', proposed: '0' };
      const regime = await latestMarketRegime({ pool }).catch(() => undefined);
      const market = regime
        ? ` Market regime on ${regime.date}: ${regime.regime} (63-day trend ${(regime.trend_63d * 100).toFixed(1)} %, volatility ${(regime.volatility_21d * 100).toFixed(0)} % a year).`
        : '';
      const text = `Daily summary for account ${account}, ${day}: ${figures.proposed} proposal(s) today, ${figures.pending} waiting for a decision, ${figures.fills} fill(s) today.${market}`;
      if (await fire(rule.id, `day:${day}`, text)) fired++;
    }
    return fired;
  }

  async function onEvent(kind: string, accountId: string, key: string, text: string) {
    for (const rule of await rules([kind])) {
      if ((rule.account_id ?? rule.condition.account ?? 'paper') !== accountId) continue;
      await fire(rule.id, key, text);
    }
    await deliverDue();
  }

  const safely = (what: string, work: () => Promise<unknown>) => {
    work().catch((error: unknown) => logger.warn({ err: error }, `alerts: ${what} failed`));
  };

  async function check(): Promise<number> {
    const fired = (await checkPrices()) + (await checkDrift()) + (await checkDaily());
    await deliverDue();
    return fired;
  }

  return {
    fire,
    check,
    deliverDue,
    async start() {
      subscriptions.push(
        await deps.bus.subscribe('order.filled', (event) =>
          safely('a fill alert', async () => {
            const { rows } = await pool.query<{ symbol: string; side: string; avg: string | null }>(
              'SELECT symbol, side, avg_fill_price::text AS avg FROM orders WHERE id = $1',
              [event.orderId],
            );
            const order = rows[0];
            const text = `Fill: ${order?.side ?? ''} ${event.filledQuantity} ${order?.symbol ?? ''} on account ${event.accountId}${order?.avg ? ` at ${order.avg} USD` : ''} (${event.status.replace('_', ' ')}; order ${event.orderId}).`;
            await onEvent(
              'fill',
              event.accountId,
              `fill:${event.orderId}:${event.filledQuantity}`,
              text,
            );
          }),
        ),
        await deps.bus.subscribe('proposal.rejected', (event) =>
          safely('a rejection alert', () =>
            onEvent(
              'proposal_rejected',
              event.accountId,
              `rejected:${event.proposalId}`,
              `Proposal ${event.proposalId} on account ${event.accountId} was rejected: ${event.reason}. Nothing was sent.`,
            ),
          ),
        ),
        await deps.bus.subscribe('proposal.expired', (event) =>
          safely('an expiry alert', () =>
            onEvent(
              'proposal_expired',
              event.accountId,
              `expired:${event.proposalId}`,
              `Proposal ${event.proposalId} on account ${event.accountId} expired without a decision. Nothing was sent.`,
            ),
          ),
        ),
        await deps.bus.subscribe('model.drifted', (event) =>
          safely('a model drift alert', async () => {
            for (const rule of await rules(['model_drift']))
              await fire(
                rule.id,
                `model-drift:${event.model}:${event.features.join(',')}`,
                `Model drift: ${event.model}'s features ${event.features.join(', ')} moved beyond PSI 0.2 since its training window. Its scores may no longer hold; retrain with countersign models train --retrain.`,
              );
            await deliverDue();
          }),
        ),
        await deps.bus.subscribe('bars.imported', () =>
          safely('price alerts', async () => {
            await checkPrices();
            await deliverDue();
          }),
        ),
      );
      safely('the alert pass', check);
      timer = setInterval(() => safely('the alert pass', check), deps.tickMs ?? 60_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      for (const unsubscribe of subscriptions.splice(0)) await unsubscribe();
      await delivering?.catch(() => undefined);
    },
  };
}
