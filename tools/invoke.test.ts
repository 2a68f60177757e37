/**
 * The tool-call gate against the real database: scopes, readable bad-input messages, one audit
 * entry per call (arguments hash, outcome) in a chain that still verifies, and random arguments
 * for every tool (fast-check) that are always answered, never thrown, and never place or approve.
 */
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { canonicalJson } from '../core/canonical-json.js';
import { testOrders } from '../orders/test-support.js';
import { verifyAudit } from '../store/audit/audit-log.js';
import { MemoryRateLimiter } from '../store/kv/memory-rate-limiter.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { DEFAULT_PROPOSER_KIND, type ToolChannel } from './context.js';
import { TOOLS, toolByName } from './index.js';
import { argsHash, invokeTool } from './invoke.js';
import type { Tool, ToolContext, ToolPrincipal } from './tool.js';

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let principalId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [path.join(SAMPLE_DIR, 'KO.csv.gz')]);
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  principalId = rows[0]?.id as string;
  t = testOrders(db.pool);
  t.prices.set('KO', '54.61');
});

afterAll(async () => {
  await db?.drop();
});

function context(scopes: ToolPrincipal['scopes'], channel: ToolChannel = 'rest'): ToolContext {
  return {
    principal: { id: principalId, handle: 'local', scopes },
    pool: db.pool,
    orders: t.orders,
    channel,
    proposerKind: DEFAULT_PROPOSER_KIND[channel],
    logger: silentLogger(),
    progress: () => undefined,
    signal: new AbortController().signal,
    now: () => new Date(),
  };
}

const tool = (name: string) => toolByName(name) as Tool;

async function lastAudit() {
  const { rows } = await db.pool.query<{
    action: string;
    actor_kind: string;
    actor_id: string;
    channel: string;
    entity_kind: string;
    entity_id: string;
    after: { args_sha256: string; outcome: string };
  }>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1');
  return rows[0];
}

async function count(table: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
  return Number(rows[0]?.n);
}

