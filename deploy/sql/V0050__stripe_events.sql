-- Stripe webhook deliveries (issue 15): each event once, by Stripe's own id, durable before the 200.
CREATE TABLE IF NOT EXISTS stripe_events (
    id          text        NOT NULL PRIMARY KEY,
    type        text        NOT NULL,
    created     timestamptz NOT NULL,
    livemode    boolean     NOT NULL,
    api_version text        NULL,
    payload     jsonb       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS stripe_events_type_created ON stripe_events (type, created);
