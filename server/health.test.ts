import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import type { Database } from '../store/db/open-database.js';
import { createKv } from '../store/kv/kv.js';
import { formatBanner } from './banner.js';
import { brokerHealth } from './health.js';

const config = (env: Record<string, string>) => loadConfig(env, '/');

describe('broker health', () => {
  it.each([
    [{}, 'paper broker built in; set ALPACA_KEY_ID and ALPACA_SECRET_KEY to add Alpaca'],
    [
      { ALPACA_KEY_ID: 'AKID1234', ALPACA_SECRET_KEY: 'secret-key-1234' },
      'paper broker built in; Alpaca at paper-api.alpaca.markets (paper trading)',
    ],
    [
      {
        ALPACA_KEY_ID: 'AKID1234',
        ALPACA_SECRET_KEY: 'secret-key-1234',
        ALPACA_BASE_URL: 'https://api.alpaca.markets',
        ALPACA_LIVE: 'true',
      },
      'paper broker built in; Alpaca LIVE (real money) at api.alpaca.markets',
    ],
    [
      { ALPACA_KEY_ID: 'AKID1234' },
      'paper broker built in; Alpaca off: ALPACA_SECRET_KEY is missing (set both)',
    ],
  ])('is ok, and says which brokers run for %j', (env, detail) => {
    expect(brokerHealth(config(env))).toEqual({ status: 'ok', detail });
  });
});

describe('the start-up banner', () => {
  const banner = async (env: Record<string, string>) => {
    const kv = await createKv({ logger: silentLogger() });
    try {
      return formatBanner({
        config: config(env),
        url: 'http://127.0.0.1:8080',
        database: {
          pool: {} as Database['pool'],
          mode: 'external',
          location: '127.0.0.1/test',
          migrationsApplied: [],
          close: async () => {},
        },
        kv,
        prices: { symbols: 0, bars: 0, firstDate: undefined, lastDate: undefined },
        sampleLoaded: false,
        startSeconds: 1.23,
      });
    } finally {
      await kv.close();
    }
  };

  it('names the brokers, and no longer promises them for a later release', async () => {
    const text = await banner({});
    expect(text).toContain(
      '  Brokers      paper broker built in; set ALPACA_KEY_ID and ALPACA_SECRET_KEY to add Alpaca',
    );
    expect(text).toContain('  Not configured (see the README for each):');
    expect(text).not.toMatch(/brokers arrive/);
    expect(text).toContain(
      'API tokens     bearer tokens for REST and MCP over HTTP (`countersign token create`, or API_TOKENS)',
    );
  });

  it('reports the agent as ready, slash_only (why) or degraded, and the chat endpoint', async () => {
    const kv = await createKv({ logger: silentLogger() });
    const facts = {
      config: config({}),
      url: 'http://127.0.0.1:8080',
      database: {
        pool: {} as Database['pool'],
        mode: 'external' as const,
        location: '127.0.0.1/test',
        migrationsApplied: [],
        close: async () => {},
      },
      kv,
      prices: { symbols: 0, bars: 0, firstDate: undefined, lastDate: undefined },
      sampleLoaded: false,
      startSeconds: 1,
    };
    const down = formatBanner({
      ...facts,
      agent: { state: 'slash_only', detail: 'no Ollama at http://127.0.0.1:11434' },
    });
    expect(down).toContain(
      '  Agent        slash_only (no Ollama at http://127.0.0.1:11434); model qwen3:8b at http://127.0.0.1:11434 (OLLAMA_HOST, OLLAMA_MODEL)',
    );
    expect(down).toContain('  Chat         http://127.0.0.1:8080/api/chat   (Server-Sent Events');
    expect(formatBanner({ ...facts, agent: { state: 'ready', detail: 'qwen3:8b' } })).toContain(
      '  Agent        ready (qwen3:8b);',
    );
    await kv.close();
  });

  it('lists the MCP, REST and OpenAPI addresses under the server URL', async () => {
    const lines = (await banner({})).split('\n');
    const at = lines.findIndex((line) => line.startsWith('  HTTP '));
    expect(lines.slice(at, at + 4)).toEqual([
      '  HTTP         http://127.0.0.1:8080   (GET /health, GET /metrics)',
      '  MCP          http://127.0.0.1:8080/mcp   (Streamable HTTP, bearer token)',
      '  REST         http://127.0.0.1:8080/api   (GET /api/tools, POST /api/tools/:name, /api/proposals)',
      '  OpenAPI      http://127.0.0.1:8080/api/openapi.json',
    ]);
  });

  it('leaves out API tokens once API_TOKENS lists some, and shows Alpaca when set', async () => {
    const text = await banner({
      API_TOKENS: 'ci:abcdefghijklmnopqrstuvwxyz',
      ALPACA_KEY_ID: 'AKID1234',
      ALPACA_SECRET_KEY: 'secret-key-1234',
    });
    expect(text).not.toContain('API tokens');
    expect(text).toContain('Alpaca at paper-api.alpaca.markets (paper trading)');
    expect(text).not.toContain('abcdefghijklmnopqrstuvwxyz');
  });
});
