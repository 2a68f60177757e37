/**
 * Loads one trades file into imported_trades in one transaction: every row, or none. A bad row
 * refuses the whole file (nothing is written); a process killed mid-import leaves nothing, since
 * its transaction never commits. Rows are keyed by the file's SHA-256 and line, by the file's
 * trade id when it has one, and otherwise by their content and occurrence in the file (see the
 * migration), so importing the same file again, the same trades saved again by a spreadsheet,
 * or an overlapping export adds nothing it already has, and reports those rows as already there.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { appendAudit } from '../audit/audit-log.js';
import type { Pool } from '../db/pool.js';
import { type FileProblem, FileRejected } from '../market-data/bar-file.js';
import { readCsvLines } from '../market-data/csv.js';
import { readProblem } from '../market-data/import-bar-file.js';
import { parseTradeHeader, parseTradeRow, type TradeLayout, type TradeRow } from './trade-file.js';

/**
 * The PostgreSQL channel a trigger notifies, at commit, when imported_trades changes (an import in
 * any process): what retrieval's ingestion listens on (store/db/change-listener.ts).
 */
export const IMPORTED_TRADES_CHANGED_CHANNEL = 'countersign_imported_trades_changed';

/** The outcome of importing one trades file. A refusal is a value: the database was left as it was. */
export type TradeImportResult =
  | {
      ok: true;
      file: string;
      /** The name stored with each trade (the file's base name). */
      sourceFile: string;
      sha256: string;
      account: string;
      /** Trade rows in the file. */
      rows: number;
      /** Rows added now. */
      inserted: number;
      /** Rows already there: this file imported before, or the same trade (by id, else by content) from another file. */
      already: number;
      /** Header columns that match no field, ignored. */
      ignoredColumns: string[];
      firstDate: string;
      lastDate: string;
      ms: number;
    }
  | { ok: false; file: string; problem: FileProblem };

/** Options of one import. */
export interface TradeImportOptions {
  /** accounts.id the trades belong to; default 'paper'. */
  account?: string;
  /** Today as YYYY-MM-DD (UTC): a trade dated later is refused. Default: the clock's today. */
  today?: string;
  /** Who imported, for the audit entry: the principal id, when known. */
  actorId?: string | null;
}

const COLUMNS =
  'account_id, external_id, trade_date, symbol, side, quantity, price, fees, strategy, note, source_file, source_sha256, line';
const CHUNK_CHARS = 64 * 1024;

/** A value as PostgreSQL COPY text: NULL as \N, backslash, tab and line breaks escaped. */
function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
      )
    : value;
}

/** The SHA-256 of the file's bytes, as stored with every row. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

interface Counters {
  rows: number;
  layout?: TradeLayout;
  firstDate?: string;
  lastDate?: string;
}

async function* copyChunks(
  file: string,
  prefix: { account: string; sourceFile: string; sha256: string },
  counters: Counters,
  today: string,
): AsyncGenerator<string> {
  const seenIds = new Map<string, number>();
  const tail = `\t${copyText(prefix.sourceFile)}\t${prefix.sha256}\t`;
  let chunk = '';
  for await (const { line, text } of readCsvLines(file)) {
    if (!counters.layout) {
      counters.layout = parseTradeHeader(file, text);
      continue;
    }
    const row: TradeRow = parseTradeRow(file, counters.layout, line, text, seenIds, today);
    counters.rows++;
    if (counters.firstDate === undefined || row.date < counters.firstDate)
      counters.firstDate = row.date;
    if (counters.lastDate === undefined || row.date > counters.lastDate)
      counters.lastDate = row.date;
    chunk +=
      `${prefix.account}\t${copyText(row.externalId)}\t${row.date}\t${row.symbol}\t${row.side}\t` +
      `${row.quantity}\t${row.price}\t${row.fees}\t${copyText(row.strategy)}\t${copyText(row.note)}` +
      `${tail}${line}\n`;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
  if (!counters.layout)
    throw new FileRejected({
      file,
      line: 1,
      reason:
        'the file is empty: expected a header (date, symbol, side, quantity, price, …) and rows',
    });
  if (counters.rows === 0)
    throw new FileRejected({ file, line: 2, reason: 'the file has a header but no trades' });
}

/** A database refusal during the load (a check the parser missed) as a refusal of the file. */
function problemFromDatabase(file: string, error: unknown): FileRejected | undefined {
  const pgError = error as { code?: string; message?: string; where?: string; constraint?: string };
  if (!pgError.code?.startsWith('22') && !pgError.code?.startsWith('23')) return undefined;
  const copyLine = Number(/line (\d+)/.exec(pgError.where ?? '')?.[1]);
  return new FileRejected({
    file,
    line: Number.isFinite(copyLine) ? copyLine + 1 : 0,
    reason: `refused by the database: ${pgError.message}${pgError.constraint ? ` (${pgError.constraint})` : ''}`,
  });
}

