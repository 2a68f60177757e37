-- Up Migration
-- Telegram and Slack (bots/): one-time link codes that bind a chat identity to a principal (the
-- identity itself is a row of identities, kind 'telegram' or 'slack'), the updates and events
-- already handled (so a duplicated Telegram update or a Slack retry is handled once, across a
-- restart too), and every proposal message sent with buttons (so a press finds the order the
-- person was shown, and every copy is edited when the proposal is decided or expires).

CREATE TABLE link_codes (
  -- SHA-256 of the code: the code itself is shown once and never stored.
  code_hash     text PRIMARY KEY CHECK (code_hash ~ '^[0-9a-f]{64}$'),
  principal_id  uuid NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz,
  used_by       uuid REFERENCES identities (id) ON DELETE SET NULL
);

CREATE TABLE bot_updates (
  channel      text NOT NULL CHECK (channel IN ('telegram', 'slack')),
  -- Telegram update_id, Slack event_id or action trigger.
  update_key   text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, update_key)
);
CREATE INDEX bot_updates_received ON bot_updates (received_at);

CREATE TABLE proposal_messages (
  -- The opaque id a button carries (Telegram's callback_data holds at most 64 bytes).
  id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{8,32}$'),
  proposal_id   uuid NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
  channel       text NOT NULL CHECK (channel IN ('telegram', 'slack')),
  -- Telegram chat id; Slack channel id.
  chat_ref      text NOT NULL,
  -- Telegram message_id; Slack message ts. NULL until the message is sent.
  message_ref   text,
  -- Who the message is for: only this principal's presses count on it.
  principal_id  uuid NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
  -- The order hash the message shows; a press approves exactly this.
  order_hash    text NOT NULL CHECK (order_hash ~ '^[0-9a-f]{64}$'),
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- The status last rendered into the message (pending until decided).
  shown_status  text NOT NULL DEFAULT 'pending',
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (proposal_id, channel, chat_ref, principal_id)
);
CREATE INDEX proposal_messages_proposal ON proposal_messages (proposal_id);

-- Down Migration
DROP TABLE proposal_messages, bot_updates, link_codes;
