-- Reminders for Microsoft.Orleans.Reminders.AdoNet (AdoNetReminderTable).
--
-- Contract (RelationalOrleansQueries / DbStoredQueries):
--   parameters: ServiceId text, GrainId text, ReminderName text, GrainHash int (the uint ring hash cast to
--               int), BeginHash int, EndHash int, StartTime timestamptz, Period int or bigint (milliseconds),
--               Version int (the ETag)
--   rows read:  GrainId, ReminderName, StartTime, Period (bigint), Version
--   UpsertReminderRowKey returns the row's new Version; DeleteReminderRowKey returns one boolean.
-- Ring ranges are (BeginHash, EndHash] on the signed hash; the provider picks ReadRangeRows1Key when
-- BeginHash < EndHash and ReadRangeRows2Key (the range wraps around) otherwise.

CREATE TABLE orleans.reminders
(
    service_id    text        NOT NULL,
    grain_id      text        NOT NULL,
    reminder_name text        NOT NULL,
    grain_hash    integer     NOT NULL,
    start_time    timestamptz NOT NULL,
    period_ms     bigint      NOT NULL,
    version       integer     NOT NULL DEFAULT 0,
    CONSTRAINT reminders_pk PRIMARY KEY (service_id, grain_id, reminder_name),
    CONSTRAINT reminders_period_not_negative CHECK (period_ms >= 0)
);

CREATE INDEX reminders_ring_ix ON orleans.reminders (service_id, grain_hash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadReminderRowsKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period_ms AS "Period", version AS "Version"
  FROM orleans.reminders
 WHERE service_id = @ServiceId AND grain_id = @GrainId;
$q$),
('ReadReminderRowKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period_ms AS "Period", version AS "Version"
  FROM orleans.reminders
 WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName;
$q$),
('ReadRangeRows1Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period_ms AS "Period", version AS "Version"
  FROM orleans.reminders
 WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash;
$q$),
('ReadRangeRows2Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period_ms AS "Period", version AS "Version"
  FROM orleans.reminders
 WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash);
$q$),
('UpsertReminderRowKey', $q$
INSERT INTO orleans.reminders AS r (service_id, grain_id, reminder_name, grain_hash, start_time, period_ms, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @GrainHash, @StartTime, @Period, 0)
ON CONFLICT ON CONSTRAINT reminders_pk DO UPDATE
   SET grain_hash = excluded.grain_hash, start_time = excluded.start_time, period_ms = excluded.period_ms,
       version = r.version + 1
RETURNING r.version AS "Version";
$q$),
('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM orleans.reminders
     WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName AND version = @Version
    RETURNING 1)
SELECT count(*) = 1 FROM deleted;
$q$),
('DeleteReminderRowsKey', $q$
DELETE FROM orleans.reminders WHERE service_id = @ServiceId;
$q$);
