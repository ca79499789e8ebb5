-- The durable outbox: every webhook delivery (alerts, retention actions) is a row written in the same transaction as
-- the change it reports, then delivered at least once by the silos' dispatchers with retries and exponential backoff.
-- idempotency_key is sent as the Idempotency-Key header; a repeated enqueue with the same key adds nothing.
CREATE TABLE IF NOT EXISTS outbox (
    id              bigserial   PRIMARY KEY,
    idempotency_key text        NOT NULL UNIQUE,
    kind            text        NOT NULL,
    reference       text        NULL,
    url             text        NOT NULL,
    body            jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz NULL,
    delivered_at    timestamptz NULL,
    failed_at       timestamptz NULL,
    last_status     integer     NULL,
    last_error      text        NULL
);

-- What the dispatchers poll: undelivered, not given up.
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_reference ON outbox (kind, reference);
