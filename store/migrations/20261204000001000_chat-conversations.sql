-- Up Migration
-- The conversation engine (agents/) keeps each thread of each principal on each surface: the
-- terminal ('cli'), POST /api/chat ('rest'), and later the web console, Telegram and Slack.
-- external_ref stays the surface's own key (for a thread of a principal: "<principal id>/<thread>").
ALTER TABLE conversations DROP CONSTRAINT conversations_channel_check;
ALTER TABLE conversations ADD CONSTRAINT conversations_channel_check
  CHECK (channel IN ('slack', 'telegram', 'web', 'cli', 'mcp', 'rest'));
ALTER TABLE conversations ADD COLUMN thread text;
CREATE INDEX conversations_principal ON conversations (principal_id, channel, updated_at DESC);

-- Down Migration
DROP INDEX conversations_principal;
ALTER TABLE conversations DROP COLUMN thread;
DELETE FROM conversations WHERE channel = 'rest';
ALTER TABLE conversations DROP CONSTRAINT conversations_channel_check;
ALTER TABLE conversations ADD CONSTRAINT conversations_channel_check
  CHECK (channel IN ('slack', 'telegram', 'web', 'cli', 'mcp'));
