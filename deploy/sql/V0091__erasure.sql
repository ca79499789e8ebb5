-- Erasure (issue 17.2): DELETE /api/users/{id} writes a job; a silo's ErasureRunner claims it under a lease and runs
-- IUserGrain.EraseAsync, which moves the job through erasing (tombstones written: the person's later messages are
-- refused) → subtracted (every aggregate got the negative of the person's share, sent under the job's own rollup
-- source so a re-run counts once) → done (their rows deleted). A silo dying mid-way leaves the lease to run out and
-- another (or the restarted) silo re-runs the job from the state it reached.
-- The job holds the person's id only while it runs (user_id is set to NULL when done); the person stays a keyed hash.
CREATE TABLE IF NOT EXISTS erasure_jobs (
    id             uuid        PRIMARY KEY,
    user_hash      text        NOT NULL,
    user_id        text        NULL,
    state          text        NOT NULL CHECK (state IN ('queued', 'erasing', 'subtracted', 'done')),
    requested_by   text        NOT NULL,
    requested_at   timestamptz NOT NULL DEFAULT now(),
    lease_owner    text        NULL,
    lease_until    timestamptz NULL,
    attempts       integer     NOT NULL DEFAULT 0,
    erased_keys    integer     NULL,
    erased_events  bigint      NULL,
    finished_at    timestamptz NULL,
    last_error     text        NULL,
    CONSTRAINT erasure_jobs_id_while_running CHECK ((state = 'done') = (user_id IS NULL))
);

-- One open job per person: a second DELETE while one runs answers the same job.
CREATE UNIQUE INDEX IF NOT EXISTS erasure_jobs_one_open ON erasure_jobs (user_hash) WHERE state <> 'done';
CREATE INDEX IF NOT EXISTS erasure_jobs_due ON erasure_jobs (requested_at) WHERE state <> 'done';

-- The keyed hashes (HMAC-SHA256 with Privacy:HashKey) of every erased key: the person's id and the anonymous ids
-- merged into them. A message for one of them is answered 200 and counted as a duplicate, never stored.
CREATE TABLE IF NOT EXISTS erasure_tombstones (
    user_hash  text        PRIMARY KEY,
    job_id     uuid        NOT NULL,
    erased_at  timestamptz NOT NULL DEFAULT now()
);
