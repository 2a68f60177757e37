/**
 * Turns the lines of a trades CSV file (a broker's export, or one written by hand) into checked
 * trades, or says exactly where the file is wrong: the line, the column as the file names it, the
 * value and the rule it broke, in the same words as the price-file import (store/market-data/bar-file.ts).
 *
 * Columns: date, symbol, side, quantity, price (required); fees, strategy, note, id (optional),
 * in any order, header names matched case-insensitively and with the common broker spellings
 * (`Trade Date`, `Ticker`, `Action`, `Buy/Sell`, `Qty`, `Shares`, `Commission`…). Columns the
 * importer does not know are ignored and listed. Dates are YYYY-MM-DD or MM/DD/YYYY (US order);
 * sides buy/sell, B/S, bought/sold, BOT/SLD in any case. Numbers are plain decimals; a thousands
 * separator is accepted in every number column alike when it groups by three (`1,250.5`, quoted
 * in the file as CSV requires), and price and fees may carry a leading `$`.
 */
import { isIsoDate, isValidSymbol } from '../../core/daily-bar.js';
import { FileRejected } from '../market-data/bar-file.js';
import { headerKey, splitCsvLine } from '../market-data/csv.js';

/** The fields of a trade row. `id` is the file's own trade id, kept as external_id. */
export const TRADE_FIELDS = [
  'date',
  'symbol',
  'side',
  'quantity',
  'price',
  'fees',
  'strategy',
  'note',
  'id',
] as const;
export type TradeField = (typeof TRADE_FIELDS)[number];

const REQUIRED: readonly TradeField[] = ['date', 'symbol', 'side', 'quantity', 'price'];

/** Header names accepted for each field, after headerKey() normalisation (lower case, no spaces, _ or -). */
export const TRADE_ALIASES: Record<TradeField, readonly string[]> = {
  date: ['date', 'tradedate', 'transactiondate', 'executiondate', 'filldate'],
  symbol: ['symbol', 'ticker'],
  side: ['side', 'action', 'buy/sell', 'buysell', 'b/s'],
  quantity: ['quantity', 'qty', 'shares'],
  price: ['price', 'tradeprice', 'fillprice', 'executionprice'],
  fees: ['fees', 'fee', 'commission', 'commissions', 'commissionsandfees', 'commission/fees'],
  strategy: ['strategy'],
  note: ['note', 'notes', 'memo', 'comment', 'comments'],
  id: ['id', 'tradeid', 'externalid', 'executionid', 'transactionid'],
};

/** The spellings a field accepts, as a person would write them, for refusals. */
const SPELLINGS: Record<TradeField, string> = {
  date: 'date, Trade Date, Transaction Date, Execution Date or Fill Date',
  symbol: 'symbol or Ticker',
  side: 'side, Action, Buy/Sell or B/S',
  quantity: 'quantity, Qty or Shares',
  price: 'price, Trade Price, Fill Price or Execution Price',
  fees: 'fees, Fee, Commission, Commissions or Commissions and Fees',
  strategy: 'strategy',
  note: 'note, Notes, Memo or Comment',
  id: 'id, Trade ID, External ID, Execution ID or Transaction ID',
};

const SIDES: Record<string, 'buy' | 'sell'> = {
  buy: 'buy',
  b: 'buy',
  bought: 'buy',
  bot: 'buy',
  sell: 'sell',
  s: 'sell',
  sold: 'sell',
  sld: 'sell',
};
const SIDE_WORDS = 'buy or sell (also B/S, Bought/Sold, BOT/SLD, any case)';

/** Longest strategy label and note kept (the table's checks say the same). */
export const MAX_STRATEGY = 40;
export const MAX_NOTE = 10_000;
export const MAX_EXTERNAL_ID = 200;
const STRATEGY = /^[\p{L}\p{N}][\p{L}\p{N} _./-]*$/u;

/** Column positions of each field in one file's header, and the columns ignored. */
export interface TradeLayout {
  fields: Partial<Record<TradeField, number>>;
  width: number;
  /** The header cells as written (trimmed), for naming columns in refusals. */
  names: string[];
  /** Header cells that match no field: kept out of the import, listed in its result. */
  ignored: string[];
}

/** One checked trade row. Numbers stay decimal strings, so NUMERIC stores them exactly. */
export interface TradeRow {
  /** 1-based line in the file; the header is line 1. */
  line: number;
  date: string;
  symbol: string;
  side: 'buy' | 'sell';
  quantity: string;
  price: string;
  fees: string;
  strategy: string | null;
  note: string | null;
  externalId: string | null;
}

