-- Up Migration
-- Alerts fire (bots/alerts.ts): every firing is an alert_events row, unique per rule and what
-- made it fire (a fill, a proposal, a day, a price interval), so a restart or a second process
-- never fires one twice; every message it sends is an alert_deliveries row, so a restart resumes
-- what was not sent and repeats nothing that was. Quiet hours per principal hold deliveries until
-- they end.

CREATE TABLE alert_events (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  alert_id      uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  dedupe_key    text NOT NULL,
  fired_at      timestamptz NOT NULL DEFAULT now(),
  text          text NOT NULL,
  -- A rebalance proposal a drift alert made (its card goes with the alert).
  proposal_id   uuid REFERENCES proposals (id),
  UNIQUE (alert_id, dedupe_key)
);
CREATE INDEX alert_events_fired ON alert_events (fired_at DESC);

CREATE TABLE alert_deliveries (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id      uuid NOT NULL REFERENCES alert_events (id) ON DELETE CASCADE,
  channel       text NOT NULL CHECK (channel IN ('telegram', 'slack')),
  chat_ref      text NOT NULL,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  -- Not before this (quiet hours).
  due_at        timestamptz NOT NULL DEFAULT now(),
  attempts      integer NOT NULL DEFAULT 0,
  error         text,
  sent_at       timestamptz,
  UNIQUE (event_id, channel, chat_ref)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (due_at) WHERE status IN ('pending', 'sending');

CREATE TABLE quiet_hours (
  principal_id  uuid PRIMARY KEY REFERENCES principals (id) ON DELETE CASCADE,
  -- Hours of the day (UTC), from inclusive to exclusive; from > to wraps past midnight (22 → 7).
  from_hour     smallint NOT NULL CHECK (from_hour BETWEEN 0 AND 23),
  to_hour       smallint NOT NULL CHECK (to_hour BETWEEN 0 AND 23),
  CHECK (from_hour <> to_hour)
);

-- Down Migration
DROP TABLE quiet_hours, alert_deliveries, alert_events;
