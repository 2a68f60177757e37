/**
 * A client nobody here wrote: the MCP Inspector CLI (pinned in devDependencies) against the real
 * `countersign serve` over Streamable HTTP with a bearer token, and against `countersign mcp` over
 * stdio. It lists the tools (with the Inspector's schema-portability check in strict mode), runs a
 * backtest, and gets an isError answer for bad arguments.
 */

import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../config/app-info.js';
import { importPaths } from '../../store/market-data/import-paths.js';
import { TOOLS } from '../../tools/index.js';
import {
  type CliProcess,
  childEnv,
  freePort,
  runCli,
  startCli,
  waitForHealthy,
} from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR } from '../helpers/fixtures.js';

const INSPECTOR = path.join(
  PROJECT_ROOT,
  'node_modules',
  '@modelcontextprotocol',
  'inspector',
  'clients',
  'launcher',
  'build',
  'index.js',
);
const BIN = path.join(PROJECT_ROOT, 'bin', 'countersign.js');

interface InspectorRun {
  code: number | null;
  json: Record<string, unknown>;
  stderr: string;
}

/** Runs `mcp-inspector --cli ...args --format json` and parses what it printed on stdout. */
function inspector(args: string[]): Promise<InspectorRun> {
  const child = spawn(process.execPath, [INSPECTOR, '--cli', '--format', 'json', ...args], {
    env: childEnv({}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr.on('data', (chunk) => {
    err += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      // Results go to stdout; a failure to connect is one JSON line on stderr.
      const printed = out.trim() || err.trim().split('\n').pop() || '';
      try {
        resolve({ code, json: JSON.parse(printed) as Record<string, unknown>, stderr: err });
      } catch {
        reject(new Error(`the inspector printed no JSON (exit ${code}):\n${out}\n${err}`));
      }
    });
  });
}

interface ListedTool {
  name: string;
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean };
  inputSchema: { properties?: Record<string, unknown> };
}

interface CallResult {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
}

/** The result of a tools/call whether the Inspector wraps it in `result` or prints it bare. */
const resultOf = (run: InspectorRun) => (run.json.result ?? run.json) as CallResult;

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'AAPL.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
}, 60_000);

afterAll(async () => {
  await db.drop();
});

function expectTools(run: InspectorRun) {
  expect(run.code).toBe(0);
  const tools = (run.json.tools ?? (run.json.result as { tools?: unknown })?.tools) as ListedTool[];
  const names = tools.map((tool) => tool.name);
  expect(names).toEqual(
    expect.arrayContaining(['get_quote', 'run_backtest', 'propose_order', 'optimize_portfolio']),
  );
  expect(names).toHaveLength(TOOLS.length);
  const propose = tools.find((tool) => tool.name === 'propose_order');
  expect(propose?.annotations?.readOnlyHint).toBe(false);
  expect(Object.keys(propose?.inputSchema.properties ?? {})).not.toContain('approve');
  const quote = tools.find((tool) => tool.name === 'get_quote');
  expect(quote?.annotations?.readOnlyHint).toBe(true);
}

function expectBacktest(run: InspectorRun) {
  expect(run.code).toBe(0);
  const result = resultOf(run);
  expect(result.isError).toBeFalsy();
  const figures = result.structuredContent as {
    strategy: string;
    symbols: string[];
    bars: number;
    trade_count: number;
    currency: string;
  };
  expect(figures.strategy).toBe('sma_cross');
  expect(figures.symbols).toEqual(['KO']);
  expect(figures.currency).toBe('USD');
  expect(figures.bars).toBeGreaterThan(5000);
  expect(figures.trade_count).toBeGreaterThan(0);
  expect(result.content[0]?.text).toContain('sma_cross');
}

function expectBadInput(run: InspectorRun) {
  // The Inspector exits non-zero for an isError result and still prints it.
  expect(run.code).not.toBe(0);
  const result = resultOf(run);
  expect(result.isError).toBe(true);
  expect(result.content[0]?.text).toMatch(/strategy/);
  expect(result.content[0]?.text).toMatch(/sma_cross/);
}

const backtestArgs = JSON.stringify({
  strategy: 'sma_cross',
  symbols: ['KO'],
  params: { fast: 10, slow: 50 },
});

describe('over Streamable HTTP against countersign serve', () => {
  let server: CliProcess | undefined;
  let url: string;
  let header: string;

  beforeAll(async () => {
    const env = { DATABASE_URL: db.url };
    const created = await runCli(
      ['token', 'create', '--principal', 'inspector', '--scopes', 'read,propose'],
      env,
    );
    expect(created.code).toBe(0);
    header = `Authorization: Bearer ${created.stdout.trim().split('\n').pop()}`;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = startCli(['serve'], { ...env, PORT: String(port), LOG_LEVEL: 'warn' });
    await waitForHealthy(url);
  }, 120_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
  });

  const http = (args: string[]) =>
    inspector(['--transport', 'http', '--server-url', `${url}/mcp`, '--header', header, ...args]);

  it('lists every tool with honest annotations; the strict schema check finds nothing', async () => {
    const run = await http(['--method', 'tools/list', '--strict']);
    expectTools(run);
  }, 60_000);

  it('runs a backtest', async () => {
    const run = await http([
      '--method',
      'tools/call',
      '--tool-name',
      'run_backtest',
      '--tool-args-json',
      backtestArgs,
    ]);
    expectBacktest(run);
  }, 60_000);

  it('answers bad arguments with isError and the valid values', async () => {
    const run = await http([
      '--method',
      'tools/call',
      '--tool-name',
      'run_backtest',
      '--tool-args-json',
      JSON.stringify({ strategy: 'moonshot', symbols: ['KO'] }),
    ]);
    expectBadInput(run);
  }, 60_000);

  it('is refused without a token', async () => {
    const run = await inspector([
      '--transport',
      'http',
      '--server-url',
      `${url}/mcp`,
      '--method',
      'tools/list',
      '--stored-auth-only',
    ]);
    // The 401 (with its WWW-Authenticate: Bearer challenge) makes the Inspector ask for auth.
    expect(run.code).not.toBe(0);
    expect((run.json.error as { code: string }).code).toBe('auth_required');
  }, 60_000);
});

describe('over stdio against countersign mcp', () => {
  const stdio = (args: string[]) =>
    inspector([
      '-e',
      `DATABASE_URL=${db.url}`,
      '-e',
      'LOG_LEVEL=warn',
      ...args,
      process.execPath,
      BIN,
      'mcp',
    ]);

  it('lists the tools; the strict schema check finds nothing', async () => {
    expectTools(await stdio(['--method', 'tools/list', '--strict']));
  }, 60_000);

  it('runs a backtest and refuses bad arguments', async () => {
    expectBacktest(
      await stdio([
        '--method',
        'tools/call',
        '--tool-name',
        'run_backtest',
        '--tool-args-json',
        backtestArgs,
      ]),
    );
    expectBadInput(
      await stdio([
        '--method',
        'tools/call',
        '--tool-name',
        'run_backtest',
        '--tool-args-json',
        JSON.stringify({ strategy: 'moonshot', symbols: ['KO'] }),
      ]),
    );
  }, 90_000);
});
