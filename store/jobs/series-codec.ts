/**
 * A price series as one binary buffer, for handing bars to queue workers on other machines:
 * a little-endian uint32 header length, the header as JSON (symbol, scale, dates), then the six
 * columns as raw float64s. Exact (the doubles travel bit for bit) and ~5× smaller and faster than
 * JSON numbers.
 */
import type { PriceSeries } from '../../core/series/price-series.js';

const COLUMNS = ['open', 'high', 'low', 'close', 'adjClose', 'volume'] as const;

/** Thrown when a buffer is not an encoded series (truncated, or another program's key). */
export class SeriesCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeriesCodecError';
  }
}

/** The series as one buffer. */
export function encodeSeries(series: PriceSeries): Buffer {
  const header = Buffer.from(
    JSON.stringify({ symbol: series.symbol, scale: series.scale, dates: series.dates }),
  );
  // Columns start on an 8-byte boundary so the decoder can view them without copying.
  const headerEnd = 4 + header.length;
  const columnsStart = Math.ceil(headerEnd / 8) * 8;
  const n = series.dates.length;
  const out = Buffer.alloc(columnsStart + COLUMNS.length * n * 8);
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  COLUMNS.forEach((name, k) => {
    const column = series[name];
    Buffer.from(column.buffer, column.byteOffset, n * 8).copy(out, columnsStart + k * n * 8);
  });
  return out;
}

/** The series a buffer holds; throws SeriesCodecError when it is not one. */
export function decodeSeries(buffer: Buffer): PriceSeries {
  if (buffer.length < 4)
    throw new SeriesCodecError(`series buffer too short (${buffer.length} bytes)`);
  const headerLength = buffer.readUInt32LE(0);
  if (4 + headerLength > buffer.length)
    throw new SeriesCodecError(`series header of ${headerLength} bytes overruns the buffer`);
  let header: { symbol: string; scale: number; dates: string[] };
  try {
    header = JSON.parse(buffer.subarray(4, 4 + headerLength).toString('utf8'));
  } catch (error) {
    throw new SeriesCodecError(`series header is not JSON: ${(error as Error).message}`);
  }
  const n = header.dates.length;
  const columnsStart = Math.ceil((4 + headerLength) / 8) * 8;
  if (buffer.length !== columnsStart + COLUMNS.length * n * 8)
    throw new SeriesCodecError(
      `series buffer holds ${buffer.length} bytes; ${n} bars need ${columnsStart + COLUMNS.length * n * 8}`,
    );
  // Copy each column out: the buffer may sit in Node's shared pool at an unaligned offset.
  const column = (k: number) => {
    const out = new Float64Array(n);
    Buffer.from(out.buffer).set(
      buffer.subarray(columnsStart + k * n * 8, columnsStart + (k + 1) * n * 8),
    );
    return out;
  };
  return {
    symbol: header.symbol,
    scale: header.scale,
    dates: header.dates,
    open: column(0),
    high: column(1),
    low: column(2),
    close: column(3),
    adjClose: column(4),
    volume: column(5),
  };
}
