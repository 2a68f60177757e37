/**
 * The one gate every transport (MCP, REST) runs a tool call through: scope check, input
 * validation with a readable message, the handler, output validation, error mapping, and one
 * audit entry per call (principal, tool, arguments hash, outcome), committed before the result
 * returns (concurrent calls share one commit: store/audit/audit-batcher.ts).
 */
import type { z } from 'zod';
import { auditBatcherFor } from '../store/audit/audit-batcher.js';
import { argumentBoundsProblem, argumentsDigest } from './argument-bounds.js';
import { markQuotedText } from './quoted-text.js';
import type { Tool, ToolContext } from './tool.js';
import { ToolError } from './tool.js';

/** Why a call failed, as transports map it (REST status, MCP isError). */
export type InvokeErrorCode =
  | 'bad_input'
  | 'not_found'
  | 'forbidden'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/**
 * Tool calls per principal over HTTP: bursts of 200, 50 a second sustained. Generous for a
 * person or an agent; it stops a runaway loop from starving everyone else.
 */
export const TOOL_CALL_LIMIT = { name: 'tool-calls', capacity: 200, refillPerSecond: 50 } as const;

/** What a call answers: the checked output, or an error code with a message a model can act on. */
export type InvokeResult =
  | { ok: true; output: Record<string, unknown> }
  | { ok: false; code: InvokeErrorCode; message: string };

/** SHA-256 hex of the arguments' canonical JSON, bounded in depth and size (tools/argument-bounds.ts). */
export function argsHash(rawInput: unknown): string {
  return argumentsDigest(rawInput).sha256;
}

const show = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : String(value);

/** One zod issue as "field: problem". */
function describeIssue(issue: z.core.$ZodIssue, tool: Tool): string {
  const field = issue.path.map(String).join('.');
  const where = field === '' ? 'the arguments' : field;
  const top = issue.path[0];
  const shape = tool.input.shape as Record<string, z.ZodType | undefined>;
  const hint =
    typeof top === 'string' && issue.path.length === 1 ? shape[top]?.description : undefined;
  let problem: string;
  switch (issue.code) {
    case 'invalid_type':
      {
        const received = /received (\w+)/.exec(issue.message)?.[1];
        const article = /^[aeiou]/.test(issue.expected) ? 'an' : 'a';
        problem =
          received === 'undefined'
            ? `is required (${article} ${issue.expected})`
            : `must be ${article} ${issue.expected}${received ? `, not ${received}` : ''}`;
      }
      break;
    case 'invalid_value':
      problem = `must be one of ${issue.values.map(show).join(', ')}`;
      break;
    case 'too_small':
      problem = `is too small: ${issue.message.replace(/^Too small: /, '')}`;
      break;
    case 'too_big':
      problem = `is too big: ${issue.message.replace(/^Too big: /, '')}`;
      break;
    case 'unrecognized_keys':
      problem = `has unknown field(s) ${issue.keys.map(show).join(', ')}; valid fields: ${Object.keys(shape).join(', ')}`;
      break;
    default:
      problem = issue.message;
  }
  return `${where} ${problem}${hint ? ` — ${hint.replace(/\.\s*$/, '')}` : ''}`;
}

/** A zod error as one sentence naming each bad field, its problem and what is valid. */
export function describeZodError(tool: Tool, error: z.ZodError): string {
  const issues = error.issues.slice(0, 8).map((issue) => describeIssue(issue, tool));
  const more = error.issues.length > 8 ? `; and ${error.issues.length - 8} more` : '';
  return `invalid arguments for ${tool.name}: ${issues.join('; ')}${more}.`;
}

/** The scope a tool needs: 'propose' for write tools, 'read' otherwise. */
export function requiredScope(tool: Tool): 'read' | 'propose' {
  return tool.writes ? 'propose' : 'read';
}

async function run(tool: Tool, rawInput: unknown, context: ToolContext): Promise<InvokeResult> {
  const scope = requiredScope(tool);
  if (!context.principal.scopes.includes(scope))
    return {
      ok: false,
      code: 'forbidden',
      message: `${tool.name} needs the '${scope}' scope; this caller has ${
        context.principal.scopes.length > 0
          ? context.principal.scopes.map((s) => `'${s}'`).join(', ')
          : 'no scopes'
      }. Ask for a token with the '${scope}' scope (\`countersign token create --principal <name> --scopes read,propose\`).`,
    };
  const bounds = argumentBoundsProblem(rawInput);
  if (bounds !== null)
    return {
      ok: false,
      code: 'bad_input',
      message: `invalid arguments for ${tool.name}: ${bounds}.`,
    };
  const parsed = tool.input.safeParse(rawInput);
  if (!parsed.success)
    return { ok: false, code: 'bad_input', message: describeZodError(tool, parsed.error) };
  let output: unknown;
  try {
    output = await tool.handler(parsed.data, context);
  } catch (error) {
    if (error instanceof ToolError) return { ok: false, code: error.code, message: error.message };
    context.logger.error({ err: error, tool: tool.name }, 'tool call failed');
    return {
      ok: false,
      code: 'internal',
      message: `${tool.name} failed with an internal error (logged on the server); try again, or try other arguments.`,
    };
  }
  const checked = tool.output.safeParse(output);
  if (!checked.success) {
    context.logger.error(
      { tool: tool.name, issues: checked.error.issues },
      'tool output does not match its schema',
    );
    return {
      ok: false,
      code: 'internal',
      message: `${tool.name} produced a result that does not match its schema (logged on the server); this is a server bug.`,
    };
  }
  return { ok: true, output: markQuotedText(checked.data as Record<string, unknown>, tool) };
}

/**
 * Runs one call of `tool` for `context.principal` through `context.channel`: never throws. Every call, whatever its
 * outcome, gets an audit entry 'tool.called' after it; an audit failure is logged, not returned.
 */
export async function invokeTool(
  tool: Tool,
  rawInput: unknown,
  context: ToolContext,
): Promise<InvokeResult> {
  let result: InvokeResult;
  try {
    const limited = context.limiter ? await context.limiter.take(context.principal.id) : undefined;
    result =
      limited && !limited.allowed
        ? {
            ok: false,
            code: 'rate_limited',
            message: `too many tool calls from ${context.principal.handle}: at most ${context.limiter?.policy.capacity} at once and ${context.limiter?.policy.refillPerSecond} a second; retry in ${Math.ceil(limited.retryAfterMs / 100) / 10} s`,
          }
        : await run(tool, rawInput, context);
  } catch (error) {
    context.logger.error({ err: error, tool: tool.name }, 'tool call failed');
    result = {
      ok: false,
      code: 'internal',
      message: `${tool.name} failed with an internal error (logged on the server).`,
    };
  }
  try {
    const digest = argumentsDigest(rawInput);
    // Committed before the result goes back; concurrent calls share one commit.
    await auditBatcherFor(context.pool).append({
      actorKind: 'principal',
      actorId: context.principal.id,
      channel: context.channel,
      action: 'tool.called',
      entityKind: 'tool',
      entityId: tool.name,
      after: {
        args_sha256: digest.sha256,
        ...(digest.cut ? { args_cut: true } : {}),
        outcome: result.ok ? 'ok' : context.signal.aborted ? 'cancelled' : result.code,
      },
    });
  } catch (error) {
    context.logger.error({ err: error, tool: tool.name }, 'could not audit a tool call');
  }
  return result;
}
