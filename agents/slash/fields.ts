/**
 * A tool's arguments as the slash grammar sees them, read from its zod input schema: each
 * field's name, kind (how a typed token becomes a value), whether it is required, its enum
 * values, default and description. Generated, so a new tool or field needs no grammar change.
 */
import { z } from 'zod';
import type { Tool } from '../../tools/tool.js';

/** How a typed value becomes an argument. */
export type FieldKind =
  | 'string'
  | 'date'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'enum'
  /** A comma-separated list of strings: AAPL,MSFT. */
  | 'list'
  /** A list of {name: number} pairs (targets, orders): AAPL:0.5,MSFT:0.5 or AAPL=0.5 tokens. */
  | 'pairs'
  /** A map of numbers (strategy params, factor weights): fast=10 slow=50 or fast:10,slow:50. */
  | 'record'
  /** Anything else: typed as JSON. */
  | 'json';

export interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  /** enum: the valid values. */
  values?: readonly string[];
  /** pairs: the object's string key and number value field names. */
  pair?: { key: string; value: string };
  default?: unknown;
  description: string;
}

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; [key: string]: unknown };
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Strips optional/default/nullable wrappers: the inner schema, whether it may be left out, its default. */
function unwrap(schema: z.ZodType): { inner: z.ZodType; optional: boolean; fallback?: unknown } {
  let inner = schema;
  let optional = false;
  let fallback: unknown;
  for (;;) {
    const def = defOf(inner);
    if (def.type === 'optional' || def.type === 'nullable') optional = true;
    else if (def.type === 'default' || def.type === 'prefault') {
      optional = true;
      const value = def.defaultValue;
      fallback = typeof value === 'function' ? (value as () => unknown)() : value;
    } else break;
    inner = (def.innerType ?? def.in) as z.ZodType;
  }
  return { inner, optional, ...(fallback !== undefined ? { fallback } : {}) };
}

function isDate(schema: z.ZodType): boolean {
  return z.globalRegistry.get(schema)?.format === 'date';
}

function isInteger(schema: z.ZodType): boolean {
  return (schema as z.ZodNumber).isInt === true;
}

/** A two-field object of one string and one number: a pair. */
function pairOf(element: z.ZodType): Field['pair'] | undefined {
  if (defOf(element).type !== 'object') return undefined;
  const entries = Object.entries((element as z.ZodObject).shape as Record<string, z.ZodType>);
  if (entries.length !== 2) return undefined;
  const kinds = entries.map(([name, schema]) => [name, defOf(unwrap(schema).inner).type]);
  const key = kinds.find(([, type]) => type === 'string')?.[0];
  const value = kinds.find(([, type]) => type === 'number')?.[0];
  return key && value ? { key, value } : undefined;
}

function kindOf(schema: z.ZodType): Pick<Field, 'kind' | 'values' | 'pair'> {
  const def = defOf(schema);
  switch (def.type) {
    case 'string':
      return { kind: isDate(schema) ? 'date' : 'string' };
    case 'number':
      return { kind: isInteger(schema) ? 'integer' : 'number' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'enum':
      return { kind: 'enum', values: (schema as z.ZodEnum).options.map(String) };
    case 'array': {
      const element = unwrap(def.element as z.ZodType).inner;
      if (defOf(element).type === 'string') return { kind: 'list' };
      const pair = pairOf(element);
      return pair ? { kind: 'pairs', pair } : { kind: 'json' };
    }
    case 'record': {
      const value = unwrap(def.valueType as z.ZodType).inner;
      return { kind: defOf(value).type === 'number' ? 'record' : 'json' };
    }
    default:
      return { kind: 'json' };
  }
}

const cache = new WeakMap<Tool, Field[]>();

/** The fields of `tool`'s input, in schema order. */
export function fieldsOf(tool: Tool): Field[] {
  const known = cache.get(tool);
  if (known) return known;
  const shape = tool.input.shape as Record<string, z.ZodType>;
  const fields = Object.entries(shape).map(([name, schema]): Field => {
    const { inner, optional, fallback } = unwrap(schema);
    return {
      name,
      ...kindOf(inner),
      required: !optional,
      ...(fallback !== undefined ? { default: fallback } : {}),
      description: schema.description ?? inner.description ?? '',
    };
  });
  cache.set(tool, fields);
  return fields;
}
