-- 45_thesaurus.sql — reading and editing the expertise thesaurus
-- (PROTOCOL.md "Thesaurus"; tables in 0009_thesaurus.sql).  Every function
-- answers in the one shape (status, field, body).  Search reads the tables
-- directly (khnet_search_plan, 40_search.sql), so an edit applies to the
-- next query on every worker and instance.
--
-- Writes go through one function, khnet_thesaurus_write, for a single
-- concept (create, replace) and for an import alike: check every item
-- first (field paths as the client sent them), then write all of them in
-- one subtransaction, then refuse a cycle of broader links (which rolls the
-- subtransaction back).

-- A concept as the API shows it.
CREATE OR REPLACE FUNCTION khnet_concept_json(cid bigint) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'key', c.key,
        'sector', (SELECT s.slug FROM khnet_sectors s WHERE s.id = c.sector_id),
        'label_en', (SELECT l.label FROM khnet_concept_labels l WHERE l.concept_id = c.id AND l.pref AND l.lang = 'en'),
        'label_vi', (SELECT l.label FROM khnet_concept_labels l WHERE l.concept_id = c.id AND l.pref AND l.lang = 'vi'),
        'alt', coalesce((SELECT jsonb_agg(l.label ORDER BY l.label) FROM khnet_concept_labels l
                          WHERE l.concept_id = c.id AND NOT l.pref), '[]'),
        'broader', coalesce((SELECT jsonb_agg(t.key ORDER BY t.key) FROM khnet_concept_links k
                              JOIN khnet_concepts t ON t.id = k.target_id
                             WHERE k.concept_id = c.id AND k.kind = 'broader'), '[]'),
        'narrower', coalesce((SELECT jsonb_agg(t.key ORDER BY t.key) FROM khnet_concept_links k
                               JOIN khnet_concepts t ON t.id = k.concept_id
                              WHERE k.target_id = c.id AND k.kind = 'broader'), '[]'),
        'related', coalesce((SELECT jsonb_agg(DISTINCT t.key) FROM khnet_concept_links k
                              JOIN khnet_concepts t ON t.id = CASE WHEN k.concept_id = c.id THEN k.target_id
                                                                   ELSE k.concept_id END
                             WHERE k.kind = 'related' AND c.id IN (k.concept_id, k.target_id)), '[]'),
        'version', c.version,
        'updated_at', khnet_time_text(c.updated_at))
      FROM khnet_concepts c WHERE c.id = cid
$$;

-- The first problem of one concept document (as sent, at path `at`), or
-- NULL: (code, field).  `keys`: the keys an import brings along (links may
-- name them).
CREATE OR REPLACE FUNCTION khnet_concept_check(d jsonb, at text, keys text[], with_key boolean,
                                               OUT code text, OUT field text)
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    f text;
    v jsonb;
    i int;
    lim int;
