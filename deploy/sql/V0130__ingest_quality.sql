-- Data quality (issue 17.7): what ingest learns that never reaches the log, per UTC day of receipt, source (the events'
-- context.library.name, else 'unknown'), kind and reason, in events. kind: 'accepted' (events of bodies handed to the
-- cluster: stored or acked as duplicates), 'rejected' (events of refused bodies; reason: invalid, too_large, encoding,
-- unauthorized, unavailable, refused_by_store), 'duplicate' (accepted events the log already held). client-api counts in
-- memory and adds its counts here every ~2 s and on shutdown (an additive upsert: several instances add up). No person's
-- data: sources and counts only.
CREATE TABLE IF NOT EXISTS ingest_quality (
    day    date   NOT NULL,
    source text   NOT NULL,
    kind   text   NOT NULL,
    reason text   NOT NULL DEFAULT '',
    events bigint NOT NULL,
    CONSTRAINT ingest_quality_pk PRIMARY KEY (day, source, kind, reason)
);

-- GET /api/quality reads the log by day of receipt. received_at follows insert order, so a BRIN index finds a range of
-- days for next to nothing on insert (a btree would cost every append).
CREATE INDEX IF NOT EXISTS user_events_received_at_brin ON user_events USING brin (received_at);
