/**
 * `countersign proposals`, `approve <id>` and `reject <id>`: the local human channel. The person at
 * this machine decides as a principal with a CLI identity (`local` by default, created on first
 * run with the trader, approver and admin roles on the paper account).
 */
import os from 'node:os';
import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { ApprovalRefusedError, NotFoundError } from '../orders/errors.js';
import { createOrdersRuntime } from '../orders/runtime.js';
import type { Proposal } from '../orders/types.js';
import { openDatabase } from '../store/db/open-database.js';
import type { Pool } from '../store/db/pool.js';
import { createKv } from '../store/kv/kv.js';
import { cliPrincipal } from './cli-principal.js';
import { money, table } from './output.js';
import { UsageError } from './run-options.js';

export interface ProposalsOptions {
  status?: string;
  account?: string;
  json?: boolean;
}

export interface DecideOptions {
  as?: string;
  reason?: string;
  json?: boolean;
}

/** Runs `work` with the orders service over the configured database (and Redis for events, if set). */
async function withOrders<T>(
  work: (runtime: ReturnType<typeof createOrdersRuntime>, pool: Pool) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    stream: 'stderr',
  });
  const database = await openDatabase({
    config,
    logger,
    attach: true,
    poolSize: 4,
    applicationName: 'countersign-cli',
  });
  const kv = await createKv({ redisUrl: config.redisUrl, logger }).catch(async (error) => {
    await database.close();
    throw error;
  });
  const runtime = createOrdersRuntime({ pool: database.pool, bus: kv.bus, config, logger });
  try {
    return await work(runtime, database.pool);
  } finally {
    await runtime.close();
    await kv.close();
    await database.close();
  }
}

function describeLeg(leg: Proposal['legs'][number]): string {
  const size =
    leg.quantity !== null
      ? `${leg.quantity} ${leg.symbol}`
      : `$${money(Number(leg.notional))} of ${leg.symbol}`;
  const price =
    leg.type === 'limit'
      ? ` limit ${leg.limitPrice}`
      : leg.type === 'stop'
        ? ` stop ${leg.stopPrice}`
        : ' at market';
  return `${leg.side.toUpperCase()} ${size}${price} (${leg.timeInForce}; last ${leg.referencePrice ?? 'n/a'})`;
}

/** A proposal for a person: what it would do, why, its checks and its state. */
export function describeProposal(proposal: Proposal): string {
  const failed = (
    proposal.riskResults as { passed: boolean; message: string; leg?: number }[]
  ).filter((r) => !r.passed);
  const lines: [string, string][] = [
    ['Proposal', `${proposal.id} (${proposal.status})`],
    ['Account', proposal.accountId],
    ...proposal.legs.map((leg) => [`Leg ${leg.leg}`, describeLeg(leg)] as [string, string]),
    ...(proposal.kind === 'cancel'
      ? [['Cancels', `order ${proposal.cancelOrderId}`] as [string, string]]
      : []),
    ['Rationale', proposal.rationale || '(none)'],
    ['Risk', failed.length === 0 ? 'all checks pass' : failed.map((r) => r.message).join('; ')],
    [
      'Approvals',
      `${proposal.approvals.filter((a) => a.decision === 'approve').length} of ${proposal.requiredApprovals}`,
    ],
    ['Expires', proposal.expiresAt],
    ['Order hash', proposal.orderHash],
  ];
  return table(lines);
}

export async function proposalsCommand(options: ProposalsOptions): Promise<void> {
  try {
    const status = options.status ?? 'pending';
    const list = await withOrders(({ orders }) =>
      orders.listProposals({
        status: status === 'all' ? undefined : status,
        accountId: options.account,
      }),
    );
    if (options.json) {
      console.log(JSON.stringify({ proposals: list }));
      return;
    }
    if (list.length === 0) {
      console.log(`No ${status === 'all' ? '' : `${status} `}proposals.`);
      return;
    }
    console.log(list.map(describeProposal).join('\n\n'));
  } catch (error) {
    process.exitCode = report(error);
  }
}

export function decideCommand(decision: 'approve' | 'reject') {
  return async (id: string, options: DecideOptions): Promise<void> => {
    try {
      if (decision === 'reject' && !options.reason?.trim())
        throw new UsageError('say why with --reason "…"; the reason is kept with the decision');
      await withOrders(async ({ orders }, pool) => {
        const principalId = await cliPrincipal(pool, options.as ?? 'local');
        // The person sees exactly what they decide on; the decision is bound to that order's hash.
        const shown = await orders.getProposal(id);
        if (!options.json) console.log(describeProposal(shown));
        const input = {
          proposalId: id,
          principalId,
          channel: 'cli' as const,
          orderHash: shown.orderHash,
          evidence: {
            kind: 'cli',
            osUser: os.userInfo().username,
            host: os.hostname(),
            pid: process.pid,
          },
          reason: options.reason,
        };
        if (decision === 'approve') {
          const outcome = await orders.approve(input);
          if (options.json) console.log(JSON.stringify(outcome));
          else if (outcome.status === 'awaiting_second_approval')
            console.log(
              '\nApproved. This order needs a second approver (four-eyes rule) before it is sent.',
            );
          else
            console.log(
              `\nApproved and sent: ${outcome.orders.map((o) => `${o.side} ${o.quantity ?? o.notional} ${o.symbol} → ${o.status}${o.avgFillPrice ? ` at ${o.avgFillPrice}` : ''}`).join(', ')}`,
            );
        } else {
          const proposal = await orders.reject(input);
          console.log(
            options.json ? JSON.stringify({ proposal }) : `\nRejected: ${proposal.decisionReason}`,
          );
        }
      });
    } catch (error) {
      process.exitCode = report(error);
    }
  };
}

function report(error: unknown): number {
  if (error instanceof UsageError || error instanceof NotFoundError) {
    console.error(`countersign: ${error.message}`);
    return 2;
  }
  if (error instanceof ApprovalRefusedError) {
    console.error(`countersign: refused (${error.code}): ${error.message}`);
    return 1;
  }
  console.error(error);
  return 1;
}
