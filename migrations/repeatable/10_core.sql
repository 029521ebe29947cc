-- 10_core.sql — the foundation: the IMMUTABLE unaccent wrapper and khnet_info.
--
-- A repeatable file: every function, view and trigger of this domain at its
-- current version.  `khnetd migrate` re-applies it, in one transaction,
-- whenever its bytes change (migrations/README).  Change a function here;
-- 0001_init.sql created these first and is applied history (tables, indexes
-- and data stay there and in later numbered files).  Everything is
-- CREATE OR REPLACE; a changed signature or result type needs a
-- DROP ... IF EXISTS in front of the new definition.

-- unaccent() is only STABLE (its dictionary could change), so it cannot back
-- an index.  This wrapper names the dictionary explicitly, with a schema, so
-- its result depends on its argument alone; that is what IMMUTABLE promises
-- and what expression and trigram indexes on it need.
CREATE OR REPLACE FUNCTION khnet_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

COMMENT ON FUNCTION khnet_unaccent(text) IS
    'unaccent with a fixed dictionary, IMMUTABLE so search indexes can use it';

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
