-- Stripe customer → person (issue 15.3): from metadata.user_id / userId on a customer or subscription event.
CREATE TABLE IF NOT EXISTS stripe_customers (
    customer_id text        NOT NULL PRIMARY KEY,
    user_id     text        NOT NULL,
    mapped_by   text        NOT NULL,
    mapped_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS stripe_events_customer ON stripe_events ((coalesce(payload->'data'->'object'->>'customer', payload->'data'->'object'->>'id')));
