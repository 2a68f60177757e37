/** The trades-file parser: every accepted layout, and each bad row refused naming line, column, value and reason. */
import { describe, expect, it } from 'vitest';
import { FileRejected, formatProblem } from '../market-data/bar-file.js';
import { parseTradeHeader, parseTradeRow, type TradeRow } from './trade-file.js';

const TODAY = '2024-06-30';

/** Parses `lines` (header first, line numbers from 1) as the importer does. */
function parse(lines: string[]): TradeRow[] {
  const layout = parseTradeHeader('trades.csv', lines[0] as string);
  const seen = new Map<string, number>();
  return lines
    .slice(1)
    .map((text, k) => parseTradeRow('trades.csv', layout, k + 2, text, seen, TODAY));
}

/** The refusal `lines` meet, as the CLI prints it. */
function refusal(lines: string[]): string {
  try {
    parse(lines);
  } catch (error) {
    if (error instanceof FileRejected) return formatProblem(error.problem);
    throw error;
  }
  throw new Error('expected the file to be refused');
}

describe('accepted layouts', () => {
  it('the canonical columns, optional ones included, in any order', () => {
    const rows = parse([
      'id,note,strategy,fees,price,quantity,side,symbol,date',
      'T-1,"Bought on the earnings dip, small size",momentum_rotation,1.25,101.5,10,buy,nvda,2021-04-20',
      'T-2,,,,110,10,sell,NVDA,2021-05-03',
    ]);
    expect(rows).toEqual([
      {
        line: 2,
        date: '2021-04-20',
        symbol: 'NVDA',
        side: 'buy',
        quantity: '10',
        price: '101.5',
        fees: '1.25',
        strategy: 'momentum_rotation',
        note: 'Bought on the earnings dip, small size',
        externalId: 'T-1',
      },
      {
        line: 3,
        date: '2021-05-03',
        symbol: 'NVDA',
        side: 'sell',
        quantity: '10',
        price: '110',
        fees: '0',
        strategy: null,
        note: null,
        externalId: 'T-2',
      },
    ]);
  });

  it('a broker export: Trade Date, Ticker, Action, Qty, Price, Commission; US dates; other columns ignored', () => {
    const layout = parseTradeHeader(
      'export.csv',
      'Account,Trade Date,Ticker,Action,Qty,Price,Commission,Currency',
    );
    expect(layout.ignored).toEqual(['Account', 'Currency']);
    const rows = [
      'U123,04/20/2021,JPM,BUY,"1,250",$152.10,$1.00,USD',
      'U123,5/3/2021,jpm,Sell,1250,155.2,0,USD',
    ].map((text, k) => parseTradeRow('export.csv', layout, k + 2, text, new Map(), TODAY));
    expect(rows.map((r) => [r.date, r.symbol, r.side, r.quantity, r.price, r.fees])).toEqual([
      ['2021-04-20', 'JPM', 'buy', '1250', '152.10', '1.00'],
      ['2021-05-03', 'JPM', 'sell', '1250', '155.2', '0'],
    ]);
  });

  it('Buy/Sell with B/S, Shares, Fees; BOT/SLD and Bought/Sold; a byte-order mark and padding', () => {
    const rows = parse([
      '\uFEFF Date , Symbol ,Buy/Sell,Shares,Trade Price,Fees,Notes',
      '2021-01-04,BRK.B,B,3,230.5,0.35, first lot ',
      '2021-01-05,BRK.B,s,1,231,,',
      '2021-01-06,KO,BOT,.5,50,0,',
      '2021-01-07,KO,SLD,0.5,51,0,',
      '2021-01-08,KO,Bought,2,50,0,',
      '2021-01-11,KO,sold,2,52,0,',
    ]);
    expect(rows.map((r) => `${r.side} ${r.quantity} ${r.symbol} ${r.note ?? '-'}`)).toEqual([
      'buy 3 BRK.B first lot',
      'sell 1 BRK.B -',
      'buy .5 KO -',
      'sell 0.5 KO -',
      'buy 2 KO -',
      'sell 2 KO -',
    ]);
  });
});

