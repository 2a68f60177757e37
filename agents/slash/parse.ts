/**
 * The slash-command grammar: `/name arg arg key=value key="two words"`. Tokens are split on
 * spaces outside quotes; positional tokens fill the command's positional fields in order;
 * `key=value` sets a field by name (a plural field also answers to its singular: sector= for
 * sectors); an unknown key goes into the tool's number map when it has one (fast=10 for a
 * strategy's params) or its pairs (AAPL=0.5 for rebalance targets). Each value is converted by
 * its field's kind; errors name the bad token and end with the usage line. The tool's own
 * schema then checks the arguments again (tools/invoke.ts), so nothing here is trusted.
 */
import {
  commandByName,
  type EngineCommand,
  type SlashCommand,
  type ToolCommand,
} from './commands.js';
import type { Field } from './fields.js';
import { fieldsOf } from './fields.js';
import { usageLine } from './help.js';

/** The most characters a slash command may have. */
export const MAX_COMMAND_LENGTH = 4000;

export class SlashSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlashSyntaxError';
  }
}

/** What a typed line is: a tool call, an engine command, or an error to show. */
export type ParsedSlash =
  | { kind: 'tool'; command: ToolCommand; args: Record<string, unknown> }
  | { kind: 'engine'; command: EngineCommand; words: string[] }
  | { kind: 'error'; message: string; command?: SlashCommand };

/** True when the text is a slash command (a slash, then a letter). */
export function isSlashCommand(text: string): boolean {
  return /^\s*\/[A-Za-z]/.test(text);
}

/** Splits on spaces outside double or single quotes; quotes are removed, `\"` keeps a quote. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quote: '"' | "'" | null = null;
  let started = false;
  for (let k = 0; k < text.length; k++) {
    const c = text[k] as string;
    if (c === '\\' && quote !== null && (text[k + 1] === quote || text[k + 1] === '\\')) {
      current += text[k + 1];
      k++;
    } else if (quote !== null) {
      if (c === quote) quote = null;
      else current += c;
    } else if (
      (c === '"' || c === "'" || c === '“' || c === '”') &&
      // An apostrophe inside a word (didn't, O'Neil) is a letter, not a quote.
      (k === 0 || /[\s=]/.test(text[k - 1] as string))
    ) {
      quote = c === '“' || c === '”' ? '"' : c;
      started = true;
    } else if (/\s/.test(c)) {
      if (started || current !== '') tokens.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (quote !== null) throw new SlashSyntaxError(`a ${quote} quote is not closed`);
  if (started || current !== '') tokens.push(current);
  return tokens;
}

const BOOLEAN: Record<string, boolean> = {
  true: true,
  yes: true,
  on: true,
  '1': true,
  false: false,
  no: false,
  off: false,
  '0': false,
};

const show = (text: string): string =>
  JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);

function toNumber(field: string, text: string): number {
  const value = Number(text.replace(/_/g, ''));
  if (text.trim() === '' || !Number.isFinite(value))
    throw new SlashSyntaxError(`${field}=${show(text)} is not a number`);
  return value;
}

function pairsOf(field: Field, text: string): Record<string, unknown>[] {
  const pair = field.pair as NonNullable<Field['pair']>;
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [key, value] = part.split(/[:=]/);
      if (!key || value === undefined)
        throw new SlashSyntaxError(
          `${field.name}: ${show(part)} is not ${pair.key}:${pair.value}, e.g. AAPL:0.5`,
        );
      return {
        [pair.key]: key.toUpperCase(),
        [pair.value]: toNumber(`${field.name} ${key}`, value),
      };
    });
}

function recordOf(field: Field, text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [key, value] = part.split(/[:=]/);
    if (!key || value === undefined)
      throw new SlashSyntaxError(`${field.name}: ${show(part)} is not name:number, e.g. fast:10`);
    out[key] = toNumber(key, value);
  }
  return out;
}

/** A typed value as the field's kind. */
export function convert(field: Field, text: string): unknown {
  switch (field.kind) {
    case 'string':
      return text;
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text))
        throw new SlashSyntaxError(
          `${field.name}=${show(text)} is not a date; write YYYY-MM-DD, e.g. 2015-01-02`,
        );
      return text;
    case 'number':
    case 'integer': {
      const value = toNumber(field.name, text);
      if (field.kind === 'integer' && !Number.isInteger(value))
        throw new SlashSyntaxError(`${field.name}=${show(text)} must be a whole number`);
      return value;
    }
    case 'boolean': {
      const value = BOOLEAN[text.toLowerCase()];
      if (value === undefined)
        throw new SlashSyntaxError(`${field.name}=${show(text)} is not true or false`);
      return value;
    }
    case 'enum': {
      const values = field.values ?? [];
      const found = values.find((value) => value.toLowerCase() === text.toLowerCase());
      if (found === undefined)
        throw new SlashSyntaxError(
          `${field.name}=${show(text)} is not one of ${values.join(', ')}`,
        );
      return found;
    }
    case 'list':
      return text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
    case 'pairs':
      return pairsOf(field, text);
    case 'record':
      return recordOf(field, text);
    case 'json':
      try {
        return JSON.parse(text);
      } catch {
        throw new SlashSyntaxError(`${field.name}=${show(text)} is not valid JSON`);
      }
  }
}

