-- Retention campaigns: the definition, and one assignment row per targeted user (treatment or holdout). The
-- assignment row is the record of the action on the user: (campaign_id, user_id) is unique, so creating the same
-- campaign twice, or retrying, records and sends nothing more. Treated users' actions go through the outbox
-- (kind 'retention', reference = campaign id, key '<campaign>:<user>:<action>').
CREATE TABLE IF NOT EXISTS retention_campaigns (
    id              text        PRIMARY KEY,
    name            text        NULL,
    action          text        NOT NULL,
    target          jsonb       NOT NULL,
    holdout_share   numeric     NOT NULL CHECK (holdout_share >= 0 AND holdout_share <= 0.5),
    webhook_url     text        NOT NULL,
    start_at        timestamptz NOT NULL,
    outcome_days    integer     NOT NULL CHECK (outcome_days > 0),
    active_days     integer     NOT NULL CHECK (active_days > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    idempotency_key text        NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS retention_assignments (
    campaign_id text             NOT NULL REFERENCES retention_campaigns (id),
    user_id     text             NOT NULL,
    arm         text             NOT NULL CHECK (arm IN ('treatment', 'holdout')),
    bucket      double precision NOT NULL,
    segment     text             NULL,
    risk_level  text             NULL,
    risk_score  double precision NULL,
    ltv         numeric          NULL,
    PRIMARY KEY (campaign_id, user_id)
);

CREATE INDEX IF NOT EXISTS retention_assignments_user ON retention_assignments (user_id);
