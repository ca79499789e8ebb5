-- Trained churn model versions (samplemind train-churn): the ML.NET models (zip bytes) and their metrics. The
-- promoted version is the one with the latest promoted_at; silos poll it and score with it (rules@1 while none is).
CREATE TABLE IF NOT EXISTS churn_models (
    version       integer     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at    timestamptz NOT NULL DEFAULT now(),
    metrics       jsonb       NOT NULL,
    churn_model   bytea       NOT NULL,
    segment_model bytea       NULL,
    promoted_at   timestamptz NULL
);

CREATE INDEX IF NOT EXISTS churn_models_promoted ON churn_models (promoted_at DESC) WHERE promoted_at IS NOT NULL;
