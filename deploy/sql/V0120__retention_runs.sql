-- Retention (issue 17.4): one row per run of the retention job (RetentionPolicyGrain: a daily reminder, or
-- `samplemind retention run [--dry-run]`). The row is written before anything is deleted, so a run that died mid-way
-- stays 'running' and reconcile still knows the log was trimmed up to analytics_before. Every step of a run is
-- idempotent (a re-run deletes what is left and finds the erasure jobs it started), so a crashed run is finished by the
-- next one. A dry run counts what a run would remove and deletes nothing.
CREATE TABLE IF NOT EXISTS retention_runs (
    id                       uuid        PRIMARY KEY,
    dry_run                  boolean     NOT NULL,
    state                    text        NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    started_at               timestamptz NOT NULL DEFAULT now(),
    finished_at              timestamptz NULL,
    analytics_before         date        NOT NULL,
    financial_before         date        NOT NULL,
    inactive_before          timestamptz NOT NULL,
    inactive_action          text        NOT NULL,
    users_trimmed            integer     NOT NULL DEFAULT 0,
    analytics_events_deleted bigint      NOT NULL DEFAULT 0,
    financial_events_deleted bigint      NOT NULL DEFAULT 0,
    inactive_users_erased    integer     NOT NULL DEFAULT 0,
    inactive_events_erased   bigint      NOT NULL DEFAULT 0,
    analytics_events_kept    bigint      NULL,
    financial_events_kept    bigint      NULL,
    last_error               text        NULL
);

CREATE INDEX IF NOT EXISTS retention_runs_started ON retention_runs (started_at);