/** Imports one trades file for `options.account` (default 'paper'). */
export async function importTradeFile(
  pool: Pool,
  file: string,
  options: TradeImportOptions = {},
): Promise<TradeImportResult> {
  const started = performance.now();
  const account = options.account ?? 'paper';
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const sourceFile = path.basename(file);
  let sha256: string;
  try {
    sha256 = await fileSha256(file);
  } catch (error) {
    const unreadable = readProblem(file, error);
    if (unreadable) return { ok: false, file, problem: unreadable };
    throw error;
  }
  const counters: Counters = { rows: 0 };
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    // One import per account at a time: the id check below then sees every committed row.
    await client.query(
      "SELECT pg_advisory_xact_lock(hashtext('countersign.imported_trades:' || $1))",
      [account],
    );
    const known = await client.query('SELECT 1 FROM accounts WHERE id = $1', [account]);
    if (known.rowCount === 0)
      throw new FileRejected({ file, line: 0, reason: `no account "${account}"` });
    // These very bytes were imported before: an import is all or nothing, so every trade of the
    // file is there already (as its own row, or as the same trade from another file). The file is
    // still read and checked, but nothing is sent.
    const seen = await client.query(
      'SELECT 1 FROM imported_trades WHERE account_id = $1 AND source_sha256 = $2 LIMIT 1',
      [account, sha256],
    );
    if (seen.rowCount === 1) {
      for await (const _ of copyChunks(file, { account, sourceFile, sha256 }, counters, today));
      await client.query('COMMIT');
      return {
        ok: true,
        file,
        sourceFile,
        sha256,
        account,
        rows: counters.rows,
        inserted: 0,
        already: counters.rows,
        ignoredColumns: counters.layout?.ignored ?? [],
        firstDate: counters.firstDate as string,
        lastDate: counters.lastDate as string,
        ms: performance.now() - started,
      };
    }
    await client.query(
      `CREATE TEMP TABLE imported_trades_staging (
         account_id text, external_id text, trade_date date, symbol text, side text,
         quantity numeric, price numeric, fees numeric, strategy text, note text,
         source_file text, source_sha256 text, line integer
       ) ON COMMIT DROP`,
    );
    await pipeline(
      Readable.from(copyChunks(file, { account, sourceFile, sha256 }, counters, today)),
      client.query(copyFrom(`COPY imported_trades_staging (${COLUMNS}) FROM STDIN`)),
    );
    // The same trade id from another file must be the same trade: different values refuse the file.
    const { rows: clashes } = await client.query<{
      line: number;
      external_id: string;
      source_file: string;
      other_line: number;
      was: string;
      now: string;
    }>(
      `SELECT s.line, s.external_id, t.source_file, t.line AS other_line,
              concat_ws(' ', t.trade_date, t.side, t.quantity, t.symbol, '@', t.price, 'fees', t.fees) AS was,
              concat_ws(' ', s.trade_date, s.side, s.quantity, s.symbol, '@', s.price, 'fees', s.fees) AS now
         FROM imported_trades_staging s
         JOIN imported_trades t ON t.account_id = s.account_id AND t.external_id = s.external_id
        WHERE (t.source_sha256, t.line) IS DISTINCT FROM (s.source_sha256, s.line)
          AND (t.trade_date, t.symbol, t.side, t.quantity, t.price, t.fees)
              IS DISTINCT FROM (s.trade_date, s.symbol, s.side, s.quantity, s.price, s.fees)
        ORDER BY s.line LIMIT 1`,
    );
    const clash = clashes[0];
    if (clash) {
      const index = counters.layout?.fields.id;
      throw new FileRejected({
        file,
        line: clash.line,
        column: index === undefined ? 'id' : counters.layout?.names[index],
        value: clash.external_id,
        reason: `trade id ${JSON.stringify(clash.external_id)} was imported before from ${clash.source_file} line ${clash.other_line} as "${clash.was}", and this row says "${clash.now}"; the same id must be the same trade`,
      });
    }
    const inserted = await client.query(
      `INSERT INTO imported_trades (${COLUMNS}, content_key)
       SELECT ${COLUMNS},
              md5(concat_ws('|', trade_date, symbol, side, trim_scale(quantity), trim_scale(price),
                            trim_scale(fees),
                            row_number() OVER (PARTITION BY trade_date, symbol, side, quantity, price, fees
                                               ORDER BY line)))
         FROM imported_trades_staging ORDER BY line
       ON CONFLICT DO NOTHING`,
    );
    const added = inserted.rowCount ?? 0;
    if (added > 0) {
      await appendAudit(client, {
        actorKind: options.actorId ? 'principal' : 'system',
        actorId: options.actorId ?? null,
        channel: 'cli',
        action: 'imported_trades.loaded',
        entityKind: 'trades_file',
        entityId: sha256,
        after: {
          account,
          file: sourceFile,
          rows: counters.rows,
          inserted: added,
          first_date: counters.firstDate,
          last_date: counters.lastDate,
        },
      });
    }
    await client.query('COMMIT');
    return {
      ok: true,
      file,
      sourceFile,
      sha256,
      account,
      rows: counters.rows,
      inserted: added,
      already: counters.rows - added,
      ignoredColumns: counters.layout?.ignored ?? [],
      firstDate: counters.firstDate as string,
      lastDate: counters.lastDate as string,
      ms: performance.now() - started,
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    const rejected = error instanceof FileRejected ? error : problemFromDatabase(file, error);
    if (rejected) return { ok: false, file, problem: rejected.problem };
    const unreadable = readProblem(file, error);
    if (unreadable) return { ok: false, file, problem: unreadable };
    throw error;
  } finally {
    client.release(broken);
  }
}