BEGIN
    IF jsonb_typeof(d) IS DISTINCT FROM 'object' THEN
        code := 'invalid_type'; field := nullif(rtrim(at, '.'), ''); RETURN;
    END IF;
    SELECT min(k) INTO f FROM jsonb_object_keys(d) k
     WHERE k <> ALL (ARRAY['key', 'label_en', 'label_vi', 'sector', 'alt', 'broader', 'related', 'version']);
    IF f IS NOT NULL THEN code := 'unknown_field'; field := at || f; RETURN; END IF;
    FOREACH f IN ARRAY CASE WHEN with_key THEN ARRAY['key', 'label_en', 'label_vi']
                            ELSE ARRAY['label_en', 'label_vi'] END LOOP
        IF d->f IS NULL OR jsonb_typeof(d->f) = 'null' THEN
            code := 'missing_field'; field := at || f; RETURN;
        END IF;
    END LOOP;
    FOREACH f IN ARRAY ARRAY['key', 'label_en', 'label_vi', 'sector'] LOOP
        CONTINUE WHEN d->f IS NULL OR jsonb_typeof(d->f) = 'null';
        IF jsonb_typeof(d->f) <> 'string' THEN code := 'invalid_type'; field := at || f; RETURN; END IF;
    END LOOP;
    IF with_key AND d->>'key' !~ '^[a-z][a-z0-9_]{1,63}$' THEN
        code := 'invalid_value'; field := at || 'key'; RETURN;
    END IF;
    IF d ? 'sector' AND jsonb_typeof(d->'sector') = 'string'
       AND NOT EXISTS (SELECT 1 FROM khnet_sectors s WHERE s.slug = d->>'sector') THEN
        code := 'invalid_value'; field := at || 'sector'; RETURN;
    END IF;
    -- labels: the two preferred ones, then the alternatives
    FOR f, v IN SELECT x.f, d->x.f FROM unnest(ARRAY['label_en', 'label_vi']) x(f) LOOP
        code := CASE WHEN length(v #>> '{}') = 0 THEN 'too_short' WHEN length(v #>> '{}') > 200 THEN 'too_long'
                     WHEN khnet_concept_term(v #>> '{}') = '' THEN 'invalid_value' END;
        IF code IS NOT NULL THEN field := at || f; RETURN; END IF;
    END LOOP;
    FOR f, lim IN VALUES ('alt', 50), ('broader', 10), ('related', 20) LOOP
        v := d->f;
        CONTINUE WHEN v IS NULL OR jsonb_typeof(v) = 'null';
        IF jsonb_typeof(v) <> 'array' THEN code := 'invalid_type'; field := at || f; RETURN; END IF;
        IF jsonb_array_length(v) > lim THEN code := 'too_long'; field := at || f; RETURN; END IF;
        FOR i IN 0 .. jsonb_array_length(v) - 1 LOOP
            field := at || f || '.' || i;
            IF jsonb_typeof(v->i) <> 'string' THEN code := 'invalid_type'; RETURN; END IF;
            IF f = 'alt' THEN
                code := CASE WHEN length(v->>i) = 0 THEN 'too_short' WHEN length(v->>i) > 200 THEN 'too_long'
                             WHEN khnet_concept_term(v->>i) = '' THEN 'invalid_value' END;
            ELSIF v->>i = d->>'key' OR NOT (v->>i = ANY (keys)
                      OR EXISTS (SELECT 1 FROM khnet_concepts c WHERE c.key = v->>i)) THEN
                code := 'invalid_value';
            END IF;
            IF code IS NOT NULL THEN RETURN; END IF;
        END LOOP;
    END LOOP;
    field := NULL;
END
$$;

-- Writes concepts: `docs` an array of concept documents; mode 'create'
-- (the key must be new), 'replace' (one concept at `key`, version must
-- match) or 'import' (create or replace each; no versions).  `at`: the
-- field prefix of item i ('' for one concept, 'concepts.' || i || '.').
-- Body: the concept (create, replace) or {created, updated} (import).
CREATE OR REPLACE FUNCTION khnet_thesaurus_write(actor bigint, role text, docs jsonb, mode text,
                                                 p_key text, p_version int, prefix text)
    RETURNS TABLE (status text, field text, body jsonb)
    LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    n int := jsonb_array_length(docs);
    keys text[];
    chk record;
    d jsonb;
    i int;
    cid bigint;
    ids bigint[] := '{}';
    updated int := 0;
    at text;
BEGIN
    IF role NOT IN ('liaison', 'admin') THEN
        RETURN QUERY SELECT 'forbidden', NULL::text,
            jsonb_build_object('message', 'only liaison officers and admins edit the thesaurus');
        RETURN;
    END IF;
    IF mode <> 'replace' THEN
        SELECT array_agg(x->>'key') INTO keys FROM jsonb_array_elements(docs) x
         WHERE jsonb_typeof(x->'key') = 'string';
    END IF;
    keys := coalesce(keys, '{}');
    FOR i IN 0 .. n - 1 LOOP
        d := docs->i;
        at := CASE WHEN mode = 'import' THEN prefix || i || '.' ELSE prefix END;
        chk := khnet_concept_check(d, at, keys, mode <> 'replace');
        IF chk.code IS NOT NULL THEN
            RETURN QUERY SELECT chk.code, chk.field, jsonb_build_object('message', 'not an acceptable concept');
            RETURN;
        END IF;
        IF mode = 'import' AND EXISTS (SELECT 1 FROM jsonb_array_elements(docs) WITH ORDINALITY e(x, o)
                                        WHERE e.o <= i AND e.x->>'key' = d->>'key') THEN
            RETURN QUERY SELECT 'invalid_value', at || 'key', jsonb_build_object('message', 'a key twice in one import');
            RETURN;
        END IF;
    END LOOP;
    IF mode = 'create' AND EXISTS (SELECT 1 FROM khnet_concepts c WHERE c.key = docs->0->>'key') THEN
        RETURN QUERY SELECT 'conflict', prefix || 'key', jsonb_build_object('message', 'a concept with this key exists');
        RETURN;
    END IF;
    IF mode = 'replace' THEN
        SELECT c.id INTO cid FROM khnet_concepts c WHERE c.key = p_key FOR UPDATE;
        IF cid IS NULL THEN
            RETURN QUERY SELECT 'not_found', NULL::text, jsonb_build_object('message', 'no such concept');
            RETURN;
        END IF;
        IF (SELECT c.version FROM khnet_concepts c WHERE c.id = cid) IS DISTINCT FROM p_version THEN
            RETURN QUERY SELECT 'conflict', prefix || 'version',
                jsonb_build_object('message', 'the concept changed since this version');
            RETURN;
        END IF;
        docs := jsonb_build_array(((docs->0) - 'version') || jsonb_build_object('key', p_key));
    END IF;
    SELECT count(*) INTO updated FROM khnet_concepts c WHERE c.key = ANY (keys);
    BEGIN
        -- the concepts first (links may point at each other), then labels and links
        FOR i IN 0 .. n - 1 LOOP
            d := docs->i;
            INSERT INTO khnet_concepts AS c (key, sector_id, updated_by)
            VALUES (d->>'key', (SELECT s.id FROM khnet_sectors s WHERE s.slug = d->>'sector'), actor)
            ON CONFLICT ON CONSTRAINT khnet_concepts_key_key DO UPDATE
               SET sector_id = EXCLUDED.sector_id, version = c.version + 1, updated_at = now(),
                   updated_by = actor
            RETURNING c.id INTO cid;
            ids := ids || cid;
        END LOOP;
        DELETE FROM khnet_concept_labels l WHERE l.concept_id = ANY (ids);
        DELETE FROM khnet_concept_links k WHERE k.concept_id = ANY (ids)
           OR (k.kind = 'related' AND k.target_id = ANY (ids));
        FOR i IN 0 .. n - 1 LOOP
            d := docs->i;
            INSERT INTO khnet_concept_labels (concept_id, lang, pref, label, term)
            SELECT DISTINCT ON (l.lang, t) ids[i + 1], l.lang, l.pref, l.label, t
              FROM (SELECT 'en' AS lang, true AS pref, d->>'label_en' AS label, 0 AS o
                    UNION ALL SELECT 'vi', true, d->>'label_vi', 1
                    UNION ALL SELECT CASE WHEN khnet_fold(a) = lower(a) THEN 'en' ELSE 'vi' END, false, a, 1 + x.o2
                      FROM jsonb_array_elements_text(coalesce(d->'alt', '[]')) WITH ORDINALITY x(a, o2)) l,
                   khnet_concept_term(l.label) t
             ORDER BY l.lang, t, l.o;
            INSERT INTO khnet_concept_links (concept_id, kind, target_id)
            SELECT DISTINCT ids[i + 1], x.kind, c.id
              FROM (SELECT 'broader' AS kind, b FROM jsonb_array_elements_text(coalesce(d->'broader', '[]')) b
                    UNION ALL SELECT 'related', r FROM jsonb_array_elements_text(coalesce(d->'related', '[]')) r) x(kind, k)
              JOIN khnet_concepts c ON c.key = x.k
            ON CONFLICT DO NOTHING;
        END LOOP;
        -- a concept may not be its own ancestor
        IF EXISTS (WITH RECURSIVE up(start, id) AS (
                       SELECT k.concept_id, k.target_id FROM khnet_concept_links k
                        WHERE k.kind = 'broader' AND k.concept_id = ANY (ids)
                       UNION
                       SELECT up.start, k.target_id FROM up JOIN khnet_concept_links k
                           ON k.kind = 'broader' AND k.concept_id = up.id)
                   SELECT 1 FROM up WHERE up.start = up.id) THEN
            RAISE EXCEPTION USING ERRCODE = 'KH001';
        END IF;
    EXCEPTION WHEN SQLSTATE 'KH001' THEN
        RETURN QUERY SELECT 'invalid_value', prefix || CASE WHEN mode = 'import' THEN 'concepts' ELSE 'broader' END,
            jsonb_build_object('message', 'broader links would make a concept its own ancestor');
        RETURN;
    END;
    IF mode = 'import' THEN
        RETURN QUERY SELECT 'ok', NULL::text, jsonb_build_object('created', n - updated, 'updated', updated);
    ELSE
        RETURN QUERY SELECT CASE WHEN mode = 'create' THEN 'created' ELSE 'ok' END, NULL::text,
                            khnet_concept_json(ids[1]);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION khnet_thesaurus_get(p_key text)
    RETURNS TABLE (status text, field text, body jsonb)
    LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN c.id IS NULL THEN 'not_found' ELSE 'ok' END, NULL,
           coalesce(khnet_concept_json(c.id), jsonb_build_object('message', 'no such concept'))
      FROM (SELECT 1) one LEFT JOIN khnet_concepts c ON c.key = p_key
$$;

CREATE OR REPLACE FUNCTION khnet_thesaurus_delete(role text, p_key text)
    RETURNS TABLE (status text, field text, body jsonb)
    LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF role NOT IN ('liaison', 'admin') THEN
        RETURN QUERY SELECT 'forbidden', NULL::text,
            jsonb_build_object('message', 'only liaison officers and admins edit the thesaurus');
    ELSIF NOT EXISTS (SELECT 1 FROM khnet_concepts c WHERE c.key = p_key) THEN
        RETURN QUERY SELECT 'not_found', NULL::text, jsonb_build_object('message', 'no such concept');
    ELSE
        DELETE FROM khnet_concepts c WHERE c.key = p_key;
        RETURN QUERY SELECT 'ok', NULL::text, '{}'::jsonb;
    END IF;
END
$$;

-- Concepts by id after `after_id`, those with a label starting with q
-- (folded) and of sector (a slug) when given; next_key: the last id.
CREATE OR REPLACE FUNCTION khnet_thesaurus_list(q text, sector text, after_id bigint, lim int)
    RETURNS TABLE (status text, field text, body jsonb)
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    t text := khnet_concept_term(coalesce(q, ''));
    sid smallint;
BEGIN
    IF sector IS NOT NULL THEN
        SELECT s.id INTO sid FROM khnet_sectors s WHERE s.slug = sector;
        IF sid IS NULL THEN
            RETURN QUERY SELECT 'invalid_value', 'sector', jsonb_build_object('message', 'unknown sector');
            RETURN;
        END IF;
    END IF;
    RETURN QUERY
    WITH page AS (
        SELECT c.id FROM khnet_concepts c
         WHERE c.id > coalesce(after_id, 0) AND (sid IS NULL OR c.sector_id = sid)
           AND (t = '' OR EXISTS (SELECT 1 FROM khnet_concept_labels l WHERE l.concept_id = c.id
                                     AND l.term ~>=~ t AND l.term ~<~ khnet_prefix_end(t)))
         ORDER BY c.id LIMIT lim + 1)
    SELECT 'ok', NULL::text, jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(khnet_concept_json(p.id) ORDER BY p.id)
                             FROM (SELECT id FROM page ORDER BY id LIMIT lim) p), '[]'),
        'next_key', (SELECT CASE WHEN count(*) > lim THEN
                         (SELECT id FROM page ORDER BY id OFFSET lim - 1 LIMIT 1) END FROM page));
