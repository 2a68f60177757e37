/** The binary series form queue workers receive: exact round trip, and a clear refusal of anything else. */
import { describe, expect, it } from 'vitest';
import { SAMPLE_DIR } from '../../test/helpers/fixtures.js';
import { loadSeries } from '../market-data/load-series.js';
import { decodeSeries, encodeSeries, SeriesCodecError } from './series-codec.js';

describe('series codec', () => {
  it('returns every bar bit for bit, dates, symbol and scale', async () => {
    const [series] = await loadSeries({ kind: 'files', path: SAMPLE_DIR }, { symbols: ['AAPL'] });
    if (!series) throw new Error('AAPL missing from the sample');
    const decoded = decodeSeries(encodeSeries(series));
    expect(decoded.symbol).toBe('AAPL');
    expect(decoded.scale).toBe(series.scale);
    expect(decoded.dates).toEqual(series.dates);
    for (const column of ['open', 'high', 'low', 'close', 'adjClose', 'volume'] as const) {
      expect(decoded[column]).toBeInstanceOf(Float64Array);
      expect(Buffer.from(decoded[column].buffer)).toEqual(Buffer.from(series[column].buffer));
    }
  });

  it('decodes from an unaligned slice of a larger buffer', async () => {
    const [series] = await loadSeries(
      { kind: 'files', path: SAMPLE_DIR },
      { symbols: ['KO'], from: '2020-01-01' },
    );
    if (!series) throw new Error('KO missing from the sample');
    const bytes = encodeSeries(series);
    const padded = Buffer.concat([Buffer.from([1, 2, 3]), bytes]).subarray(3);
    expect(Array.from(decodeSeries(padded).close)).toEqual(Array.from(series.close));
  });

  it('refuses a truncated buffer, saying how many bytes it has and needs', async () => {
    const [series] = await loadSeries(
      { kind: 'files', path: SAMPLE_DIR },
      { symbols: ['KO'], from: '2021-01-01' },
    );
    if (!series) throw new Error('KO missing from the sample');
    const bytes = encodeSeries(series);
    expect(() => decodeSeries(bytes.subarray(0, bytes.length - 8))).toThrow(
      /holds \d+ bytes; \d+ bars need \d+/,
    );
    expect(() => decodeSeries(Buffer.from('hi'))).toThrow(SeriesCodecError);
    expect(() => decodeSeries(Buffer.from('\u0005\u0000\u0000\u0000{oops'))).toThrow(
      /header is not JSON/,
    );
  });
});
