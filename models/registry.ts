/**
 * The model registry in PostgreSQL (table models): a trained model is saved as an ONNX file
 * under DATA_DIR/models (written to a temporary name and renamed, so a crash leaves no half
 * file), its SHA-256 and path, training window, features, hyper-parameters and out-of-sample
 * metrics in a row with status `staging`. `promote` makes it `production` (the one before it is
 * retired) only when its walk-forward report beat 12-1 momentum; `retire` takes it out. Every
 * change is an audit entry in the same transaction. `loadBytes` checks the file's hash.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { appendAudit } from '../store/audit/audit-log.js';
import { inTransaction, type Pool } from '../store/db/pool.js';
import type { WalkForwardReport } from './walk-forward.js';

export type ModelStatus = 'staging' | 'production' | 'retired';

export interface ModelRecord {
  id: string;
  name: string;
  version: number;
  createdAt: Date;
  trainFrom: string | null;
  trainTo: string | null;
  features: string[];
  params: Record<string, unknown>;
  metrics: { walk_forward?: WalkForwardReport } & Record<string, unknown>;
  onnxSha256: string;
  path: string;
  status: ModelStatus;
  promotedBy: string | null;
  promotedAt: Date | null;
}

/** A request the registry refuses; the message says why and what would work. */
export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

interface Row {
  id: string;
  name: string;
  version: number;
  created_at: Date;
  train_from: string | null;
  train_to: string | null;
  features: string[];
  params: Record<string, unknown>;
  metrics: ModelRecord['metrics'];
  onnx_sha256: string;
  path: string;
  status: ModelStatus;
  promoted_by: string | null;
  promoted_at: Date | null;
}

const record = (row: Row): ModelRecord => ({
  id: row.id,
  name: row.name,
  version: row.version,
  createdAt: row.created_at,
  trainFrom: row.train_from,
  trainTo: row.train_to,
  features: row.features,
  params: row.params,
  metrics: row.metrics,
  onnxSha256: row.onnx_sha256,
  path: row.path,
  status: row.status,
  promotedBy: row.promoted_by,
  promotedAt: row.promoted_at,
});

