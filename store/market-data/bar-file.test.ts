import { describe, expect, it } from 'vitest';
import { barRowToCopyLine, FileRejected, parseBarHeader, symbolFromFileName } from './bar-file.js';
import { splitCsvLine } from './csv.js';

function rejection(work: () => unknown) {
  try {
    work();
  } catch (error) {
    if (error instanceof FileRejected) return error.problem;
    throw error;
  }
  throw new Error('expected the file to be refused');
}

describe('parseBarHeader', () => {
  it('reads the sp500-daily layout', () => {
    const layout = parseBarHeader('f', 'date,open,high,low,close,adj_close,volume,dividend,split');
    expect(layout).toMatchObject({
      date: 0,
      open: 1,
      high: 2,
      low: 3,
      close: 4,
      adjClose: 5,
      volume: 6,
      dividend: 7,
      split: 8,
    });
  });

  it('reads the common Date,Open,High,Low,Close,Adj Close,Volume layout (with a BOM)', () => {
    const layout = parseBarHeader('f', '\uFEFFDate,Open,High,Low,Close,Adj Close,Volume');
    expect(layout).toMatchObject({ date: 0, close: 4, adjClose: 5, volume: 6 });
    expect(layout.dividend).toBeUndefined();
  });

  it('names the missing column', () => {
    const problem = rejection(() => parseBarHeader('AAPL.csv', 'Date,Open,High,Low,Volume'));
    expect(problem).toMatchObject({ line: 1, column: 'close' });
    expect(problem.reason).toContain('missing column "close"');
  });
});

describe('barRowToCopyLine', () => {
  const layout = parseBarHeader('f', 'Date,Open,High,Low,Close,Adj Close,Volume');

  it('keeps the decimal text exactly as written and fills optional columns', () => {
    const row = barRowToCopyLine(
      'f',
      'AAPL',
      layout,
      2,
      '2021-04-21,133.8,134.15,131.41,133.5,133.3,79016300.0',
      undefined,
    );
    expect(row.copyLine).toBe(
      'AAPL\t2021-04-21\t133.8\t134.15\t131.41\t133.5\t133.3\t79016300\t0\t1\n',
    );
  });

  it('uses close as the adjusted close when the file has none', () => {
    const bare = parseBarHeader('f', 'date,open,high,low,close,volume');
    expect(barRowToCopyLine('f', 'X', bare, 2, '2021-04-21,1,2,1,1.5,10', undefined).copyLine).toBe(
      'X\t2021-04-21\t1\t2\t1\t1.5\t1.5\t10\t0\t1\n',
    );
  });

  it.each([
    [
      'a short row',
      '2021-04-21,133.8,134.15',
      undefined,
      {
        column: 'Low',
        reason: 'the row has 3 fields but the header has 7: missing Low, Close, Adj Close, Volume',
      },
    ],
    [
      'a long row',
      '2021-04-21,1,2,1,1.5,1.5,10,99',
      undefined,
      { reason: 'the row has 8 fields but the header has 7' },
    ],
    [
      'a duplicate date',
      '2021-04-21,1,2,1,1.5,1.5,10',
      '2021-04-21',
      { column: 'Date', value: '2021-04-21', reason: 'duplicate date' },
    ],
    [
      'an unsorted date',
      '2021-04-20,1,2,1,1.5,1.5,10',
      '2021-04-21',
      { column: 'Date', reason: 'unsorted date: comes after 2021-04-21' },
    ],
    [
      'a bad number, under its header name',
      '2021-04-21,1,2,1,null,1.5,10',
      undefined,
      { column: 'Close', value: 'null', reason: 'not a number' },
    ],
    [
      'a bad adjusted close, under its header name',
      '2021-04-21,1,2,1,1.5,-1,10',
      undefined,
      { column: 'Adj Close', value: '-1', reason: 'negative' },
    ],
  ])('refuses %s with its exact location', (_name, text, previous, expected) => {
    const problem = rejection(() =>
      barRowToCopyLine('AAPL.csv', 'AAPL', layout, 7, text, previous),
    );
    expect(problem.line).toBe(7);
    expect(problem.file).toBe('AAPL.csv');
    const { reason, ...rest } = expected as { reason: string };
    expect(problem).toMatchObject(rest);
    expect(problem.reason).toContain(reason);
  });
});

describe('symbolFromFileName', () => {
  it.each([
    ['/data/AAPL.csv.gz', 'AAPL'],
    ['BRK.B.csv.gz', 'BRK.B'],
    ['msft.csv', 'MSFT'],
    ['spy.gz', 'SPY'],
  ])('%s → %s', (file, symbol) => {
    expect(symbolFromFileName(file)).toBe(symbol);
  });
});

describe('splitCsvLine', () => {
  it('handles quoted fields with commas and doubled quotes', () => {
    expect(splitCsvLine('BRK.B,"Berkshire, Hathaway","say ""hi""",')).toEqual([
      'BRK.B',
      'Berkshire, Hathaway',
      'say "hi"',
      '',
    ]);
  });
});
