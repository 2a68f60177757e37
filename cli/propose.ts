/**
 * `countersign propose`: the propose_order tool from the terminal, through the same gate as MCP
 * and REST (tools/invoke.ts: validation, audit) with channel `cli`. It only proposes: the order
 * waits for `countersign approve <id>` (or any other human channel).
 */
import { describeProposal } from '../orders/describe.js';
import { createToolContext } from '../tools/context.js';
import { invokeTool } from '../tools/invoke.js';
import { proposeOrder } from '../tools/propose-order.js';
import { cliPrincipal } from './cli-principal.js';
import { table } from './output.js';
import { withOrders } from './proposals.js';
import { UsageError } from './run-options.js';

/** The raw options commander hands over. */
export interface ProposeOptions {
  account: string;
  symbol: string;
  side: string;
  quantity: string;
  type?: string;
  limitPrice?: string;
  stopPrice?: string;
  tif?: string;
  rationale: string;
  strategy?: string;
  as?: string;
  json?: boolean;
}

/** A number option, or UsageError naming the flag and what is valid. */
function numberOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new UsageError(`${flag} "${text.slice(0, 40)}" is not a number > 0`);
  return value;
}

/** The tool's arguments from the flags (the tool checks the rest and names what is wrong). */
export function proposeArguments(options: ProposeOptions): Record<string, unknown> {
  return {
    account: options.account,
    symbol: options.symbol,
    side: options.side,
    quantity: numberOption('--quantity', options.quantity),
    ...(options.type !== undefined ? { type: options.type } : {}),
    ...(options.limitPrice !== undefined
      ? { limit_price: numberOption('--limit-price', options.limitPrice) }
      : {}),
    ...(options.stopPrice !== undefined
      ? { stop_price: numberOption('--stop-price', options.stopPrice) }
      : {}),
    ...(options.tif !== undefined ? { time_in_force: options.tif } : {}),
    rationale: options.rationale,
    ...(options.strategy !== undefined ? { strategy: options.strategy } : {}),
  };
}

/** Proposes one order; exit 2 for bad flags or arguments, 1 when refused (role, account). */
export async function proposeCommand(options: ProposeOptions): Promise<void> {
  try {
    const args = proposeArguments(options);
    await withOrders(async ({ orders }, pool) => {
      const handle = options.as ?? 'local';
      const principalId = await cliPrincipal(pool, handle);
      const result = await invokeTool(
        proposeOrder,
        args,
        createToolContext({
          principal: {
            id: principalId,
            handle,
            scopes: ['read', 'propose'],
            credential: { kind: 'local' },
          },
          pool,
          orders,
          channel: 'cli',
        }),
      );
      if (!result.ok) {
        console.error(`countersign propose: ${result.message}`);
        process.exitCode = result.code === 'bad_input' ? 2 : 1;
        return;
      }
      const output = result.output as {
        id: string;
        order_hash_short: string;
        risk_passed: boolean;
      };
      if (options.json) {
        console.log(JSON.stringify(output));
        return;
      }
      const proposal = await orders.getProposal(output.id);
      console.log(table(describeProposal(proposal).map((line) => [line.label, line.text])));
      console.log(
        output.risk_passed
          ? `\nProposed; nothing is sent until a human approves it: countersign approve ${output.id} --hash ${output.order_hash_short}`
          : `\nProposed, but risk checks fail: an approval will be refused. Reject it with countersign reject ${output.id} --reason "…", or propose again.`,
      );
    });
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`countersign propose: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    console.error(error);
    process.exitCode = 1;
  }
}
