/** Reading CSV text files line by line, gzipped or plain, with the line number of each row. */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Splits one CSV line into fields (RFC 4180 quoting: "a, b" and "say ""hi"""). Multi-line quoted
 * fields are not supported: price files and constituent lists never have them.
 */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      fields.push(field);
      field = '';
    } else {
      field += char;
    }
  }
  fields.push(field);
  return fields;
}

/** Normalises a header cell so that `Adj Close`, `adj_close` and `AdjClose` all read `adjclose`. */
export function headerKey(cell: string): string {
  return cell
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '');
}

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Yields the non-empty lines of a CSV file with their 1-based line numbers, gunzipping when the
 * file starts with the gzip magic bytes (whatever its name). `onBytes` reports raw bytes read
 * from disk, for progress bars.
 */
export async function* readCsvLines(
  file: string,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<{ line: number; text: string }> {
  const gzip = await isGzip(file);
  const raw = createReadStream(file, { highWaterMark: 256 * 1024 });
  const counted = onBytes
    ? raw.pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            onBytes(chunk.length);
            callback(null, chunk);
          },
        }),
      )
    : raw;
  const text = gzip ? counted.pipe(createGunzip()) : counted;
  raw.on('error', (error) => text.destroy(error));
  if (gzip) counted.on('error', (error: Error) => text.destroy(error));
  const lines = createInterface({ input: text, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const textLine of lines) {
      line++;
      if (textLine.trim() !== '') yield { line, text: textLine };
    }
  } finally {
    lines.close();
    raw.destroy();
  }
}
