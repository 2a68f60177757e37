/** Shared test fixtures: the bundled sample prices and throwaway files built from them. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SAMPLE_DIR } from '../../store/market-data/sample.js';

export { SAMPLE_DIR };

/** The lines of a sample file (header first), e.g. sampleLines('AAPL'). */
export async function sampleLines(symbol: string): Promise<string[]> {
  const text = gunzipSync(await readFile(path.join(SAMPLE_DIR, `${symbol}.csv.gz`))).toString(
    'utf8',
  );
  return text.trimEnd().split('\n');
}

/** A temporary folder for one test file, removed by the returned cleanup. */
export async function tempFolder(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'countersign-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `lines` as a CSV file (gzipped when the name ends in .gz) and returns its path. */
export async function writeCsv(dir: string, name: string, lines: string[]): Promise<string> {
  const file = path.join(dir, name);
  const text = `${lines.join('\n')}\n`;
  await writeFile(file, name.endsWith('.gz') ? gzipSync(text) : text);
  return file;
}
