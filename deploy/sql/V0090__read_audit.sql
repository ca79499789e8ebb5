-- The read audit (issue 17.3): one row per read of one person's data (the 360° view, risk, export, the dashboard's
-- user lookup), written before the answer is sent, so a read that is not recorded is not served. The person is
-- held as a keyed hash (HMAC-SHA256 with Privacy:HashKey), never as their id: the audit outlives an erasure and
-- holds nothing that names the person; GET /api/audit?userId=… hashes the id it is given.
CREATE TABLE IF NOT EXISTS read_audit (
    id        bigserial   PRIMARY KEY,
    user_hash text        NOT NULL,
    key_id    text        NOT NULL,
    role      text        NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    method    text        NOT NULL,
    route     text        NOT NULL,
    purpose   text        NULL
);

CREATE INDEX IF NOT EXISTS read_audit_user_at ON read_audit (user_hash, at);
CREATE INDEX IF NOT EXISTS read_audit_at ON read_audit (at);
