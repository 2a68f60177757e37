/**
 * `countersign import-trades FILE... [--account ID] [--json]`: past trades from another platform
 * (a broker's CSV export) into imported_trades, where trade_stats counts them and explain_trade
 * explains them. Each file is loaded whole or not at all; importing it again changes nothing.
 * Exit 0 when every file was imported (or was already there), 1 when any was refused, 2 for bad
 * flags.
 */
import path from 'node:path';
import type { CommanderError } from 'commander';
import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { openDatabase } from '../store/db/open-database.js';
import { formatProblem } from '../store/market-data/bar-file.js';
import {
  importTradeFile,
  type TradeImportResult,
} from '../store/trades-import/import-trade-file.js';
import { reportFailure } from './errors.js';

/** Options of the import-trades command. */
export interface ImportTradesOptions {
  account: string;
  json?: boolean;
}

const ACCOUNT_ID = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const number = (value: number) => value.toLocaleString('en-US');
const plural = (n: number, word: string) => `${number(n)} ${word}${n === 1 ? '' : 's'}`;

/**
 * For the command's registration: commander's own usage errors (an unknown option, a missing
 * file argument) exit 2 like every other bad flag, after commander printed them; --help exits 0.
 */
export function usageExit(error: CommanderError): never {
  process.exit(error.exitCode === 0 ? 0 : 2);
}

/** "broker.csv: 20 trades (18 new, 2 already there), 2021-01-04 to 2021-06-30; ignored columns: Account" */
export function fileLine(result: Extract<TradeImportResult, { ok: true }>): string {
  return (
    `${path.basename(result.file)}: ${plural(result.rows, 'trade')} (${number(result.inserted)} new, ` +
    `${number(result.already)} already there), ${result.firstDate} to ${result.lastDate}` +
    (result.ignoredColumns.length > 0
      ? `; ignored columns: ${result.ignoredColumns.join(', ')}`
      : '')
  );
}

/** "Imported 2 files into account paper: 40 trades (38 new, 2 already there); 1 refused." */
export function tradesSummaryLine(account: string, results: TradeImportResult[]): string {
  const accepted = results.filter((r) => r.ok);
  const sum = (key: 'rows' | 'inserted' | 'already') =>
    accepted.reduce((total, r) => total + (r.ok ? r[key] : 0), 0);
  return (
    `Imported ${plural(accepted.length, 'file')} into account ${account}: ${plural(sum('rows'), 'trade')} ` +
    `(${number(sum('inserted'))} new, ${number(sum('already'))} already there); ` +
    `${number(results.length - accepted.length)} refused.`
  );
}

/** Imports each file in turn, each in its own transaction, and reports every one. */
export async function importTradesCommand(
  files: string[],
  options: ImportTradesOptions,
): Promise<void> {
  if (!ACCOUNT_ID.test(options.account)) {
    console.error(
      `countersign import-trades: --account ${JSON.stringify(options.account)} is not an account id (1-40 of a-z, 0-9, _ and -, e.g. paper); countersign accounts lists them.`,
    );
    process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    stream: 'stderr',
  });
  let database: Awaited<ReturnType<typeof openDatabase>>;
  try {
    database = await openDatabase({
      config,
      logger,
      attach: true,
      poolSize: 2,
      applicationName: 'countersign-import-trades',
      // Trades need no prices: an empty database stays without the sample.
      loadSample: false,
    });
  } catch (error) {
    process.exitCode = reportFailure(error);
    return;
  }
  process.once('SIGINT', () => {
    console.error(
      '\nInterrupted: the file being imported was rolled back; files already reported are in.',
    );
    void database.close().finally(() => process.exit(130));
  });
  try {
    const { rows: accounts } = await database.pool.query<{ id: string }>(
      'SELECT id FROM accounts ORDER BY id',
    );
    if (!accounts.some((a) => a.id === options.account)) {
      console.error(
        `countersign import-trades: no account ${JSON.stringify(options.account)}; the accounts are ${accounts.map((a) => a.id).join(', ')}.`,
      );
      process.exitCode = 2;
      return;
    }
    const { rows: local } = await database.pool.query<{ id: string }>(
      "SELECT id FROM principals WHERE handle = 'local'",
    );
    const results: TradeImportResult[] = [];
    for (const file of files) {
      const result = await importTradeFile(database.pool, file, {
        account: options.account,
        actorId: local[0]?.id ?? null,
      });
      results.push(result);
      if (!result.ok) console.error(`refused: ${formatProblem(result.problem)}`);
      else if (!options.json) console.log(fileLine(result));
    }
    if (options.json) {
      console.log(
        JSON.stringify({
          account: options.account,
          files: results.length,
          rejected: results.filter((r) => !r.ok).length,
          rows: results.reduce((n, r) => n + (r.ok ? r.rows : 0), 0),
          inserted: results.reduce((n, r) => n + (r.ok ? r.inserted : 0), 0),
          already: results.reduce((n, r) => n + (r.ok ? r.already : 0), 0),
          imported: results.flatMap((r) =>
            r.ok
              ? [
                  {
                    file: r.file,
                    sha256: r.sha256,
                    rows: r.rows,
                    inserted: r.inserted,
                    already: r.already,
                    first_date: r.firstDate,
                    last_date: r.lastDate,
                    ignored_columns: r.ignoredColumns,
                    ms: Math.round(r.ms),
                  },
                ]
              : [],
          ),
          refused: results.flatMap((r) => (r.ok ? [] : [r.problem])),
        }),
      );
    } else {
      console.log(tradesSummaryLine(options.account, results));
    }
    process.exitCode = results.some((r) => !r.ok) ? 1 : 0;
  } catch (error) {
    process.exitCode = reportFailure(error);
  } finally {
    await database.close();
  }
}
