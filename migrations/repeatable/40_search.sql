-- 40_search.sql — expert search: folding, the read model's triggers and source view,
-- the vocabulary, and the functions behind search, suggest, similar and fit.
--
-- A repeatable file: every function, view and trigger of this domain at its
-- current version.  `khnetd migrate` re-applies it, in one transaction,
-- whenever its bytes change (migrations/README).  Change a function here;
-- 0004_search.sql created these first and is applied history (tables, indexes
-- and data stay there and in later numbered files).  Everything is
-- CREATE OR REPLACE; a changed signature or result type needs a
-- DROP ... IF EXISTS in front of the new definition.

-- Folding is most of the cost of building a document, and NFC
-- normalisation most of folding (~16 µs a call); text that is already NFC
-- (nearly all) skips it after a quick check.
CREATE OR REPLACE FUNCTION khnet_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT khnet_unaccent(lower(CASE WHEN $1 IS NFC NORMALIZED THEN $1
                                       ELSE normalize($1, NFC) END)) $$;

COMMENT ON FUNCTION khnet_fold(text) IS
    'search folding: NFC, lower-case, no diacritics (đ -> d); IMMUTABLE for indexes';

-- Filled from khnet_search_docs by statement triggers: one pass over the
-- statement's new documents (the bulk fill is one statement of 200,000
-- rows; a row trigger would run 200,000 inserts).
CREATE OR REPLACE FUNCTION khnet_search_on_docs_names() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO khnet_search_name_words (term)
    SELECT DISTINCT w FROM new_docs d, regexp_split_to_table(d.name_fold, '[^[:alnum:]]+') w
     WHERE w <> ''
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

-- A trigger with transition tables takes one event, hence two.
CREATE OR REPLACE TRIGGER khnet_search_docs_names_ins AFTER INSERT ON khnet_search_docs
    REFERENCING NEW TABLE AS new_docs FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_docs_names();

CREATE OR REPLACE TRIGGER khnet_search_docs_names_upd AFTER UPDATE ON khnet_search_docs
    REFERENCING NEW TABLE AS new_docs FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_docs_names();

-- One row per live profile as khnet_search_docs holds it (the columns in
-- table order).  The single definition behind the per-statement refresh
-- and the bulk fill; a filter on profile_id is pushed into it.  Each piece
-- of text is folded once (expertise keywords joined by U+001F, which
-- folding keeps, then split again); OFFSET 0 keeps the planner from
-- pulling the LATERAL subqueries up, which would copy each folding call
-- into every expression that uses its result (3-4 times the work).
CREATE OR REPLACE VIEW khnet_search_doc_source AS
    SELECT p.account_id AS profile_id,
           t.ab || CASE WHEN khnet_vis_rank(p.vis_bio) <= 0 THEN t.c_bio ELSE '' END
                || CASE WHEN khnet_vis_rank(p.vis_affiliation) <= 0 THEN t.c_aff ELSE '' END AS doc0,
           t.ab || CASE WHEN khnet_vis_rank(p.vis_bio) <= 1 THEN t.c_bio ELSE '' END
                || CASE WHEN khnet_vis_rank(p.vis_affiliation) <= 1 THEN t.c_aff ELSE '' END AS doc1,
           t.ab || t.c_bio || t.c_aff AS doc2,
           f.name AS name_fold,
           lower(CASE WHEN p.full_name IS NFC NORMALIZED THEN p.full_name
                      ELSE normalize(p.full_name, NFC) END) AS name_lc,
           CASE WHEN f.exp = '' THEN '{}' ELSE string_to_array(f.exp, E'\x1f') END AS expertise_fold,
           f.aff AS aff_fold,
           khnet_vis_rank(p.vis_affiliation)::smallint AS vis_aff,
           p.country, p.languages, s.sids AS sector_ids, g.levels AS degree_levels,
           khnet_vis_rank(p.vis_education)::smallint AS vis_edu,
           p.years_experience AS years,
           khnet_vis_rank(p.vis_career)::smallint AS vis_career,
           p.willing_to_mentor AS willing,
           khnet_vis_rank(p.vis_mentoring)::smallint AS vis_mentoring,
           p.updated_at
      FROM khnet_profiles p
      JOIN khnet_accounts a ON a.id = p.account_id AND a.erased_at IS NULL
     CROSS JOIN LATERAL (
           SELECT coalesce(array_agg(ps.sector_id ORDER BY ps.sector_id), '{}') AS sids,
                  coalesce(string_agg(replace(x.slug, '_', ' ') || ' ' || x.name_en || ' '
                                      || x.name_vi, ' . '), '') AS text
             FROM khnet_profile_sectors ps JOIN khnet_sectors x ON x.id = ps.sector_id
            WHERE ps.profile_id = p.account_id) s
     CROSS JOIN LATERAL (
           SELECT coalesce(array_agg(DISTINCT d.level), '{}') AS levels
             FROM khnet_degrees d WHERE d.profile_id = p.account_id) g
     CROSS JOIN LATERAL (
           SELECT khnet_fold(array_to_string(p.expertise, E'\x1f')) AS exp,
                  khnet_fold(s.text) AS sec,
                  khnet_fold(p.full_name) AS name,
                  khnet_fold(concat_ws(' . ', p.headline, p.display_name)) AS hd,
                  khnet_fold(coalesce(p.bio, '')) AS bio,
                  khnet_fold(p.affiliation) AS aff,
                  khnet_fold(p.position) AS pos OFFSET 0) f
     CROSS JOIN LATERAL (
           SELECT setweight(to_tsvector('simple',
                      replace(f.exp, E'\x1f', ' . ') || ' . ' || f.sec), 'A')
               || setweight(to_tsvector('simple', concat_ws(' . ', f.hd, f.name)), 'B') AS ab,
                  setweight(to_tsvector('simple', f.bio), 'C') AS c_bio,
                  setweight(to_tsvector('simple', concat_ws(' . ', f.aff, f.pos)), 'C') AS c_aff
           OFFSET 0) t;

-- Vocabulary rows (see khnet_search_terms) for a set of profiles: each
-- distinct keyword and public affiliation folded once.
CREATE OR REPLACE FUNCTION khnet_search_vocab(ids bigint[]) RETURNS TABLE (term text, kind text, display text)
    LANGUAGE sql STABLE
AS $$
    WITH e AS (SELECT DISTINCT e FROM khnet_profiles p, unnest(p.expertise) e
                WHERE p.account_id = ANY (ids)),
    ef AS (SELECT e, khnet_fold(e) AS f FROM e),
    af AS (SELECT DISTINCT p.affiliation AS a FROM khnet_profiles p
            WHERE p.account_id = ANY (ids) AND p.affiliation IS NOT NULL
              AND p.vis_affiliation = 'public')
    SELECT f, 'expertise', e FROM ef
    UNION ALL
    SELECT khnet_fold(a), 'affiliation', a FROM af
    UNION ALL
    SELECT w, 'word', w FROM ef, regexp_split_to_table(ef.f, '[^[:alnum:]]+') w WHERE length(w) >= 3
