-- Core of the Orleans ADO.NET provider schema (ours, written against the providers' C# query contract).
--
-- The providers read their SQL from a table they query unqualified and unquoted:
--   SELECT QueryKey, QueryText FROM OrleansQuery
-- PostgreSQL folds those identifiers to lower case, so the table is orleansquery(querykey, querytext)
-- in the search path (public). Npgsql matches the column names case-insensitively.
-- Our own tables live in the schema "orleans"; the query texts name them qualified, so the providers
-- do not depend on the connection's search_path for anything but OrleansQuery itself.

CREATE SCHEMA IF NOT EXISTS orleans;

CREATE TABLE OrleansQuery
(
    QueryKey  text NOT NULL,
    QueryText text NOT NULL,
    CONSTRAINT orleansquery_pk PRIMARY KEY (QueryKey),
    CONSTRAINT orleansquery_key_not_blank CHECK (btrim(QueryKey) <> ''),
    CONSTRAINT orleansquery_text_not_blank CHECK (btrim(QueryText) <> '')
);

COMMENT ON TABLE OrleansQuery IS
    'Query texts the Orleans ADO.NET providers execute, by key. Filled by the V000x migrations; edit only through a migration.';
