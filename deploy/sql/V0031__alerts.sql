-- The alert log: one row per firing of a rule for a subject (a model version, a campaign, a feature, or "all"),
-- resolved in place when the condition clears. At most one firing row per (rule, subject).
CREATE TABLE IF NOT EXISTS alerts (
    id          bigserial   PRIMARY KEY,
    rule        text        NOT NULL,
    subject     text        NOT NULL,
    severity    text        NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    state       text        NOT NULL CHECK (state IN ('firing', 'resolved')),
    value       numeric     NOT NULL,
    threshold   numeric     NOT NULL,
    message     text        NOT NULL,
    fired_at    timestamptz NOT NULL,
    resolved_at timestamptz NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_firing ON alerts (rule, subject) WHERE state = 'firing';
CREATE INDEX IF NOT EXISTS alerts_newest ON alerts (fired_at DESC, id DESC);
