-- Grain state for Microsoft.Orleans.Persistence.AdoNet (AdoNetGrainStorage).
--
-- Contract (AdoNetGrainStorage):
--   parameters: ServiceId text, GrainTypeString text, GrainIdN0 bigint, GrainIdN1 bigint,
--               GrainIdExtensionString text (NULL when the key has no extension), GrainIdHash int,
--               GrainTypeHash int, GrainStateVersion int (NULL for a grain that has no row yet),
--               PayloadBinary bytea
--   ReadFromStorageKey  -> at most one row: PayloadBinary (NULL when cleared), Version
--   WriteToStorageKey   -> one row, column NewGrainStateVersion: the new version, or NULL on a version conflict
--   ClearStorageKey     -> one row, first column: the new version, or NULL on a version conflict
--   DeleteStorageKey    -> the same, for AdoNetGrainStorageOptions.DeleteStateOnClear = true
-- The provider turns a NULL (or missing) version, or one equal to the ETag it sent, into an
-- InconsistentStateException. Versions therefore only ever grow, including on clear and delete.
--
-- The grain key is (service, grain type, n0, n1, extension); the extension is NULL for plain keys, so the
-- unique constraint treats NULLs as equal (PostgreSQL 15+). The payload is whatever the configured
-- IGrainStorageSerializer produced (JSON by default), kept as bytes.

CREATE TABLE orleans.grain_state
(
    id               bigint      GENERATED ALWAYS AS IDENTITY,
    service_id       text        NOT NULL,
    grain_type       text        NOT NULL,
    grain_id_n0      bigint      NOT NULL,
    grain_id_n1      bigint      NOT NULL,
    grain_id_ext     text        NULL,
    grain_id_hash    integer     NOT NULL,
    grain_type_hash  integer     NOT NULL,
    payload          bytea       NULL,
    version          integer     NOT NULL,
    modified_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT grain_state_pk PRIMARY KEY (id),
    CONSTRAINT grain_state_key_uq UNIQUE NULLS NOT DISTINCT (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext),
    CONSTRAINT grain_state_version_positive CHECK (version > 0)
);

CREATE FUNCTION orleans.grain_state_write(
    p_service_id text, p_grain_type text, p_grain_id_n0 bigint, p_grain_id_n1 bigint, p_grain_id_ext text,
    p_grain_id_hash integer, p_grain_type_hash integer, p_expected_version integer, p_payload bytea)
    RETURNS integer
    LANGUAGE plpgsql
AS $fn$
DECLARE
    v_new_version integer;
BEGIN
    IF p_expected_version IS NULL THEN
        -- First write of this grain: only valid while no row exists (a concurrent first writer loses here).
        INSERT INTO orleans.grain_state (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext,
                                         grain_id_hash, grain_type_hash, payload, version)
        VALUES (p_service_id, p_grain_type, p_grain_id_n0, p_grain_id_n1, p_grain_id_ext,
                p_grain_id_hash, p_grain_type_hash, p_payload, 1)
        ON CONFLICT ON CONSTRAINT grain_state_key_uq DO NOTHING
        RETURNING version INTO v_new_version;
        RETURN v_new_version;
    END IF;

    UPDATE orleans.grain_state
       SET payload = p_payload, version = version + 1, modified_at = now()
     WHERE service_id = p_service_id AND grain_type = p_grain_type
       AND grain_id_n0 = p_grain_id_n0 AND grain_id_n1 = p_grain_id_n1
       AND grain_id_ext IS NOT DISTINCT FROM p_grain_id_ext
       AND version = p_expected_version
    RETURNING version INTO v_new_version;
    RETURN v_new_version;
END;
$fn$;

CREATE FUNCTION orleans.grain_state_clear(
    p_service_id text, p_grain_type text, p_grain_id_n0 bigint, p_grain_id_n1 bigint, p_grain_id_ext text,
    p_expected_version integer)
    RETURNS integer
    LANGUAGE sql
AS $fn$
    -- Keeps the row (and its growing version) with no payload, so a stale writer still conflicts.
    UPDATE orleans.grain_state
       SET payload = NULL, version = version + 1, modified_at = now()
     WHERE service_id = p_service_id AND grain_type = p_grain_type
       AND grain_id_n0 = p_grain_id_n0 AND grain_id_n1 = p_grain_id_n1
       AND grain_id_ext IS NOT DISTINCT FROM p_grain_id_ext
       AND version = p_expected_version
    RETURNING version;
$fn$;

CREATE FUNCTION orleans.grain_state_delete(
    p_service_id text, p_grain_type text, p_grain_id_n0 bigint, p_grain_id_n1 bigint, p_grain_id_ext text,
    p_expected_version integer)
    RETURNS integer
    LANGUAGE sql
AS $fn$
    -- The provider treats a returned version equal to its ETag as a conflict, so report the version
    -- the delete "wrote" (old + 1); the provider then forgets the ETag and the next write inserts.
    DELETE FROM orleans.grain_state
     WHERE service_id = p_service_id AND grain_type = p_grain_type
       AND grain_id_n0 = p_grain_id_n0 AND grain_id_n1 = p_grain_id_n1
       AND grain_id_ext IS NOT DISTINCT FROM p_grain_id_ext
       AND version = p_expected_version
    RETURNING version + 1;
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', $q$
SELECT payload AS "PayloadBinary", version AS "Version"
  FROM orleans.grain_state
 WHERE service_id = @ServiceId AND grain_type = @GrainTypeString
   AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
   AND grain_id_ext IS NOT DISTINCT FROM @GrainIdExtensionString;
$q$),
('WriteToStorageKey', $q$
SELECT orleans.grain_state_write(@ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString,
                                 @GrainIdHash, @GrainTypeHash, @GrainStateVersion, @PayloadBinary) AS "NewGrainStateVersion";
$q$),
('ClearStorageKey', $q$
SELECT orleans.grain_state_clear(@ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString,
                                 @GrainStateVersion) AS "NewGrainStateVersion";
$q$),
('DeleteStorageKey', $q$
SELECT orleans.grain_state_delete(@ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString,
                                  @GrainStateVersion) AS "NewGrainStateVersion";
$q$);
