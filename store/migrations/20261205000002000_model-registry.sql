-- Up Migration
-- The model registry (models/registry.ts): every trained model's version, training window,
-- features, hyper-parameters, out-of-sample metrics, the SHA-256 and location of its ONNX file
-- under DATA_DIR/models, and its status. Only a model that beat 12-1 momentum out of sample may
-- be promoted to production; every change of status is an audit entry.
CREATE TABLE models (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_-]{0,39}$'),
  version       integer NOT NULL CHECK (version > 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  train_from    date,
  train_to      date,
  features      text[] NOT NULL,
  params        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
  metrics       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metrics) = 'object'),
  onnx_sha256   text NOT NULL CHECK (onnx_sha256 ~ '^[0-9a-f]{64}$'),
  path          text NOT NULL,
  status        text NOT NULL DEFAULT 'staging' CHECK (status IN ('staging', 'production', 'retired')),
  promoted_by   text,
  promoted_at   timestamptz,
  UNIQUE (name, version)
);
-- At most one production model per name.
CREATE UNIQUE INDEX models_one_production ON models (name) WHERE status = 'production';

-- Down Migration
DROP TABLE models;
