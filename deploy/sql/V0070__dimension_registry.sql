-- Cardinality control of client-supplied dimensions (model@version, campaign): the values admitted per dimension,
-- at most the configured ceiling (Cardinality:ModelVersions, Cardinality:Campaigns). A value is admitted on first
-- sight, before its event is stored, under a per-dimension advisory lock (race-free across silos); a value not in this
-- table is counted under '(other)' by the live aggregates and by the SQL oracle (reconcile --check) alike.
CREATE TABLE IF NOT EXISTS dimension_values (
    dimension   text        NOT NULL,
    value       text        NOT NULL,
    admitted_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dimension_values_pk PRIMARY KEY (dimension, value)
);