END
$$;

-- The whole thesaurus as JSON concepts, or as CSV (RFC 4180, a header
-- row; list columns joined by '|').
CREATE OR REPLACE FUNCTION khnet_csv_cell(v text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN v ~ '[",\r\n]' THEN '"' || replace(v, '"', '""') || '"' ELSE coalesce(v, '') END $$;

CREATE OR REPLACE FUNCTION khnet_thesaurus_export(format text)
    RETURNS TABLE (status text, field text, body jsonb)
    LANGUAGE sql STABLE
AS $$
    WITH c AS (SELECT khnet_concept_json(k.id) AS j FROM khnet_concepts k ORDER BY k.key)
    SELECT 'ok', NULL::text,
           CASE WHEN format = 'csv' THEN jsonb_build_object('format', 'csv', 'data',
                    'key,sector,label_en,label_vi,alt,broader,related' || E'\r\n' || coalesce(string_agg(
                        concat_ws(',', khnet_csv_cell(j->>'key'), khnet_csv_cell(j->>'sector'),
                                  khnet_csv_cell(j->>'label_en'), khnet_csv_cell(j->>'label_vi'),
                                  khnet_csv_cell((SELECT string_agg(x, '|') FROM jsonb_array_elements_text(j->'alt') x)),
                                  khnet_csv_cell((SELECT string_agg(x, '|') FROM jsonb_array_elements_text(j->'broader') x)),
                                  khnet_csv_cell((SELECT string_agg(x, '|') FROM jsonb_array_elements_text(j->'related') x)))
                        || E'\r\n', ''), ''))
                ELSE jsonb_build_object('format', 'json', 'concepts', coalesce(jsonb_agg(
                         j - 'narrower' - 'version' - 'updated_at'), '[]')) END
      FROM c
$$;

-- A CSV export read back: one concept document per data row, or the
-- error (code, field data.LINE[.column]).  Cells are RFC 4180 (quotes,
-- "" inside quotes, CRLF or LF); a row must have the 7 columns of the
-- header, which must be the export's.
CREATE OR REPLACE FUNCTION khnet_thesaurus_csv(data text, OUT docs jsonb, OUT code text, OUT field text)
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    cells text[] := '{}';
    line int := 1;
    m text[];
    cols text[] := ARRAY['key', 'sector', 'label_en', 'label_vi', 'alt', 'broader', 'related'];
    d jsonb;
    rest text := regexp_replace(coalesce(data, ''), '^\ufeff', '');
BEGIN
    docs := '[]';
    IF rest !~ '(\r?\n)$' THEN rest := rest || E'\n'; END IF;
    FOR m IN SELECT regexp_matches(rest, '("((?:[^"]|"")*)"|([^",\r\n]*))(,|\r?\n)', 'g') LOOP
        cells := cells || CASE WHEN m[1] LIKE '"%' THEN replace(m[2], '""', '"') ELSE m[3] END;
        CONTINUE WHEN m[4] = ',';
        IF line = 1 THEN
            IF cells <> cols THEN
                code := 'invalid_value'; field := 'data.1'; RETURN;
            END IF;
        ELSIF cells <> ARRAY[''] THEN
            IF cardinality(cells) <> 7 THEN
                code := 'invalid_value'; field := 'data.' || line; RETURN;
            END IF;
            d := jsonb_build_object('key', cells[1], 'label_en', cells[3], 'label_vi', cells[4],
                                    'alt', to_jsonb(coalesce(string_to_array(nullif(cells[5], ''), '|'), '{}')),
                                    'broader', to_jsonb(coalesce(string_to_array(nullif(cells[6], ''), '|'), '{}')),
                                    'related', to_jsonb(coalesce(string_to_array(nullif(cells[7], ''), '|'), '{}')));
            IF cells[2] <> '' THEN d := d || jsonb_build_object('sector', cells[2]); END IF;
            docs := docs || jsonb_build_array(d || jsonb_build_object('_line', line));
        END IF;
        line := line + 1 + (SELECT count(*) FROM regexp_matches(coalesce(m[2], ''), E'\n', 'g'))::int;
        cells := '{}';
    END LOOP;
    IF length(regexp_replace(rest, '("((?:[^"]|"")*)"|([^",\r\n]*))(,|\r?\n)', '', 'g')) > 0 THEN
        code := 'invalid_value'; field := 'data.' || line;
    END IF;
END
$$;

-- POST /v1/thesaurus/import: JSON concepts, or the CSV data.
CREATE OR REPLACE FUNCTION khnet_thesaurus_import(actor bigint, role text, format text, payload text)
    RETURNS TABLE (status text, field text, body jsonb)
    LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    c record;
    docs jsonb;
    lines int[];
    r record;
BEGIN
    IF format = 'csv' THEN
        c := khnet_thesaurus_csv(payload);
        IF c.code IS NOT NULL THEN
            RETURN QUERY SELECT c.code, c.field, jsonb_build_object('message', 'not the export''s CSV');
            RETURN;
        END IF;
        SELECT array_agg((x->>'_line')::int ORDER BY o), jsonb_agg(x - '_line' ORDER BY o)
          INTO lines, docs FROM jsonb_array_elements(c.docs) WITH ORDINALITY e(x, o);
        SELECT * INTO r FROM khnet_thesaurus_write(actor, role, coalesce(docs, '[]'), 'import', NULL, NULL, 'concepts.') w;
        -- concepts.N.x -> data.LINE.x
        RETURN QUERY SELECT r.status,
            CASE WHEN r.field ~ '^concepts\.[0-9]+' THEN
                'data.' || lines[(substring(r.field FROM '^concepts\.([0-9]+)'))::int + 1]
                || coalesce(substring(r.field FROM '^concepts\.[0-9]+(\..*)$'), '')
                ELSE r.field END, r.body;
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM khnet_thesaurus_write(actor, role, payload::jsonb, 'import', NULL, NULL, 'concepts.');
END
$$;

-- ---- the stored expansions (khnet_search_expansions, 0016) ----------------
-- Rebuilds the rows of the labels whose expansion the concepts ids may
-- have changed (NULL: every row): the labels of those concepts and of the
-- concepts they are narrower to (whose narrower forms hold their labels),
-- and every stored label that belonged to one of them (a label taken off
-- one concept may still be another's).  A label's expansion depends only
-- on its set of concepts, so each set is worked out once.
CREATE OR REPLACE FUNCTION khnet_search_expansions_refresh(ids bigint[]) RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    aff bigint[];
    terms text[];
BEGIN
    IF ids IS NULL THEN
        DELETE FROM khnet_search_expansions;
        terms := NULL;
    ELSE
        aff := ARRAY(SELECT unnest(ids)
                     UNION SELECT k.target_id FROM khnet_concept_links k
                            WHERE k.kind = 'broader' AND k.concept_id = ANY (ids));
        WITH gone AS (DELETE FROM khnet_search_expansions e WHERE e.cids && aff RETURNING e.term)
        SELECT ARRAY(SELECT term FROM gone
                     UNION SELECT l.term FROM khnet_concept_labels l WHERE l.concept_id = ANY (aff))
          INTO terms;
        DELETE FROM khnet_search_expansions e WHERE e.term = ANY (terms);
    END IF;
    WITH g AS (SELECT l.term, array_agg(DISTINCT l.concept_id) AS cids FROM khnet_concept_labels l
                WHERE terms IS NULL OR l.term = ANY (terms) GROUP BY l.term),
         x AS (SELECT s.cids, e.* FROM (SELECT DISTINCT g.cids FROM g) s
                 CROSS JOIN LATERAL khnet_search_expansion(s.cids) e)
    INSERT INTO khnet_search_expansions (term, cids, forms, allf, nforms, alln, info)
    SELECT g.term, g.cids, x.forms, x.allf, x.nforms, x.alln, x.info FROM g JOIN x ON x.cids = g.cids;
END
$$;

-- An edit marks the concepts it touched (statement triggers: an import
-- writes many rows per statement, and several statements per concept);
-- the store is rebuilt for them once, when the transaction commits (a
-- deferred trigger; rebuilding after every statement made a round trip
-- of the whole thesaurus through import take longer than the statement
-- timeout).  Until then the transaction's own searches work expansions
-- out from the thesaurus (khnet_search_plan reads
-- khnet.expansions_dirty).  Marked: the concepts of the labels, both ends
-- of the links, a changed key (which `expanded` shows).
CREATE OR REPLACE FUNCTION khnet_search_on_thesaurus() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    ids bigint[] := '{}';
BEGIN
    -- one statement per table and event: each names only the columns
    -- that table has (a statement is planned whole)
    IF TG_TABLE_NAME = 'khnet_concept_labels' THEN
        IF TG_OP <> 'DELETE' THEN ids := ids || ARRAY(SELECT concept_id FROM new_rows); END IF;
        IF TG_OP <> 'INSERT' THEN ids := ids || ARRAY(SELECT concept_id FROM old_rows); END IF;
    ELSIF TG_TABLE_NAME = 'khnet_concept_links' THEN
        IF TG_OP <> 'DELETE' THEN
            ids := ids || ARRAY(SELECT concept_id FROM new_rows UNION SELECT target_id FROM new_rows);
        END IF;
        IF TG_OP <> 'INSERT' THEN
            ids := ids || ARRAY(SELECT concept_id FROM old_rows UNION SELECT target_id FROM old_rows);
        END IF;
    ELSE
        ids := ARRAY(SELECT id FROM new_rows);
    END IF;
    IF cardinality(ids) > 0 THEN
        PERFORM set_config('khnet.expansions_dirty',
                           concat_ws(',', nullif(current_setting('khnet.expansions_dirty', true), ''),
                                     array_to_string(ids, ',')), true);
    END IF;
    RETURN NULL;
END
$$;

-- The words of the labels and the syllable pairs of the Vietnamese ones
-- (khnet_concept_words, 0029), rebuilt whole: ~2,500 rows, a few
-- milliseconds.  At commit with the stored expansions (an import writes
-- labels statement by statement).
CREATE OR REPLACE FUNCTION khnet_concept_words_rebuild() RETURNS void
    LANGUAGE sql
AS $$
    DELETE FROM khnet_concept_words;
    INSERT INTO khnet_concept_words (kind, term)
    SELECT 'word', w FROM khnet_concept_labels l, regexp_split_to_table(l.term, ' ') w WHERE w <> ''
    UNION
    SELECT 'pair', x[i] || ' ' || x[i + 1]
      FROM (SELECT string_to_array(term, ' ') AS x FROM khnet_concept_labels WHERE lang = 'vi') l,
           generate_series(1, cardinality(l.x) - 1) i;
$$;

-- At commit: the marked concepts' rows rebuilt, once (the first of the
-- transaction's queued row events does it; the others find nothing
-- marked), and the labels' words.
CREATE OR REPLACE FUNCTION khnet_search_expansions_flush() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    dirty text := nullif(current_setting('khnet.expansions_dirty', true), '');
BEGIN
    IF dirty IS NOT NULL THEN
        PERFORM set_config('khnet.expansions_dirty', '', true);
        PERFORM khnet_search_expansions_refresh(ARRAY(SELECT DISTINCT x::bigint
                                                        FROM unnest(string_to_array(dirty, ',')) x));
        PERFORM khnet_concept_words_rebuild();
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER khnet_search_labels_ins AFTER INSERT ON khnet_concept_labels
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION khnet_search_on_thesaurus();
CREATE OR REPLACE TRIGGER khnet_search_labels_upd AFTER UPDATE ON khnet_concept_labels
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION khnet_search_on_thesaurus();
CREATE OR REPLACE TRIGGER khnet_search_labels_del AFTER DELETE ON khnet_concept_labels
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION khnet_search_on_thesaurus();
CREATE OR REPLACE TRIGGER khnet_search_links_ins AFTER INSERT ON khnet_concept_links
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION khnet_search_on_thesaurus();
CREATE OR REPLACE TRIGGER khnet_search_links_upd AFTER UPDATE ON khnet_concept_links
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION khnet_search_on_thesaurus();
CREATE OR REPLACE TRIGGER khnet_search_links_del AFTER DELETE ON khnet_concept_links
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION khnet_search_on_thesaurus();
-- a concept's key (its labels and links have their own triggers; deleting
-- one deletes them)
CREATE OR REPLACE TRIGGER khnet_search_concepts_upd AFTER UPDATE ON khnet_concepts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION khnet_search_on_thesaurus();
-- the flush: a constraint trigger (the only kind that waits for commit) is
-- a row trigger, on every table an edit writes (no CREATE OR REPLACE for
-- those)
DROP TRIGGER IF EXISTS khnet_search_labels_flush ON khnet_concept_labels;
CREATE CONSTRAINT TRIGGER khnet_search_labels_flush AFTER INSERT OR UPDATE OR DELETE
    ON khnet_concept_labels DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION khnet_search_expansions_flush();
DROP TRIGGER IF EXISTS khnet_search_links_flush ON khnet_concept_links;
CREATE CONSTRAINT TRIGGER khnet_search_links_flush AFTER INSERT OR UPDATE OR DELETE
    ON khnet_concept_links DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION khnet_search_expansions_flush();
DROP TRIGGER IF EXISTS khnet_search_concepts_flush ON khnet_concepts;
CREATE CONSTRAINT TRIGGER khnet_search_concepts_flush AFTER UPDATE
    ON khnet_concepts DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION khnet_search_expansions_flush();

-- The store and the labels' words as this file's functions build them.
SELECT khnet_search_expansions_refresh(NULL);
SELECT khnet_concept_words_rebuild();
