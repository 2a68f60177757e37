import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseApiToken, VARIABLES } from './env.js';

function issuesOf(env: Record<string, string>) {
  try {
    loadConfig(env, '/srv/app');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs with no configuration at all: embedded defaults', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.http).toEqual({ port: 8787, host: '127.0.0.1' });
    expect(config.dataDir).toBe('/srv/app/.data');
    expect(config.ollama).toEqual({
      host: 'http://127.0.0.1:11434',
      model: 'qwen3:8b',
      embedModel: 'nomic-embed-text',
      numCtx: 16384,
      timeoutMs: 120_000,
    });
    expect(config.agent).toEqual({ maxToolCalls: 6 });
    expect(config.alpaca.baseUrl).toBe('https://paper-api.alpaca.markets');
    expect(config.apiTokens).toEqual([]);
    expect(config.logLevel).toBe('info');
  });

  it('reads every variable it is given', () => {
    const config = loadConfig(
      {
        DATABASE_URL: 'postgres://u:p@db:5432/countersign',
        REDIS_URL: 'redis://cache:6379',
        PORT: '9000',
        HOST: '0.0.0.0',
        DATA_DIR: '/var/lib/countersign',
        TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_-abc',
        API_TOKENS:
          'alice:aaaaaaaaaaaaaaaaaaaaaaaaaaaa:read+propose,bob:bbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      },
      '/srv/app',
    );
    expect(config.databaseUrl).toBe('postgres://u:p@db:5432/countersign');
    expect(config.http).toEqual({ port: 9000, host: '0.0.0.0' });
    expect(config.dataDir).toBe('/var/lib/countersign');
    expect(config.telegram.botToken).toBe('123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_-abc');
    expect(config.apiTokens).toEqual([
      { principal: 'alice', token: 'a'.repeat(28), scopes: ['read', 'propose'] },
      { principal: 'bob', token: 'b'.repeat(28), scopes: ['read'] },
    ]);
  });

  it('treats an empty value as unset (compose files list variables with no value)', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: ' ' }, '/').http.port).toBe(8787);
  });

  it.each([
    ['PORT', 'abc', 'an integer from 1 to 65535'],
    ['PORT', '70000', 'an integer from 1 to 65535'],
    ['PORT', '0', 'an integer from 1 to 65535'],
    ['DATABASE_URL', 'mysql://x@y/z', 'a PostgreSQL URL'],
    ['REDIS_URL', 'localhost:6379', 'a Redis URL'],
    ['OLLAMA_HOST', 'ollama', 'an http(s) URL'],
    ['LOG_LEVEL', 'verbose', 'one of fatal, error, warn, info, debug, trace, silent'],
    ['SLACK_BOT_TOKEN', 'xoxp-123', 'starting with xoxb-'],
    ['TELEGRAM_WEBHOOK_SECRET', 'has spaces in it', '1 to 256 characters'],
    ['API_TOKENS', 'alice:short', 'comma-separated name:token[:scopes]'],
    [
      'API_TOKENS',
      'alice:aaaaaaaaaaaaaaaaaaaaaaaaaaaa:admin',
      'scopes read, propose and/or approve',
    ],
  ])(
    '%s=%j stops start-up naming the variable, the value and the valid form',
    (name, value, form) => {
      const error = issuesOf({ [name]: value });
      expect(error.issues).toHaveLength(1);
      expect(error.issues[0]?.variable).toBe(name);
      expect(error.issues[0]?.expected).toContain(form);
      expect(error.message).toContain(name);
      expect(error.message).toContain(form);
    },
  );

  it('names every bad variable at once, and never prints a secret in full', () => {
    const error = issuesOf({
      PORT: 'x',
      REDIS_URL: 'nope',
      SLACK_BOT_TOKEN: 'xoxp-very-secret-token',
    });
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual([
      'PORT',
      'REDIS_URL',
      'SLACK_BOT_TOKEN',
    ]);
    expect(error.message).toContain('PORT="x"');
    expect(error.message).not.toContain('very-secret-token');
    expect(error.message).toContain('SLACK_BOT_TOKEN="xoxp…(22 characters)"');
  });

  it('documents a valid form for every variable of the public contract', () => {
    const contract = [
      'DATABASE_URL',
      'REDIS_URL',
      'CHROMA_URL',
      'OLLAMA_HOST',
      'OLLAMA_MODEL',
      'OLLAMA_EMBED_MODEL',
      'PORT',
      'HOST',
      'TELEGRAM_BOT_TOKEN',
      'TELEGRAM_WEBHOOK_SECRET',
      'TELEGRAM_API_ROOT',
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'SLACK_APP_TOKEN',
      'SLACK_API_URL',
      'ALPACA_KEY_ID',
      'ALPACA_SECRET_KEY',
      'ALPACA_BASE_URL',
      'API_TOKENS',
      'DATA_DIR',
    ];
    for (const name of contract) {
      const spec = VARIABLES[name as keyof typeof VARIABLES];
      expect(spec, name).toBeDefined();
      expect(spec.form.length, name).toBeGreaterThan(5);
      expect(spec.doc.length, name).toBeGreaterThan(5);
    }
  });
});

describe('parseApiToken', () => {
  it('defaults scopes to read and drops duplicates', () => {
    expect(parseApiToken('ci:tttttttttttttttttttttttt:read+read')).toEqual({
      principal: 'ci',
      token: 't'.repeat(24),
      scopes: ['read'],
    });
  });
  it('rejects an upper-case principal name', () => {
    expect(parseApiToken('Alice:tttttttttttttttttttttttt')).toBeUndefined();
  });
});
