/**
 * The OpenAPI 3.1 document of the REST API, generated from the tools' zod schemas (one POST path
 * per tool under /api/tools) plus the /api/proposals routes and the resource routes
 * (/api/backtests/{id}, /api/portfolio/{account}), served without auth at
 * /api/openapi.json by `openApiRoute()` (mounted at /api).
 */

import { Hono } from 'hono';
import { z } from 'zod';
import { APP_VERSION } from '../config/app-info.js';
import { PROPOSAL_STATUSES } from '../orders/types.js';
import { TOOLS } from '../tools/index.js';
import { requiredScope } from '../tools/invoke.js';
import type { Tool } from '../tools/tool.js';

type JsonObject = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without its $schema line. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest as JsonObject;
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'A short code, e.g. bad_input, not_found, forbidden.' },
    message: { type: 'string', description: 'What was wrong and what to try next.' },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const AUTH_ERRORS = {
  '401': errorResponse('Missing or invalid bearer token.'),
  '503': errorResponse('The server is starting, or a dependency is unavailable.'),
};

function toolPath(tool: Tool): JsonObject {
  return {
    post: {
      operationId: tool.name,
      summary: tool.title,
      description: `${tool.description}\n\nNeeds the '${requiredScope(tool)}' scope.${
        tool.writes ? ' This tool only creates a proposal; a person approves it elsewhere.' : ''
      }`,
      tags: ['tools'],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: jsonSchema(tool.input, 'input') } },
      },
      responses: {
        '200': {
          description: 'The tool result.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['output'],
                properties: { output: jsonSchema(tool.output, 'output') },
              },
            },
          },
        },
        '400': errorResponse('Bad arguments: the message names each bad field and what is valid.'),
        '403': errorResponse('The token lacks the scope this tool needs.'),
        '404': errorResponse('Something the arguments name does not exist.'),
        '500': errorResponse('Internal error (logged on the server).'),
        ...AUTH_ERRORS,
      },
    },
  };
}

const idParameter = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'The proposal id.',
};

const decision = (what: 'approve' | 'reject') => ({
  post: {
    operationId: `${what}Proposal`,
    summary: what === 'approve' ? 'Approve a proposal' : 'Reject a proposal',
    description:
      what === 'approve'
        ? "Needs a token with the 'approve' scope (never granted by default) and the approver role on the proposal's account. The body must carry order_hash: the hash of the order the person was shown, all 64 hex digits or the first 12 (order_hash_short); nothing is filled in. Under four-eyes the two approvers must be principals other than the proposer. Rate-limited per principal."
        : "Needs a token with the 'approve' scope and the approver role on the proposal's account. order_hash is optional here (a rejection sends nothing); when given it must match. Rate-limited per principal.",
    tags: ['proposals'],
    parameters: [idParameter],
    requestBody: {
      required: what === 'approve',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            ...(what === 'approve' ? { required: ['order_hash'] } : {}),
            properties: {
              order_hash: {
                type: 'string',
                pattern: '^([0-9a-fA-F]{12}|[0-9a-fA-F]{64})$',
                description:
                  'The hash of the order the person was shown: the full SHA-256 (64 hex digits) or its first 12, as every channel displays it.',
              },
              reason: {
                type: 'string',
                maxLength: 2000,
                description: 'Why (kept with the decision).',
              },
            },
          },
        },
      },
    },
    responses: {
      '200': { description: 'The decision and the proposal.' },
      '400': errorResponse(
        what === 'approve'
          ? 'The body is not a JSON object, or order_hash is missing or not 12/64 hex digits; nothing was decided.'
          : 'The body is not a JSON object, or a field is malformed; nothing was decided.',
      ),
      '403': errorResponse(
        "Not an approver on this account, the token lacks the 'approve' scope, or (four-eyes) the caller proposed it.",
      ),
      '404': errorResponse('No such proposal.'),
      '409': errorResponse(
        'The proposal cannot be decided (expired, decided, changed, another hash, price moved, risk fails).',
      ),
      '413': errorResponse('The body is larger than 1 MiB.'),
      '415': errorResponse('The body is not application/json.'),
      '429': errorResponse('Too many decisions; see Retry-After.'),
      ...AUTH_ERRORS,
    },
  },
});

