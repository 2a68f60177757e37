/**
 * A tool result as plain text for a person: scalars as "key: value" lines, lists of rows as
 * aligned columns (at most 20 rows), nested objects one level deep. Every channel can show it;
 * richer channels render the structured tool_result event instead.
 */

const MAX_ROWS = 20;
const MAX_CELL = 48;

function cell(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : String(Math.round(value * 1e4) / 1e4);
  if (typeof value === 'object') {
    const text = JSON.stringify(value);
    return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
  }
  const text = String(value).replace(/\s+/g, ' ');
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

function rowsTable(rows: Record<string, unknown>[]): string[] {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))].slice(0, 8);
  const shown = rows.slice(0, MAX_ROWS).map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, k) =>
    Math.max(column.length, ...shown.map((row) => (row[k] as string).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((text, k) => text.padEnd(widths[k] as number))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    ...shown.map(line),
    ...(rows.length > MAX_ROWS ? [`… and ${rows.length - MAX_ROWS} more`] : []),
  ];
}

/** The output of a tool in words. */
export function renderOutput(output: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(output)) {
    if (Array.isArray(value)) {
      if (value.length === 0) lines.push(`${key}: none`);
      else if (
        value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item))
      ) {
        lines.push(
          `${key}:`,
          ...rowsTable(value as Record<string, unknown>[]).map((l) => `  ${l}`),
        );
      } else lines.push(`${key}: ${value.map(cell).join(', ')}`);
    } else if (typeof value === 'object' && value !== null) {
      const inner = Object.entries(value as Record<string, unknown>);
      lines.push(`${key}: ${inner.map(([k, v]) => `${k} ${cell(v)}`).join(', ')}`);
    } else lines.push(`${key}: ${cell(value)}`);
  }
  return lines.join('\n');
}

const ID_FIELDS = /^(id|.*_id)$/;

/**
 * The ids a result cites (top-level fields named id or *_id holding a string), for citations: a
 * write tool's `id` is the proposal it made, run_backtest's the stored backtest.
 */
export function citedIds(
  tool: string,
  output: Record<string, unknown> | undefined,
  writes = false,
): Record<string, string> {
  const ids: Record<string, string> = {};
  if (!output) return ids;
  for (const [key, value] of Object.entries(output)) {
    if (typeof value !== 'string' || !ID_FIELDS.test(key)) continue;
    const name =
      key !== 'id'
        ? key
        : writes
          ? 'proposal_id'
          : tool === 'run_backtest'
            ? 'backtest_id'
            : `${tool}_id`;
    ids[name] = value;
  }
  return ids;
}