/** Reads the header row, or refuses the file at line 1 saying which column is missing or doubled. */
export function parseTradeHeader(file: string, header: string): TradeLayout {
  const names = splitCsvLine(header).map((cell) => cell.replace(/^\uFEFF/, '').trim());
  const keys = names.map(headerKey);
  const layout: TradeLayout = { fields: {}, width: names.length, names, ignored: [] };
  keys.forEach((key, index) => {
    const field = TRADE_FIELDS.find((name) => TRADE_ALIASES[name].includes(key));
    if (!field) {
      if (names[index] !== '') layout.ignored.push(names[index] as string);
      return;
    }
    const earlier = layout.fields[field];
    if (earlier !== undefined) {
      throw new FileRejected({
        file,
        line: 1,
        column: names[index],
        reason: `both "${names[earlier]}" and "${names[index]}" give the ${field}; keep one of them`,
      });
    }
    layout.fields[field] = index;
  });
  const missing = REQUIRED.filter((field) => layout.fields[field] === undefined);
  if (missing.length > 0) {
    throw new FileRejected({
      file,
      line: 1,
      column: missing[0],
      reason:
        `missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} in the header ` +
        `(${missing.map((m) => SPELLINGS[m]).join('; ')}). A trades file needs date, symbol, side, quantity and ` +
        'price; fees, strategy, note and id are optional. Header found: ' +
        JSON.stringify(names.join(',')),
    });
  }
  return layout;
}

/** Why a cell was refused: the reason only; the caller adds line, column and value. */
class CellProblem extends Error {}

const NUMBER = /^(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d+)?$/;

/** A decimal as written, commas and a leading `$` (where allowed) removed; throws CellProblem. */
function decimal(raw: string, what: string, options: { money: boolean; zero: boolean }): string {
  let text = raw;
  if (options.money && text.startsWith('$')) text = text.slice(1);
  if (text.startsWith('-') || (text.startsWith('(') && text.endsWith(')')))
    throw new CellProblem(
      `${what} must be ${options.zero ? '≥ 0' : '> 0'}: write it without a sign; the side column says buy or sell`,
    );
  if (text === '' || text === '.' || !NUMBER.test(text))
    throw new CellProblem(
      /,/.test(text)
        ? `${what} "${raw}" is not a number: a thousands separator must group by three (1,250 or 1,250.5); a decimal comma is not accepted`
        : `${what} must be a plain decimal such as 12 or 101.25${options.money ? ' (a leading $ is allowed)' : ''}`,
    );
  const plain = text.replace(/,/g, '');
  const integer = plain.split('.')[0] ?? '';
  if (integer.replace(/^0+/, '').length > 15)
    throw new CellProblem(`${what} is too large: at most 15 digits before the decimal point`);
  if (!options.zero && !/[1-9]/.test(plain)) throw new CellProblem(`${what} must be > 0`);
  return plain;
}

