/**
 * The slash grammar against generated input: every command's usage is in /help; arbitrary
 * tokens after any command never crash the parser or the engine, every refusal is readable (it
 * names a token or field and ends with the usage line), and nothing is written except by a write
 * tool that answered ok. Runs on a real database through the real tool gate.
 */
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testOrders } from '../../orders/test-support.js';
import { importPaths } from '../../store/market-data/import-paths.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { SAMPLE_DIR } from '../../test/helpers/fixtures.js';
import { TOOLS } from '../../tools/index.js';
import type { ToolPrincipal } from '../../tools/tool.js';
import { type ChatEngine, createChatEngine } from '../engine.js';
import type { ChatEvent } from '../events.js';
import { SLASH_COMMANDS } from './commands.js';
import { helpText, usageLine } from './help.js';
import { parseSlash, tokenize } from './parse.js';

let db: TestDatabase;
let engine: ChatEngine;
let local: ToolPrincipal;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'AAPL.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  local = {
    id: (rows[0] as { id: string }).id,
    handle: 'local',
    scopes: ['read', 'propose'],
    credential: { kind: 'local' },
  };
  const t = testOrders(db.pool);
  t.prices.set('AAPL', '130');
  engine = createChatEngine({ pool: db.pool, orders: t.orders });
});

afterAll(async () => {
  await db?.drop();
});

const names = SLASH_COMMANDS.map((command) => command.name);

/** Tokens people (and fuzzers) type: words, numbers, dates, key=value, quotes, junk. */
const token = fc.oneof(
  fc.constantFrom(
    'AAPL',
    'aapl',
    'MSFT,KO',
    'sma_cross',
    'min_variance',
    'buy',
    '2015-01-01',
    '2015-02-30',
    '-3',
    '1e309',
    'NaN',
    'true',
    '""',
    "'x y'",
    '=',
    '==',
    'a=',
    '=b',
  ),
  fc.string({ maxLength: 12 }),
  fc
    .tuple(
      fc.constantFrom(
        'top',
        'fast',
        'sector',
        'symbols',
        'cash',
        'limit',
        'params',
        'targets',
        'zzz',
      ),
      fc.string({ maxLength: 10 }),
    )
    .map(([k, v]) => `${k}=${v}`),
  fc.integer({ min: -1000, max: 1_000_000 }).map(String),
);
const line = fc
  .tuple(fc.constantFrom(...names), fc.array(token, { maxLength: 6 }))
  .map(([name, tokens]) => `/${name} ${tokens.join(' ')}`);

describe('the slash grammar', () => {
  it('/help shows the usage line of every command, and every tool is reachable', () => {
    const help = helpText();
    for (const command of SLASH_COMMANDS) {
      if (command.kind === 'tool' && command.name === command.tool.name) continue;
      expect(help).toContain(usageLine(command));
      expect(helpText(command.name).split('\n')[0]).toBe(usageLine(command));
    }
    for (const tool of TOOLS) expect(names).toContain(tool.name);
  });

  it('tokenizes quotes and never throws anything but a readable syntax error', () => {
    expect(tokenize('a "b c" d=\'e f\' g="h \\"i\\""')).toEqual(['a', 'b c', 'd=e f', 'g=h "i"']);
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const parsed = parseSlash(`/screen ${text}`);
        if (parsed.kind === 'error')
          expect(parsed.message).toMatch(/usage: \/screen|unknown|at most/);
      }),
      { numRuns: 500 },
    );
  });

  it('generated lines never crash the engine; refusals are readable; only ok write tools write', async () => {
    const proposals = async () =>
      (await db.pool.query('SELECT count(*)::int AS n FROM proposals')).rows[0].n as number;
    await fc.assert(
      fc.asyncProperty(line, async (text) => {
        const before = await proposals();
        const events: ChatEvent[] = [];
        for await (const event of engine.turn({
          principal: local,
          surface: { channel: 'cli', approval: null },
          thread: 'fuzz',
          text,
        }))
          events.push(event);
        expect(events.at(-1)?.type).toBe('done');
        for (const event of events) {
          if (event.type === 'error') {
            expect(event.code).not.toBe('internal');
            expect(event.message.length).toBeGreaterThan(5);
          }
          if (event.type === 'tool_result') expect(event.error?.code).not.toBe('internal');
        }
        const wrote = events.some(
          (e) =>
            e.type === 'tool_result' &&
            e.ok &&
            ['propose_order', 'propose_rebalance', 'cancel_order'].includes(e.tool),
        );
        if (!wrote) expect(await proposals()).toBe(before);
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