describe('invokeTool', () => {
  it('runs a read tool with the read scope and checks its output', async () => {
    const result = await invokeTool(tool('get_quote'), { symbol: 'ko' }, context(['read']));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.output).toMatchObject({ symbol: 'KO', currency: 'USD' });
  });

  it('limits calls per principal and says when to retry; other principals are not affected', async () => {
    const limiter = new MemoryRateLimiter({
      name: 'test-tools',
      capacity: 2,
      refillPerSecond: 0.01,
    });
    const limited = { ...context(['read']), limiter };
    expect((await invokeTool(tool('get_quote'), { symbol: 'KO' }, limited)).ok).toBe(true);
    expect((await invokeTool(tool('get_quote'), { symbol: 'KO' }, limited)).ok).toBe(true);
    const third = await invokeTool(tool('get_quote'), { symbol: 'KO' }, limited);
    expect(third).toMatchObject({ ok: false, code: 'rate_limited' });
    if (!third.ok)
      expect(third.message).toMatch(
        /too many tool calls from local: at most 2 at once and 0\.01 a second; retry in [\d.]+ s/,
      );
    const other = {
      ...limited,
      principal: { ...limited.principal, id: '00000000-0000-4000-8000-000000000001' },
    };
    expect((await invokeTool(tool('get_quote'), { symbol: 'KO' }, other)).ok).toBe(true);
    expect(await lastAudit()).toMatchObject({ action: 'tool.called' });
  });

  it('refuses a write tool with only the read scope, naming the missing scope', async () => {
    const before = await count('proposals');
    const result = await invokeTool(
      tool('propose_order'),
      { symbol: 'KO', side: 'buy', quantity: 1, rationale: 'scope test' },
      context(['read']),
    );
    expect(result).toMatchObject({ ok: false, code: 'forbidden' });
    if (!result.ok) expect(result.message).toMatch(/'propose' scope/);
    expect(await count('proposals')).toBe(before);
    expect((await lastAudit())?.after.outcome).toBe('forbidden');
  });

  it('refuses a read tool without the read scope', async () => {
    const result = await invokeTool(tool('get_quote'), { symbol: 'KO' }, context([]));
    expect(result).toMatchObject({ ok: false, code: 'forbidden' });
    if (!result.ok) expect(result.message).toMatch(/'read' scope.*no scopes/);
  });

  it('answers bad input with one readable sentence naming each field, its problem and what is valid', async () => {
    const result = await invokeTool(
      tool('propose_order'),
      { symbol: 42, side: 'hold', quantity: 'ten' },
      context(['read', 'propose']),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('bad_input');
    expect(result.message).toMatch(/^invalid arguments for propose_order: /);
    expect(result.message).toMatch(/symbol must be a string, not number — Ticker/);
    expect(result.message).toMatch(/side must be one of "buy", "sell"/);
    expect(result.message).toMatch(/quantity must be a number, not string/);
    expect(result.message).not.toMatch(/[{[]\s*"code"/); // not a dump of zod's JSON
    const missing = await invokeTool(tool('get_quote'), {}, context(['read']));
    expect(missing).toMatchObject({ ok: false, code: 'bad_input' });
    if (!missing.ok) expect(missing.message).toMatch(/symbol is required \(a string\) — Ticker/);
    const notObject = await invokeTool(tool('get_quote'), null, context(['read']));
    expect(notObject.ok).toBe(false);
    if (!notObject.ok)
      expect(notObject.message).toMatch(/the arguments must be an object, not null/);
  });

  it('maps a ToolError to its code and keeps its message', async () => {
    const result = await invokeTool(tool('get_quote'), { symbol: 'NOPE' }, context(['read']));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).not.toBe('internal');
      expect(result.message).toMatch(/NOPE/);
    }
  });

  it('turns an unexpected error into "internal" with a generic message, and logs it', async () => {
    const logged: unknown[] = [];
    const broken = {
      ...tool('get_quote'),
      name: 'broken',
      handler: async () => {
        throw new Error('secret connection string postgres://x');
      },
    } as Tool;
    const ctx = context(['read']);
    ctx.logger = { error: (...args: unknown[]) => logged.push(args) } as never;
    const result = await invokeTool(broken, { symbol: 'KO' }, ctx);
    expect(result).toMatchObject({ ok: false, code: 'internal' });
    if (!result.ok) expect(result.message).not.toMatch(/secret|postgres/);
    expect(logged).toHaveLength(1);
    const badOutput = { ...tool('get_quote'), handler: async () => ({ nope: 1 }) } as Tool;
    expect(await invokeTool(badOutput, { symbol: 'KO' }, ctx)).toMatchObject({
      ok: false,
      code: 'internal',
    });
  });

  it('writes one audit entry per call with the arguments hash and the outcome; the chain verifies', async () => {
    const args = { symbol: 'KO' };
    const before = await count('audit_log');
    await invokeTool(tool('get_quote'), args, context(['read'], 'mcp'));
    const ok = await lastAudit();
    expect(ok).toMatchObject({
      action: 'tool.called',
      actor_kind: 'principal',
      actor_id: principalId,
      channel: 'mcp',
      entity_kind: 'tool',
      entity_id: 'get_quote',
      after: { outcome: 'ok' },
    });
    expect(ok?.after.args_sha256).toBe(argsHash(args));
    expect(ok?.after.args_sha256).toMatch(/^[0-9a-f]{64}$/);
    await invokeTool(tool('get_quote'), { symbol: 7 }, context(['read']));
    expect(await lastAudit()).toMatchObject({ channel: 'rest', after: { outcome: 'bad_input' } });
    expect(await count('audit_log')).toBe(before + 2);
    expect((await verifyAudit(db.pool)).ok).toBe(true);
  });

  it('hashes arguments canonicalJson cannot spell with JSON.stringify instead', () => {
    expect(argsHash({ b: 1, a: 2 })).toBe(argsHash({ a: 2, b: 1 }));
    expect(() => canonicalJson({ x: Number.NaN })).toThrow();
    expect(argsHash({ x: Number.NaN })).toMatch(/^[0-9a-f]{64}$/);
    expect(argsHash({ x: 1n })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers random arguments for every tool without throwing, and never places or approves', async () => {
    const auditBefore = await count('audit_log');
    let calls = 0;
    for (const one of TOOLS) {
      const fields = Object.keys(one.input.shape);
      const key =
        fields.length > 0
          ? fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 8 }))
          : fc.string({ maxLength: 8 });
      const args = fc.oneof(
        fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }),
        fc.jsonValue({ maxDepth: 1 }),
      );
      await fc.assert(
        fc.asyncProperty(args, async (raw) => {
          calls++;
          const result = await invokeTool(one, raw, context(['read', 'propose']));
          if (result.ok) expect(result.output).toBeTypeOf('object');
          else {
            expect(result.message.length).toBeGreaterThan(0);
            expect(result.code, `${one.name} ${JSON.stringify(raw)}: ${result.message}`).not.toBe(
              'internal',
            );
          }
        }),
        { numRuns: 20 },
      );
    }
    expect(await count('orders')).toBe(0);
    expect(await count('approvals')).toBe(0);
    expect(t.broker.received).toHaveLength(0);
    const { rows } = await db.pool.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM proposals WHERE status <> 'pending'",
    );
    expect(Number(rows[0]?.n)).toBe(0);
    expect(await count('audit_log')).toBeGreaterThanOrEqual(auditBefore + calls);
    expect((await verifyAudit(db.pool)).ok).toBe(true);
  }, 120_000);
});
