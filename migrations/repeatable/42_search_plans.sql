-- 42_search_plans.sql — the search's ranking statement planned once per
-- shape and session (issue 11: search speed).
--
-- Why: khnet_search_run puts its statement together from fixed fragments
-- (the mode, the viewer's document column, the filters present, the number
-- of terms, the candidate tiers read, the sort, keyset or not) and passes
-- every value as a parameter.  Run with EXECUTE ... USING it was parsed
-- and planned again in every search: 8 partitions of khnet_search_docs in
-- up to 5 candidate tiers, each with ~13 indexes to weigh, ~2.6 ms of
-- planning for a one-concept query and 6.6 ms for a six-concept one, at
-- 200,000 profiles.  Here it is a prepared statement of the session, named
-- by the hash of its text: prepared on first use and run again with its
-- generic plan afterwards.  The text holds no value of the query (not the
-- words' pair keys either, 41_search_pairs.sql), so a statement serves
-- every query of its shape, and a session holds a bounded number of them.

-- How many statements a session keeps.  Each holds its query tree and its
-- generic plan: ~1.1 MB for one concept, ~1.7-2.4 MB for three to six
-- (pg_backend_memory_contexts, 200,000 profiles), so at most ~40 MB a
-- connection.  The bench's 27 queries make 8 shapes at one viewer level.
CREATE OR REPLACE FUNCTION khnet_search_plans_max() RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 16 $$;

-- A value as a parameter's literal: the text it reads back from exactly.
-- Reals with the shortest exact digits whatever the session's
-- extra_float_digits, times in ISO form (a numeric offset: no time zone
-- abbreviation to misread) whatever its DateStyle.  Only here: the
-- statement itself runs under the session's settings, as before.
CREATE OR REPLACE FUNCTION khnet_search_lit(v anyelement) RETURNS text
    LANGUAGE sql STABLE SET extra_float_digits = 1 SET datestyle = 'ISO'
AS $$ SELECT v::text $$;

-- Runs statement sql, whose parameters have the types `types` (a list as
-- PREPARE takes it), with the values args (their text, NULL for NULL),
-- with its generic plan, and returns its one jsonb value.  The session's
-- statement for this text is run when it has one; otherwise (first use,
-- or dropped by DISCARD or DEALLOCATE: invalid_sql_statement_name) it is
-- prepared, after dropping the oldest of the khnet_search_plans_max()
-- kept.  A prepared statement outlives a rolled-back transaction (PREPARE
-- is not transactional), which costs nothing but its memory; a session
-- runs one statement at a time, so no other search sees one half made.
-- The values are written as literals (EXECUTE of a prepared statement
-- takes no parameters of its own from PL/pgSQL), each read by its
-- parameter type's input function: ~1.3 ms of a one-concept search's
-- ~19 (its tsqueries written out and read back), against ~3 ms of
-- planning saved.  The caller decides which shapes a generic plan suits
-- (khnet_search_run).  VOLATILE: PL/pgSQL runs PREPARE and EXECUTE only
-- there.
CREATE OR REPLACE FUNCTION khnet_search_prepared(sql text, types text, args text[])
    RETURNS jsonb LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    name text := 'khnet_search_' || md5(types || ';' || sql);
    call text := format('EXECUTE %I(%s)', name,
                        (SELECT string_agg(quote_nullable(a), ', ' ORDER BY i)
                           FROM unnest(args) WITH ORDINALITY x(a, i)));
    old text;
    result jsonb;
BEGIN
    BEGIN
        EXECUTE call INTO result;
        RETURN result;
    EXCEPTION WHEN invalid_sql_statement_name THEN   -- undefined_pstatement
        NULL;
    END;
    FOR old IN SELECT s.name FROM pg_prepared_statements s
                WHERE s.name LIKE 'khnet\_search\_%' ORDER BY s.prepare_time DESC
               OFFSET khnet_search_plans_max() - 1 LOOP
        EXECUTE format('DEALLOCATE %I', old);
    END LOOP;
    EXECUTE format('PREPARE %I(%s) AS %s', name, types, sql);
    EXECUTE call INTO result;
    RETURN result;
END
$$;
