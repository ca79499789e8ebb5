-- The user index: one row per user with the figures that queries over many users filter on (segment, churn risk,
-- LTV). User grains write it behind (batched per silo, about once a second) after every ingest that applies events,
-- and a refresher re-scores rows that have not changed for a while, since risk grows with inactivity. It is a
-- projection: the user grains are the truth, and every row can be rebuilt from them.
CREATE TABLE IF NOT EXISTS user_index (
    user_id          text             NOT NULL PRIMARY KEY,
    segment          text             NOT NULL,
    risk_score       double precision NOT NULL,
    risk_level       text             NOT NULL,
    ltv              numeric          NOT NULL,
    realized_revenue numeric          NOT NULL,
    model_version    text             NOT NULL,
    last_active_at   timestamptz      NULL,
    scored_at        timestamptz      NOT NULL
);

-- "HIGH-risk regulars, riskiest first" and "everyone, riskiest first" are index scans.
CREATE INDEX IF NOT EXISTS user_index_level_segment_score ON user_index (risk_level, segment, risk_score DESC, user_id);
CREATE INDEX IF NOT EXISTS user_index_score ON user_index (risk_score DESC, user_id);
-- The refresher claims the stalest rows first.
CREATE INDEX IF NOT EXISTS user_index_scored_at ON user_index (scored_at);
