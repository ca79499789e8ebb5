-- Membership table for Microsoft.Orleans.Clustering.AdoNet (silos) and its gateway list provider (clients).
--
-- Contract (RelationalOrleansQueries / DbStoredQueries):
--   parameters: DeploymentId text, Address text, Port int, Generation int, SiloName text, HostName text,
--               Status int, ProxyPort int, StartTime timestamptz, IAmAliveTime timestamptz,
--               SuspectTimes text, Version int
--   rows read:  Version, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, SuspectTimes,
--               StartTime, IAmAliveTime (by name); the read queries must return the table version even
--               when there is no silo row (the provider reads the version from the first row).
--   Insert/Update/InsertVersion return one row with a single boolean column.
--
-- The table version is Orleans' optimistic-concurrency token for the whole membership table: an insert
-- or update succeeds only against the version the silo last read, and bumps it.

CREATE TABLE orleans.membership_version
(
    deployment_id text        NOT NULL,
    version       integer     NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT membership_version_pk PRIMARY KEY (deployment_id)
);

CREATE TABLE orleans.membership
(
    deployment_id   text        NOT NULL,
    address         text        NOT NULL,
    port            integer     NOT NULL,
    generation      integer     NOT NULL,
    silo_name       text        NOT NULL,
    host_name       text        NOT NULL,
    status          integer     NOT NULL,
    proxy_port      integer     NULL,
    suspect_times   text        NULL,
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    CONSTRAINT membership_pk PRIMARY KEY (deployment_id, address, port, generation),
    -- Deleting a deployment's version row (DeleteMembershipTableEntriesKey) removes its silos too.
    CONSTRAINT membership_version_fk FOREIGN KEY (deployment_id)
        REFERENCES orleans.membership_version (deployment_id) ON DELETE CASCADE,
    -- Orleans.Runtime.SiloStatus: None 0, Created 1, Joining 2, Active 3, ShuttingDown 4, Stopping 5, Dead 6.
    CONSTRAINT membership_status_known CHECK (status BETWEEN 0 AND 6)
);

CREATE INDEX membership_gateways_ix ON orleans.membership (deployment_id, status) INCLUDE (address, proxy_port, generation);

CREATE FUNCTION orleans.membership_insert(
    p_deployment_id text, p_i_am_alive_time timestamptz, p_silo_name text, p_host_name text,
    p_address text, p_port integer, p_generation integer, p_start_time timestamptz,
    p_status integer, p_proxy_port integer, p_version integer)
    RETURNS boolean
    LANGUAGE plpgsql
AS $fn$
BEGIN
    -- Lock the version row first: concurrent writers of the same deployment serialize here.
    PERFORM 1 FROM orleans.membership_version
     WHERE deployment_id = p_deployment_id AND version = p_version
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    INSERT INTO orleans.membership (deployment_id, address, port, generation, silo_name, host_name, status,
                                    proxy_port, suspect_times, start_time, i_am_alive_time)
    VALUES (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status,
            p_proxy_port, NULL, p_start_time, p_i_am_alive_time)
    ON CONFLICT ON CONSTRAINT membership_pk DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleans.membership_version
       SET version = version + 1, updated_at = now()
     WHERE deployment_id = p_deployment_id;
    RETURN true;
END;
$fn$;

CREATE FUNCTION orleans.membership_update(
    p_deployment_id text, p_address text, p_port integer, p_generation integer,
    p_i_am_alive_time timestamptz, p_status integer, p_suspect_times text, p_version integer)
    RETURNS boolean
    LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1 FROM orleans.membership_version
     WHERE deployment_id = p_deployment_id AND version = p_version
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleans.membership
       SET status = p_status, suspect_times = p_suspect_times, i_am_alive_time = p_i_am_alive_time
     WHERE deployment_id = p_deployment_id AND address = p_address AND port = p_port AND generation = p_generation;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleans.membership_version
       SET version = version + 1, updated_at = now()
     WHERE deployment_id = p_deployment_id;
    RETURN true;
END;
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('InsertMembershipVersionKey', $q$
WITH inserted AS (
    INSERT INTO orleans.membership_version (deployment_id) VALUES (@DeploymentId)
    ON CONFLICT ON CONSTRAINT membership_version_pk DO NOTHING
    RETURNING 1)
SELECT count(*) = 1 FROM inserted;
$q$),
('MembershipReadAllKey', $q$
SELECT v.version AS "Version", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status", m.proxy_port AS "ProxyPort",
       m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
  FROM orleans.membership_version v
  LEFT JOIN orleans.membership m ON m.deployment_id = v.deployment_id
 WHERE v.deployment_id = @DeploymentId;
$q$),
('MembershipReadRowKey', $q$
SELECT v.version AS "Version", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status", m.proxy_port AS "ProxyPort",
       m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
  FROM orleans.membership_version v
  LEFT JOIN orleans.membership m
    ON m.deployment_id = v.deployment_id
   AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
 WHERE v.deployment_id = @DeploymentId;
$q$),
('InsertMembershipKey', $q$
SELECT orleans.membership_insert(@DeploymentId, @IAmAliveTime, @SiloName, @HostName, @Address, @Port, @Generation,
                                 @StartTime, @Status, @ProxyPort, @Version);
$q$),
('UpdateMembershipKey', $q$
SELECT orleans.membership_update(@DeploymentId, @Address, @Port, @Generation, @IAmAliveTime, @Status,
                                 @SuspectTimes, @Version);
$q$),
('UpdateIAmAlivetimeKey', $q$
UPDATE orleans.membership
   SET i_am_alive_time = @IAmAliveTime
 WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation;
$q$),
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleans.membership_version WHERE deployment_id = @DeploymentId;
$q$),
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleans.membership
 WHERE deployment_id = @DeploymentId AND i_am_alive_time < @IAmAliveTime AND status = 6;
$q$),
('GatewaysQueryKey', $q$
SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
  FROM orleans.membership
 WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0;
$q$);
