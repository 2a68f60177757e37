/**
 * `countersign proposals`, `approve <id>` and `reject <id>`: the local human channel. The person at
 * this machine decides as a principal with a CLI identity (`local` by default, created on first
 * run with the trader, approver and admin roles on the paper account).
 */
import os from 'node:os';
import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { displayText } from '../core/display-text.js';
import { describeProposal } from '../orders/describe.js';
import { ApprovalRefusedError, NotFoundError } from '../orders/errors.js';
import { hashMatches } from '../orders/hash.js';
import { createOrdersRuntime } from '../orders/runtime.js';
import type { Proposal } from '../orders/types.js';
import { openDatabase } from '../store/db/open-database.js';
import type { Pool } from '../store/db/pool.js';
import { createKv } from '../store/kv/kv.js';
import { cliPrincipal } from './cli-principal.js';
import { table } from './output.js';
import { UsageError } from './run-options.js';

export interface ProposalsOptions {
  status?: string;
  account?: string;
  json?: boolean;
}

export interface DecideOptions {
  as?: string;
  /** The hash the person was shown elsewhere (short or full); it must be the proposal's. */
  hash?: string;
  reason?: string;
  /** Decide without asking (a terminal is otherwise asked to confirm). */
  yes?: boolean;
  json?: boolean;
}

/**
 * On a terminal, asks the person to confirm the decision on the order just shown; true when they
 * type y or yes. Off a terminal (a script, a pipe) or with --yes it does not ask.
 */
async function confirmed(decision: 'approve' | 'reject', options: DecideOptions): Promise<boolean> {
  if (options.yes || options.json || !process.stdin.isTTY) return true;
  const { createInterface } = await import('node:readline/promises');
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await prompt.question(
      `\n${decision === 'approve' ? 'Approve and send this order to the broker' : 'Reject this proposal'}? [y/N] `,
    );
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

/** Runs `work` with the orders service over the configured database (and Redis for events, if set). */
export async function withOrders<T>(
  work: (runtime: ReturnType<typeof createOrdersRuntime>, pool: Pool) => Promise<T>,
  options: { sharedState?: boolean } = {},
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
  // sharedState false: an in-process bus (a read-only tool call publishes nothing), so a Redis
  // that is down or far away does not stop it.
  const redisUrl = options.sharedState === false ? undefined : config.redisUrl;
  const kv = await createKv({ redisUrl, logger }).catch(async (error) => {
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

/** A proposal for a person (orders/describe.ts), as a two-column table; the proposer's note last. */
export function proposalTable(proposal: Proposal): string {
  return table(describeProposal(proposal).map((line) => [line.label, line.text]));
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
    console.log(list.map(proposalTable).join('\n\n'));
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
        if (!options.json) console.log(proposalTable(shown));
        if (options.hash !== undefined && !hashMatches(options.hash, shown.orderHash))
          throw new UsageError(
            `--hash ${JSON.stringify(options.hash.slice(0, 70))} is not this proposal's order hash (${shown.orderHash.slice(0, 12)}…): it holds another order than the one you were shown, or the hash is mistyped (give 12 hex digits or all 64); nothing was decided`,
          );
        if (!(await confirmed(decision, options))) {
          console.log('Nothing decided.');
          process.exitCode = 1;
          return;
        }
        const input = {
          proposalId: id,
          principalId,
          channel: 'cli' as const,
          orderHash: shown.orderHash,
          credential: { kind: 'local' as const },
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
          const failed =
            outcome.status === 'submitted'
              ? outcome.orders.filter((o) => o.status === 'failed')
              : [];
          // An approved order the broker refused is a failure of this command, not a success.
          if (failed.length > 0) process.exitCode = 1;
          if (options.json) {
            const proposal = failed.length > 0 ? await orders.getProposal(id) : outcome.proposal;
            console.log(JSON.stringify({ ...outcome, proposal }));
          } else if (outcome.status === 'awaiting_second_approval')
            console.log(
              `\nApproved (${outcome.proposal.approvals.filter((a) => a.decision === 'approve').length} of ${outcome.proposal.requiredApprovals}). This order needs a second approver (four-eyes rule) before it is sent: another approver runs countersign approve ${id} --as <name> (add one with countersign principal add <name> --role approver).`,
            );
          else {
            const sent = outcome.orders
              .map(
                (o) =>
                  `${o.side} ${o.quantity ?? o.notional} ${o.symbol} → ${o.status}${o.avgFillPrice ? ` at ${o.avgFillPrice}` : ''}${o.failureReason ? ` (${displayText(o.failureReason, 300)})` : ''}`,
              )
              .join(', ');
            if (failed.length === outcome.orders.length)
              console.error(
                `\nApproved, but the broker refused it: ${sent}. Proposal ${id} is failed.`,
              );
            else if (failed.length > 0)
              console.error(`\nApproved, but some orders failed: ${sent}.`);
            else console.log(`\nApproved and sent: ${sent}`);
          }
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
