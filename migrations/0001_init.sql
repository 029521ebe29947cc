-- 0001_init.sql — the foundation every later migration builds on.
--
-- Runs inside one transaction (db_migrate adds BEGIN/COMMIT and the record in
-- khnet_schema_migrations); never edit it once applied: add 0002_... instead.

-- Diacritic-insensitive search ("Nguyen" finds "Nguyễn") and typo-tolerant
-- name search.  Both are trusted extensions: a database owner may create them.
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

-- unaccent() is only STABLE (its dictionary could change), so it cannot back
-- an index.  This wrapper names the dictionary explicitly, with a schema, so
-- its result depends on its argument alone; that is what IMMUTABLE promises
-- and what expression and trigram indexes on it need.
CREATE OR REPLACE FUNCTION khnet_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

COMMENT ON FUNCTION khnet_unaccent(text) IS
    'unaccent with a fixed dictionary, IMMUTABLE so search indexes can use it';

-- Idempotency keys: a client retrying a write sends the same Idempotency-Key
-- and gets the first response back instead of a second effect.  The row is
-- inserted (status NULL) in the same transaction as the write, so a concurrent
-- retry waits on the primary key and then sees the stored response.
-- The functions that claim and store keys are in 0002_accounts.sql.
CREATE TABLE khnet_idempotency (
    key         text        NOT NULL,               -- the client's Idempotency-Key
    scope       text        NOT NULL,               -- who and what: e.g. account id + route
    created_at  timestamptz NOT NULL DEFAULT now(), -- for expiry
    response    bytea,                              -- the encoded first response body
    status      int,                                -- its HTTP status; NULL while in progress
    fingerprint bytea,                              -- SHA-256 of method, path and body
    result      jsonb,                              -- the write's result row, for replays
    PRIMARY KEY (scope, key),
    CHECK (length(key) BETWEEN 1 AND 255)
);

-- Old keys are purged by age.
CREATE INDEX khnet_idempotency_created_at ON khnet_idempotency (created_at);

-- What GET /v1/info reports about the database: the newest applied migration,
-- the database clock, and the PostgreSQL version.
CREATE OR REPLACE FUNCTION khnet_info(
    OUT schema_version text,
    OUT db_time timestamptz,
    OUT server_version text)
    LANGUAGE sql STABLE
AS $$
    SELECT (SELECT max(name) FROM khnet_schema_migrations),
           now(),
           current_setting('server_version')
$$;
