/**
 * The MCP server over the tool registry (@modelcontextprotocol/sdk): every tool with its schemas,
 * honest annotations, structured results (checked against the tool's output schema) with a text mirror, progress and cancellation, and
 * errors as `isError` results a model can act on. Transports (stdio here; Streamable HTTP later)
 * connect to what `createMcpServer` returns. Nothing in it can approve an order: write tools
 * only propose, and the instructions say where a person approves.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { APP_VERSION } from '../config/app-info.js';
import { invokeTool } from './invoke.js';
import type { Tool, ToolContext } from './tool.js';

/** What the server tells every client about itself and about approvals. */
export const SERVER_INSTRUCTIONS = [
  'Countersign is a trading assistant: research (quotes, bars, backtests, strategy and portfolio optimization, screening, rebalance plans) and order proposals.',
  'The approval model: write tools (propose_order, propose_rebalance, cancel_order) only create a PROPOSAL. No order is placed until a human approves exactly that proposal through a human channel: `countersign approve <id>` on the command line, POST /api/proposals/<id>/approve with an approver token, and later Slack, Telegram or the web console.',
  'No tool and no argument can approve. Do not tell the user an order was placed; tell them it awaits their approval and where to give it.',
  'Prices are daily bars in USD; every result states its as-of date.',
].join('\n');

/** A per-call context from the transport's principal, plus the call's progress and signal. */
export type ContextFactory = (call: {
  signal: AbortSignal;
  progress: ToolContext['progress'];
}) => ToolContext;

/** Builds the server with every tool of `tools`. */
export function createMcpServer(tools: readonly Tool[], contextFor: ContextFactory): McpServer {
  const server = new McpServer(
    { name: 'countersign', version: APP_VERSION },
    { instructions: SERVER_INSTRUCTIONS, capabilities: { tools: {} } },
  );
  // The SDK checks arguments against the listed input schema before our handler runs, so a bad
  // call would never reach the gate: no audit entry, and the SDK's message instead of ours.
  // The gate (invokeTool) validates with the same zod schema, so the SDK's pass is switched off
  // for this server. A test pins the behaviour (SDK 1.32.2 keeps it in a private method).
  (
    server as unknown as { validateToolInput: (tool: unknown, args: unknown) => Promise<unknown> }
  ).validateToolInput = async (_tool, args) => args ?? {};
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        // Output schemas stay server-side (every result is checked against one before it is
        // sent): listing them too would more than double tools/list (59 KB against 25 KB), and a
        // small local model's context is the budget that matters.
        annotations: { title: tool.title, ...tool.annotations },
      },
      async (args: unknown, extra) => {
        const token = extra._meta?.progressToken;
        const progress: ToolContext['progress'] = (done, total, message) => {
          if (token === undefined) return;
          void extra
            .sendNotification({
              method: 'notifications/progress',
              params: {
                progressToken: token,
                progress: done,
                total,
                ...(message ? { message } : {}),
              },
            })
            .catch(() => undefined);
        };
        // The person at the client confirms proposals through an elicitation form, when the
        // client declared that it can show one; the model never sees or answers it.
        const canAsk = server.server.getClientCapabilities()?.elicitation !== undefined;
        const confirm: ToolContext['confirm'] = canAsk
          ? async (request) => {
              const answer = await server.server.elicitInput(
                {
                  mode: 'form',
                  message: request.message,
                  requestedSchema: {
                    type: 'object',
                    properties: {
                      approve: {
                        type: 'boolean',
                        title: 'Approve and send this order',
                        description: `Proposal ${request.proposalId}; order hash ${request.orderHash}`,
                      },
                    },
                    required: ['approve'],
                  },
                },
                { signal: extra.signal },
              );
              if (answer.action !== 'accept') return answer.action;
              return answer.content?.approve === true ? 'accept' : 'decline';
            }
          : undefined;
        const result = await invokeTool(
          tool,
          args,
          { ...contextFor({ signal: extra.signal, progress }), ...(confirm ? { confirm } : {}) },
          'mcp',
        );
        if (!result.ok)
          return { content: [{ type: 'text' as const, text: result.message }], isError: true };
        return {
          content: [{ type: 'text' as const, text: JSON.stringify(result.output) }],
          structuredContent: result.output,
        };
      },
    );
  }
  return server;
}