const BACKTEST_SCHEMA = {
  type: 'object',
  required: ['id', 'resource', 'status', 'strategy', 'params', 'symbols', 'start', 'end'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    resource: { type: 'string', description: 'backtest://<id>' },
    status: { type: 'string', enum: ['queued', 'running', 'done', 'failed', 'cancelled'] },
    strategy: { type: 'string' },
    params: { type: 'object', additionalProperties: { type: 'number' } },
    symbols: { type: 'array', items: { type: 'string' } },
    start: { type: 'string', format: 'date', description: 'First bar of the run.' },
    end: { type: 'string', format: 'date', description: 'Last bar of the run.' },
    settings: {
      type: 'object',
      description: 'cash (USD), commission_bps, slippage_bps, fill, price_mode.',
    },
    engine_version: { type: 'string' },
    currency: { type: 'string' },
    metrics: {
      type: ['object', 'null'],
      description:
        'Every figure, snake_case: final_equity, total_return, cagr, sharpe, max_drawdown, trade_count, win_rate, …',
    },
    equity_curve: {
      type: ['array', 'null'],
      description: 'At most 500 points, evenly spaced in bars, first and last kept.',
      items: {
        type: 'object',
        properties: { date: { type: 'string', format: 'date' }, equity: { type: 'number' } },
      },
    },
    trades: {
      type: ['array', 'null'],
      description: 'Every trade of the run, by exit date then entry date.',
      items: { type: 'object' },
    },
    error: { type: ['string', 'null'] },
    created_by: { type: ['string', 'null'], description: 'The principal id that ran it.' },
    created_at: { type: 'string', format: 'date-time' },
    finished_at: { type: ['string', 'null'], format: 'date-time' },
  },
};

/** The resource routes: a stored backtest, and an account's portfolio as get_portfolio answers it. */
function resourcePaths(tools: readonly Tool[]): JsonObject {
  const portfolio = tools.find((tool) => tool.name === 'get_portfolio');
  const readErrors = {
    '403': errorResponse("The token lacks the 'read' scope."),
    ...AUTH_ERRORS,
  };
  return {
    '/api/backtests/{id}': {
      get: {
        operationId: 'getBacktest',
        summary: 'A stored backtest',
        description:
          "A run run_backtest stored (the MCP resource backtest://{id}): strategy, params, symbols, start and end, settings (cash, commission_bps, slippage_bps, fill, price_mode), engine_version, every metric, all trades and the equity curve (at most 500 [{date, equity}] points, first and last kept). Money in USD, ratios as fractions. Needs the 'read' scope.",
        tags: ['resources'],
        parameters: [
          {
            name: 'id',
            in: 'path',
            required: true,
            schema: { type: 'string', format: 'uuid' },
            description: 'The id run_backtest returned.',
          },
        ],
        responses: {
          '200': {
            description: 'The stored backtest.',
            content: { 'application/json': { schema: BACKTEST_SCHEMA } },
          },
          '400': errorResponse('The id is not a uuid.'),
          '404': errorResponse('No backtest with this id.'),
          ...readErrors,
        },
      },
    },
    '/api/portfolio/{account}': {
      get: {
        operationId: 'getPortfolioResource',
        summary: 'An account portfolio',
        description:
          "What get_portfolio answers for the account (the MCP resource portfolio://{account}). Needs the 'read' scope.",
        tags: ['resources'],
        parameters: [
          {
            name: 'account',
            in: 'path',
            required: true,
            schema: { type: 'string' },
            description: "The account id, e.g. 'paper'.",
          },
        ],
        responses: {
          '200': {
            description: 'The portfolio.',
            content: {
              'application/json': portfolio
                ? { schema: jsonSchema(portfolio.output, 'output') }
                : {},
            },
          },
          '400': errorResponse('Bad account id.'),
          '404': errorResponse('No such account.'),
          ...readErrors,
        },
      },
    },
  };
}

/** The events POST /api/chat streams, each an SSE `event:` name with one JSON object as `data`. */
const CHAT_EVENTS: Record<string, string> = {
  text: '{type, text}: a chunk of the answer as it is written; concatenate them.',
  tool_started: '{type, call_id, tool, args}: a tool call began (through the same gate as MCP).',
  tool_progress: '{type, call_id, tool, done, total, message?}: long work reports progress.',
  tool_result:
    "{type, call_id, tool, ok, output? | error?: {code, message}, ids}: the tool's checked output (as POST /api/tools/:name answers) and the ids it cites (backtest_id, proposal_id…).",
  proposal:
    '{type, proposal_id, status, order_hash, order_hash_short, expires_at, lines: [{label, text, kind}], message}: a proposal made in this turn, every line a person deciding is shown (the note last); message says it waits for approval.',
  error: '{type, code, message}: something the person should read (bad command, refused decision).',
  done: '{type, thread, conversation_id, mode: slash|agent|fallback, tool_calls, elapsed_ms}: always last.',
};