$$;

-- The documents of these profiles rebuilt (a profile without a live
-- account gets none), and their new vocabulary (single words of 3+
-- letters too, for "did you mean"): what the triggers run per statement.
CREATE OR REPLACE FUNCTION khnet_search_refresh(ids bigint[]) RETURNS void
    LANGUAGE sql VOLATILE
AS $$
    INSERT INTO khnet_search_docs AS d
    SELECT v.* FROM khnet_search_doc_source v
     WHERE v.profile_id IN (SELECT DISTINCT unnest(ids))
    ON CONFLICT (profile_id) DO UPDATE SET
        doc0 = EXCLUDED.doc0, doc1 = EXCLUDED.doc1, doc2 = EXCLUDED.doc2,
        name_fold = EXCLUDED.name_fold, name_lc = EXCLUDED.name_lc,
        expertise_fold = EXCLUDED.expertise_fold,
        aff_fold = EXCLUDED.aff_fold, vis_aff = EXCLUDED.vis_aff, country = EXCLUDED.country,
        languages = EXCLUDED.languages, sector_ids = EXCLUDED.sector_ids,
        degree_levels = EXCLUDED.degree_levels, vis_edu = EXCLUDED.vis_edu,
        years = EXCLUDED.years, vis_career = EXCLUDED.vis_career, willing = EXCLUDED.willing,
        vis_mentoring = EXCLUDED.vis_mentoring, updated_at = EXCLUDED.updated_at;

    INSERT INTO khnet_search_terms (term, kind, display)
    SELECT DISTINCT ON (t.term, t.kind) t.term, t.kind, t.display
      FROM khnet_search_vocab(ids) t WHERE t.term <> ''
    ON CONFLICT DO NOTHING;
$$;

-- The bulk path: documents (and vocabulary) for every live profile that
-- has none yet, in one statement each.  Returns how many were built.
-- Adding a GIN entry row by row costs ~10 times what building the index
-- does (200,000 documents: ~60 s against ~6 s), so when the new documents
-- are at least as many as the present ones (a seed or first import into a
-- small directory), the table's GIN indexes are dropped and rebuilt from
-- their own definitions around the insert.  That holds an exclusive lock
-- on khnet_search_docs until commit: searches wait for the load.  The
-- definition of a partitioned table's index reads "ON ONLY
-- khnet_search_docs", which would create the parent index alone (invalid,
-- no partition indexes); run without ONLY it builds them on every
-- partition.
CREATE OR REPLACE FUNCTION khnet_search_fill() RETURNS bigint
    LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    ids bigint[];
    n bigint;
    present bigint;
    defs text[];
    def text;
BEGIN
    SELECT array_agg(p.account_id) INTO ids
      FROM khnet_profiles p
     WHERE NOT EXISTS (SELECT 1 FROM khnet_search_docs d WHERE d.profile_id = p.account_id);
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    INSERT INTO khnet_search_terms (term, kind, display)
    SELECT DISTINCT ON (t.term, t.kind) t.term, t.kind, t.display
      FROM khnet_search_vocab(ids) t WHERE t.term <> ''
    ON CONFLICT DO NOTHING;
    SELECT count(*) INTO present FROM khnet_search_docs;
    IF cardinality(ids) >= 10000 AND cardinality(ids) >= present THEN
        SELECT array_agg(pg_get_indexdef(i.indexrelid)) INTO defs
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          JOIN pg_am am ON am.oid = c.relam
         WHERE i.indrelid = 'khnet_search_docs'::regclass AND am.amname = 'gin';
        FOR def IN SELECT c.oid::regclass::text FROM pg_index i
                     JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
                    WHERE i.indrelid = 'khnet_search_docs'::regclass AND am.amname = 'gin' LOOP
            EXECUTE 'DROP INDEX ' || def;
        END LOOP;
    END IF;
    INSERT INTO khnet_search_docs
    SELECT v.* FROM khnet_search_doc_source v
     WHERE NOT EXISTS (SELECT 1 FROM khnet_search_docs d WHERE d.profile_id = v.profile_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF defs IS NOT NULL THEN
        PERFORM set_config('maintenance_work_mem', '256MB', true);
        FOREACH def IN ARRAY defs LOOP
            EXECUTE replace(def, ' ON ONLY ', ' ON ');
        END LOOP;
    END IF;
    RETURN n;
END
$$;

-- Sector names and their words: the vocabulary's fixed part.
CREATE OR REPLACE FUNCTION khnet_search_sector_terms() RETURNS void
    LANGUAGE sql VOLATILE
AS $$
    INSERT INTO khnet_search_terms (term, kind, display)
    SELECT DISTINCT ON (khnet_fold(n)) khnet_fold(n), 'sector', n
      FROM khnet_sectors s, LATERAL (VALUES (s.name_en), (s.name_vi)) v(n)
    ON CONFLICT DO NOTHING;
    INSERT INTO khnet_search_terms (term, kind, display)
    SELECT DISTINCT w, 'word', w
      FROM khnet_sectors s, LATERAL (VALUES (s.name_en), (s.name_vi)) v(n),
           regexp_split_to_table(khnet_fold(n), '[^[:alnum:]]+') w
     WHERE length(w) >= 3
    ON CONFLICT DO NOTHING;
$$;

CREATE OR REPLACE FUNCTION khnet_search_terms_rebuild() RETURNS void
    LANGUAGE sql VOLATILE
AS $$
    DELETE FROM khnet_search_terms;
    SELECT khnet_search_sector_terms();
    SELECT khnet_search_refresh(array_agg(account_id)) FROM khnet_profiles;
$$;

-- Writers that set khnet.search_defer to 'on' for their transaction skip
-- the triggers below and build the documents themselves before they
-- commit: the seed with khnet_search_fill() after its last COPY, an import
-- (khnet_profiles_import, 0008) with khnet_search_refresh over the
-- profiles it touched.  An import runs five statements over the same rows
-- (insert, update, degrees and sectors out and in), each refresh costing
-- ~0.2 ms a row.  The server never sets the flag.
CREATE OR REPLACE FUNCTION khnet_search_deferred() RETURNS boolean
    LANGUAGE sql STABLE
AS $$ SELECT coalesce(current_setting('khnet.search_defer', true), '') = 'on' $$;

CREATE OR REPLACE FUNCTION khnet_search_on_profiles() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF NOT khnet_search_deferred() THEN
        PERFORM khnet_search_refresh(array_agg(account_id)) FROM changed;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION khnet_search_on_children() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF NOT khnet_search_deferred() THEN
        PERFORM khnet_search_refresh(array_agg(DISTINCT profile_id)) FROM changed;
    END IF;
    RETURN NULL;
END
$$;

-- Statement-level with transition tables, so a COPY of 200,000 rows (the
-- seed, an import) refreshes once per statement, not once per row.
CREATE OR REPLACE TRIGGER khnet_search_profiles_ins AFTER INSERT ON khnet_profiles
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_profiles();

CREATE OR REPLACE TRIGGER khnet_search_profiles_upd AFTER UPDATE ON khnet_profiles
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_profiles();

CREATE OR REPLACE TRIGGER khnet_search_sectors_ins AFTER INSERT ON khnet_profile_sectors
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_children();

CREATE OR REPLACE TRIGGER khnet_search_sectors_del AFTER DELETE ON khnet_profile_sectors
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_children();

-- Degrees only feed the degree-level filter and facet: a cheap update.
CREATE OR REPLACE FUNCTION khnet_search_on_degrees() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF NOT khnet_search_deferred() THEN
        UPDATE khnet_search_docs d
           SET degree_levels = coalesce((SELECT array_agg(DISTINCT g.level) FROM khnet_degrees g
                                          WHERE g.profile_id = d.profile_id), '{}')
         WHERE d.profile_id IN (SELECT profile_id FROM changed);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER khnet_search_degrees_ins AFTER INSERT ON khnet_degrees
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_degrees();

CREATE OR REPLACE TRIGGER khnet_search_degrees_upd AFTER UPDATE ON khnet_degrees
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_degrees();

CREATE OR REPLACE TRIGGER khnet_search_degrees_del AFTER DELETE ON khnet_degrees
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_degrees();

CREATE OR REPLACE FUNCTION khnet_search_on_sector_names() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM khnet_search_sector_terms();
    PERFORM khnet_search_refresh(array_agg(DISTINCT ps.profile_id))
       FROM khnet_profile_sectors ps JOIN changed c ON c.id = ps.sector_id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER khnet_search_sector_names AFTER UPDATE ON khnet_sectors
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_sector_names();

-- An erased account leaves search at once.
CREATE OR REPLACE FUNCTION khnet_search_on_erase() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM khnet_search_docs WHERE profile_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER khnet_search_erase AFTER UPDATE OF erased_at ON khnet_accounts
    FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL)
    EXECUTE FUNCTION khnet_search_on_erase();

