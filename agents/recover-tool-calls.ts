/**
 * Small local models sometimes write a tool call as JSON text in the message instead of using
 * the tool-calling protocol: `{"name": "get_quote", "arguments": {"symbol": "AAPL"}}`, the same
 * in a ```json fence or in qwen's <tool_call>…</tool_call> tags, or a list of them. Recovered
 * calls go through the same gate as any other (scopes, validation, audit; write tools only
 * propose), and only names of registry tools are recovered: other JSON stays text.
 */
import { toolByName } from '../tools/index.js';

export interface RecoveredCall {
  name: string;
  args: Record<string, unknown>;
}

/** True when text may be the start of a JSON tool call (so a channel should not see it yet). */
export function mayBeToolCall(text: string): boolean {
  const start = text.trimStart();
  return (
    start === '' ||
    /^(\{|\[|```|<tool_call>)/.test(start) ||
    '```'.startsWith(start) ||
    '<tool_call>'.startsWith(start)
  );
}

function asCall(value: unknown): RecoveredCall | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const object = value as Record<string, unknown>;
  const inner = (
    typeof object.function === 'object' && object.function !== null ? object.function : object
  ) as Record<string, unknown>;
  const name = inner.name ?? inner.tool ?? inner.tool_name;
  let args = inner.arguments ?? inner.parameters ?? inner.args ?? inner.input ?? {};
  if (typeof args === 'string') {
    try {
      args = JSON.parse(args);
    } catch {
      return undefined;
    }
  }
  if (typeof name !== 'string' || !toolByName(name)) return undefined;
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return undefined;
  return { name, args: args as Record<string, unknown> };
}

/** The tool calls written as text in `content`, or [] when it is ordinary text. */
export function recoverToolCalls(content: string): RecoveredCall[] {
  let text = content.trim();
  const tagged = [...text.matchAll(/<tool_call>([\s\S]*?)<\/tool_call>/g)].map((m) =>
    (m[1] as string).trim(),
  );
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/.exec(text);
  if (fenced) text = fenced[1] as string;
  const candidates = tagged.length > 0 ? tagged : [text];
  const calls: RecoveredCall[] = [];
  for (const candidate of candidates) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(candidate);
    } catch {
      return [];
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    for (const item of list) {
      const call = asCall(item);
      if (!call) return [];
      calls.push(call);
    }
  }
  return calls;
}
