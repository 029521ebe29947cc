-- 70_saved_searches.sql — saved searches and their new-match marks.
--
-- A repeatable file: every function, view and trigger of this domain at its
-- current version.  `khnetd migrate` re-applies it, in one transaction,
-- whenever its bytes change (migrations/README).  Change a function here;
-- 0007_saved_searches.sql created these first and is applied history (tables, indexes
-- and data stay there and in later numbered files).  Everything is
-- CREATE OR REPLACE; a changed signature or result type needs a
-- DROP ... IF EXISTS in front of the new definition.

-- The time up to which a look has seen every write.  A profile write
-- stamps updated_at with its transaction's start (now()) but becomes
-- visible only when it commits, so a mark must never pass the start of a
-- transaction still running in this database (a bulk import runs for
-- seconds): its rows, once committed, carry an earlier stamp than the
-- look.  khnet_saved_search_new reads this before the search takes its
-- snapshot, so every writer is either committed (the search sees it) or
-- still running (it holds the mark back).  The price: a profile written
-- while a look runs may be shown by two looks, never by none.  Other
-- roles' transactions show no xact_start unless khnetd's role has
-- pg_read_all_stats; khnetd and `khnetd import` share one role.
-- Only client sessions can write profiles: autovacuum and other server
-- processes are not counted, nor khnetd's own background work (its timers
-- and mail pump, khnet_background_tx in 10_core.sql).  Counting them let a
-- sweep or an ANALYZE that began before a profile write drag a new saved
-- search's mark behind that write, which then showed as "new".
CREATE OR REPLACE FUNCTION khnet_saved_mark() RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
    SELECT least(statement_timestamp(), min(a.xact_start))
      FROM pg_stat_activity a
     WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
       AND a.backend_type = 'client backend'
       AND a.application_name IS DISTINCT FROM 'khnetd background'
       AND a.xact_start IS NOT NULL
$$;

-- An erased account keeps its row (khnet_account_erase, 0008), so its saved
-- searches go here.
CREATE OR REPLACE FUNCTION khnet_saved_searches_erase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM khnet_saved_searches WHERE owner_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER khnet_saved_searches_erase AFTER UPDATE OF erased_at ON khnet_accounts
    FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL)
    EXECUTE FUNCTION khnet_saved_searches_erase();

CREATE OR REPLACE FUNCTION khnet_saved_search_json(s khnet_saved_searches) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', s.id, 'name', s.name, 'query', s.query,
                              'created_at', khnet_time_text(s.created_at),
                              'last_seen_at', khnet_time_text(s.last_seen_at))
$$;

-- Each of these answers one row (status, field, body) as the messaging
-- functions do (server/api/chat.h).
CREATE OR REPLACE FUNCTION khnet_saved_search_max() RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 100 $$;

CREATE OR REPLACE FUNCTION khnet_saved_search_create(p_owner bigint, p_name text, p_query jsonb, p_sort text,
                                          OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    bad bigint;
    s khnet_saved_searches;
BEGIN
    -- the one check khnetd cannot make: sector slugs (as the search does)
    SELECT min(i.n) INTO bad
      FROM jsonb_array_elements_text(coalesce(p_query->'sectors', '[]')) WITH ORDINALITY i(slug, n)
     WHERE NOT EXISTS (SELECT 1 FROM khnet_sectors x WHERE x.slug = i.slug);
    IF bad IS NOT NULL THEN
        status := 'invalid_value'; field := 'query.sectors.' || (bad - 1);
        body := jsonb_build_object('message', 'unknown sector');
        RETURN;
    END IF;
    -- At most khnet_saved_search_max() per account: each "new since I last
    -- looked" runs a search, and nothing else bounds how many one keeps.
    -- The account row lock makes two concurrent creates count in turn.
    PERFORM 1 FROM khnet_accounts a WHERE a.id = p_owner FOR NO KEY UPDATE;
    IF (SELECT count(*) FROM khnet_saved_searches x WHERE x.owner_id = p_owner)
       >= khnet_saved_search_max() THEN
        status := 'conflict';
        body := jsonb_build_object('message', format('an account keeps at most %s saved searches; delete one first',
                                                     khnet_saved_search_max()));
        RETURN;
    END IF;
    INSERT INTO khnet_saved_searches (owner_id, name, query, sort)
    VALUES (p_owner, p_name, p_query, p_sort) RETURNING * INTO s;
    status := 'created'; body := khnet_saved_search_json(s);
END
$$;

CREATE OR REPLACE FUNCTION khnet_saved_searches_list(p_owner bigint, p_after bigint, p_limit int,
                                          OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT s FROM khnet_saved_searches s
         WHERE s.owner_id = p_owner AND (p_after IS NULL OR s.id < p_after)
         ORDER BY s.id DESC LIMIT p_limit + 1),
    shown AS (SELECT * FROM page ORDER BY (s).id DESC LIMIT p_limit)
    SELECT 'ok', NULL::text, jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(khnet_saved_search_json(x.s) ORDER BY (x.s).id DESC)
                             FROM shown x), '[]'),
        'next_key', CASE WHEN (SELECT count(*) FROM page) > p_limit
                         THEN (SELECT min((x.s).id) FROM shown x) END)