-- When documents go (an erased account, a deleted profile), so does what
-- only they brought to the vocabulary and the name words: their keywords,
-- public affiliations (shown by suggest), the words of those keywords
-- (did-you-mean, who fits) and the words of their names.  One pass per
-- statement; each check is an index probe (expertise GIN, affiliation
-- btree, name trigram GIN) or a read of the small vocabulary.  A profile
-- edit leaves words its old text brought (a word, no person).  The table
-- comment on khnet_search_name_words in 0004_search.sql says the name words
-- of erased profiles stay: no longer so, they go here with the document.
CREATE OR REPLACE FUNCTION khnet_search_on_docs_gone() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM khnet_search_terms t
     WHERE t.kind = 'expertise'
       AND t.term IN (SELECT unnest(o.expertise_fold) FROM old_docs o)
       AND NOT EXISTS (SELECT 1 FROM khnet_search_docs d WHERE d.expertise_fold @> ARRAY[t.term]);
    DELETE FROM khnet_search_terms t
     WHERE t.kind = 'affiliation'
       AND t.term IN (SELECT o.aff_fold FROM old_docs o WHERE o.vis_aff = 0)
       AND NOT EXISTS (SELECT 1 FROM khnet_search_docs d WHERE d.aff_fold = t.term AND d.vis_aff = 0);
    DELETE FROM khnet_search_terms t
     WHERE t.kind = 'word'
       AND t.term IN (SELECT w FROM old_docs o, unnest(o.expertise_fold) e,
                             regexp_split_to_table(e, '[^[:alnum:]]+') w)
       AND NOT EXISTS (SELECT 1 FROM khnet_search_terms k
                        WHERE k.kind IN ('expertise', 'sector')
                          AND t.term = ANY (regexp_split_to_array(k.term, '[^[:alnum:]]+')));
    DELETE FROM khnet_search_name_words n
     WHERE n.term IN (SELECT w FROM old_docs o, regexp_split_to_table(o.name_fold, '[^[:alnum:]]+') w)
       AND NOT EXISTS (SELECT 1 FROM khnet_search_docs d
                        WHERE d.name_fold ~ ('(^| )' || n.term || '( |$)'));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER khnet_search_docs_gone AFTER DELETE ON khnet_search_docs
    REFERENCING OLD TABLE AS old_docs FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_docs_gone();

-- The tsquery for a typed query: words are ANDed; "quoted phrases" must
-- appear as written (<->); the last word matches as a prefix unless the
-- query ends with a space or a quote (the user is still typing it).  NULL
-- when there is nothing to search for.
CREATE OR REPLACE FUNCTION khnet_search_tsquery(q text) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    f text := khnet_fold(coalesce(q, ''));
    rest text;
    ph text;
    w text;
    words text[];
    result tsquery;
    part tsquery;
    prefix boolean := f ~ '[[:alnum:]]$';
BEGIN
    FOR ph IN SELECT m[1] FROM regexp_matches(f, '"([^"]*)"', 'g') m LOOP
        part := phraseto_tsquery('simple', ph);
        IF numnode(part) > 0 THEN
            result := CASE WHEN result IS NULL THEN part ELSE result && part END;
        END IF;
    END LOOP;
    -- an unbalanced quote counts as a phrase to the end
    rest := regexp_replace(f, '"[^"]*"', ' ', 'g');
    IF position('"' IN rest) > 0 THEN
        part := phraseto_tsquery('simple', substr(rest, position('"' IN rest) + 1));
        IF numnode(part) > 0 THEN
            result := CASE WHEN result IS NULL THEN part ELSE result && part END;
        END IF;
        rest := substr(rest, 1, position('"' IN rest) - 1);
        prefix := false;
    END IF;
    words := array_remove(regexp_split_to_array(rest, '[^[:alnum:]]+'), '');
    FOR i IN 1 .. coalesce(array_length(words, 1), 0) LOOP
        w := words[i];
        IF i = array_length(words, 1) AND prefix AND rest ~ '[[:alnum:]]\s*$'
           AND f !~ '"\s*$' THEN
            part := to_tsquery('simple', quote_literal(w) || ':*');
        ELSE
            part := to_tsquery('simple', quote_literal(w));
        END IF;
        IF numnode(part) > 0 THEN
            result := CASE WHEN result IS NULL THEN part ELSE result && part END;
        END IF;
    END LOOP;
    RETURN result;
END
$$;

-- "Did you mean": each word of the query that is not in the vocabulary is
-- replaced by its closest vocabulary word by trigram similarity (if one is
-- close enough).  NULL when nothing changes.
CREATE OR REPLACE FUNCTION khnet_search_correct(q text) RETURNS text
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    f text := khnet_fold(coalesce(q, ''));
    w text;
    best text;
    out text[] := '{}';
    changed boolean := false;