/** The field a key names: exactly, or the plural of the key (sector → sectors), '-' as '_'. */
function fieldFor(fields: Field[], key: string): Field | undefined {
  const name = key.toLowerCase().replace(/-/g, '_');
  return fields.find((field) => field.name === name || field.name === `${name}s`);
}

/** Builds a tool command's arguments from its tokens; throws SlashSyntaxError naming the bad token. */
export function toolArguments(command: ToolCommand, tokens: string[]): Record<string, unknown> {
  const fields = fieldsOf(command.tool);
  const args: Record<string, unknown> = {};
  const set = (field: Field, value: unknown, token: string) => {
    if (field.kind === 'pairs' && Array.isArray(args[field.name]) && Array.isArray(value)) {
      args[field.name] = [...(args[field.name] as unknown[]), ...value];
      return;
    }
    if (field.kind === 'record' && typeof args[field.name] === 'object' && args[field.name]) {
      args[field.name] = { ...(args[field.name] as object), ...(value as object) };
      return;
    }
    if (field.name in args)
      throw new SlashSyntaxError(`${field.name} is given twice (${show(token)})`);
    args[field.name] = value;
  };
  const open = command.positional.filter((name) => !(command.preset && name in command.preset));
  let next = 0;
  for (const token of tokens) {
    const eq = token.indexOf('=');
    if (eq > 0) {
      const key = token.slice(0, eq);
      const text = token.slice(eq + 1);
      const field = fieldFor(fields, key);
      if (field) {
        set(field, convert(field, text), token);
        continue;
      }
      const record = fields.find((f) => f.kind === 'record');
      const pairs = fields.find((f) => f.kind === 'pairs');
      if (record) set(record, { [key]: toNumber(key, text) }, token);
      else if (pairs) set(pairs, pairsOf(pairs, `${key}:${text}`), token);
      else
        throw new SlashSyntaxError(
          `unknown argument ${show(key)}; /${command.name} takes ${fields.map((f) => f.name).join(', ')}`,
        );
      continue;
    }
    // A bare boolean field name is true: /screen above_sma200
    const flag = fieldFor(fields, token);
    if (flag?.kind === 'boolean' && !open.slice(next).includes(flag.name)) {
      set(flag, true, token);
      continue;
    }
    if (command.rest !== undefined) {
      // Every positional word belongs to the one text field.
      const field = fields.find((f) => f.name === command.rest) as Field;
      const before = args[field.name];
      args[field.name] = typeof before === 'string' ? `${before} ${token}` : token;
      continue;
    }
    const name = open[next];
    if (name === undefined)
      throw new SlashSyntaxError(
        `unexpected ${show(token)}: /${command.name} takes ${open.length === 0 ? 'no' : `at most ${open.length}`} positional argument(s); use key=value for the others`,
      );
    next++;
    const field = fields.find((f) => f.name === name) as Field;
    set(field, convert(field, token), token);
  }
  for (const [name, value] of Object.entries(command.preset ?? {}))
    if (!(name in args)) args[name] = value;
  return args;
}

/** Parses one typed slash line. Never throws: a bad line is a `kind: 'error'` with a message to show. */
export function parseSlash(text: string): ParsedSlash {
  if (text.length > MAX_COMMAND_LENGTH)
    return {
      kind: 'error',
      message: `a command is at most ${MAX_COMMAND_LENGTH} characters; this one has ${text.length}`,
    };
  const trimmed = text.trim().replace(/^\//, '');
  const space = trimmed.search(/\s/);
  const word = space < 0 ? trimmed : trimmed.slice(0, space);
  const rest = space < 0 ? '' : trimmed.slice(space + 1);
  const command = commandByName(word);
  if (!command)
    return {
      kind: 'error',
      message: `unknown command /${word.slice(0, 40)}; /help lists the commands`,
    };
  try {
    const tokens = tokenize(rest);
    if (command.kind === 'engine') return { kind: 'engine', command, words: tokens };
    return { kind: 'tool', command, args: toolArguments(command, tokens) };
  } catch (error) {
    if (!(error instanceof SlashSyntaxError)) throw error;
    return { kind: 'error', command, message: `${error.message}\nusage: ${usageLine(command)}` };
  }
}
