-- One writer per user position: seq is unique per user. A user grain numbers its events from the log it read on
-- activation; an activation that died with its append still running in PostgreSQL (a kill -9) can have that append
-- commit after the next activation read the log. With seq unique, the late rows and the new activation's rows can
-- never share a position: the grain's insert finds the position taken (ON CONFLICT DO NOTHING), reads the rows it
-- did not know, applies them and stores its own after them (UserGrain.IngestAsync).
DO $$
DECLARE
    taken bigint;
BEGIN
    SELECT count(*) INTO taken FROM (SELECT 1 FROM user_events GROUP BY user_id, seq HAVING count(*) > 1) d;
    IF taken > 0 THEN
        RAISE EXCEPTION 'user_events holds % (user_id, seq) positions with more than one row (written before V0012); rebuild this database from its events with samplemind simulate --into-log or a fresh load', taken;
    END IF;
END $$;

DROP INDEX IF EXISTS user_events_user_seq;
CREATE UNIQUE INDEX IF NOT EXISTS user_events_user_seq ON user_events (user_id, seq);
