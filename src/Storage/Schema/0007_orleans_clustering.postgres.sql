-- Orleans membership on PostgreSQL (Microsoft.Orleans.Clustering.AdoNet, invariant "Npgsql").
--
-- The provider ships no SQL: at start it runs `SELECT QueryKey, QueryText FROM OrleansQuery` and then
-- executes those texts, binding parameters by name (@DeploymentId is the cluster ID; a silo is
-- @Address/@Port/@Generation) and reading result columns by name. The texts below are Myelin's own.
-- SQLite runs the single-process default with localhost clustering, so this delta is PostgreSQL-only.
--
-- Concurrency: the table version (OrleansMembershipVersionTable.Version) is an optimistic lock. A
-- writer passes the version it read; the statement bumps it only if it is still that value, and
-- changes the membership row only if the bump happened, in one statement, so two silos racing to
-- write both see a consistent table and the loser re-reads and retries.
--
-- Unquoted identifiers fold to lower case; the provider looks columns up by name, and Npgsql's
-- lookup falls back to a case-insensitive match, so "StartTime" finds starttime.

CREATE TABLE IF NOT EXISTS OrleansQuery (
    QueryKey  VARCHAR(64) NOT NULL PRIMARY KEY,
    QueryText TEXT        NOT NULL
);

-- One row per cluster: the membership table's version.
CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable (
    DeploymentId TEXT        NOT NULL PRIMARY KEY,
    Timestamp    TIMESTAMPTZ NOT NULL DEFAULT now(),
    Version      INTEGER     NOT NULL DEFAULT 0
);

-- One row per silo incarnation (address, port and start generation).
CREATE TABLE IF NOT EXISTS OrleansMembershipTable (
    DeploymentId TEXT        NOT NULL REFERENCES OrleansMembershipVersionTable (DeploymentId),
    Address      TEXT        NOT NULL,
    Port         INTEGER     NOT NULL,
    Generation   INTEGER     NOT NULL,
    SiloName     TEXT        NOT NULL,
    HostName     TEXT        NOT NULL,
    Status       INTEGER     NOT NULL,
    ProxyPort    INTEGER     NULL,
    SuspectTimes TEXT        NULL,
    StartTime    TIMESTAMPTZ NOT NULL,
    IAmAliveTime TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (DeploymentId, Address, Port, Generation)
);

-- Upsert so that re-running the delta (or a later fix to a query) leaves exactly one text per key.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Creates the cluster's version row if missing; answers whether it created it.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO OrleansMembershipVersionTable (DeploymentId)
    VALUES (@DeploymentId)
    ON CONFLICT (DeploymentId) DO NOTHING
    RETURNING 1
)
SELECT count(*)::int FROM created
$q$),

-- A silo joins: bump the version if it is still @Version, and add the row only then.
('InsertMembershipKey', $q$
WITH bumped AS (
    UPDATE OrleansMembershipVersionTable
    SET Version = Version + 1, Timestamp = now()
    WHERE DeploymentId = @DeploymentId
      AND Version = @Version
      AND NOT EXISTS (
          SELECT 1 FROM OrleansMembershipTable
          WHERE DeploymentId = @DeploymentId AND Address = @Address
            AND Port = @Port AND Generation = @Generation)
    RETURNING DeploymentId
), added AS (
    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
    SELECT b.DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime
    FROM bumped b
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*)::int FROM added
$q$),

-- A status or suspicion change: same optimistic rule as the insert.
('UpdateMembershipKey', $q$
WITH bumped AS (
    UPDATE OrleansMembershipVersionTable
    SET Version = Version + 1, Timestamp = now()
    WHERE DeploymentId = @DeploymentId
      AND Version = @Version
      AND EXISTS (
          SELECT 1 FROM OrleansMembershipTable
          WHERE DeploymentId = @DeploymentId AND Address = @Address
            AND Port = @Port AND Generation = @Generation)
    RETURNING DeploymentId
), changed AS (
    UPDATE OrleansMembershipTable m
    SET Status = @Status, SuspectTimes = @SuspectTimes, IAmAliveTime = @IAmAliveTime
    FROM bumped b
    WHERE m.DeploymentId = b.DeploymentId AND m.Address = @Address
      AND m.Port = @Port AND m.Generation = @Generation
    RETURNING 1
)
SELECT count(*)::int FROM changed
$q$),

-- The heartbeat: not versioned, the provider does not check its result.
('UpdateIAmAlivetimeKey', $q$
UPDATE OrleansMembershipTable
SET IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId AND Address = @Address
  AND Port = @Port AND Generation = @Generation
$q$),

-- One silo's row with the table version. The version row drives the join so that a silo with no row
-- yet still gets the version (its StartTime column is then NULL, which the provider reads as "absent").
('MembershipReadRowKey', $q$
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m
       ON m.DeploymentId = v.DeploymentId AND m.Address = @Address
      AND m.Port = @Port AND m.Generation = @Generation
WHERE v.DeploymentId = @DeploymentId
$q$),

-- Every silo of the cluster, with the table version (one row with NULLs when there is no silo).
('MembershipReadAllKey', $q$
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
WHERE v.DeploymentId = @DeploymentId
$q$),

-- Gateways clients may connect to: silos in @Status (Active) that listen for clients.
('GatewaysQueryKey', $q$
SELECT Address, ProxyPort, Generation
FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0
$q$),

-- Forgets a whole cluster (used by tests and tooling, never by a running silo).
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId
$q$),

-- Drops rows of silos that stopped heart-beating before @IAmAliveTime, except Active ones (3).
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND IAmAliveTime < @IAmAliveTime AND Status <> 3
$q$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
