/** Benchmark: verifying an audit log of 1,000,000 chained entries (target: under 10 s). */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { type Config, loadConfig } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import {
  type AuditHashedFields,
  auditHash,
  GENESIS_HASH,
  verifyAudit,
} from '../store/audit/audit-log.js';
import { migrate } from '../store/db/migrate.js';
import { createPool, type Pool } from '../store/db/pool.js';
import { freshDatabase } from './fresh-database.js';

const ENTRIES = 1_000_000;
const TARGET_MS = 10_000;
const CHUNK = 5_000;

/** COPY text format: backslash, tab, newline and carriage return are escaped; \N is NULL. */
function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value)
    ? value.replace(
        /[\\\t\n\r]/g,
        (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string,
      )
    : value;
}

/** Realistic entries: the lifecycle of proposals (created, approved, submitted, filled), chained. */
function* chainedRows(count: number): Generator<string> {
  const principals = Array.from({ length: 8 }, () => randomUUID());
  const start = Date.UTC(2026, 0, 2, 14, 30);
  let prevHash = GENESIS_HASH;
  let lines: string[] = [];
  for (let i = 1; i <= count; i++) {
    const proposal = Math.floor((i - 1) / 4);
    const step = (i - 1) % 4;
    const principal = principals[proposal % principals.length] as string;
    const symbol = ['AAPL', 'MSFT', 'NVDA', 'KO', 'JPM'][proposal % 5] as string;
    const fields: AuditHashedFields = {
      seq: String(i),
      at: new Date(start + i * 250).toISOString(),
      actorKind: step === 0 ? 'agent' : step === 1 ? 'principal' : 'system',
      actorId: step === 0 ? 'ollama:qwen2.5' : step === 1 ? principal : null,
      channel: step === 0 ? 'mcp' : step === 1 ? 'slack' : 'system',
      action: ['proposal.created', 'proposal.approved', 'order.submitted', 'order.filled'][
        step
      ] as string,
      entityKind: step < 2 ? 'proposal' : 'order',
      entityId: `00000000-0000-4000-8000-${String(proposal).padStart(12, '0')}`,
      before: step === 0 ? null : { status: ['pending', 'approved', 'submitted'][step - 1] },
      after: {
        status: ['pending', 'approved', 'submitted', 'filled'][step],
        symbol,
        side: proposal % 2 === 0 ? 'buy' : 'sell',
        quantity: String(1 + (proposal % 97)),
        limit_price: (100 + (proposal % 500) / 4).toFixed(2),
        order_hash: prevHash,
        ...(step === 3 ? { fill: { price: '101.25', commission: '0', venue: 'paper' } } : {}),
      },
    };
    const hash = auditHash(prevHash, fields);
    lines.push(
      [
        fields.seq,
        fields.at,
        fields.actorKind,
        copyField(fields.actorId),
        copyField(fields.channel),
        copyField(fields.action),
        copyField(fields.entityKind),
        copyField(fields.entityId),
        copyField(fields.before === null ? null : JSON.stringify(fields.before)),
        copyField(JSON.stringify(fields.after)),
        prevHash,
        hash,
      ].join('\t'),
    );
    prevHash = hash;
    if (lines.length === CHUNK) {
      yield `${lines.join('\n')}\n`;
      lines = [];
    }
  }
  if (lines.length > 0) yield `${lines.join('\n')}\n`;
}

/** Writes `count` valid chained entries with COPY (seq given explicitly, as appendAudit gives it). */
async function fillAuditLog(pool: Pool, count: number): Promise<void> {
  const client = await pool.connect();
  try {
    await pipeline(
      Readable.from(chainedRows(count)),
      client.query(
        copyFrom(
          `COPY audit_log (seq, at, actor_kind, actor_id, channel, action, entity_kind, entity_id,
                           before, after, prev_hash, hash) FROM STDIN`,
        ),
      ),
    );
    // Sets hint bits and the visibility map now, as time does for a real log, so that the timed
    // scan is not the first read after the load (which writes every page once).
    await client.query('VACUUM (ANALYZE) audit_log');
  } finally {
    client.release();
  }
}

/** Builds and loads the log into a throwaway database, then times verifyAudit over all of it. */
export async function benchAudit(
  emit: (line: object) => void,
  config: Config = loadConfig(),
): Promise<void> {
  const database = await freshDatabase(config);
  const pool = createPool(database.url, { max: 2 });
  try {
    await migrate(pool, silentLogger());
    console.error(`[bench] writing ${ENTRIES.toLocaleString('en-US')} chained audit entries…`);
    const loadStarted = performance.now();
    await fillAuditLog(pool, ENTRIES);
    const loadMs = performance.now() - loadStarted;
    console.error('[bench] verifying the audit log…');
    const started = performance.now();
    const result = await verifyAudit(pool);
    const elapsed = performance.now() - started;
    if (!result.ok || result.entries !== ENTRIES)
      throw new Error(`audit bench: verification failed: ${JSON.stringify(result)}`);
    emit({
      bench: 'audit_verify',
      database: database.server,
      entries: result.entries,
      elapsed_ms: Math.round(elapsed),
      entries_per_s: Math.round(result.entries / (elapsed / 1000)),
      load_ms: Math.round(loadMs),
      target_ms: TARGET_MS,
    });
  } finally {
    await pool.end();
    await database.dispose();
  }
}