BEGIN
    FOREACH w IN ARRAY array_remove(regexp_split_to_array(f, '[^[:alnum:]]+'), '') LOOP
        best := NULL;
        IF length(w) >= 4 AND NOT EXISTS (SELECT 1 FROM khnet_search_terms t
                                           WHERE t.kind = 'word' AND t.term = w) THEN
            SELECT t.term INTO best FROM khnet_search_terms t
             WHERE t.kind = 'word' AND t.term % w
             ORDER BY t.term <-> w, t.term LIMIT 1;
        END IF;
        IF best IS NOT NULL AND best <> w THEN
            changed := true;
            out := out || best;
        ELSE
            out := out || w;
        END IF;
    END LOOP;
    RETURN CASE WHEN changed THEN array_to_string(out, ' ') END;
END
$$;

CREATE OR REPLACE FUNCTION khnet_search_level(viewer_id bigint, viewer_role text) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN viewer_id IS NULL THEN 0 ELSE least(khnet_viewer_level(viewer_role), 2) END $$;

-- A search hit as the viewer may see it: the directory card's public
-- fields, the grouped ones only when visible.
CREATE OR REPLACE FUNCTION khnet_search_card(p khnet_profiles, level int) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT khnet_profile_json(p, level, false)
        || CASE WHEN khnet_vis_rank(p.vis_career) <= level
                THEN jsonb_build_object('years_experience', p.years_experience) ELSE '{}' END
$$;

-- The text a snippet is cut from: only fields the viewer may see.
CREATE OR REPLACE FUNCTION khnet_search_snippet_text(p khnet_profiles, level int) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT normalize(concat_ws(' · ', p.headline, array_to_string(p.expertise, ', '),
                     CASE WHEN khnet_vis_rank(p.vis_affiliation) <= level
                          THEN concat_ws(', ', p.position, p.affiliation) END,
                     CASE WHEN khnet_vis_rank(p.vis_bio) <= level THEN p.bio END), NFC)
$$;

-- Candidates a search ranks, counts and facets at most; the bound up to
-- which total and facets are exact (PROTOCOL.md promises exactness up to
-- 1,000, so the bound cannot be smaller).  Beyond it `total` is the
-- planner's estimate (total_exact false) and facets count the candidates.
-- Ranking 1,000 candidates with ts_rank after a GIN bitmap scan costs less
-- than a RUM index ordering by rank (`<=>`), which took 12 ms for the top
-- 21 of "aquaculture" and 21 ms for "cang & bien", with rank weights that
-- differ from ours.
CREATE OR REPLACE FUNCTION khnet_search_cap() RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 1000 $$;