$$;

CREATE OR REPLACE FUNCTION khnet_saved_search_delete(p_owner bigint, p_id bigint,
                                          OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    DELETE FROM khnet_saved_searches WHERE id = p_id AND owner_id = p_owner;
    IF FOUND THEN status := 'ok'; body := '{}';
    ELSE status := 'not_found'; body := jsonb_build_object('message', 'no such saved search');
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION khnet_saved_text_array(v jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NOT NULL AND jsonb_typeof(v) = 'array'
                THEN ARRAY(SELECT jsonb_array_elements_text(v)) END
$$;

-- The experts matching saved search p_id whose profiles were created or
-- updated since the owner's mark, as khnet_search_experts answers (its
-- row, the body plus `since`), or not_found when p_owner has no such saved
-- search, invalid_value `after` for a cursor of another sort.  Without peek
-- or a cursor the look moves the mark (the previous one is kept for the
-- look's later pages: a cursor continues the latest look); peek reads from
-- the mark and leaves it.  VOLATILE: the search takes its own snapshot
-- after the mark is read (see khnet_saved_mark).
SELECT khnet_drop_old_shape('khnet_saved_search_new(bigint, text, bigint, boolean, text, text, bigint)');
CREATE OR REPLACE FUNCTION khnet_saved_search_new(p_owner bigint, p_role text, p_id bigint, p_peek boolean,
                                       p_after_sort text, p_after_key text, p_after_id bigint,
                                       OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    mark timestamptz := khnet_saved_mark();
    s khnet_saved_searches;
    since timestamptz;
    q jsonb;
BEGIN
    IF p_peek OR p_after_id IS NOT NULL THEN
        SELECT * INTO s FROM khnet_saved_searches WHERE id = p_id AND owner_id = p_owner;
        IF NOT FOUND THEN
            SELECT e.* INTO status, field, body FROM khnet_fail('not_found', NULL, 'no such saved search') e;
            RETURN;
        END IF;
        since := CASE WHEN p_peek THEN s.last_seen_at ELSE s.prev_seen_at END;
    ELSE
        UPDATE khnet_saved_searches
           SET prev_seen_at = last_seen_at, last_seen_at = greatest(last_seen_at, mark)
         WHERE id = p_id AND owner_id = p_owner RETURNING * INTO s;
        IF NOT FOUND THEN
            SELECT e.* INTO status, field, body FROM khnet_fail('not_found', NULL, 'no such saved search') e;
            RETURN;
        END IF;
        since := s.prev_seen_at;
    END IF;
    IF p_after_id IS NOT NULL AND p_after_sort IS DISTINCT FROM s.sort THEN
        SELECT e.* INTO status, field, body
          FROM khnet_fail('invalid_value', 'after', 'not a cursor from this saved search') e;
        RETURN;
    END IF;
    q := s.query;
    SELECT x.* INTO status, field, body FROM khnet_search_experts(
        p_owner, p_role, q->>'q', khnet_saved_text_array(q->'sectors'),
        khnet_saved_text_array(q->'countries'), khnet_saved_text_array(q->'degree_levels'),
        khnet_saved_text_array(q->'languages'), (q->>'willing_to_mentor')::boolean,
        (q->>'min_years')::int, greatest(since, (q->>'updated_since')::timestamptz), s.sort,
        coalesce((q->>'limit')::int, 20), p_after_key, p_after_id,
        khnet_saved_text_array(q->'cities'), khnet_saved_text_array(q->'affiliations')) x;
    IF status = 'ok' THEN
        body := body || jsonb_build_object('since', khnet_time_text(since));
    END IF;
END
$$;