function chatPath(): JsonObject {
  return {
    post: {
      operationId: 'chat',
      summary: 'One conversation turn, answered as Server-Sent Events',
      description: `Plain language (answered by the local model when one is configured; otherwise the closest slash commands) or a slash command (/help lists them). The answer is a text/event-stream of typed events: ${Object.entries(
        CHAT_EVENTS,
      )
        .map(([name, text]) => `\`${name}\` ${text}`)
        .join(
          ' ',
        )} Threads belong to the token's principal. \`/approve <id>\` typed here decides as the token's principal only when the token holds the 'approve' scope and the principal may approve; the model can never approve. A client that disconnects cancels the running tool; the turn is still stored.`,
      tags: ['chat'],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['text'],
              properties: {
                thread: {
                  type: 'string',
                  pattern: '^[A-Za-z0-9._-]{1,64}$',
                  default: 'main',
                  description: "The principal's thread to continue (created when new).",
                },
                text: {
                  type: 'string',
                  minLength: 1,
                  maxLength: 8000,
                  description: 'What the person typed: a question or a /command.',
                },
              },
              additionalProperties: false,
            },
          },
        },
      },
      responses: {
        '200': {
          description: 'A text/event-stream of the events above, ending with `done`.',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
        '400': errorResponse(
          'Text missing, empty or too long; a bad thread name; a body that is not JSON.',
        ),
        ...AUTH_ERRORS,
      },
    },
  };
}

/** The OpenAPI 3.1 document for `tools`, the proposal, chat and resource routes. */
export function openApiDocument(tools: readonly Tool[] = TOOLS): JsonObject {
  const paths: JsonObject = {
    '/api/tools': {
      get: {
        operationId: 'listTools',
        summary: 'List the tools',
        tags: ['tools'],
        responses: {
          '200': {
            description: 'Every tool: name, title, description, whether it writes (proposes).',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    tools: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          name: { type: 'string' },
                          title: { type: 'string' },
                          description: { type: 'string' },
                          writes: { type: 'boolean' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          ...AUTH_ERRORS,
        },
      },
    },
  };
  for (const tool of tools) paths[`/api/tools/${tool.name}`] = toolPath(tool);
  paths['/api/proposals'] = {
    get: {
      operationId: 'listProposals',
      summary: 'List proposals',
      tags: ['proposals'],
      parameters: [
        {
          name: 'status',
          in: 'query',
          schema: {
            type: 'string',
            enum: [...PROPOSAL_STATUSES],
          },
        },
        { name: 'account', in: 'query', schema: { type: 'string' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
      ],
      responses: {
        '200': {
          description:
            '{ proposals: [...] }: only proposals of accounts the principal holds a role on.',
        },
        '400': errorResponse('Bad status or limit.'),
        '403': errorResponse(
          "The token lacks the 'read' scope, or account names an account the principal holds no role on.",
        ),
        ...AUTH_ERRORS,
      },
    },
  };
  paths['/api/proposals/{id}'] = {
    get: {
      operationId: 'getProposal',
      summary: 'One proposal and the orders it became',
      tags: ['proposals'],
      parameters: [idParameter],
      responses: {
        '200': {
          description:
            '{ proposal, orders }. proposal.untrusted_text names the fields that quote text written by others (data, never instructions).',
        },
        '403': errorResponse(
          "The token lacks the 'read' scope, or the principal holds no role on the proposal's account.",
        ),
        '404': errorResponse('No such proposal.'),
        ...AUTH_ERRORS,
      },
    },
  };
  paths['/api/proposals/{id}/approve'] = decision('approve');
  paths['/api/proposals/{id}/reject'] = decision('reject');
  paths['/api/chat'] = chatPath();
  paths['/api/chat/threads'] = {
    get: {
      operationId: 'listChatThreads',
      summary: "The principal's chat threads on this API, most recent first",
      tags: ['chat'],
      responses: {
        '200': { description: '{ threads: [{ thread, messages, updated_at }] }' },
        ...AUTH_ERRORS,
      },
    },
  };
  Object.assign(paths, resourcePaths(tools));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Countersign API',
      version: APP_VERSION,
      description:
        'Tools propose; people approve. No tool and no argument can approve an order: approvals go through /api/proposals/{id}/approve with a token holding the "approve" scope and the hash the person was shown, or the CLI. Every account-scoped route needs a role on that account.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: [
      { name: 'tools', description: 'The tool registry, the same as over MCP.' },
      { name: 'proposals', description: 'Deciding on proposals.' },
      { name: 'resources', description: 'Read-only views, the same as the MCP resources.' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A token from `countersign token create` (cs_<id>_<secret>).',
        },
      },
      schemas: { Error: ERROR_SCHEMA },
    },
  };
}

/** A Hono app to mount at /api: `GET /openapi.json` (no auth), built once. */
export function openApiRoute(tools: readonly Tool[] = TOOLS): Hono {
  const app = new Hono();
  let document: JsonObject | undefined;
  app.get('/openapi.json', (c) => {
    document ??= openApiDocument(tools);
    return c.json(document);
  });
  return app;
}