const COLUMNS =
  "id, name, version, created_at, to_char(train_from, 'YYYY-MM-DD') AS train_from, to_char(train_to, 'YYYY-MM-DD') AS train_to, features, params, metrics, onnx_sha256, path, status, promoted_by, promoted_at";

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Saves a trained model (status staging) and returns it. */
export async function saveModel(
  pool: Pool,
  dataDir: string,
  input: {
    name: string;
    onnx: Uint8Array;
    features: readonly string[];
    trainFrom?: string;
    trainTo?: string;
    params?: Record<string, unknown>;
    metrics?: ModelRecord['metrics'];
    actor?: string;
  },
): Promise<ModelRecord> {
  if (!/^[a-z][a-z0-9_-]{0,39}$/.test(input.name))
    throw new RegistryError(
      `model name ${JSON.stringify(input.name.slice(0, 60))}: use 1-40 of a-z, 0-9, _ and -, starting with a letter`,
    );
  const folder = path.join(dataDir, 'models');
  await mkdir(folder, { recursive: true });
  const hash = sha256(input.onnx);
  return inTransaction(pool, async (client) => {
    // One writer per name at a time, so versions are consecutive.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`models:${input.name}`]);
    const { rows } = await client.query<{ next: number }>(
      'SELECT COALESCE(max(version), 0) + 1 AS next FROM models WHERE name = $1',
      [input.name],
    );
    const version = rows[0]?.next ?? 1;
    const file = path.join(folder, `${input.name}-v${version}.onnx`);
    const partial = `${file}.${randomUUID()}.partial`;
    await writeFile(partial, input.onnx);
    await rename(partial, file);
    const inserted = await client.query<Row>(
      `INSERT INTO models (name, version, train_from, train_to, features, params, metrics, onnx_sha256, path)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
      [
        input.name,
        version,
        input.trainFrom ?? null,
        input.trainTo ?? null,
        [...input.features],
        input.params ?? {},
        input.metrics ?? {},
        hash,
        file,
      ],
    );
    const saved = record(inserted.rows[0] as Row);
    await appendAudit(client, {
      actorKind: input.actor ? 'principal' : 'system',
      actorId: null,
      channel: 'cli',
      action: 'model.trained',
      entityKind: 'model',
      entityId: saved.id,
      after: {
        name: saved.name,
        version,
        sha256: hash,
        beats_momentum: saved.metrics.walk_forward?.beats_momentum ?? null,
        by: input.actor ?? 'system',
      },
    });
    return saved;
  });
}

export async function listModels(pool: Pool, name?: string): Promise<ModelRecord[]> {
  const { rows } = await pool.query<Row>(
    `SELECT ${COLUMNS} FROM models WHERE $1::text IS NULL OR name = $1 ORDER BY name, version DESC`,
    [name ?? null],
  );
  return rows.map(record);
}

/** The model named `name` at `version` (or "latest"), or a RegistryError listing what there is. */
export async function findModel(
  pool: Pool,
  name: string,
  version: number | 'latest' | 'production',
): Promise<ModelRecord> {
  const all = await listModels(pool, name);
  const found =
    version === 'latest'
      ? all[0]
      : version === 'production'
        ? all.find((m) => m.status === 'production')
        : all.find((m) => m.version === version);
  if (!found)
    throw new RegistryError(
      `no ${version === 'production' ? 'production ' : ''}model ${name}${typeof version === 'number' ? ` v${version}` : ''}; there are: ${all.map((m) => `v${m.version} (${m.status})`).join(', ') || 'none (countersign models train)'}`,
    );
  return found;
}

/** Makes `model` the production one (retiring the one before) — only when it beat momentum out of sample. */
export async function promoteModel(
  pool: Pool,
  model: ModelRecord,
  by: string,
): Promise<ModelRecord> {
  const report = model.metrics.walk_forward;
  if (!report?.beats_momentum)
    throw new RegistryError(
      `${model.name} v${model.version} did not beat 12-1 momentum out of sample (mean IC ${report?.model.mean_ic ?? '?'} vs ${report?.momentum.mean_ic ?? '?'}, top decile ${report?.model.top_decile_excess ?? '?'} vs ${report?.momentum.top_decile_excess ?? '?'}); only a model that does may be promoted`,
    );
  if (model.status === 'retired')
    throw new RegistryError(`${model.name} v${model.version} is retired; train a new one`);
  return inTransaction(pool, async (client) => {
    const before = await client.query<{ id: string; version: number }>(
      "UPDATE models SET status = 'retired' WHERE name = $1 AND status = 'production' AND id <> $2 RETURNING id, version",
      [model.name, model.id],
    );
    const { rows } = await client.query<Row>(
      `UPDATE models SET status = 'production', promoted_by = $2, promoted_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [model.id, by],
    );
    await appendAudit(client, {
      actorKind: 'principal',
      actorId: null,
      channel: 'cli',
      action: 'model.promoted',
      entityKind: 'model',
      entityId: model.id,
      before: { status: model.status, replaced: before.rows.map((row) => `v${row.version}`) },
      after: { status: 'production', by },
    });
    return record(rows[0] as Row);
  });
}

export async function retireModel(
  pool: Pool,
  model: ModelRecord,
  by: string,
): Promise<ModelRecord> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<Row>(
      `UPDATE models SET status = 'retired' WHERE id = $1 RETURNING ${COLUMNS}`,
      [model.id],
    );
    await appendAudit(client, {
      actorKind: 'principal',
      actorId: null,
      channel: 'cli',
      action: 'model.retired',
      entityKind: 'model',
      entityId: model.id,
      before: { status: model.status },
      after: { status: 'retired', by },
    });
    return record(rows[0] as Row);
  });
}

/** The model's ONNX bytes, checked against the hash it was saved with. */
export async function loadBytes(model: ModelRecord): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(model.path);
  } catch (error) {
    throw new RegistryError(
      `${model.name} v${model.version}: cannot read ${model.path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  if (sha256(bytes) !== model.onnxSha256)
    throw new RegistryError(
      `${model.name} v${model.version}: ${model.path} does not match the SHA-256 it was saved with (the file changed or is corrupt); retrain or restore it`,
    );
  return bytes;
}