/** YYYY-MM-DD or MM/DD/YYYY as YYYY-MM-DD; throws CellProblem. */
function tradeDate(raw: string, today: string | undefined): string {
  let iso: string | undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(raw)) iso = raw;
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(raw);
  if (us) {
    const [, month, day, year] = us as unknown as [string, string, string, string];
    if (Number(month) > 12)
      throw new CellProblem(
        `month ${month} is not 1-12: dates with slashes are read as MM/DD/YYYY (US order); write YYYY-MM-DD to be unambiguous`,
      );
    iso = `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
  }
  if (iso === undefined)
    throw new CellProblem(
      'not a date: write YYYY-MM-DD (2021-04-20) or MM/DD/YYYY (04/20/2021), without a time',
    );
  if (!isIsoDate(iso))
    throw new CellProblem(`not a calendar date (${iso}); use a real day from 1800 on`);
  if (today !== undefined && iso > today)
    throw new CellProblem(`${iso} is after today (${today}): a past trade cannot be dated later`);
  return iso;
}

function optionalText(raw: string): string | null {
  return raw === '' ? null : raw;
}

/**
 * Parses and checks one data row. `seenIds` maps each `id` value met so far to its line, so
 * that a file listing the same trade id twice is refused. `today` (YYYY-MM-DD) refuses dates
 * after it. Throws FileRejected naming the line, the column as the header writes it, the value
 * and the reason.
 */
export function parseTradeRow(
  file: string,
  layout: TradeLayout,
  line: number,
  text: string,
  seenIds: Map<string, number>,
  today?: string,
): TradeRow {
  const quotes = text.split('"').length - 1;
  if (quotes % 2 === 1) {
    throw new FileRejected({
      file,
      line,
      reason:
        'a quoted field is not closed on this line; a field cannot span lines (put a note on one line) and a quote inside a quoted field is written ""',
    });
  }
  const cells = splitCsvLine(text);
  if (cells.length !== layout.width) {
    const fewer = cells.length < layout.width;
    throw new FileRejected({
      file,
      line,
      column: fewer ? layout.names[cells.length] : undefined,
      reason: fewer
        ? `the row has ${cells.length} fields but the header has ${layout.width}: missing ${layout.names.slice(cells.length).join(', ')}`
        : `the row has ${cells.length} fields but the header has ${layout.width}` +
          (/\d,\d{3}/.test(text)
            ? '; a number with a thousands separator must be quoted ("1,250") or written without it (1250)'
            : ''),
    });
  }
  const cell = (field: TradeField): string => {
    const index = layout.fields[field];
    return index === undefined ? '' : (cells[index] ?? '').trim();
  };
  const check = <T>(field: TradeField, parse: (raw: string) => T): T => {
    const raw = cell(field);
    try {
      return parse(raw);
    } catch (error) {
      if (!(error instanceof CellProblem)) throw error;
      const index = layout.fields[field];
      throw new FileRejected({
        file,
        line,
        column: index === undefined ? field : layout.names[index],
        value: raw,
        reason: error.message,
      });
    }
  };
  const required = (what: string, parse: (raw: string) => string) => (raw: string) => {
    if (raw === '') throw new CellProblem(`${what} is empty; every row needs one`);
    return parse(raw);
  };

  const date = check(
    'date',
    required('the date', (raw) => tradeDate(raw, today)),
  );
  const symbol = check(
    'symbol',
    required('the symbol', (raw) => {
      const upper = raw.toUpperCase();
      if (!isValidSymbol(upper))
        throw new CellProblem(
          'not a ticker: 1-20 of A-Z, 0-9, "." and "-", starting with a letter or digit (AAPL, BRK.B)',
        );
      return upper;
    }),
  );
  const side = check('side', (raw) => {
    if (raw === '') throw new CellProblem(`the side is empty; write ${SIDE_WORDS}`);
    const found = SIDES[raw.toLowerCase()];
    if (!found) throw new CellProblem(`not a side: write ${SIDE_WORDS}`);
    return found;
  });
  const quantity = check(
    'quantity',
    required('the quantity', (raw) => decimal(raw, 'quantity', { money: false, zero: false })),
  );
  const price = check(
    'price',
    required('the price', (raw) => decimal(raw, 'price', { money: true, zero: false })),
  );
  const fees = check('fees', (raw) =>
    raw === '' ? '0' : decimal(raw, 'fees', { money: true, zero: true }),
  );
  const strategy = check('strategy', (raw) => {
    if (raw === '') return null;
    if (raw.length > MAX_STRATEGY || !STRATEGY.test(raw))
      throw new CellProblem(
        `not a strategy label: 1-${MAX_STRATEGY} characters of letters, digits, spaces and _ . - /, starting with a letter or digit`,
      );
    return raw;
  });
  const note = check('note', (raw) => {
    if (raw.length > MAX_NOTE)
      throw new CellProblem(`the note has ${raw.length} characters; at most ${MAX_NOTE}`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what PostgreSQL text cannot hold
    if (/\u0000/.test(raw)) throw new CellProblem('the note holds a NUL character');
    return optionalText(raw);
  });
  const externalId = check('id', (raw) => {
    if (raw === '') return null;
    if (raw.length > MAX_EXTERNAL_ID)
      throw new CellProblem(`the id has ${raw.length} characters; at most ${MAX_EXTERNAL_ID}`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ids are printable text
    if (/[\u0000-\u001f]/.test(raw)) throw new CellProblem('the id holds a control character');
    const earlier = seenIds.get(raw);
    if (earlier !== undefined)
      throw new CellProblem(
        `duplicate id: line ${earlier} has the same id; each trade id may appear once`,
      );
    seenIds.set(raw, line);
    return raw;
  });
  return { line, date, symbol, side, quantity, price, fees, strategy, note, externalId };
}