-- A query that may be a person's name: 2–5 words of letters, no quotes.
CREATE OR REPLACE FUNCTION khnet_search_namelike(qf text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT qf ~ '^[[:alpha:]]+( [[:alpha:]]+){1,4}$' $$;

-- One call, one row: {hits, total, total_exact, facets, next_key,
-- did_you_mean, corrected, sort}, or {error: {field, value}} for an
-- unknown sector (the only input the C side cannot check: the sector list
-- is editable).  sort: 'relevance' | 'experience' | 'recent' (NULL:
-- relevance with a query, else recent).  after_key/after_id: the keyset of
-- the last hit of the previous page (score, years or updated_at
-- microseconds).  Full text first; for what looks like a name and found
-- nothing, close names (typos); with fewer than 3 matches a spelling from
-- the vocabulary (did_you_mean), searched straight away when nothing
-- matched at all.
CREATE OR REPLACE FUNCTION khnet_search_experts(
    viewer_id bigint, viewer_role text, q text, sectors text[], countries text[],
    degrees text[], langs text[], mentor boolean, min_years int, updated_since timestamptz,
    sort text, page_size int, after_key text, after_id bigint)
    RETURNS jsonb LANGUAGE plpgsql STABLE
AS $$
DECLARE
    level int := khnet_search_level(viewer_id, viewer_role);
    doc text := 'doc' || level;            -- one of three fixed column names
    tsq tsquery := khnet_search_tsquery(q);
    qf text := nullif(btrim(regexp_replace(khnet_fold(coalesce(q, '')), '[^[:alnum:]]+', ' ', 'g')), '');
    qlc text := nullif(btrim(lower(normalize(coalesce(q, ''), NFC))), '');
    sids smallint[];
    bad int;
    did_you_mean text;
    corrected boolean := false;
    result jsonb;
    sort_kind text := coalesce(sort, CASE WHEN q IS NULL OR btrim(q) = '' THEN 'recent'
                                          ELSE 'relevance' END);
BEGIN
    IF sectors IS NOT NULL THEN
        SELECT min(i) INTO bad FROM generate_subscripts(sectors, 1) i
         WHERE NOT EXISTS (SELECT 1 FROM khnet_sectors s WHERE s.slug = sectors[i]);
        IF bad IS NOT NULL THEN
            RETURN jsonb_build_object('error', jsonb_build_object(
                'field', 'sectors.' || (bad - 1), 'value', sectors[bad]));
        END IF;
        SELECT array_agg(s.id) INTO sids FROM khnet_sectors s WHERE s.slug = ANY (sectors);
    END IF;
    IF sort_kind = 'relevance' AND tsq IS NULL AND qf IS NULL THEN
        sort_kind := 'recent';
    END IF;
    -- A last word that is already a whole vocabulary word, or a whole
    -- word of someone's name, is matched as itself, not as a prefix: a GIN
    -- prefix scan over a common word ("aquaculture:*") costs ~6 times the
    -- exact one (40 ms against 7 ms at 200,000 profiles).
    IF q ~ '[[:alnum:]]$' AND (
           EXISTS (SELECT 1 FROM khnet_search_terms t
                    WHERE t.kind = 'word' AND t.term = substring(qf FROM '([[:alnum:]]+)$'))
        OR EXISTS (SELECT 1 FROM khnet_search_name_words n
                    WHERE n.term = substring(qf FROM '([[:alnum:]]+)$'))) THEN
        tsq := khnet_search_tsquery(q || ' ');
    END IF;

    result := khnet_search_run(level, doc, 'text', tsq, qf, qlc, sids, countries, degrees, langs,
                               mentor, min_years, updated_since, sort_kind, page_size,
                               after_key, after_id);
    -- Nothing by text for what looks like a name: close names (typos).
    IF (result->>'total')::bigint = 0 AND qf IS NOT NULL AND q !~ '"'
       AND khnet_search_namelike(qf) THEN
        result := khnet_search_run(level, doc, 'name', tsq, qf, qlc, sids, countries, degrees,
                                   langs, mentor, min_years, updated_since, sort_kind, page_size,
                                   after_key, after_id);
    END IF;
    -- Poor or no match: suggest a spelling from the vocabulary; with no
    -- match at all, search with it straight away.
    IF qf IS NOT NULL AND (result->>'total')::bigint < 3 THEN
        did_you_mean := khnet_search_correct(q);
        IF did_you_mean IS NOT NULL AND (result->>'total')::bigint = 0 THEN
            tsq := khnet_search_tsquery(did_you_mean);
            result := khnet_search_run(level, doc, 'text', tsq, did_you_mean, did_you_mean, sids,
                                       countries, degrees, langs, mentor, min_years,
                                       updated_since, sort_kind, page_size, after_key, after_id);
            corrected := true;
        END IF;
    END IF;
    RETURN result || jsonb_build_object('did_you_mean', did_you_mean, 'corrected', corrected,
                                        'sort', sort_kind);
END
$$;

-- The search proper, for one match mode: 'text' (full text, or an exact
-- folded full name) or 'name' (trigram similarity of the full name).  The
-- statement is put together from fixed fragments (filters present, the
-- viewer's document column, the sort); every value is a parameter.
-- Dynamic SQL gives a plan made for the filters actually present, which a
-- single catch-all statement ("$1 IS NULL OR ...") would not.
--
-- Shape: `cand` is the bounded candidate set (cap + 1 rows: exact-name
-- matches first, then the first matches the index yields, partition by
-- partition); it gives total and facets.  With sort relevance it is
-- scored and paged.  The other sorts need no score: their page comes from
-- the candidates when those are every match (at most cap), else from
-- every match in key order.  Paging from the candidates instead of reading
-- the matches a second time: "keelung" (569 matches) by recent 5.1 ms
-- instead of 6.3 ms, "offshore wind" in JP/DE/DK, renewable energy, by
-- experience 8.6 instead of 13.2 ms.
--
-- Rank: ts_rank with the weights {0.005,0.02,0.04,0.1} (D, C, B, A).
-- ts_rank combines the matches of a multi-word query as 1 - prod(1 - w),
-- one factor per pair of positions, so weights ten times these (A at 1.0)
-- saturate: a profile holding the words twice in its expertise or sector
-- names reaches 1.0, and every aquaculture profile ties at 1.0 for "nuoi
-- trong thuy san" or "port logistics" (order falls to the id).  A tenth
-- keeps the scores apart with the same ratios (single-word order is the
-- same).  ts_rank scores a prefix item ("hoa:*") from one entry it picks,
-- not the best: "Khánh Hòa" against a headline "... for Khánh Hòa" that
-- also holds "quy hoạch" scores 0.005 against 0.076 for the whole word;
-- so a query with a prefix word is also ranked as whole words ($16) and
-- the better of the two counts (matching is unchanged).  The name bonuses
-- (+10 exact folded name, +1 exact name as written) dominate.
--
-- Facets unnest in the target list (ProjectSet) rather than as a LATERAL
-- function scan per candidate: the four counts over 1,000 candidates cost
-- ~1 ms instead of ~2.6 ms.  Snippets (ts_headline over a page) ~0.3 ms
-- warm.  VOLATILE only because PL/pgSQL refuses EXPLAIN (the estimate)
-- elsewhere; it writes nothing.  No JIT (compiling costs more than these
-- plans run), no parallel workers (many small queries at once), and no
-- sequential scans: with LIMIT the planner likes a seq scan that evaluates
-- @@ on every row until enough match, 300 ms for a rare word.
CREATE OR REPLACE FUNCTION khnet_search_run(
    level int, doc text, mode text, tsq tsquery, qf text, qlc text, sids smallint[],
    countries text[], degrees text[], langs text[], mentor boolean, min_years int,
    updated_since timestamptz, sort_kind text, page_size int, after_key text, after_id bigint)
    RETURNS jsonb LANGUAGE plpgsql VOLATILE
    SET jit = off SET enable_seqscan = off SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    cap int := khnet_search_cap();
    conds text[] := '{}';
    score text := '0::real';
    ckey text := '0';
    key text;
    keycmp text;
    order_by text;
    where_sql text;
    filters text;
    pool text;
    page_sql text;
    sql text;
    plan json;
    -- the query with its prefix words as whole words (ranking only)
    tsx tsquery := CASE WHEN strpos(tsq::text, ':*') > 0
                        THEN replace(tsq::text, ':*', '')::tsquery END;
    result jsonb;
BEGIN
    IF sids IS NOT NULL THEN conds := conds || 'd.sector_ids && $4'::text; END IF;
    IF countries IS NOT NULL THEN conds := conds || 'd.country = ANY ($5)'::text; END IF;
    IF degrees IS NOT NULL THEN
        conds := conds || 'd.vis_edu <= $14 AND d.degree_levels && $6'::text;
    END IF;
    IF langs IS NOT NULL THEN conds := conds || 'd.languages && $7'::text; END IF;
    IF mentor IS NOT NULL THEN
        conds := conds || 'd.vis_mentoring <= $14 AND d.willing = $8'::text;
    END IF;
    IF min_years IS NOT NULL THEN
        conds := conds || 'd.vis_career <= $14 AND d.years >= $9'::text;
    END IF;
    IF updated_since IS NOT NULL THEN conds := conds || 'd.updated_at >= $10'::text; END IF;
    filters := CASE WHEN cardinality(conds) = 0 THEN 'true' ELSE array_to_string(conds, ' AND ') END;

    -- The candidates: reading them must stop after cap + 1 rows, so no
    -- ORDER BY over all matches (that visits every match in the heap:
    -- ~300 ms for 36,000).  Exact folded-name matches come first, then
    -- matches in index (physical) order.
    IF mode = 'name' THEN
        conds := conds || 'd.name_fold % $2'::text;
        score := '(CASE WHEN d.name_fold = $2 THEN 10 ELSE 0 END'
                 ' + CASE WHEN d.name_lc = $3 THEN 1 ELSE 0 END + similarity(d.name_fold, $2))::real';
        pool := format('SELECT d.* FROM khnet_search_docs d WHERE d.name_fold %% $2 AND %s LIMIT $15 + 1',
                       filters);
    ELSIF tsq IS NOT NULL THEN
        conds := conds || format('(d.%I @@ $1 OR d.name_fold = $2)', doc);
        score := format('(greatest(ts_rank(''{0.005,0.02,0.04,0.1}'', d.%1$I, $1),'
                        ' coalesce(ts_rank(''{0.005,0.02,0.04,0.1}'', d.%1$I, $16), 0))'
                        ' + CASE WHEN d.name_fold = $2 THEN 10 ELSE 0 END'
                        ' + CASE WHEN d.name_lc = $3 THEN 1 ELSE 0 END)::real', doc);
        pool := format('(SELECT d.* FROM khnet_search_docs d WHERE d.name_fold = $2 AND %1$s LIMIT $15 + 1)'
                       ' UNION ALL (SELECT d.* FROM khnet_search_docs d WHERE d.%2$I @@ $1'
                       ' AND d.name_fold <> $2 AND %1$s LIMIT $15 + 1)', filters, doc);
    ELSE
        pool := format('SELECT d.* FROM khnet_search_docs d WHERE %s LIMIT $15 + 1', filters);
    END IF;
    where_sql := CASE WHEN cardinality(conds) = 0 THEN 'true' ELSE array_to_string(conds, ' AND ') END;

    CASE sort_kind
    WHEN 'relevance' THEN
        key := 'score'; keycmp := '(m.score, m.id) < ($12::real, $13)';
        order_by := 'm.score DESC, m.id DESC';
    WHEN 'experience' THEN
        key := 'CASE WHEN d.vis_career <= $14 THEN coalesce(d.years, -1) ELSE -1 END';
        keycmp := '(m.k, m.id) < ($12::int, $13)';
        order_by := 'm.k DESC, m.id DESC';
    ELSE
        key := '(extract(epoch FROM d.updated_at) * 1000000)::bigint';
        keycmp := '(m.k, m.id) < ($12::bigint, $13)';
        order_by := 'm.k DESC, m.id DESC';
    END CASE;

    -- The page: relevance from the scored candidates.  The other sorts
    -- need no score; their page comes from the candidates too when those
    -- are every match (at most cap), else from every match in key order
    -- (an index or a top-N sort).  The two branches are gated by the
    -- candidate count, an InitPlan: only one runs.
    IF sort_kind = 'relevance' THEN
        page_sql := format('SELECT m.id, m.score, m.k FROM m %s ORDER BY %s LIMIT $11 + 1',
                           CASE WHEN after_id IS NOT NULL THEN 'WHERE ' || keycmp ELSE '' END,
                           order_by);
    ELSE
        score := '0::real';
        ckey := key;
        page_sql := format('SELECT m.id, m.score, m.k FROM ('
                           'SELECT c.id, 0::real AS score, c.k FROM cand c'
                           ' WHERE (SELECT count(*) FROM cand) <= $15'
                           ' UNION ALL SELECT d.profile_id, 0::real, %s FROM khnet_search_docs d'
                           ' WHERE (SELECT count(*) FROM cand) > $15 AND %s) m %s ORDER BY %s LIMIT $11 + 1',
                           key, where_sql,
                           CASE WHEN after_id IS NOT NULL THEN 'WHERE ' || keycmp ELSE '' END,
                           order_by);
    END IF;

    sql := format($f$
        WITH cand AS MATERIALIZED (
            SELECT d.profile_id AS id, %1$s AS score, %6$s AS k, d.country, d.languages,
                   d.sector_ids, CASE WHEN d.vis_edu <= $14 THEN d.degree_levels END AS levels
              FROM (SELECT * FROM (%2$s) p0 LIMIT $15 + 1) d
        ), m AS (SELECT * FROM cand LIMIT $15
        ), page AS (%3$s
        ), hits AS (
            SELECT pg.id, pg.score, pg.k,
                   row_number() OVER (ORDER BY %4$s) AS n,
                   khnet_search_card(p, $14)
                   || jsonb_build_object('score', round(pg.score::numeric, 4),
                      'snippet', CASE WHEN $1 IS NOT NULL THEN ts_headline('khnet_fold',
                          khnet_search_snippet_text(p, $14), $1,
                          'StartSel=«, StopSel=», MaxWords=25, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "')
                      END) AS hit
              FROM page pg JOIN khnet_profiles p ON p.account_id = pg.id
        )
        SELECT jsonb_build_object(
            'hits', coalesce((SELECT jsonb_agg(h.hit ORDER BY h.n) FROM hits h WHERE h.n <= $11), '[]'),
            'next_key', (SELECT CASE WHEN count(*) > $11 THEN
                             (SELECT concat_ws('|', CASE WHEN %5$L = 'relevance' THEN h.score::text
                                                         ELSE h.k::text END, h.id)
                                FROM hits h WHERE h.n = $11) END FROM hits),
            'total', (SELECT count(*) FROM cand),
            'facets', jsonb_build_object(
                'sector', coalesce((SELECT jsonb_agg(jsonb_build_object('value', s.slug, 'count', c.n)
                                                     ORDER BY c.n DESC, s.slug)
                                      FROM (SELECT sid, count(*) AS n FROM (SELECT unnest(m.sector_ids) AS sid FROM m) u
                                             GROUP BY sid) c JOIN khnet_sectors s ON s.id = c.sid), '[]'),
                'country', coalesce((SELECT jsonb_agg(jsonb_build_object('value', c.country, 'count', c.n)
                                                      ORDER BY c.n DESC, c.country)
                                       FROM (SELECT country, count(*) AS n FROM m
                                              WHERE country IS NOT NULL GROUP BY country) c), '[]'),
                'degree_level', coalesce((SELECT jsonb_agg(jsonb_build_object('value', c.l, 'count', c.n)
                                                           ORDER BY c.n DESC, c.l)
                                            FROM (SELECT l, count(*) AS n FROM (SELECT unnest(m.levels) AS l FROM m) u
                                                   GROUP BY l) c), '[]'),
                'language', coalesce((SELECT jsonb_agg(jsonb_build_object('value', c.l, 'count', c.n)
                                                       ORDER BY c.n DESC, c.l)
                                        FROM (SELECT l, count(*) AS n FROM (SELECT unnest(m.languages) AS l FROM m) u
                                               GROUP BY l) c), '[]')))
        $f$, score, pool, page_sql, replace(order_by, 'm.', 'pg.'), sort_kind, ckey);
    EXECUTE sql INTO result
        USING tsq, qf, qlc, sids, countries, degrees, langs, mentor, min_years, updated_since,
              page_size, after_key, after_id, level, cap, tsx;

    -- Above the cap: the planner's estimate of all matches (never below
    -- what we saw).
    IF (result->>'total')::bigint > cap THEN
        EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM khnet_search_docs d WHERE ' || where_sql
           INTO plan
          USING tsq, qf, qlc, sids, countries, degrees, langs, mentor, min_years, updated_since,
                page_size, after_key, after_id, level, cap, tsx;
        result := result || jsonb_build_object(
            'total', greatest(cap + 1, (plan->0->'Plan'->>'Plan Rows')::numeric::bigint),
            'total_exact', false);
    ELSE
        result := result || jsonb_build_object('total_exact', true);
    END IF;
    RETURN result;
END
$$;

-- Strings that start with t, as a range of the text_pattern_ops (byte)
-- order: [t, t || U+10FFFF).  Unlike LIKE t || '%' it needs no escaping,
-- and an index can use it when t is only known at run time.
CREATE OR REPLACE FUNCTION khnet_prefix_end(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT t || chr(1114111) $$;

-- The typed name with each word that is no word of any full name (the last
-- one: no prefix of one) replaced by the closest name word by trigram
-- similarity; NULL when nothing changes.  Words under 3 letters, or with
-- anything but letters and digits, are left as they are.
CREATE OR REPLACE FUNCTION khnet_search_name_fix(t text) RETURNS text
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    words text[] := string_to_array(t, ' ');
    n int := coalesce(cardinality(words), 0);
    best text;
    changed boolean := false;
BEGIN
    IF n = 0 OR n > 6 THEN
        RETURN NULL;
    END IF;
    FOR i IN 1 .. n LOOP
        CONTINUE WHEN length(words[i]) < 3 OR words[i] !~ '^[[:alnum:]]+$';
        IF i < n THEN
            CONTINUE WHEN EXISTS (SELECT 1 FROM khnet_search_name_words w WHERE w.term = words[i]);
        ELSE
            CONTINUE WHEN EXISTS (SELECT 1 FROM khnet_search_name_words w
                                   WHERE w.term ~>=~ words[i]
                                     AND w.term ~<~ khnet_prefix_end(words[i]));
        END IF;
        SELECT w.term INTO best FROM khnet_search_name_words w
         WHERE w.term % words[i] ORDER BY w.term <-> words[i], w.term LIMIT 1;
        IF best IS NOT NULL THEN
            words[i] := best;
            changed := true;
        END IF;
    END LOOP;
    RETURN CASE WHEN changed THEN array_to_string(words, ' ') END;
END
$$;

-- People whose folded name starts with t, for the first `lim` distinct
-- folded names in name order, one row per name as written (the lowest
-- id); NULL t: none.  The distinct folded names come off the index in
-- order and stop at `lim`; only their holders are read.  Planned for the
-- value of t each call (EXECUTE): a plan made for any t (a SQL function's
-- is) hashes every name in the range, in parallel workers, ~13 ms even
-- when the range is empty.
CREATE OR REPLACE FUNCTION khnet_search_names_from(t text, lim int)
    RETURNS TABLE (profile_id bigint, name text, name_fold text)
    LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF t IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE
        'SELECT DISTINCT ON (d.name_fold, d.name_lc) d.profile_id, p.full_name, d.name_fold
           FROM (SELECT DISTINCT d0.name_fold FROM khnet_search_docs d0
                  WHERE d0.name_fold ~>=~ $1 AND d0.name_fold ~<~ khnet_prefix_end($1)
                  ORDER BY d0.name_fold USING ~<~ LIMIT $2) nf
           JOIN khnet_search_docs d ON d.name_fold = nf.name_fold
           JOIN khnet_profiles p ON p.account_id = d.profile_id
          ORDER BY d.name_fold, d.name_lc, d.profile_id'
        USING t, lim;
END
$$;

CREATE OR REPLACE FUNCTION khnet_search_suggest(q text, lim int) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    WITH f AS (SELECT btrim(regexp_replace(khnet_fold(q), '\s+', ' ', 'g')) AS t),
    pre AS MATERIALIZED (
        (SELECT 0 AS tier, 'name' AS kind, n.name AS text, n.profile_id AS id, 1.0::real AS sim
           FROM khnet_search_names_from((SELECT t FROM f), lim) n LIMIT lim)
        UNION ALL
        (SELECT 0, t.kind, t.display, NULL, 1.0::real FROM khnet_search_terms t, f
          WHERE t.kind <> 'word' AND t.term ~>=~ f.t AND t.term ~<~ khnet_prefix_end(f.t)
          ORDER BY length(t.term), t.term LIMIT lim)
        UNION ALL
        (SELECT 1, t.kind, t.display, NULL, similarity(t.term, f.t) FROM khnet_search_terms t, f
          WHERE t.kind <> 'word' AND t.term % f.t ORDER BY t.term <-> f.t LIMIT lim)
    ), fixed AS MATERIALIZED (
        SELECT khnet_search_name_fix(f.t) AS t FROM f WHERE (SELECT count(*) FROM pre) < lim
    ), cand AS (
        SELECT * FROM pre
        UNION ALL
        (SELECT 1, 'name', n.name, n.profile_id, similarity(n.name_fold, f.t)
           FROM khnet_search_names_from((SELECT t FROM fixed), lim) n, f LIMIT lim)
    ), best AS (
        SELECT DISTINCT ON (kind, text) * FROM cand ORDER BY kind, text, tier, sim DESC
    ), top AS (
        SELECT * FROM best ORDER BY tier, sim DESC, length(text), text LIMIT lim
    )
    SELECT jsonb_build_object('items', coalesce(jsonb_agg(
               jsonb_strip_nulls(jsonb_build_object('kind', kind, 'text', text, 'id', id))
               ORDER BY tier, sim DESC, length(text), text), '[]'))
      FROM top
$$;

-- NULL when the profile does not exist (or was erased).  Scored as
-- PROTOCOL.md says over a bounded pool, like a search's candidates: those
-- holding all of the profile's keywords, the first sharing any keyword,
-- the first sharing a sector, at most khnet_search_cap() each.  Scoring
-- every profile sharing a keyword or a sector read ~55,000 of 200,000
-- (314 ms); the pool takes 14 ms and gave the same top scores.
CREATE OR REPLACE FUNCTION khnet_search_similar(viewer_id bigint, viewer_role text, pid bigint, lim int)
    RETURNS jsonb LANGUAGE sql STABLE
AS $$
    WITH v AS (SELECT khnet_search_level(viewer_id, viewer_role) AS level),
    me AS MATERIALIZED (SELECT d.* FROM khnet_search_docs d WHERE d.profile_id = pid),
    pool AS MATERIALIZED (
        (SELECT d.profile_id, d.expertise_fold, d.sector_ids, d.aff_fold, d.vis_aff
           FROM khnet_search_docs d, me
          WHERE d.expertise_fold @> me.expertise_fold AND cardinality(me.expertise_fold) > 1
            AND d.profile_id <> me.profile_id LIMIT khnet_search_cap())
        UNION
        (SELECT d.profile_id, d.expertise_fold, d.sector_ids, d.aff_fold, d.vis_aff
           FROM khnet_search_docs d, me
          WHERE d.expertise_fold && me.expertise_fold AND d.profile_id <> me.profile_id
          LIMIT khnet_search_cap())
        UNION
        (SELECT d.profile_id, d.expertise_fold, d.sector_ids, d.aff_fold, d.vis_aff
           FROM khnet_search_docs d, me
          WHERE d.sector_ids && me.sector_ids AND d.profile_id <> me.profile_id
          LIMIT khnet_search_cap())
    ), cand AS (
        SELECT d.profile_id AS id,
               ARRAY(SELECT unnest(d.expertise_fold) INTERSECT SELECT unnest(me.expertise_fold)) AS shared,
               (SELECT count(*) FROM unnest(d.sector_ids) s WHERE s = ANY (me.sector_ids)) AS nsec,
               (d.aff_fold = me.aff_fold AND d.vis_aff <= v.level AND me.vis_aff <= v.level) AS same_aff
          FROM pool d, me, v
    ), ranked AS (
        SELECT id, shared, 3 * cardinality(shared) + nsec + CASE WHEN same_aff THEN 1 ELSE 0 END AS score
          FROM cand ORDER BY 3 * cardinality(shared) + nsec + CASE WHEN same_aff THEN 1 ELSE 0 END DESC, id DESC
         LIMIT lim
    )
    SELECT CASE WHEN EXISTS (SELECT 1 FROM me) THEN jsonb_build_object('items', coalesce((
        SELECT jsonb_agg(khnet_search_card(p, v.level)
                         || jsonb_build_object('score', r.score, 'shared', to_jsonb(r.shared))
                         ORDER BY r.score DESC, r.id DESC)
          FROM ranked r JOIN khnet_profiles p ON p.account_id = r.id, v), '[]')) END
$$;

-- Words too common to say what a text is about (English and Vietnamese,
-- folded).  Vocabulary words only count in "who fits" if not listed here.
CREATE OR REPLACE FUNCTION khnet_search_stopwords() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ARRAY['the','and','for','with','from','that','this','are','was','were','will',
    'have','has','had','not','but','our','their','its','into','about','also','can','all',
    'any','more','most','such','than','then','them','they','which','who','whom','what',
    'when','where','how','new','use','used','using','based','project','projects','program',
    'management','development','research','expert','experts','call','proposal','proposals',
    'province','technology','technologies','cac','cua','cho','voi','nhung','mot','trong',
    'duoc','khong','nay','tai','tren','theo','nhu','cung','den','hoac','ve','va','la','co',
    'tinh','khanh','hoa','du','an','cong','nghe','chuyen','gia','nghien','cuu','phat','trien']::text[] $$;

-- Significant terms of a pasted text: vocabulary phrases (expertise
-- keywords, sector names) found in it, then vocabulary words not among the
-- stop words; experts ranked by weighted coverage of those terms.  The
-- coverage is computed over a bounded pool, at most khnet_search_cap()
-- from each of: the profiles matching two of the heaviest terms (two
-- phrases when there are two, else two of the first 12 terms), and the
-- first matching any term.  Scoring everyone matching any term (most of
-- the directory for common words) took 290-700 ms for a paragraph at
-- 200,000 profiles and 4.5 s for 20 KiB, against a 5 s statement
-- timeout; the pool takes 22-67 ms and 0.15 s, and for five sample
-- paragraphs gave the same ten top scores.
CREATE OR REPLACE FUNCTION khnet_search_fit(
    viewer_id bigint, viewer_role text, body text, sectors text[], countries text[],
    degrees text[], langs text[], mentor boolean, min_years int, lim int)
    RETURNS jsonb LANGUAGE plpgsql STABLE
AS $$
DECLARE
    level int := khnet_search_level(viewer_id, viewer_role);
    doc text := 'doc' || level;
    f text := ' ' || btrim(regexp_replace(khnet_fold(body), '[^[:alnum:]]+', ' ', 'g')) || ' ';
    terms text[];
    words text[];
    bad int;
    sids smallint[];
    conds text[] := '{}';
    result jsonb;
BEGIN
    IF sectors IS NOT NULL THEN
        SELECT min(i) INTO bad FROM generate_subscripts(sectors, 1) i
         WHERE NOT EXISTS (SELECT 1 FROM khnet_sectors s WHERE s.slug = sectors[i]);
        IF bad IS NOT NULL THEN
            RETURN jsonb_build_object('error', jsonb_build_object('field', 'sectors.' || (bad - 1)));
        END IF;
        SELECT array_agg(s.id) INTO sids FROM khnet_sectors s WHERE s.slug = ANY (sectors);
    END IF;
    -- phrases of 2+ words from the vocabulary, longest first
    SELECT array_agg(DISTINCT x.t) INTO terms FROM (
        SELECT regexp_replace(t.term, '[^[:alnum:]]+', ' ', 'g') AS t
          FROM khnet_search_terms t WHERE t.kind IN ('expertise', 'sector')) x
     WHERE x.t LIKE '% %' AND position(' ' || x.t || ' ' IN f) > 0;
    SELECT array_agg(w ORDER BY w) INTO words FROM (
        SELECT DISTINCT w FROM regexp_split_to_table(btrim(f), ' ') w
         WHERE length(w) >= 3 AND w <> ALL (khnet_search_stopwords())
           AND EXISTS (SELECT 1 FROM khnet_search_terms t WHERE t.kind = 'word' AND t.term = w)) s;
    terms := coalesce(terms, '{}');
    words := coalesce(words, '{}');
    IF cardinality(terms) + cardinality(words) = 0 THEN
        RETURN jsonb_build_object('terms', '[]'::jsonb, 'hits', '[]'::jsonb);
    END IF;
    terms := terms[1:15];
    words := words[1:30 - cardinality(terms)];
    IF sids IS NOT NULL THEN conds := conds || 'd.sector_ids && $3'::text; END IF;
    IF countries IS NOT NULL THEN conds := conds || 'd.country = ANY ($4)'::text; END IF;
    IF degrees IS NOT NULL THEN conds := conds || 'd.vis_edu <= $9 AND d.degree_levels && $5'::text; END IF;
    IF langs IS NOT NULL THEN conds := conds || 'd.languages && $6'::text; END IF;
    IF mentor IS NOT NULL THEN conds := conds || 'd.vis_mentoring <= $9 AND d.willing = $7'::text; END IF;
    IF min_years IS NOT NULL THEN conds := conds || 'd.vis_career <= $9 AND d.years >= $8'::text; END IF;
    EXECUTE format($f$
        WITH q AS (
            SELECT t AS term, 3 AS w, phraseto_tsquery('simple', t) AS tq FROM unnest($1::text[]) t
            UNION ALL
            SELECT t, 1, to_tsquery('simple', quote_literal(t)) FROM unnest($2::text[]) t
        ), anyq AS (SELECT string_agg('(' || tq::text || ')', ' | ')::tsquery AS tq FROM q),
        heavy AS (SELECT * FROM q
                   WHERE w = 3 OR (SELECT count(*) FROM q WHERE w = 3) < 2
                   ORDER BY w DESC, term LIMIT 12),
        twoq AS (SELECT string_agg('(' || a.tq::text || ') & (' || b.tq::text || ')', ' | ')::tsquery AS tq
                   FROM heavy a JOIN heavy b ON a.term < b.term),
        cand AS (
            (SELECT d.profile_id AS id, d.%1$I AS doc FROM khnet_search_docs d, twoq
              WHERE d.%1$I @@ twoq.tq %2$s LIMIT $11)
            UNION
            (SELECT d.profile_id AS id, d.%1$I AS doc FROM khnet_search_docs d, anyq
              WHERE d.%1$I @@ anyq.tq %2$s LIMIT $11)
        ), scored AS (
            SELECT c.id, sum(q.w) AS cover, array_agg(q.term ORDER BY q.w DESC, q.term) AS matched,
                   ts_rank(c.doc, (SELECT tq FROM anyq)) AS r
              FROM cand c JOIN q ON c.doc @@ q.tq GROUP BY c.id, c.doc
             ORDER BY sum(q.w) DESC, ts_rank(c.doc, (SELECT tq FROM anyq)) DESC, c.id DESC LIMIT $10
        )
        SELECT jsonb_build_object('terms', to_jsonb($1::text[] || $2::text[]), 'hits', coalesce((
            SELECT jsonb_agg(khnet_search_card(p, $9)
                   || jsonb_build_object('score', s.cover, 'matched', to_jsonb(s.matched))
                   ORDER BY s.cover DESC, s.r DESC, s.id DESC)
              FROM scored s JOIN khnet_profiles p ON p.account_id = s.id), '[]'))
        $f$, doc, CASE WHEN cardinality(conds) > 0 THEN ' AND ' || array_to_string(conds, ' AND ') ELSE '' END)
      INTO result USING terms, words, sids, countries, degrees, langs, mentor, min_years, level, lim,
                        khnet_search_cap();
    RETURN result;
END
$$;
