-- 10_core.sql — the foundation: the IMMUTABLE unaccent wrapper, the helpers of
-- the one result shape (khnet_drop_old_shape, khnet_fail) and khnet_info.
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

-- khnetd's timers (the CORS reload, the mentoring expiry sweep) and its
-- mail pump never write profiles, so their transactions must not hold back
-- a saved search's mark (khnet_saved_mark, 70_saved_searches.sql).  The
-- pool's connections are shared with requests, so a timer's statement
-- names its own transaction with this (SELECT f() FROM khnet_background_tx():
-- FROM is evaluated first); SET LOCAL ends with the transaction.  The mail
-- pump's own connection carries the same application_name throughout.
CREATE OR REPLACE FUNCTION khnet_background_tx() RETURNS void
    LANGUAGE sql VOLATILE
AS $$ SELECT set_config('application_name', 'khnetd background', true) $$;

-- The one shape every function a handler calls answers (server/api/README.md)
-- is one row (status, field, body).  A function that used to answer another
-- way keeps its signature but not its result type, which CREATE OR REPLACE
-- cannot change: a repeatable file calls this in front of its definition.
-- It drops the function `sig` (regprocedure text) only when it exists and
-- does not answer the one shape yet, so re-applying a file drops nothing.
CREATE OR REPLACE FUNCTION khnet_drop_old_shape(sig text) RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    f regprocedure := to_regprocedure(sig);
BEGIN
    IF f IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_proc p
         WHERE p.oid = f AND p.proargnames @> ARRAY['status', 'field', 'body']) THEN
        EXECUTE format('DROP FUNCTION %s', f);
    END IF;
END
$$;

-- An error's row in the one shape: (code, the field at fault, {message}).
CREATE OR REPLACE FUNCTION khnet_fail(p_status text, p_field text, p_message text,
                                      OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT p_status, p_field, jsonb_build_object('message', p_message) $$;

-- What GET /v1/info reports about the database, in the one shape: the
-- newest applied migration (`schema`) and the database clock (`db_time`).
SELECT khnet_drop_old_shape('khnet_info()');
CREATE OR REPLACE FUNCTION khnet_info(OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE sql STABLE
AS $$
    SELECT 'ok', NULL,
           jsonb_build_object('schema', (SELECT max(name) FROM khnet_schema_migrations),
                              'db_time', to_char(now() AT TIME ZONE 'UTC',
                                                 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$$;
