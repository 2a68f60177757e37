-- Up Migration
-- The channel seam (tools/context.ts): a proposal or approval made over the REST API is recorded
-- with channel 'rest' (was 'api'), a proposal drafted by a REST client with proposer kind
-- 'api_client', and the chat engine's channel 'chat' is allowed. Audit entries keep what they
-- said (the log is append-only and hash-chained).
-- A proposal whose orders all failed at the broker is 'failed', with the reason kept on it, so
-- that every listing says so instead of "submitted".
-- An account says whether it may sell short (the short_sale risk rule refuses it otherwise).
ALTER TABLE proposals DROP CONSTRAINT proposals_channel_check;
UPDATE proposals SET channel = 'rest' WHERE channel = 'api';
ALTER TABLE proposals ADD CONSTRAINT proposals_channel_check
  CHECK (channel IN ('slack', 'telegram', 'web', 'cli', 'mcp', 'rest', 'chat', 'system'));

ALTER TABLE proposals DROP CONSTRAINT proposals_proposer_kind_check;
ALTER TABLE proposals ADD CONSTRAINT proposals_proposer_kind_check
  CHECK (proposer_kind IN ('principal', 'agent', 'mcp_client', 'api_client', 'alert', 'rebalance'));

ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_kind_check
  CHECK (actor_kind IN ('principal', 'agent', 'mcp_client', 'api_client', 'alert', 'rebalance', 'system'));

ALTER TABLE approvals DROP CONSTRAINT approvals_channel_check;
UPDATE approvals SET channel = 'rest' WHERE channel = 'api';
ALTER TABLE approvals ADD CONSTRAINT approvals_channel_check
  CHECK (channel IN ('slack', 'telegram', 'web', 'cli', 'mcp_elicitation', 'rest'));

ALTER TABLE proposals DROP CONSTRAINT proposals_status_check;
ALTER TABLE proposals ADD CONSTRAINT proposals_status_check
  CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'submitted', 'failed', 'needs_attention'));
ALTER TABLE proposals ADD COLUMN failure_reason text;

-- Whether an account may sell shares it does not hold (the short_sale risk rule). Off for every
-- account; the paper broker never sells short.
ALTER TABLE accounts ADD COLUMN allow_short boolean NOT NULL DEFAULT false;

-- Down Migration
ALTER TABLE accounts DROP COLUMN allow_short;
UPDATE proposals SET status = 'submitted' WHERE status = 'failed';
ALTER TABLE proposals DROP COLUMN failure_reason;
ALTER TABLE proposals DROP CONSTRAINT proposals_status_check;
ALTER TABLE proposals ADD CONSTRAINT proposals_status_check
  CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'submitted', 'needs_attention'));

ALTER TABLE approvals DROP CONSTRAINT approvals_channel_check;
UPDATE approvals SET channel = 'api' WHERE channel = 'rest';
ALTER TABLE approvals ADD CONSTRAINT approvals_channel_check
  CHECK (channel IN ('slack', 'telegram', 'web', 'cli', 'mcp_elicitation', 'api'));

UPDATE proposals SET proposer_kind = 'mcp_client' WHERE proposer_kind = 'api_client';
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_kind_check
  CHECK (actor_kind IN ('principal', 'agent', 'mcp_client', 'alert', 'rebalance', 'system')) NOT VALID;
ALTER TABLE proposals DROP CONSTRAINT proposals_proposer_kind_check;
ALTER TABLE proposals ADD CONSTRAINT proposals_proposer_kind_check
  CHECK (proposer_kind IN ('principal', 'agent', 'mcp_client', 'alert', 'rebalance'));

ALTER TABLE proposals DROP CONSTRAINT proposals_channel_check;
UPDATE proposals SET channel = 'api' WHERE channel = 'rest';
UPDATE proposals SET channel = 'system' WHERE channel = 'chat';
ALTER TABLE proposals ADD CONSTRAINT proposals_channel_check
  CHECK (channel IN ('slack', 'telegram', 'web', 'cli', 'mcp', 'api', 'system'));