describe('refused, naming line, column, value and reason', () => {
  const header = 'Trade Date,Ticker,Action,Qty,Price,Commission,id';
  const ok = '2021-04-20,AAPL,buy,10,130,1,A1';
  const cases: [string, string, string][] = [
    ['13/05/2021,AAPL,buy,10,130,1,A2', 'Trade Date', 'month 13 is not 1-12'],
    ['2021-02-30,AAPL,buy,10,130,1,A2', 'Trade Date', 'not a calendar date (2021-02-30)'],
    ['2021-04-20 15:30,AAPL,buy,10,130,1,A2', 'Trade Date', 'not a date: write YYYY-MM-DD'],
    ['2030-01-02,AAPL,buy,10,130,1,A2', 'Trade Date', 'is after today (2024-06-30)'],
    ['2021-04-20,AAPL,short,10,130,1,A2', 'Action', 'not a side: write buy or sell'],
    ['2021-04-20,,buy,10,130,1,A2', 'Ticker', 'the symbol is empty'],
    ['2021-04-20,AA PL,buy,10,130,1,A2', 'Ticker', 'not a ticker'],
    ['2021-04-20,AAPL,buy,-10,130,1,A2', 'Qty', 'quantity must be > 0: write it without a sign'],
    ['2021-04-20,AAPL,buy,0,130,1,A2', 'Qty', 'quantity must be > 0'],
    ['2021-04-20,AAPL,buy,"1,25",130,1,A2', 'Qty', 'a thousands separator must group by three'],
    ['2021-04-20,AAPL,buy,10,abc,1,A2', 'Price', 'price must be a plain decimal'],
    ['2021-04-20,AAPL,buy,10,0.00,1,A2', 'Price', 'price must be > 0'],
    ['2021-04-20,AAPL,buy,10,130,-1,A2', 'Commission', 'fees must be ≥ 0'],
    ['2021-04-20,AAPL,buy,10,130,1,A1', 'id', 'duplicate id: line 2 has the same id'],
  ];
  it.each(cases)('%s → column %s', (row, column, reason) => {
    const message = refusal([header, ok, row]);
    expect(message).toContain(`trades.csv line 3, column ${column}, value `);
    expect(message).toContain(reason);
  });

  it('an unquoted thousands separator splits the row: the field count, and how to write it', () => {
    expect(refusal([header, '2021-04-20,AAPL,buy,1,250,130,1,A1'])).toBe(
      'trades.csv line 2: the row has 8 fields but the header has 7; a number with a thousands separator must be quoted ("1,250") or written without it (1250)',
    );
  });

  it('a row short of fields names the first missing column', () => {
    expect(refusal([header, '2021-04-20,AAPL,buy,10'])).toContain(
      'trades.csv line 2, column Price: the row has 4 fields but the header has 7: missing Price, Commission, id',
    );
  });

  it('a quote left open (a note spanning lines) is refused on its line', () => {
    expect(
      refusal(['date,symbol,side,quantity,price,note', '2021-04-20,KO,buy,1,50,"two']),
    ).toContain('trades.csv line 2: a quoted field is not closed on this line');
  });

  it('a strategy label outside the allowed characters', () => {
    expect(
      refusal(['date,symbol,side,quantity,price,strategy', '2021-04-20,KO,buy,1,50,"<script>"']),
    ).toContain('column strategy, value "<script>": not a strategy label: 1-40 characters');
  });

  it('a header missing required columns lists each with the spellings accepted', () => {
    const message = refusal(['Date,Symbol,Qty', '2021-04-20,KO,1']);
    expect(message).toContain('trades.csv line 1, column side: missing columns "side", "price"');
    expect(message).toContain('side, Action, Buy/Sell or B/S');
    expect(message).toContain('Header found: "Date,Symbol,Qty"');
  });

  it('two columns giving the same field', () => {
    expect(
      refusal(['date,symbol,side,quantity,price,Fees,Commission', '2021-04-20,KO,buy,1,50,1,1']),
    ).toBe(
      'trades.csv line 1, column Commission: both "Fees" and "Commission" give the fees; keep one of them',
    );
  });
});
