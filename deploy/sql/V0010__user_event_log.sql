-- The user event log: the source of truth (the seed's "bronze layer"). One row per event, unique per user
-- and messageId, so a redelivered event can never be stored, applied or counted twice. seq is the per-user
-- order of application; a user grain's snapshot records the last seq it applied and replays the rest.
CREATE TABLE IF NOT EXISTS user_events (
    user_id     text        NOT NULL,
    message_id  text        NOT NULL,
    seq         bigint      NOT NULL,
    type        text        NOT NULL,
    event       text        NULL,
    ts          timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    payload     jsonb       NOT NULL,
    CONSTRAINT user_events_pk PRIMARY KEY (user_id, message_id)
);

CREATE INDEX IF NOT EXISTS user_events_user_seq ON user_events (user_id, seq);
CREATE INDEX IF NOT EXISTS user_events_ts ON user_events (ts);
