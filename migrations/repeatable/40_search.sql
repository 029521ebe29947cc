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
-- (nearly all) skips it after a quick check.  PL/pgSQL: as SQL it could
-- not be inlined (STRICT, and a CASE is not), so each place that calls it
-- planned its body and khnet_unaccent's again in every transaction (~5 of
-- the statements planned per search) and started an executor per call.
CREATE OR REPLACE FUNCTION khnet_fold(text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
AS $$
BEGIN
    RETURN khnet_unaccent(lower(CASE WHEN $1 IS NFC NORMALIZED THEN $1 ELSE normalize($1, NFC) END));
END
$$;

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
    -- suggest by any word of a name (0009_thesaurus.sql)
    INSERT INTO khnet_search_name_index (word, name_fold)
    SELECT DISTINCT w, d.name_fold FROM new_docs d, regexp_split_to_table(d.name_fold, '[^[:alnum:]]+') w
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

-- The word the documents are built with between two separate pieces of
-- text (two keywords, a keyword and a sector name, the headline and the
-- name), then deleted from them: it takes a position, so the last word of
-- one keyword and the first of the next are two apart and a quoted phrase
-- or a concept's label ("machine learning", matched with <->) cannot match
-- across them ("machine", "learning" as two keywords).  Word-shaped for
-- the 'simple' parser (letters and digits); no text is written with it.
CREATE OR REPLACE FUNCTION khnet_search_gap() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 'x0khnetgap0x' $$;

-- A tsvector of text folded with its pieces separated by U+001F: a gap
-- between pieces and one after the last, so a document concatenated from
-- several (`||` starts the next after the last position) keeps them apart
-- too.  The gap word is still in it: khnet_search_doc_source deletes it
-- once from the whole document.
CREATE OR REPLACE FUNCTION khnet_search_pieces_tsv(folded text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT to_tsvector('simple', replace(folded, E'\x1f', ' ' || khnet_search_gap() || ' ')
                                 || ' ' || khnet_search_gap())
$$;

-- One row per live profile as khnet_search_docs holds it (the columns in
-- table order).  The single definition behind the per-statement refresh
-- and the bulk fill; a filter on profile_id is pushed into it.  Each piece
-- of text is folded once (expertise keywords joined by U+001F, which
-- folding keeps, then split again); OFFSET 0 keeps the planner from
-- pulling the LATERAL subqueries up, which would copy each folding call
-- into every expression that uses its result (3-4 times the work).
-- Separate pieces stay apart in the documents (khnet_search_pieces_tsv).
CREATE OR REPLACE VIEW khnet_search_doc_source AS
    SELECT p.account_id AS profile_id,
           ts_delete(t.ab || CASE WHEN khnet_vis_rank(p.vis_bio) <= 0 THEN t.c_bio ELSE '' END
                || CASE WHEN khnet_vis_rank(p.vis_affiliation) <= 0 THEN t.c_aff ELSE '' END,
                     khnet_search_gap()) AS doc0,
           ts_delete(t.ab || CASE WHEN khnet_vis_rank(p.vis_bio) <= 1 THEN t.c_bio ELSE '' END
                || CASE WHEN khnet_vis_rank(p.vis_affiliation) <= 1 THEN t.c_aff ELSE '' END,
                     khnet_search_gap()) AS doc1,
           ts_delete(t.ab || t.c_bio || t.c_aff, khnet_search_gap()) AS doc2,
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
           p.updated_at,
           khnet_fold(p.city) AS city_fold,
           khnet_vis_rank(p.vis_contact)::smallint AS vis_contact,
           ts_delete(khnet_search_pieces_tsv(f.exp), khnet_search_gap()) AS expertise_tsv,
           CASE WHEN f.exp = '' THEN '{}'
                ELSE ARRAY(SELECT btrim(x) FROM unnest(string_to_array(
                         regexp_replace(f.exp, '[^[:alnum:]\x1f]+', ' ', 'g'), E'\x1f')) x) END
               AS expertise_terms
      FROM khnet_profiles p
      JOIN khnet_accounts a ON a.id = p.account_id AND a.erased_at IS NULL
     CROSS JOIN LATERAL (
           SELECT coalesce(array_agg(ps.sector_id ORDER BY ps.sector_id), '{}') AS sids,
                  coalesce(string_agg(replace(x.slug, '_', ' ') || E'\x1f' || x.name_en
                                      || E'\x1f' || x.name_vi, E'\x1f'), '') AS text
             FROM khnet_profile_sectors ps JOIN khnet_sectors x ON x.id = ps.sector_id
            WHERE ps.profile_id = p.account_id) s
     CROSS JOIN LATERAL (
           SELECT coalesce(array_agg(DISTINCT d.level), '{}') AS levels
             FROM khnet_degrees d WHERE d.profile_id = p.account_id) g
     CROSS JOIN LATERAL (
           SELECT khnet_fold(array_to_string(p.expertise, E'\x1f')) AS exp,
                  khnet_fold(s.text) AS sec,
                  khnet_fold(p.full_name) AS name,
                  khnet_fold(concat_ws(E'\x1f', p.headline, p.display_name)) AS hd,
                  khnet_fold(coalesce(p.bio, '')) AS bio,
                  khnet_fold(p.affiliation) AS aff,
                  khnet_fold(p.position) AS pos OFFSET 0) f
     CROSS JOIN LATERAL (
           SELECT setweight(khnet_search_pieces_tsv(f.exp || E'\x1f' || f.sec), 'A')
               || setweight(khnet_search_pieces_tsv(concat_ws(E'\x1f', f.hd, f.name)), 'B') AS ab,
                  setweight(khnet_search_pieces_tsv(f.bio), 'C') AS c_bio,
                  setweight(khnet_search_pieces_tsv(concat_ws(E'\x1f', f.aff, f.pos)), 'C') AS c_aff
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
        vis_mentoring = EXCLUDED.vis_mentoring, updated_at = EXCLUDED.updated_at,
        city_fold = EXCLUDED.city_fold, vis_contact = EXCLUDED.vis_contact,
        expertise_tsv = EXCLUDED.expertise_tsv, expertise_terms = EXCLUDED.expertise_terms;

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
CREATE OR REPLACE FUNCTION khnet_search_gin_drop() RETURNS text[]
    LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    defs text[];
    def text;
BEGIN
    SELECT array_agg(pg_get_indexdef(i.indexrelid)) INTO defs
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_am am ON am.oid = c.relam
     WHERE i.indrelid = 'khnet_search_docs'::regclass AND am.amname = 'gin';
    FOR def IN SELECT c.oid::regclass::text FROM pg_index i
                 JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
                WHERE i.indrelid = 'khnet_search_docs'::regclass AND am.amname = 'gin' LOOP
        EXECUTE 'DROP INDEX ' || def;
    END LOOP;
    RETURN defs;
END
$$;

CREATE OR REPLACE FUNCTION khnet_search_gin_restore(defs text[]) RETURNS void
    LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    def text;
BEGIN
    PERFORM set_config('maintenance_work_mem', '256MB', true);
    FOREACH def IN ARRAY coalesce(defs, '{}') LOOP
        EXECUTE replace(def, ' ON ONLY ', ' ON ');
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION khnet_search_fill() RETURNS bigint
    LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    ids bigint[];
    n bigint;
    present bigint;
    defs text[];
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
        defs := khnet_search_gin_drop();
    END IF;
    INSERT INTO khnet_search_docs
    SELECT v.* FROM khnet_search_doc_source v
     WHERE NOT EXISTS (SELECT 1 FROM khnet_search_docs d WHERE d.profile_id = v.profile_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM khnet_search_gin_restore(defs);
    RETURN n;
END
$$;

-- The documents' format (khnet_search_doc_format, 0024): 2 = separate
-- pieces of text kept apart by a gap (khnet_search_gap).  Documents
-- written before are built again, once, when this file is applied: their
-- tsvectors rewritten in one statement between dropping and rebuilding the
-- GIN indexes (as khnet_search_fill).  The other columns do not change.
CREATE OR REPLACE FUNCTION khnet_search_reformat(want int) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    defs text[];
    n bigint := 0;
BEGIN
    IF (SELECT f.version FROM khnet_search_doc_format f) >= want THEN
        RETURN 0;
    END IF;
    IF EXISTS (SELECT 1 FROM khnet_search_docs) THEN
        defs := khnet_search_gin_drop();
        UPDATE khnet_search_docs d
           SET doc0 = v.doc0, doc1 = v.doc1, doc2 = v.doc2, expertise_tsv = v.expertise_tsv
          FROM khnet_search_doc_source v
         WHERE v.profile_id = d.profile_id;
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM khnet_search_gin_restore(defs);
    END IF;
    UPDATE khnet_search_doc_format SET version = want;
    RETURN n;
END
$$;

SELECT khnet_search_reformat(2);

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
-- ~0.2 ms a row.  The server never sets the flag.  Mentoring's stored
-- terms (khnet_mentor_terms, 90_mentoring.sql) are deferred alike: the
-- seed calls khnet_mentor_terms_all(), an import khnet_mentor_terms_refresh.
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
    DELETE FROM khnet_search_name_index x
     WHERE x.name_fold IN (SELECT o.name_fold FROM old_docs o)
       AND NOT EXISTS (SELECT 1 FROM khnet_search_docs d WHERE d.name_fold = x.name_fold);
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

-- A search hit as the viewer may see it: the directory card
-- (khnet_profile_card; `sectors` its sector slugs), the years of
-- experience when the career group is visible, and the search's own
-- fields `extra`.  Inlinable: in a statement it is an expression over the
-- row (see khnet_search_run's hits); each argument is used once, or an
-- expensive one (a subquery, a snippet) would keep it from being inlined.
DROP FUNCTION IF EXISTS khnet_search_card(khnet_profiles, int);
CREATE OR REPLACE FUNCTION khnet_search_card(p khnet_profiles, level int, sectors jsonb, extra jsonb)
    RETURNS jsonb LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT khnet_profile_card(p, level, sectors)
        || (CASE WHEN khnet_vis_rank(p.vis_career) <= level
                 THEN jsonb_build_object('years_experience', p.years_experience) ELSE '{}' END
            || extra)
$$;

-- The text a snippet is cut from: only fields the viewer may see, as
-- stored (khnet_search_snippet makes it NFC).
CREATE OR REPLACE FUNCTION khnet_search_snippet_text(p khnet_profiles, level int) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT concat_ws(' · ', p.headline, array_to_string(p.expertise, ', '),
                     CASE WHEN khnet_vis_rank(p.vis_affiliation) <= level
                          THEN concat_ws(', ', p.position, p.affiliation) END,
                     CASE WHEN khnet_vis_rank(p.vis_bio) <= level THEN p.bio END)
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

-- ---- query understanding (issue 11) -------------------------------------------
-- A typed query becomes a list of terms, each matched with its expansions:
--   1. "quoted phrases" are strict: every one must appear as written, no
--      expansion;
--   2. the other words are cut into the longest runs that are labels of a
--      thesaurus concept (khnet_concept_labels), left to right ("machine
--      learning for shrimp farming" -> [machine learning] for [shrimp
--      farming]);
--   3. what is left loses its stop phrases and stop words (English and
--      Vietnamese, khnet_search_stop_phrases / _words), unless that would
--      leave nothing;
--   4. each concept run is a term matched by every label of its concepts
--      (synonyms, the other language, UK/US spellings: the term itself)
--      and, with a lower weight, by the labels of narrower concepts (two
--      levels down); each leftover word is a term matched by itself, its
--      English singular/plural when that is a vocabulary word, and, when it
--      is no known word at all, by the closest vocabulary word (a typo);
--      the last word is a prefix while it is still being typed;
--   5. each term weighs its inverse document frequency over the directory
--      (BM25's idf), so rare terms decide the ranking.
-- A query whose words are all words of people's names (2-5 words, no
-- concept among them) is a name: every word must match, as before.

-- How a thesaurus label (khnet_concept_labels.term) and a query's words are
-- compared: folded, punctuation runs as one space.
CREATE OR REPLACE FUNCTION khnet_concept_term(label text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT btrim(regexp_replace(khnet_fold(label), '[^[:alnum:]]+', ' ', 'g')) $$;

-- Stop words, folded (khnet_fold).  Vietnamese ones are listed with their
-- diacritics in khnet_search_stop_words_vi: folding merges words that
-- differ only by accents ("về" about, "vệ" guard), so a Vietnamese stop
-- word counts only as typed, or when the whole word was typed without any
-- diacritic (accentless typing).
CREATE OR REPLACE FUNCTION khnet_search_stop_words() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ARRAY['a','an','the','of','for','in','on','at','to','and','or','with','about',
    'from','by','into','as','via','who','whom','which','that','what','whose','someone',
    'somebody','anyone','people','person','expert','experts','expertise','specialist',
    'specialists','specialised','specialized','specializing','specialising','consultant',
    'consultants','researcher','researchers','scientist','scientists','professional',
    'professionals','need','needs','needed','looking','seeking','seek','find','help',
    'knowledge','experience','experienced','background','field','fields','area','areas',
    'topic','topics','working','works','work','worked','skilled','skills','strong','good',
    'some','any','other','such','using','based','related','relevant','especially',
    'including','can','could','would','will','is','are','be','has','have','having','our',
    'my','we','us','you','your','their','this','these','those','it','its','do','does',
    'research','studies','study','projects','project','provide','support','advice',
    'advise','advisor','adviser','experts','practitioner','practitioners','etc']::text[] $$;

CREATE OR REPLACE FUNCTION khnet_search_stop_words_vi() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ARRAY['về','của','và','các','những','cho','với','trong','người','là','một',
    'được','hoặc','nào','ai','có','tại','ở','để','từ','đến','cần','tìm','giỏi','thuộc',
    'như','hay','đang','đã','sẽ','này','đó','giúp','tôi','chúng','mình']::text[] $$;

-- The Vietnamese stop words that mean nothing else once their diacritics
-- are dropped ("cua" is also a crab, "trong" also "trồng", to grow).
CREATE OR REPLACE FUNCTION khnet_search_stop_words_vi_bare() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ARRAY['ve','cac','nguoi','hoac','nhung']::text[] $$;

-- Stop phrases, folded, words joined by one space.  Vietnamese fillers
-- are phrases ("chuyên gia", "nghiên cứu về"): their syllables alone
-- ("gia", "cứu") are words of real terms and stay.  Only runs of words no
-- concept claimed are cut, so "khoa học biển" (ocean science) stays a
-- concept while "nhà khoa học" (a scientist) goes.
CREATE OR REPLACE FUNCTION khnet_search_stop_phrases() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ARRAY['expert in','experts in','expert on','experts on','expertise in',
    'specialist in','specialists in','experience in','experience with','knowledge of',
    'working on','works on','work on','looking for','search for','someone who','people who',
    'who can','help with','help us','related to','in the field of','field of','area of',
    'chuyen gia ve','chuyen gia','cac chuyen gia','nha khoa hoc','nha nghien cuu',
    'nghien cuu ve','nghien cuu','trong linh vuc','linh vuc','chuyen nganh','chuyen mon',
    'kinh nghiem ve','kinh nghiem','am hieu ve','am hieu','hieu biet ve','hieu biet',
    'can tim','tim kiem','tu van ve','tu van','ho tro','nguoi co','co kinh nghiem',
    'co the','lam viec','ve van de','van de','nganh']::text[] $$;

-- The folded words of a text and whether each is a stop word; a
-- Vietnamese stop word counts as typed, or typed with no diacritic.
-- marked: the word was typed with a diacritic (or đ); cap: it was typed
-- capitalised and is not an acronym ("Trang", not "AI").
DROP FUNCTION IF EXISTS khnet_search_words(text);
CREATE OR REPLACE FUNCTION khnet_search_words(q text, OUT words text[], OUT stop boolean[],
                                              OUT marked boolean[], OUT cap boolean[])
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    raw text[] := array_remove(regexp_split_to_array(
        CASE WHEN q IS NFC NORMALIZED THEN q ELSE normalize(q, NFC) END, '[^[:alnum:]]+'), '');
    r text;
    w text;
    f text;
BEGIN
    words := '{}';
    stop := '{}';
    marked := '{}';
    cap := '{}';
    FOREACH r IN ARRAY raw LOOP
        w := lower(r);
        FOREACH f IN ARRAY array_remove(regexp_split_to_array(khnet_fold(w), '[^[:alnum:]]+'), '') LOOP
            words := words || f;
            -- English words carry no diacritics ("ăn" is not "an"); a
            -- word in capitals is an acronym ("AI", "IT"), never filler
            stop := stop || ((r <> upper(r) OR length(r) < 2)
                             AND (w = ANY (khnet_search_stop_words_vi())
                                  OR (w = f AND (f = ANY (khnet_search_stop_words())
                                                 OR f = ANY (khnet_search_stop_words_vi_bare())))));
            marked := marked || (w <> f);
            cap := cap || (left(r, 1) <> left(w, 1) AND r <> upper(r));
        END LOOP;
    END LOOP;
END
$$;

-- The share of documents holding a term matched by any of `labels`
-- (folded phrases), from the column statistics of doc0 (most common
-- lexemes and their frequencies, as the planner reads them): a phrase is
-- as rare as its rarest word, alternatives as the most common of them.
-- Not their sum: a concept's labels are synonyms found in the same
-- documents, and Vietnamese ones are made of common syllables, so adding
-- them up made every broad concept as common as the whole directory (idf
-- 0: "oceanography", "pharmacy", "logistics" counted for nothing beside
-- another term).  Against the counted share of each of the 301 shipped
-- concepts with its narrower labels on the demo directory (92 present,
-- 20,000 profiles), the mean |ln(estimate / count)| is 0.28 taking the
-- most common, 0.97 adding up.  NULL without statistics.  A lexeme below
-- the list counts half the least frequent one.  A prefix reads the
-- statistics' arrays in one pass (unnest, in order: the same sum), not by
-- subscript, a walk from the array's start each time ("logis" 0.42 -> 0.27
-- ms at 200,000 profiles, 382 lexemes).  PL/pgSQL (so is
-- khnet_search_prune): a SQL function that cannot be inlined (an aggregate over a FROM) has its
-- statement planned again in every transaction, while PL/pgSQL keeps the
-- plan for the session.
CREATE OR REPLACE FUNCTION khnet_search_freq(labels text[], prefix boolean, mce text[], mcf real[])
    RETURNS real LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    IF prefix THEN
        RETURN (
        SELECT CASE WHEN mce IS NOT NULL THEN least(1, max(lf))::real END
          FROM (SELECT min(coalesce((SELECT nullif(sum(u.f), 0) FROM unnest(mce, mcf) u(e, f)
                                      WHERE left(u.e, length(x)) = x),
                                    mcf[cardinality(mce) + 1] / 2)) AS lf
                  FROM unnest(labels) l, unnest(tsvector_to_array(to_tsvector('simple', l))) x
                 GROUP BY l) s);
    END IF;
    -- a lexeme's frequency by joining the list (mce's lexemes are
    -- distinct; mcf's three extra values, past mce's end, join nothing):
    -- array_position compared it with half the list on average, ~190
    -- collation-aware comparisons ("aquaculture", 44 labels: 0.7 -> 0.3 ms)
    RETURN (
    SELECT CASE WHEN mce IS NOT NULL THEN least(1, max(lf))::real END
      FROM (SELECT min(coalesce(m.f, mcf[cardinality(mce) + 1] / 2)) AS lf
              FROM unnest(labels) l CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('simple', l))) x
              LEFT JOIN unnest(mce, mcf) m(e, f) ON m.e = x
             GROUP BY l) s);
END
$$;

-- BM25's idf of a term over the directory: its document frequency from
-- the statistics (khnet_search_freq) when given, else counted.
CREATE OR REPLACE FUNCTION khnet_search_idf(tq tsquery, forms text[], prefix boolean, mce text[],
                                            mcf real[], ndocs real)
    RETURNS real LANGUAGE plpgsql STABLE
AS $$
DECLARE
    df real := khnet_search_freq(forms, prefix, mce, mcf) * ndocs;
BEGIN
    IF df IS NULL THEN
        SELECT count(*) INTO df FROM khnet_search_docs d WHERE d.doc0 @@ tq;
    END IF;
    RETURN ln(1 + (greatest(ndocs, 1) - df + 0.5) / (df + 0.5));
END
$$;

-- Forms with every form that holds a shorter kept one dropped: a document
-- matching "shrimp aquaculture" also matches "aquaculture", so the longer
-- adds nothing to matching but cost (each form is a branch of the
-- tsquery evaluated per candidate).  `base`: forms already matched
-- elsewhere (a term's own forms, when pruning its narrower ones).
CREATE OR REPLACE FUNCTION khnet_search_prune(forms text[], base text[])
    RETURNS text[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN (
    SELECT coalesce(array_agg(f ORDER BY o), '{}') FROM unnest(forms) WITH ORDINALITY u(f, o)
     WHERE NOT EXISTS (SELECT 1 FROM unnest(forms || coalesce(base, '{}')) WITH ORDINALITY v(g, p)
                        WHERE (g <> f OR p < o) AND (' ' || f || ' ') LIKE ('% ' || g || ' %')
                          AND (length(g) < length(f) OR p < o OR NOT g = ANY (forms))));
END
$$;

-- What the weights of a plan's terms are computed from: the directory's
-- size and the most common lexemes of doc0 with their frequencies, from
-- the parent's statistics (ANALYZE khnet_search_docs), else the largest
-- partition's (autovacuum keeps those); counted in a directory without
-- statistics.  Read only when a query has terms (not for a name or
-- filters alone), the parent first: by its name the statistics view is an
-- index probe (0.7 ms), while one query for both, by pattern, read every
-- relation's row (6 ms at 200,000 profiles).
CREATE OR REPLACE FUNCTION khnet_search_stats(OUT ndocs real, OUT mce text[], OUT mcf real[])
    LANGUAGE plpgsql STABLE
AS $$
BEGIN
    SELECT sum(c.reltuples) INTO ndocs FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
     WHERE h.inhparent = 'khnet_search_docs'::regclass AND c.reltuples > 0;
    SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs INTO mce, mcf
      FROM pg_stats s
     WHERE s.schemaname = current_schema() AND s.tablename = 'khnet_search_docs'
       AND s.attname = 'doc0' AND s.inherited AND s.most_common_elems IS NOT NULL;
    IF mce IS NULL THEN
        SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs INTO mce, mcf
          FROM pg_stats s LEFT JOIN pg_class c ON c.relname = s.tablename
         WHERE s.schemaname = current_schema() AND s.attname = 'doc0'
           AND s.most_common_elems IS NOT NULL
           AND s.tablename LIKE 'khnet\_search\_docs\_p%' AND NOT s.inherited
         ORDER BY c.reltuples DESC LIMIT 1;
    END IF;
    IF mce IS NULL OR coalesce(ndocs, 0) = 0 THEN
        SELECT count(*) INTO ndocs FROM khnet_search_docs;
    END IF;
END
$$;

-- A set of concepts as a query term is matched by them: their labels
-- (forms, pruned; allf before) and the concepts as `expanded` shows them
-- (info).  The first part of khnet_search_expansion, and all that the
-- walk up to broader concepts (khnet_search_plan) takes of one: the
-- narrower labels of a broader concept are most of a sector's vocabulary,
-- and pruning them was half of such a query's plan ("digital
-- transformation", "recirculating aquaculture system design": ~3 of ~6 ms
-- at 30,000 profiles) for nothing.
CREATE OR REPLACE FUNCTION khnet_search_expansion_own(
    cids bigint[], OUT forms text[], OUT allf text[], OUT info jsonb)
    LANGUAGE plpgsql STABLE
AS $$
BEGIN
    SELECT array_agg(l.term ORDER BY l.pref DESC, l.label) INTO forms
      FROM khnet_concept_labels l WHERE l.concept_id = ANY (cids);
    allf := forms;
    forms := khnet_search_prune(forms, NULL);
    SELECT jsonb_agg(jsonb_build_object('key', c.key,
               'label_en', (SELECT l.label FROM khnet_concept_labels l WHERE l.concept_id = c.id AND l.pref AND l.lang = 'en'),
               'label_vi', (SELECT l.label FROM khnet_concept_labels l WHERE l.concept_id = c.id AND l.pref AND l.lang = 'vi'))
               ORDER BY c.key)
      INTO info FROM khnet_concepts c WHERE c.id = ANY (cids);
    info := jsonb_build_object('concepts', info);
END
$$;

-- What a concept run of a query is matched by (khnet_search_plan), for the
-- concepts cids of its label: their labels (forms, pruned; allf before),
-- their narrower concepts' labels one level down, preferred labels first
-- (nforms, pruned of what forms already match, the first 40; alln before),
-- and the concepts as `expanded` shows them (info).  Kept per label in
-- khnet_search_expansions (0016).
CREATE OR REPLACE FUNCTION khnet_search_expansion(
    cids bigint[], OUT forms text[], OUT allf text[], OUT nforms text[], OUT alln text[], OUT info jsonb)
    LANGUAGE plpgsql STABLE
AS $$
BEGIN
    SELECT o.forms, o.allf, o.info INTO forms, allf, info FROM khnet_search_expansion_own(cids) o;
    SELECT array_agg(x.f ORDER BY x.pref DESC, length(x.f), x.f) INTO nforms FROM (
        SELECT DISTINCT ON (l.term) l.term AS f, l.pref
          FROM khnet_concept_links k JOIN khnet_concept_labels l ON l.concept_id = k.concept_id
         WHERE k.kind = 'broader' AND k.target_id = ANY (cids) AND NOT k.concept_id = ANY (cids)
         ORDER BY l.term, l.pref DESC) x;
    alln := coalesce(nforms, '{}');
    nforms := khnet_search_prune(nforms, forms);
    nforms := coalesce(nforms[1:40], '{}');
END
$$;

-- The tsquery matching any of a term's folded forms (each a phrase, or a
-- prefix when the term is a word still being typed); NULL for none.  Each
-- form is parsed once (it was twice, the test and the phrase: ~0.2 ms of
-- the ~1.8 of planning "aquaculture", 44 forms with its narrower ones).
CREATE OR REPLACE FUNCTION khnet_search_forms_tsquery(forms text[], prefix boolean) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    f text;
    one tsquery;
    result tsquery;
BEGIN
    FOREACH f IN ARRAY coalesce(forms, '{}') LOOP
        one := phraseto_tsquery('simple', f);
        CONTINUE WHEN numnode(one) = 0;
        IF prefix THEN
            one := to_tsquery('simple', quote_literal(f) || ':*');
        END IF;
        result := CASE WHEN result IS NULL THEN one ELSE result || one END;
    END LOOP;
    RETURN result;
END
$$;

-- A query's words cut into segments (khnet_search_plan, step 2): concept
-- runs and single words.  A run of 1-6 words is a concept when it is a
-- label as typed (not a lone stop word), else run together (compared
-- without spaces: knownc), else with one misspelt word replaced by a
-- candidate (cand_i, cand_w).  An English query is cut greedily, left to
-- right, longest run first.  A Vietnamese one (vi) is cut to leave the
-- fewest syllables alone — a syllable no concept claims and that does not
-- make a word of Vietnamese with its neighbour (two syllables found side
-- by side in a Vietnamese label) — then to cover the most words by
-- concepts: greedily, "hệ thống quan trắc chất lượng nước" would cut
-- "thống quan" (customs clearance) out of "hệ thống" (a system) and
-- "quan trắc" (monitoring).  seg_pair: this word and the next are such a
-- word (step 3b keeps them together).  At most ~20 words: a query is
-- 500 characters.
CREATE OR REPLACE FUNCTION khnet_search_segment(
    words text[], stop boolean[], cap boolean[], vi boolean, known text[], knownc text[],
    cand_i int[], cand_w text[],
    OUT seg_term text[], OUT seg_kind text[], OUT seg_typed text[], OUT seg_fixed boolean[],
    OUT seg_cap boolean[], OUT seg_stop boolean[], OUT seg_pair boolean[])
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    n int := cardinality(words);
    ct text[] := array_fill(NULL::text, ARRAY[greatest(n, 1) * 6]);  -- [(i-1)*6+len]: the label
    cf boolean[] := array_fill(false, ARRAY[greatest(n, 1) * 6]);    -- found corrected
    bi int[] := '{}';          -- i: words i and i+1 make a Vietnamese word
    bo int[];                  -- per start i (1..n+1): syllables left alone after it,
    bc int[];                  -- words in concepts (negated),
    bl int[];                  -- and the step (len > 0 a concept, 0 one word, -2 a pair)
    g text;
    c text;
    i int;
    len int;
    k int;
BEGIN
    seg_term := '{}'; seg_kind := '{}'; seg_typed := '{}'; seg_fixed := '{}';
    seg_cap := '{}'; seg_stop := '{}'; seg_pair := '{}';
    FOR i IN 1 .. n LOOP
        FOR len IN 1 .. least(6, n - i + 1) LOOP
            CONTINUE WHEN len = 1 AND stop[i];
            g := array_to_string(words[i:i + len - 1], ' ');
            IF g = ANY (known) THEN
                ct[(i - 1) * 6 + len] := g;
                CONTINUE;
            END IF;
            c := replace(g, ' ', '');
            IF c = ANY (knownc) THEN
                SELECT min(l.term) INTO g FROM khnet_concept_labels l WHERE replace(l.term, ' ', '') = c;
                ct[(i - 1) * 6 + len] := g;
                CONTINUE;
            END IF;
            FOR k IN 1 .. coalesce(cardinality(cand_i), 0) LOOP
                CONTINUE WHEN cand_i[k] NOT BETWEEN i AND i + len - 1;
                g := array_to_string(words[i:cand_i[k] - 1] || cand_w[k]
                                     || words[cand_i[k] + 1:i + len - 1], ' ');
                IF g = ANY (known) THEN
                    ct[(i - 1) * 6 + len] := g;
                    cf[(i - 1) * 6 + len] := true;
                    EXIT;
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
    IF vi AND n > 1 THEN
        SELECT coalesce(array_agg(a), '{}') INTO bi FROM generate_series(1, n - 1) a
         WHERE NOT stop[a] AND NOT stop[a + 1] AND EXISTS (
               SELECT 1 FROM khnet_concept_words cw
                WHERE cw.kind = 'pair' AND cw.term = words[a] || ' ' || words[a + 1]);
        -- the best cut of each suffix, from the end
        bo := array_fill(0, ARRAY[n + 2]); bc := array_fill(0, ARRAY[n + 2]);
        bl := array_fill(0, ARRAY[n + 2]);
        FOR i IN REVERSE n .. 1 LOOP
            bo[i] := bo[i + 1] + CASE WHEN stop[i] THEN 0 ELSE 1 END; bc[i] := bc[i + 1]; bl[i] := 0;
            -- a pair as good as a lone syllable wins: "doanh nghiệp nhỏ" is
            -- doanh nghiệp · nhỏ, though "nghiệp nhỏ" is in a label too
            IF i = ANY (bi) AND (bo[i + 2], bc[i + 2]) <= (bo[i], bc[i]) THEN
                bo[i] := bo[i + 2]; bc[i] := bc[i + 2]; bl[i] := -2;
            END IF;
            FOR len IN REVERSE least(6, n - i + 1) .. 1 LOOP
                IF ct[(i - 1) * 6 + len] IS NOT NULL
                   AND (bo[i + len], bc[i + len] - len) < (bo[i], bc[i]) THEN
                    bo[i] := bo[i + len]; bc[i] := bc[i + len] - len; bl[i] := len;
                END IF;
            END LOOP;
        END LOOP;
    END IF;
    i := 1;
    WHILE i <= n LOOP
        IF vi AND n > 1 THEN
            len := bl[i];
        ELSE
            len := least(6, n - i + 1);
            WHILE len >= 1 AND ct[(i - 1) * 6 + len] IS NULL LOOP
                len := len - 1;
            END LOOP;
        END IF;
        IF len >= 1 THEN
            g := ct[(i - 1) * 6 + len];
            c := array_to_string(words[i:i + len - 1], ' ');
            seg_term := seg_term || g; seg_kind := seg_kind || 'concept'::text;
            seg_typed := seg_typed || CASE WHEN c <> g THEN c END;
            seg_fixed := seg_fixed || cf[(i - 1) * 6 + len];
            seg_cap := seg_cap || false; seg_stop := seg_stop || false; seg_pair := seg_pair || false;
            i := i + len;
        ELSE
            FOR k IN i .. i + CASE WHEN len = -2 THEN 1 ELSE 0 END LOOP
                seg_term := seg_term || words[k]; seg_kind := seg_kind || 'word'::text;
                seg_typed := seg_typed || NULL::text; seg_fixed := seg_fixed || false;
                seg_cap := seg_cap || cap[k]; seg_stop := seg_stop || stop[k];
                seg_pair := seg_pair || (len = -2 AND k = i);
            END LOOP;
            i := i + CASE WHEN len = -2 THEN 2 ELSE 1 END;
        END IF;
    END LOOP;
END
$$;

-- The plan of a query (see above).  mode: 'none' (nothing to search
-- for), 'name' (match every word, khnet_search_tsquery) or 'terms'.
-- Generic plans for its statements and those of the functions it calls:
-- PL/pgSQL keeps a statement's plan for the session, but a statement with
-- parameters is planned again for their values on every call while such
-- a custom plan looks cheaper than the generic one, which with arrays
-- (unnest, generate_series over a length) it always does: 15-25
-- statements planned per query, ~1 ms (khnet_search_plan alone, bench
-- queries at 30,000 profiles: 0.52 -> 0.17 ms of planning a call).  The
-- statements are small lookups by index whichever plan; the results do
-- not depend on the plan (ordered, or used as sets).
CREATE OR REPLACE FUNCTION khnet_search_plan(
    q text, OUT mode text, OUT must tsquery, OUT terms text[], OUT ex tsquery[],
    OUT nar tsquery[], OUT w real[], OUT expanded jsonb, OUT eqf text[], OUT eqt int[])
    LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    src text := coalesce(q, '');
    typing boolean := src ~ '[[:alnum:]]$';
    ph text;
    rest text;
    words text[];
    stop boolean[];
    marked boolean[];
    cap boolean[];
    n int;
    cand_i int[] := '{}';      -- misspelt words (their index in words) and
    cand_w text[] := '{}';     -- close words that may make them a concept label
    typo_w text[] := '{}';     -- words looked up as misspellings, and the closest
    typo_to text[] := '{}';    -- vocabulary word of each (NULL: none)
    known text[];
    knownc text[];             -- labels' terms without their spaces
    spans text[];              -- runs of 1-6 words, as typed and with a candidate
    vi boolean;
    i int;
    len int;
    g text;
    seg_term text[] := '{}';   -- per segment: its folded text
    seg_kind text[] := '{}';   -- 'concept' | 'word' | 'phrase'
    seg_typed text[] := '{}';  -- the words as typed when a concept was found
                               -- run together or corrected (else NULL)
    seg_cap boolean[] := '{}'; -- a word typed capitalised (a proper name)
    seg_fixed boolean[] := '{}'; -- a concept found with misspelt words corrected
    seg_pair boolean[];        -- a word read as one Vietnamese word with the next
    keep boolean[] := '{}';
    sp text;
    spw text[];
    pass int;
    forms text[];
    nforms text[];
    allf text[];               -- a term's forms before pruning (whole keywords)
    alln text[];
    cids bigint[];
    info jsonb;
    tq tsquery;
    ntq tsquery;
    pre boolean;
    alt text;
    ndocs real;
    mce text[];
    mcf real[];
    allstop boolean;
    up int;                    -- levels of broader concepts added to a term
    bx record;
    binfo jsonb;
    wt float8;
BEGIN
    mode := 'terms';
    terms := '{}'; ex := '{}'; nar := '{}'; w := '{}'; expanded := '[]'; eqf := '{}'; eqt := '{}';
    -- 1. quoted phrases (an unbalanced quote runs to the end)
    rest := regexp_replace(src, '"[^"]*"', ' ', 'g');
    FOR ph IN SELECT m[1] FROM regexp_matches(src, '"([^"]*)"', 'g') m
              UNION ALL SELECT substr(rest, position('"' IN rest) + 1) WHERE position('"' IN rest) > 0 LOOP
        tq := phraseto_tsquery('simple', khnet_fold(ph));
        CONTINUE WHEN numnode(tq) = 0;
        must := CASE WHEN must IS NULL THEN tq ELSE must && tq END;
        g := btrim(regexp_replace(khnet_fold(ph), '[^[:alnum:]]+', ' ', 'g'));
        CONTINUE WHEN g = ANY (terms);
        terms := terms || g; ex := ex || tq; nar := nar || NULL::tsquery;
        IF ndocs IS NULL THEN SELECT * INTO ndocs, mce, mcf FROM khnet_search_stats(); END IF;
        w := w || khnet_search_idf(tq, ARRAY[khnet_fold(ph)], false, mce, mcf, ndocs);
        expanded := expanded || jsonb_build_array(jsonb_build_object(
            'term', g, 'kind', 'phrase', 'weight', round(w[cardinality(w)]::numeric, 3)));
    END LOOP;
    IF position('"' IN rest) > 0 THEN
        rest := substr(rest, 1, position('"' IN rest) - 1);
        typing := false;
    END IF;
    SELECT x.words, x.stop, x.marked, x.cap INTO words, stop, marked, cap
      FROM khnet_search_words(rest) x;
    n := cardinality(words);
    IF n = 0 AND must IS NULL THEN
        mode := 'none';
        RETURN;
    END IF;
    -- 2. concept labels, longest first, left to right.  A run of words is a
    -- label as typed; else run together, both sides without spaces
    -- ("eco-tourism", "sea weed" = "ecotourism", "seaweed"; "ecommerce" =
    -- "e-commerce"); else with its misspelt words corrected ("maching
    -- learning", "digital transformaton": the concept, with its synonyms
    -- and other-language labels, not only the corrected word).  A word is
    -- misspelt when nobody uses it (no vocabulary word, no word of a name;
    -- typed last, not the start of one either: then it is a prefix, step
    -- 4) and a word of the vocabulary or of a concept's label is close
    -- (trigram similarity 0.45 or more; the three closest are tried:
    -- "maching" is closest to "machining", and "machine" makes the label)
    FOR i IN 1 .. n LOOP
        CONTINUE WHEN stop[i] OR words[i] !~ '^[a-z]{4,}$' OR words[i] = ANY (typo_w)
                   OR EXISTS (SELECT 1 FROM khnet_search_terms t
                               WHERE t.kind = 'word' AND t.term = words[i])
                   OR EXISTS (SELECT 1 FROM khnet_concept_words cw
                               WHERE cw.kind = 'word' AND cw.term = words[i])
                   OR EXISTS (SELECT 1 FROM khnet_search_name_words nw WHERE nw.term = words[i])
                   OR (typing AND i = n AND (
                       EXISTS (SELECT 1 FROM khnet_search_terms t WHERE t.kind = 'word'
                                  AND t.term ~>=~ words[i] AND t.term ~<~ khnet_prefix_end(words[i]))
                       OR EXISTS (SELECT 1 FROM khnet_search_name_words nw
                                   WHERE nw.term ~>=~ words[i] AND nw.term ~<~ khnet_prefix_end(words[i]))));
        -- the vocabulary's and the labels' words, each by its trigram index
        alt := NULL;
        FOR g IN SELECT DISTINCT ON (x.t <-> words[i], x.t) x.t FROM (
                     (SELECT t.term AS t FROM khnet_search_terms t
                       WHERE t.kind = 'word' AND t.term % words[i]
                       ORDER BY t.term <-> words[i], t.term LIMIT 3)
                     UNION ALL
                     (SELECT cw.term FROM khnet_concept_words cw
                       WHERE cw.kind = 'word' AND cw.term % words[i]
                       ORDER BY cw.term <-> words[i], cw.term LIMIT 3)) x
                  ORDER BY x.t <-> words[i], x.t LIMIT 3 LOOP
            alt := coalesce(alt, g);
            IF similarity(g, words[i]) >= 0.45 THEN
                cand_i := cand_i || i; cand_w := cand_w || g;
            END IF;
        END LOOP;
        typo_w := typo_w || words[i]; typo_to := typo_to || alt;
    END LOOP;
    -- (two lookups, each by its index: one with OR scanned every label)
    SELECT array_agg(s.span) INTO spans
      FROM (SELECT array_to_string(words[a:a + b - 1], ' ') AS span
              FROM generate_series(1, n) a, generate_series(1, 6) b WHERE a + b - 1 <= n
            UNION SELECT array_to_string(words[a:u.ci - 1] || u.cw || words[u.ci + 1:a + b - 1], ' ')
              FROM generate_series(1, n) a, generate_series(1, 6) b, unnest(cand_i, cand_w) u(ci, cw)
             WHERE a + b - 1 <= n AND u.ci BETWEEN a AND a + b - 1) s;
    SELECT array_agg(DISTINCT l.term) INTO known FROM khnet_concept_labels l WHERE l.term = ANY (spans);
    SELECT array_agg(DISTINCT replace(l.term, ' ', '')) INTO knownc FROM khnet_concept_labels l
     WHERE replace(l.term, ' ', '') = ANY (ARRAY(SELECT replace(x, ' ', '') FROM unnest(spans) x));
    -- the query is Vietnamese: a word typed with a diacritic, or a label of
    -- two words or more that is Vietnamese only
    vi := true = ANY (marked) OR EXISTS (
        SELECT 1 FROM unnest(known) t
         WHERE position(' ' IN t) > 0
           AND EXISTS (SELECT 1 FROM khnet_concept_labels l WHERE l.term = t AND l.lang = 'vi')
           AND NOT EXISTS (SELECT 1 FROM khnet_concept_labels l WHERE l.term = t AND l.lang = 'en'));
    SELECT x.seg_term, x.seg_kind, x.seg_typed, x.seg_fixed, x.seg_cap, x.seg_pair,
           ARRAY(SELECT NOT st FROM unnest(x.seg_stop) st)
      INTO seg_term, seg_kind, seg_typed, seg_fixed, seg_cap, seg_pair, keep
      FROM khnet_search_segment(words, stop, cap, vi, known, knownc, cand_i, cand_w) x;
    -- a name: 2-5 words, all words of people's names, no concept, no phrase
    IF must IS NULL AND n BETWEEN 2 AND 5 AND NOT ('concept' = ANY (seg_kind))
       AND array_to_string(words, ' ') ~ '^[[:alpha:] ]+$'
       AND (SELECT bool_and(EXISTS (SELECT 1 FROM khnet_search_name_words nw WHERE nw.term = x.v)
                            OR (x.o = n AND typing AND EXISTS (
                                SELECT 1 FROM khnet_search_name_words nw
                                 WHERE nw.term ~>=~ x.v AND nw.term ~<~ khnet_prefix_end(x.v))))
              FROM unnest(words) WITH ORDINALITY x(v, o)) THEN
        mode := 'name';
        RETURN;
    END IF;
    -- 3. stop phrases in runs of plain words, then stop words (never all)
    FOREACH sp IN ARRAY khnet_search_stop_phrases() LOOP
        spw := string_to_array(sp, ' ');
        FOR i IN 1 .. cardinality(seg_term) - cardinality(spw) + 1 LOOP
            IF seg_term[i:i + cardinality(spw) - 1] = spw
               AND 'concept' <> ALL (seg_kind[i:i + cardinality(spw) - 1]) THEN
                FOR len IN i .. i + cardinality(spw) - 1 LOOP keep[len] := false; END LOOP;
            END IF;
        END LOOP;
    END LOOP;
    allstop := true = ALL (ARRAY(SELECT NOT k FROM unnest(keep) k));
    IF allstop AND must IS NULL THEN
        keep := array_fill(true, ARRAY[cardinality(seg_term)]);
    END IF;
    -- 3b. two kept words no concept claimed, side by side, are one term
    -- matched as a phrase when the query is Vietnamese, read two syllables
    -- at a time: most Vietnamese words are two syllables, and a syllable
    -- alone is another word ("đại dương", ocean: "đại" alone matches "đại
    -- học", university; "lồng bè", fish cages: "Long" is a given name);
    -- the pairs khnet_search_segment found in the labels first, the rest
    -- from the left; and when both were typed capitalised, a place or a
    -- name ("Nha Trang", "Cam Ranh" in an English request)
    FOR pass IN 1 .. 2 LOOP
        i := 1;
        WHILE i < cardinality(seg_term) LOOP
            IF seg_kind[i] = 'word' AND seg_kind[i + 1] = 'word' AND keep[i] AND keep[i + 1]
               AND position(' ' IN seg_term[i]) = 0 AND position(' ' IN seg_term[i + 1]) = 0
               AND (CASE WHEN pass = 1 THEN seg_pair[i]
                         ELSE (vi AND NOT seg_pair[i + 1]) OR (seg_cap[i] AND seg_cap[i + 1]) END) THEN
                seg_term := seg_term[1:i - 1] || (seg_term[i] || ' ' || seg_term[i + 1])
                            || seg_term[i + 2:];
                seg_kind := seg_kind[1:i] || seg_kind[i + 2:];
                keep := keep[1:i] || keep[i + 2:];
                seg_typed := seg_typed[1:i] || seg_typed[i + 2:];
                seg_fixed := seg_fixed[1:i] || seg_fixed[i + 2:];
                seg_cap := seg_cap[1:i] || seg_cap[i + 2:];
                seg_pair := seg_pair[1:i - 1] || false || seg_pair[i + 2:];
            END IF;
            i := i + 1;
        END LOOP;
    END LOOP;
    -- 4. each kept segment a term with its expansions
    FOR i IN 1 .. cardinality(seg_term) LOOP
        CONTINUE WHEN NOT keep[i] OR seg_term[i] = ANY (terms);
        pre := false; ntq := NULL; nforms := '{}'; info := '{}'; allf := NULL; alln := '{}';
        IF seg_kind[i] = 'concept' THEN
            -- stored per label (khnet_search_expansions); worked out here
            -- for a label the store does not hold, and in a transaction
            -- that edited the thesaurus (the store catches up at commit)
            forms := NULL;
            IF nullif(current_setting('khnet.expansions_dirty', true), '') IS NULL THEN
                SELECT e.cids, e.forms, e.allf, e.nforms, e.alln, e.info
                  INTO cids, forms, allf, nforms, alln, info
                  FROM khnet_search_expansions e WHERE e.term = seg_term[i];
            END IF;
            IF forms IS NULL THEN
                SELECT array_agg(DISTINCT l.concept_id) INTO cids FROM khnet_concept_labels l
                 WHERE l.term = seg_term[i];
                SELECT x.forms, x.allf, x.nforms, x.alln, x.info INTO forms, allf, nforms, alln, info
                  FROM khnet_search_expansion(cids) x;
            END IF;
        ELSE
            g := seg_term[i];
            forms := ARRAY[g];
            IF typing AND i = cardinality(seg_term) AND position(' ' IN g) = 0
               AND NOT g = ANY (typo_w) AND NOT EXISTS (SELECT 1 FROM khnet_search_terms t WHERE t.kind = 'word' AND t.term = g)
               AND NOT EXISTS (SELECT 1 FROM khnet_search_name_words nw WHERE nw.term = g) THEN
                pre := true;
            ELSIF g ~ '^[a-z]{4,}$' THEN
                -- English singular / plural, when the other form is a known word
                FOREACH alt IN ARRAY ARRAY[g || 's', g || 'es', regexp_replace(g, 'y$', 'ies'),
                                           regexp_replace(g, 'ies$', 'y'), regexp_replace(g, 'es$', ''),
                                           regexp_replace(g, 's$', '')] LOOP
                    IF alt <> g AND NOT alt = ANY (forms) AND EXISTS (
                           SELECT 1 FROM khnet_search_terms t WHERE t.kind = 'word' AND t.term = alt) THEN
                        forms := forms || alt;
                    END IF;
                END LOOP;
                -- a word nobody uses: its closest vocabulary word (a typo;
                -- looked up already in step 2 unless typed last)
                IF cardinality(forms) = 1 AND g = ANY (typo_w) THEN
                    alt := typo_to[array_position(typo_w, g)];
                    IF alt IS NOT NULL THEN forms := forms || alt; END IF;
                ELSIF cardinality(forms) = 1
                   AND NOT EXISTS (SELECT 1 FROM khnet_search_terms t WHERE t.kind = 'word' AND t.term = g)
                   AND NOT EXISTS (SELECT 1 FROM khnet_search_name_words nw WHERE nw.term = g) THEN
                    SELECT t.term INTO alt FROM khnet_search_terms t
                     WHERE t.kind = 'word' AND t.term % g ORDER BY t.term <-> g, t.term LIMIT 1;
                    IF alt IS NOT NULL THEN forms := forms || alt; END IF;
                END IF;
            END IF;
        END IF;
        -- the tsqueries
        tq := khnet_search_forms_tsquery(forms, pre);
        CONTINUE WHEN tq IS NULL;
        ntq := khnet_search_forms_tsquery(nforms, false);
        -- its weight: how rare the term is (a word no concept claimed says
        -- less about a field than a recognised concept, "detection" in
        -- "computer vision for fish disease detection": half its idf)
        IF ndocs IS NULL THEN SELECT * INTO ndocs, mce, mcf FROM khnet_search_stats(); END IF;
        wt := khnet_search_idf(CASE WHEN ntq IS NULL THEN tq ELSE tq || ntq END,
                               forms || nforms, pre, mce, mcf, ndocs)
              * CASE WHEN seg_kind[i] = 'word' AND 'concept' = ANY (seg_kind) THEN 0.5 ELSE 1 END;
        -- a concept no member wrote as a keyword, nor any narrower one
        -- (the vocabulary holds every keyword): the labels of its broader
        -- concepts, up to three levels up, count like narrower ones, so
        -- that a request for a specialty nobody lists finds the field's
        -- experts ranked after any who mention it ("recirculating
        -- aquaculture system design": aquaculture experts, not designers
        -- of curricula).  Their own labels only: with their narrower
        -- concepts too (a whole sector's vocabulary) such a search cost
        -- ~5 times the database CPU at 200,000 profiles; with the labels
        -- only, 1.5-2 times (and the mean over the bench's queries 5 %)
        binfo := '[]';
        IF seg_kind[i] = 'concept' THEN
            up := 0;
            WHILE up < 3 AND NOT EXISTS (SELECT 1 FROM khnet_search_terms t
                                          WHERE t.kind = 'expertise' AND t.term = ANY (allf || alln)) LOOP
                SELECT array_agg(DISTINCT k.target_id) INTO cids FROM khnet_concept_links k
                 WHERE k.kind = 'broader' AND k.concept_id = ANY (cids);
                EXIT WHEN cids IS NULL;
                SELECT x.forms, x.allf, x.info INTO bx FROM khnet_search_expansion_own(cids) x;
                nforms := coalesce((khnet_search_prune(bx.forms || nforms, forms))[1:40], '{}');
                alln := alln || bx.allf;
                binfo := binfo || (bx.info -> 'concepts');
                up := up + 1;
            END LOOP;
            IF up > 0 THEN
                ntq := khnet_search_forms_tsquery(nforms, false);
            END IF;
        END IF;
        terms := terms || seg_term[i]; ex := ex || tq; nar := nar || ntq;
        allf := coalesce(allf, forms);
        eqf := eqf || allf || alln;
        eqt := eqt || array_fill(cardinality(terms), ARRAY[cardinality(allf)])
                   || array_fill(-cardinality(terms), ARRAY[cardinality(alln)]);
        w := w || wt::real;
        expanded := expanded || jsonb_build_array(jsonb_build_object(
            'term', seg_term[i], 'kind', seg_kind[i], 'forms', to_jsonb(forms[1:30]),
            'narrower', to_jsonb(nforms[1:30]), 'prefix', pre,
            'weight', round(w[cardinality(w)]::numeric, 3)) || info
            || CASE WHEN binfo <> '[]' THEN jsonb_build_object('broader', binfo) ELSE '{}' END
            || CASE WHEN seg_typed[i] IS NOT NULL THEN jsonb_build_object('typed', seg_typed[i],
                        'corrected', seg_fixed[i]) ELSE '{}' END);
    END LOOP;
END
$$;

DROP FUNCTION IF EXISTS khnet_search_where(tsvector, tsvector, tsquery, boolean);
DROP FUNCTION IF EXISTS khnet_search_where(tsvector, tsvector, tsquery, tsquery, tsquery, tsquery, boolean);

-- How much 0.1 * ts_rank(weights at most 0.1, no normalisation) of a
-- document for q can add to a score, with a margin for rounding to real:
-- q's top operator an AND or a phrase: the matches combine as
-- probabilities (1 - prod(1 - w)), at most 1, so 0.1; otherwise each
-- distinct word adds at most (w + w * pi^2/6) / (pi^2/6) = 0.1608 and the
-- sum is divided by the number of words: 0.01608.  A prefix word adds one
-- such share per lexeme it matches: no bound (infinity).
CREATE OR REPLACE FUNCTION khnet_search_rank_margin(q tsquery) RETURNS real
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    -- the operators outside any parentheses (the words are alphanumeric)
    t text := regexp_replace(q::text, '''(?:[^'']|'''')*''', 'x', 'g');
BEGIN
    IF q IS NULL OR strpos(q::text, ':*') > 0 THEN
        RETURN 'Infinity';
    END IF;
    WHILE t ~ '\([^()]*\)' LOOP
        t := regexp_replace(t, '\([^()]*\)', 'x', 'g');
    END LOOP;
    RETURN CASE WHEN strpos(t, '|') > 0 OR t !~ '[&<]' THEN 0.0211 ELSE 0.105 END;
END
$$;

-- eqf/eqt (khnet_search_plan) for khnet_search_cover: per term i,
-- eqx[i][1] the JSON array of its forms, each once, and eqx[i][2] a JSON
-- object whose keys are its narrower concepts' forms (NULL for none).
-- Whether a candidate's keywords hold one is then one operator on the
-- keyword array (?|: a scan of the term's few forms per keyword; a binary
-- search of the object's keys for the narrower ones, ~60 for
-- aquaculture), with no per-keyword lookup, array to parse or subquery
-- to run for each candidate (khnet_search_cover_sql).  The two arrays,
-- as a plan makes them, are read in one pass (unnest): eqf[j] walks the
-- array from its start each time.
DROP FUNCTION IF EXISTS khnet_search_eqj(text[], int[]);
CREATE OR REPLACE FUNCTION khnet_search_eqx(eqf text[], eqt int[], n int) RETURNS jsonb[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN (SELECT array_agg(ARRAY[x.own, x.nar] ORDER BY x.i)
              FROM (SELECT i.i,
                           (SELECT jsonb_agg(DISTINCT u.f) FROM unnest(eqf, eqt) u(f, t)
                             WHERE u.t = i.i AND u.f IS NOT NULL) AS own,
                           (SELECT jsonb_object_agg(v.f, 1) FROM (
                                SELECT DISTINCT u.f FROM unnest(eqf, eqt) u(f, t)
                                 WHERE u.t = -i.i AND u.f IS NOT NULL) v) AS nar
                      FROM generate_series(1, n) i) x);
END
$$;

-- A tsquery whose every word must carry weight wt (A, B or C): `doc @@
-- khnet_search_weighted(q, 'A')` is `ts_filter(doc, '{a}') @@ q` (a
-- phrase's positions are the document's in both) without copying the
-- document for each test.  Built once per query, it makes the coverage
-- of a candidate about twice as cheap.
CREATE OR REPLACE FUNCTION khnet_search_weighted(q tsquery, wt text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT regexp_replace(q::text, '(''(?:[^'']|'''')*'')(?::(\*))?', '\1:\2' || wt, 'g')::tsquery
$$;


-- How well a document covers a query's terms.  Per term: whether it
-- matches as itself (or a synonym, or in the other language: 1) or else
-- through a narrower concept (0.6), and where: in an expertise keyword
-- that is one of its forms (0.55; 0.35 when the keyword only holds it,
-- "lobster aquaculture" for aquaculture), the A fields (keywords and
-- sector names: 0.2), headline and
-- name (0.15), bio and affiliation (0.1) — each field it appears in adds
-- up, so an expert who lists the topic, and whose headline and bio speak of
-- it, comes before one whose sector merely bears its name.  A match
-- through a narrower concept only asks the keywords (0.2 plus 0.55 or
-- 0.35): a broader term's narrower forms are many (60 branches for
-- aquaculture), and testing each field against them was most of a
-- search's time.  The score is
-- half weighted coverage (the share of the query's idf weight matched) and
-- half that coverage times where it matched; so covering every term comes
-- first, then how well.  kwn: the expertise keywords folded, punctuation
-- as one space; eqx: per term, its forms and its narrower concepts' forms
-- (khnet_search_eqx).  A term held by two keywords, two different forms
-- of it (an expert who writes it in both languages), adds 0.1: how often
-- a profile says it, as BM25's term frequency (a keyword the thesaurus
-- holds twice, "logistics" in English and in Vietnamese, or a keyword
-- listed twice, is one); one that is the first
-- keyword 0.1 more: members list their main field first (on the judged
-- directory, where an expert's main concept is written first and a
-- secondary one after it, nDCG@10 0.958 -> 0.988; "aquaculture" 0.76 ->
-- 1.0, its secondary holders no longer mixed in).  matched: the indexes of the
-- terms covered.  The keywords holding a form are found by one jsonb
-- operator per term on the keyword array (eqx), not by joining every form
-- with every keyword as rows: ~60 forms times the keywords for each of
-- 1,000 candidates was most of a broad query's time (at 200,000 profiles
-- "nuôi trồng thủy sản" 716 -> 132 ms, a six-word query 585 -> 275 ms).
DROP FUNCTION IF EXISTS khnet_search_cover(tsvector, tsvector, text[], tsquery[], tsquery[], real[],
                                           text[], int[]);
DROP FUNCTION IF EXISTS khnet_search_cover(tsvector, tsvector, text[], tsquery[], tsquery[], tsquery[],
                                           real[], text[], int[]);

-- The ranking statement itself runs this function written out as SQL
-- (khnet_search_cover_sql, below); it stays the definition, and scores
-- what that does not (the matched terms of a page in another sort).
-- PL/pgSQL, not SQL: a SQL function that cannot be inlined starts an
-- executor per call, ~0.1 ms of each candidate's 0.13 ms at 200,000
-- profiles; the loops below do the same arithmetic in the same types.
-- exw: per term i, its query restricted to the weights A, B and C
-- (khnet_search_weighted) as exw[i][1..3].  eqx[i][1] and [2]: its forms
-- and its narrower concepts' forms as JSON (khnet_search_eqx), which
-- jsonb's key tests compare byte for byte, where comparing each keyword
-- with each of ~150 forms of a broad query (collation-aware text
-- equality) was a third of the time.
DROP FUNCTION IF EXISTS khnet_search_cover(tsvector, tsvector, text[], tsquery[], tsquery[], tsquery[],
                                           real[], jsonb);
CREATE OR REPLACE FUNCTION khnet_search_cover(doc tsvector, kw tsvector, kwn text[], ex tsquery[],
                                              exw tsquery[], nar tsquery[], w real[], eqx jsonb[],
                                              OUT score real, OUT matched int[])
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    c numeric;
    f float8;                   -- the types the SQL version had (real + numeric
    num float8;                 -- is float8, sum(real) is real), so scores and
    den real;                   -- hence the order of ties stay bit for bit
BEGIN
    IF cardinality(ex) IS DISTINCT FROM 0 AND ex IS NOT NULL THEN
    FOR i IN array_lower(ex, 1) .. array_upper(ex, 1) LOOP
        c := CASE WHEN doc @@ ex[i] THEN 1.0 WHEN nar[i] IS NOT NULL AND doc @@ nar[i] THEN 0.6 ELSE 0 END;
        -- where (khnet_search_where, inline: called, it ran as a SQL
        -- function per term and candidate, a quarter of the time); two
        -- keywords: two of the term's forms among them (what is left of
        -- its forms without the keywords is shorter by two)
        f := CASE WHEN c = 1 THEN (CASE WHEN eqx[i][1] ?| kwn THEN 0.55 WHEN kw @@ ex[i] THEN 0.35 ELSE 0 END
                                   + CASE WHEN doc @@ exw[i][1] THEN 0.2 ELSE 0 END
                                   + CASE WHEN doc @@ exw[i][2] THEN 0.15 ELSE 0 END
                                   + CASE WHEN doc @@ exw[i][3] THEN 0.1 ELSE 0 END)::real
                                  + CASE WHEN eqx[i][1] ?| kwn AND jsonb_array_length(eqx[i][1])
                                              - jsonb_array_length(eqx[i][1] - kwn) > 1 THEN 0.1 ELSE 0 END
                                  + CASE WHEN eqx[i][1] ? kwn[1] THEN 0.1 ELSE 0 END
                  WHEN c > 0 THEN 0.2 + CASE WHEN eqx[i][2] ?| kwn THEN 0.55
                                             WHEN kw @@ nar[i] THEN 0.35 ELSE 0 END
                                  + CASE WHEN eqx[i][2] ? kwn[1] THEN 0.1 ELSE 0 END
                  ELSE 0 END;
        num := CASE WHEN num IS NULL THEN w[i] * (c + c * f) ELSE num + w[i] * (c + c * f) END;
        den := CASE WHEN den IS NULL THEN w[i] ELSE den + w[i] END;
        IF c > 0 THEN matched := matched || i; END IF;
    END LOOP;
    END IF;
    score := (num / nullif(2 * den, 0))::real;
END
$$;

-- khnet_search_cover written out as SQL for a query of n terms, to put in
-- the statement that scores the candidates (khnet_search_run): a LATERAL
-- subquery of d (the candidate: the document column `doc`, expertise_tsv
-- and expertise_terms) giving score and matched, with the plan's arrays as
-- the statement's parameters ($16 ex, $17 nar, $20 w, $28 exw, $30
-- eqx).  The function's loops cost more than its tests: called per
-- candidate, its statements ran ~10 µs of each candidate's ~15 µs
-- ("aquaculture", 1,001 candidates at 200,000 profiles: 15 -> 8 ms).
-- The same tests and the same arithmetic in the same types, in the same
-- order (num a float8 sum from term 1 up, den a real one; c numeric, f
-- float8), so score and matched are bit for bit the function's.  Per
-- term, c<i> (1.0, 0.6 or 0) is computed once, in an inner subquery kept
-- apart by OFFSET 0 (flattened, each use would test the document again).
-- The keywords are tested against a term's forms with jsonb's operators
-- where the function says so: ?| (any of them a form), ? (the first one),
-- and the forms left without the keywords (`-`) for two of them, only
-- when one is.  Each keyword used to be looked up in one object of every
-- form, its terms' indexes parsed from text and gathered in a subquery
-- run per candidate (2.2 ms of "aquaculture"'s 1,001 candidates, 0.6 ms
-- now; a search 19.3 -> 18.0 ms backend CPU at 200,000 profiles, the
-- bench's queries 0.74 ms less on average).
CREATE OR REPLACE FUNCTION khnet_search_cover_sql(n int, doc text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT format('(SELECT ((%s) / nullif(2 * (%s), 0))::real AS score,'
                  ' nullif(array_remove(ARRAY[%s], NULL), ''{}'') AS matched'
                  ' FROM (SELECT %s OFFSET 0) z OFFSET 0)',
                  string_agg(format(
                      '$20[%1$s] * (z.c%1$s + z.c%1$s * (CASE WHEN z.c%1$s = 1'
                      ' THEN (CASE WHEN $30[%1$s][1] ?| d.expertise_terms THEN 0.55'
                      ' WHEN d.expertise_tsv @@ $16[%1$s] THEN 0.35 ELSE 0 END'
                      ' + CASE WHEN d.%2$I @@ $28[%1$s][1] THEN 0.2 ELSE 0 END'
                      ' + CASE WHEN d.%2$I @@ $28[%1$s][2] THEN 0.15 ELSE 0 END'
                      ' + CASE WHEN d.%2$I @@ $28[%1$s][3] THEN 0.1 ELSE 0 END)::real'
                      ' + CASE WHEN $30[%1$s][1] ?| d.expertise_terms AND jsonb_array_length($30[%1$s][1])'
                      ' - jsonb_array_length($30[%1$s][1] - d.expertise_terms) > 1 THEN 0.1 ELSE 0 END'
                      ' + CASE WHEN $30[%1$s][1] ? d.expertise_terms[1] THEN 0.1 ELSE 0 END'
                      ' WHEN z.c%1$s > 0 THEN 0.2 + CASE WHEN $30[%1$s][2] ?| d.expertise_terms THEN 0.55'
                      ' WHEN d.expertise_tsv @@ $17[%1$s] THEN 0.35 ELSE 0 END'
                      ' + CASE WHEN $30[%1$s][2] ? d.expertise_terms[1] THEN 0.1 ELSE 0 END ELSE 0 END)::float8)', i, doc),
                      ' + ' ORDER BY i),
                  string_agg(format('$20[%s]', i), ' + ' ORDER BY i),
                  string_agg(format('CASE WHEN z.c%1$s > 0 THEN %1$s END', i), ', ' ORDER BY i),
                  string_agg(format('CASE WHEN d.%2$I @@ $16[%1$s] THEN 1.0 WHEN $17[%1$s] IS NOT NULL'
                                    ' AND d.%2$I @@ $17[%1$s] THEN 0.6 ELSE 0 END AS c%1$s', i, doc),
                             ', ' ORDER BY i))
      FROM generate_series(1, n) i
$$;

-- A hit's snippet: fragments of txt with the words of q marked «so».
-- First with own, the query's terms as asked (synonyms and the other
-- language, no narrower concepts); with q, which adds those, only when
-- own marks nothing.  ts_headline's cost grows with the words of its
-- query: "aquaculture" asks ~10 as itself and ~100 with its narrower
-- concepts (5 ms a page against 1 ms).  PL/pgSQL: as a SQL function
-- (not inlinable, its FROM) the executor started for every hit, ~20 %
-- of the snippet's time.  txt is made NFC here only when it is not:
-- stored text is NFC as a rule (all 200,000 seeded profiles), and the
-- test costs about a third of normalize() on the same text (20,000
-- snippet texts: 206 against 560 ms, a loaded machine).  Whether q adds
-- anything (two tsqueries written out as text) is asked only when own
-- marked nothing.  Backend CPU per search, 7 bench queries at 200,000
-- profiles (alt.py): mean -0.33 ms, -0.09 of it the reordered test.
CREATE OR REPLACE FUNCTION khnet_search_snippet(txt text, own tsquery, q tsquery) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
    o constant text := 'StartSel=«, StopSel=», MaxWords=25, MinWords=8, MaxFragments=2,'
                       ' FragmentDelimiter=" … "';
    t constant text := CASE WHEN txt IS NFC NORMALIZED THEN txt ELSE normalize(txt, NFC) END;
    h text := ts_headline('khnet_fold', t, coalesce(own, q), o);
BEGIN
    IF strpos(h, '«') = 0 AND own IS NOT NULL AND own::text <> q::text THEN
        RETURN ts_headline('khnet_fold', t, q, o);
    END IF;
    RETURN h;
END
$$;

-- 1 when every word of a name query, as typed (lower-case, diacritics
-- kept), is a word of a full name as written: the exact name, and "Thư
-- Hồ" ranks Hồ Gia Thư above Hồ Thu Hà, whom folding makes equal.
CREATE OR REPLACE FUNCTION khnet_search_name_overlap(name_lc text, qlc text) RETURNS real
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN count(*) > 0 AND bool_and((' ' || name_lc || ' ') LIKE ('% ' || w || ' %'))
                THEN 1 ELSE 0 END::real
      FROM unnest(regexp_split_to_array(coalesce(qlc, ''), '[^[:alnum:]]+')) w WHERE w <> ''
$$;

-- What a plan matches: any term (or its narrower concepts), and every
-- quoted phrase.  PL/pgSQL: as a SQL function (an aggregate over a FROM)
-- its statement was planned again in every search, twice.
CREATE OR REPLACE FUNCTION khnet_search_any(must tsquery, ex tsquery[], nar tsquery[])
    RETURNS tsquery LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN (
    SELECT CASE WHEN must IS NULL THEN a ELSE a && must END
      FROM (SELECT string_agg('(' || CASE WHEN nar[i] IS NULL THEN ex[i] ELSE ex[i] || nar[i] END::text || ')',
                              ' | ')::tsquery AS a
              FROM generate_subscripts(ex, 1) i) s);
END
$$;

-- The tsquery a typed query matches documents with (khnet_search_experts'
-- matching, without its ranking): for tests and tools.
CREATE OR REPLACE FUNCTION khnet_search_query(q text) RETURNS tsquery
    LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN p.mode = 'terms' THEN khnet_search_any(p.must, p.ex, p.nar)
                ELSE khnet_search_tsquery(q) END
      FROM khnet_search_plan(q) p
$$;

-- One call, one row in the one shape (10_core.sql): ok with {hits, total,
-- total_exact, facets, next_key, did_you_mean, corrected, sort, expanded},
-- or invalid_value for an unknown sector (field `sectors.N`: the only
-- input the C side cannot check, the sector list is editable).  sort: 'relevance' | 'experience' | 'recent' (NULL:
-- relevance with a query, else recent).  after_key/after_id: the keyset of
-- the last hit of the previous page (score, years or updated_at
-- microseconds).  cities, affiliations: as typed (folded here).  The
-- query is planned by khnet_search_plan: terms ranked by coverage
-- (khnet_search_cover), or a name (every word must match; for what found
-- nothing, close names by trigrams); with fewer than 3 matches a spelling
-- from the vocabulary (did_you_mean), searched straight away when nothing
-- matched at all.  Generic plans for its own statements and its callees'
-- (as khnet_search_plan says; EXECUTE plans each statement anyway).
SELECT khnet_drop_old_shape('khnet_search_experts(bigint, text, text, text[], text[], text[], '
                            'text[], boolean, int, timestamptz, text, int, text, bigint, text[], '
                            'text[])');
CREATE OR REPLACE FUNCTION khnet_search_experts(
    viewer_id bigint, viewer_role text, q text, sectors text[], countries text[],
    degrees text[], langs text[], mentor boolean, min_years int, updated_since timestamptz,
    sort text, page_size int, after_key text, after_id bigint, cities text[], affiliations text[],
    OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    level int := khnet_search_level(viewer_id, viewer_role);
    doc text := 'doc' || level;            -- one of three fixed column names
    pl record;
    tsq tsquery;
    qf text := nullif(btrim(regexp_replace(khnet_fold(coalesce(q, '')), '[^[:alnum:]]+', ' ', 'g')), '');
    qlc text := nullif(btrim(lower(normalize(coalesce(q, ''), NFC))), '');
    cf text[] := (SELECT array_agg(btrim(regexp_replace(khnet_fold(c), '\s+', ' ', 'g'))) FROM unnest(cities) c);
    af text[] := (SELECT array_agg(btrim(regexp_replace(khnet_fold(a), '\s+', ' ', 'g'))) FROM unnest(affiliations) a);
    sids smallint[];
    bad int;
    did_you_mean text;
    corrected boolean := false;
    e jsonb;
    result jsonb;
    sort_kind text := coalesce(sort, CASE WHEN q IS NULL OR btrim(q) = '' THEN 'recent'
                                          ELSE 'relevance' END);
BEGIN
    IF sectors IS NOT NULL THEN
        SELECT min(i) INTO bad FROM generate_subscripts(sectors, 1) i
         WHERE NOT EXISTS (SELECT 1 FROM khnet_sectors s WHERE s.slug = sectors[i]);
        IF bad IS NOT NULL THEN
            SELECT e.* INTO status, field, body
              FROM khnet_fail('invalid_value', 'sectors.' || (bad - 1), 'unknown sector') e;
            RETURN;
        END IF;
        SELECT array_agg(s.id) INTO sids FROM khnet_sectors s WHERE s.slug = ANY (sectors);
    END IF;
    pl := khnet_search_plan(q);
    IF sort_kind = 'relevance' AND pl.mode = 'none' THEN
        sort_kind := 'recent';
    END IF;
    result := khnet_search_terms_run(level, doc, pl.mode, pl.must, pl.terms, pl.ex, pl.nar, pl.w,
                                     pl.eqf, pl.eqt,
                                     q, qf, qlc, sids, countries, degrees, langs,
                                     mentor, min_years, updated_since, sort_kind, page_size,
                                     after_key, after_id, cf, af);
    -- Nothing by text for what looks like a name: close names (typos).
    IF (result->>'total')::bigint = 0 AND qf IS NOT NULL AND q !~ '"'
       AND khnet_search_namelike(qf) THEN
        result := khnet_search_run(level, doc, 'name', khnet_search_tsquery(q), qf, qlc, sids,
                                   countries, degrees, langs, mentor, min_years, updated_since,
                                   sort_kind, page_size, after_key, after_id,
                                   NULL, NULL, NULL, NULL, NULL, NULL, NULL, cf, af);
    END IF;
    -- Misspelt words the plan read as a concept (expanded[].corrected):
    -- searched corrected already; said as for a corrected query.
    IF jsonb_path_exists(pl.expanded, '$[*] ? (@.corrected == true)') THEN
        did_you_mean := ' ' || qf || ' ';
        FOR e IN SELECT x FROM jsonb_array_elements(pl.expanded) x WHERE x ? 'typed' LOOP
            did_you_mean := replace(did_you_mean, ' ' || (e->>'typed') || ' ', ' ' || (e->>'term') || ' ');
        END LOOP;
        did_you_mean := btrim(did_you_mean);
        corrected := true;
    END IF;
    -- Poor or no match: suggest a spelling from the vocabulary; with no
    -- match at all, search with it straight away.
    IF qf IS NOT NULL AND (result->>'total')::bigint < 3 AND did_you_mean IS NULL THEN
        did_you_mean := khnet_search_correct(q);
        IF did_you_mean IS NOT NULL AND (result->>'total')::bigint = 0 THEN
            pl := khnet_search_plan(did_you_mean);
            result := khnet_search_terms_run(level, doc, pl.mode, pl.must, pl.terms, pl.ex, pl.nar,
                                             pl.w, pl.eqf, pl.eqt, did_you_mean, did_you_mean, did_you_mean, sids,
                                             countries, degrees, langs, mentor, min_years,
                                             updated_since, sort_kind, page_size, after_key,
                                             after_id, cf, af);
            corrected := true;
        END IF;
    END IF;
    status := 'ok';
    body := result || jsonb_build_object('did_you_mean', did_you_mean, 'corrected', corrected,
                                         'sort', sort_kind, 'expanded', coalesce(pl.expanded, '[]'));
END
$$;

-- The signature before issue 11 (no city or affiliation filter), kept for
-- callers that pass its fourteen arguments.  Its result became the one
-- shape with issue 8 (dropped and made again once, by the call below);
-- from then on re-applying this file keeps its identity.
SELECT khnet_drop_old_shape('khnet_search_experts(bigint, text, text, text[], text[], text[], '
                            'text[], boolean, int, timestamptz, text, int, text, bigint)');
CREATE OR REPLACE FUNCTION khnet_search_experts(
    viewer_id bigint, viewer_role text, q text, sectors text[], countries text[],
    degrees text[], langs text[], mentor boolean, min_years int, updated_since timestamptz,
    sort text, page_size int, after_key text, after_id bigint,
    OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE sql STABLE
AS $$
    SELECT * FROM khnet_search_experts(viewer_id, viewer_role, q, sectors, countries, degrees,
                                       langs, mentor, min_years, updated_since, sort, page_size,
                                       after_key, after_id, NULL::text[], NULL::text[])
$$;

-- khnet_search_run for a plan: 'terms' ranked by coverage; a 'name' (or
-- nothing) with every word required, the last one a prefix while typed
-- unless it is already a whole vocabulary word or name word: a GIN prefix
-- scan over a common word ("aquaculture:*") costs ~6 times the exact one
-- (40 ms against 7 ms at 200,000 profiles).
CREATE OR REPLACE FUNCTION khnet_search_terms_run(
    level int, doc text, mode text, must tsquery, terms text[], ex tsquery[], nar tsquery[],
    w real[], eqf text[], eqt int[], q text, qf text, qlc text, sids smallint[], countries text[],
    degrees text[], langs text[], mentor boolean, min_years int, updated_since timestamptz,
    sort_kind text, page_size int, after_key text, after_id bigint, cf text[], af text[])
    RETURNS jsonb LANGUAGE plpgsql STABLE
AS $$
DECLARE
    tsq tsquery;
BEGIN
    IF mode = 'terms' THEN
        tsq := khnet_search_any(must, ex, nar);
        RETURN khnet_search_run(level, doc, 'terms', tsq, qf, qlc, sids, countries, degrees, langs,
                                mentor, min_years, updated_since, sort_kind, page_size, after_key,
                                after_id, must, terms, ex, nar, w, eqf, eqt, cf, af);
    END IF;
    tsq := khnet_search_tsquery(q);
    IF q ~ '[[:alnum:]]$' AND (
           EXISTS (SELECT 1 FROM khnet_search_terms t
                    WHERE t.kind = 'word' AND t.term = substring(qf FROM '([[:alnum:]]+)$'))
        OR EXISTS (SELECT 1 FROM khnet_search_name_words n
                    WHERE n.term = substring(qf FROM '([[:alnum:]]+)$'))) THEN
        tsq := khnet_search_tsquery(qf || ' ');
    END IF;
    RETURN khnet_search_run(level, doc, 'text', tsq, qf, qlc, sids, countries, degrees, langs,
                            mentor, min_years, updated_since, sort_kind, page_size, after_key,
                            after_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, cf, af);
END
$$;

-- The planner's estimate of the documents meeting `cond` (khnet_search_run's
-- total above the cap: its WHERE over the documents, alias d), with the
-- parameters that WHERE may use ($1-$19, khnet_search_run's first
-- nineteen, in its order and types).  One partition is planned and its
-- estimate multiplied by their number: they split the documents by a hash
-- of the profile id, so each holds an even share of any kind of
-- document (at 200,000 profiles, over identity.py's 648 calls, the
-- totals moved by 1.4 % at the median and 6 % at most: "aquaculture"
-- 47,868 -> 48,496, "seaweed farming" 2,086 -> 2,216), and planning the
-- eight partitions, each with its fourteen indexes weighed, was most of
-- the estimate's ~1 ms (0.6 ms less a search above the cap).  Planned
-- with sequential scans only: a row estimate is the relation's whatever
-- path reads it, while the index paths and EXPLAIN writing each one's
-- condition, the whole tsquery, out to JSON were a third of the time.
-- VOLATILE: PL/pgSQL runs EXPLAIN only there.
DROP FUNCTION IF EXISTS khnet_search_estimate(text, tsquery, text, text, smallint[], text[], text[],
                                              text[], boolean, int, timestamptz, int, text, bigint,
                                              int, int, tsquery[], tsquery[], text[], text[]);
CREATE FUNCTION khnet_search_estimate(
    cond text, tsq tsquery, qf text, qlc text, sids smallint[], countries text[], degrees text[],
    langs text[], mentor boolean, min_years int, updated_since timestamptz, page_size int,
    after_key text, after_id bigint, level int, cap int, p_ex tsquery[], p_nar tsquery[],
    cities text[], affs text[])
    RETURNS bigint LANGUAGE plpgsql VOLATILE
    SET enable_seqscan = on SET enable_bitmapscan = off SET enable_indexscan = off
    SET enable_indexonlyscan = off
AS $$
DECLARE
    part regclass;             -- NULL (the table itself) without partitions
    parts int;
    plan json;
BEGIN
    SELECT h.inhrelid::regclass, count(*) OVER () INTO part, parts
      FROM pg_inherits h WHERE h.inhparent = 'khnet_search_docs'::regclass
     ORDER BY h.inhrelid LIMIT 1;
    EXECUTE format('EXPLAIN (FORMAT JSON) SELECT 1 FROM %s d WHERE %s',
                   coalesce(part, 'khnet_search_docs'), cond) INTO plan
      USING tsq, qf, qlc, sids, countries, degrees, langs, mentor, min_years, updated_since,
            page_size, after_key, after_id, level, cap, p_ex, p_nar, cities, affs;
    RETURN (plan->0->'Plan'->>'Plan Rows')::numeric::bigint * coalesce(parts, 1);
END
$$;

-- The search proper, for one match mode: 'terms' (a plan's terms, ranked
-- by coverage: below), 'text' (every word, or an exact folded full name)
-- or 'name' (trigram similarity of the full name).  The
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
    updated_since timestamptz, sort_kind text, page_size int, after_key text, after_id bigint,
    p_must tsquery, p_terms text[], p_ex tsquery[], p_nar tsquery[], p_w real[],
    p_eqf text[], p_eqt int[], cities text[], affs text[])
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
    -- the query with its prefix words as whole words (ranking only)
    tsx tsquery := CASE WHEN strpos(tsq::text, ':*') > 0
                        THEN replace(tsq::text, ':*', '')::tsquery END;
    n int := coalesce(cardinality(p_terms), 0);
    alt tsquery[];             -- per term: the term or a narrower concept
    t1 tsquery;                -- every term as itself
    t2 tsquery;                -- every term, narrower concepts allowed
    t3 tsquery;                -- all terms but one
    t2n tsquery;               -- t2 and some narrower concept (what t2 but not t1 needs)
    exw tsquery[];             -- per term: as itself in A, B, C (khnet_search_cover)
    extra text := '';          -- more columns of the candidates
    c1 text;                   -- t1's, t2's and any term's conditions on
    c2 text;                   -- d.pairs (or NULL)
    c3 text;
    pk text[] := '{}';         -- the keys of c1, c2, c3: parameters $33 on
    k2 text[];
    -- what snippets highlight first: the terms as asked, without their
    -- narrower concepts (khnet_search_snippet)
    tso tsquery := CASE WHEN mode = 'terms' THEN khnet_search_any(p_must, p_ex, NULL) ELSE tsq END;
    eqx jsonb[] := CASE WHEN mode = 'terms' THEN khnet_search_eqx(p_eqf, p_eqt, n) END;
    tier text;
    sector_read text;          -- the sector filter as the candidate reads test it
    result jsonb;
BEGIN
    IF sids IS NOT NULL THEN
        sector_read := 'd.sector_ids && $4';
        -- Every term's concept filed (khnet_concepts.sector_id) under one
        -- of the sectors asked for: the sector says little more than the
        -- terms, as those who list the concept list its sector, and the
        -- candidates test it row by row instead of ANDing its index.  The
        -- planner, taking the two as independent, ANDed the sector's
        -- bitmap in each partition (~3,600 entries) to keep the rows it
        -- had already lost to the terms and the countries: "offshore
        -- wind" in renewable energy from JP/DE/DK 23.9 -> 20.5 ms,
        -- "offshore wind" in renewable energy 19.1 -> 17.5 (200,000
        -- profiles); a sector the terms do not belong to keeps its index
        -- ("machine learning" in aquaculture: 22.9 ms with it, 30.8 without;
        -- "du lịch biển" in renewable energy from VN 40.3 against 66.4).
        -- Only the candidate reads: the rows and their order are the same
        -- (a bitmap heap scan reads in physical order), and the estimate
        -- of the total keeps the indexable form.
        IF mode = 'terms' AND n > 0 AND (
               SELECT bool_and(EXISTS (
                          SELECT 1 FROM unnest(p_eqf, p_eqt) u(f, t)
                            JOIN khnet_concept_labels l ON l.term = u.f
                            JOIN khnet_concepts c ON c.id = l.concept_id
                           WHERE u.t = i AND c.sector_id = ANY (sids)))
                 FROM generate_series(1, n) i) THEN
            sector_read := '(d.sector_ids && $4) IS TRUE';
        END IF;
    END IF;
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
    IF cities IS NOT NULL THEN
        conds := conds || 'd.vis_contact <= $14 AND d.city_fold = ANY ($18)'::text;
    END IF;
    IF affs IS NOT NULL THEN conds := conds || 'd.vis_aff <= $14 AND d.aff_fold = ANY ($19)'::text; END IF;
    -- The sector first: in filters as the candidate reads test
    -- it, in conds (every match's WHERE: the estimate of the total) in its
    -- indexable form.
    filters := coalesce(nullif(array_to_string(array_prepend(sector_read, conds), ' AND '), ''), 'true');
    IF sids IS NOT NULL THEN conds := array_prepend('d.sector_ids && $4', conds); END IF;

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
    ELSIF mode = 'terms' THEN
        -- Coverage ranking (khnet_search_cover).  The candidates come in
        -- tiers, each read only while the ones before hold at most cap:
        -- exact name, every term as itself, every term counting narrower
        -- concepts, all terms but one, any term.  So a query matching
        -- tens of thousands still ranks those covering it best, not the
        -- first thousand the index yields.
        SELECT array_agg(CASE WHEN p_nar[i] IS NULL THEN p_ex[i] ELSE p_ex[i] || p_nar[i] END ORDER BY i)
          INTO alt FROM generate_subscripts(p_ex, 1) i;
        SELECT string_agg('(' || p_ex[i]::text || ')', ' & ')::tsquery INTO t1
          FROM generate_subscripts(p_ex, 1) i;
        SELECT array_agg(ARRAY[khnet_search_weighted(p_ex[i], 'A'), khnet_search_weighted(p_ex[i], 'B'),
                               khnet_search_weighted(p_ex[i], 'C')] ORDER BY i)
          INTO exw FROM generate_subscripts(p_ex, 1) i;
        SELECT string_agg('(' || alt[i]::text || ')', ' & ')::tsquery INTO t2 FROM generate_subscripts(alt, 1) i;
        IF n >= 3 THEN
            SELECT string_agg('(' || x.q || ')', ' | ')::tsquery INTO t3 FROM (
                SELECT string_agg('(' || alt[i]::text || ')', ' & ') AS q
                  FROM generate_subscripts(alt, 1) j, generate_subscripts(alt, 1) i
                 WHERE i <> j GROUP BY j) x;
        END IF;
        IF p_must IS NOT NULL THEN t1 := t1 && p_must; t2 := t2 && p_must; t3 := t3 && p_must; END IF;
        -- A document in t2 but not in t1 misses some term as itself, so
        -- holds that term's narrower concept: t2n finds the same documents
        -- in the same order, and its index scan leaves out the t1 matches
        -- (read and tested again only to be dropped: "machine learning" by
        -- mentors, 759 matches, spent more in this tier, which found
        -- nothing, than in the first).
        SELECT t2 && ('(' || string_agg('(' || p_nar[i]::text || ')', ' | ') || ')')::tsquery INTO t2n
          FROM generate_subscripts(p_nar, 1) i WHERE p_nar[i] IS NOT NULL;
        -- Each tier's test narrowed by the documents' word pairs
        -- (41_search_pairs.sql): the index reads the pairs' posting lists,
        -- and the tsquery, made unindexable by IS TRUE, tests each row.
        -- The last two tiers (all terms but one, any term) by any term's.
        -- Their keys are parameters from $33 on (pk: their values), each
        -- tier's worked out only when the tier is read.
        SELECT p.cond, p.keys INTO c1, pk FROM khnet_search_pairs_cond(p_ex, false, 32, pk) p;
        IF (t2::text = t1::text) IS NOT TRUE THEN   -- the tier is read (below)
            SELECT p.cond, p.keys INTO c2, k2 FROM khnet_search_pairs_cond(alt, false, 32, pk) p;
            -- t2n also needs some narrower concept: their keys narrow further
            -- ("machine learning" by mentors: the tier read every document
            -- holding a pair of the term or of one of its ~20 narrower
            -- concepts, ~2,000, to find none).  Only with the terms' keys: on
            -- their own (a term without keys) they let through every document
            -- with a narrower concept of any term, where the tsvector index
            -- ANDs the terms ("autonomous underwater vehicle navigation"
            -- 39 -> 72 ms).
            IF c2 IS NOT NULL THEN
                SELECT c2 || ' AND ' || p.cond, p.keys INTO c2, k2
                  FROM khnet_search_pairs_cond((SELECT array_agg(x) FROM unnest(p_nar) x WHERE x IS NOT NULL),
                                               true, 32, k2) p;
                pk := CASE WHEN c2 IS NOT NULL THEN k2 ELSE pk END;
            END IF;
        END IF;
        IF t3 IS NOT NULL OR n <> 1 THEN
            SELECT p.cond, p.keys INTO c3, pk FROM khnet_search_pairs_cond(alt, true, 32, pk) p;
        END IF;
        conds := conds || format('(d.%I @@ $1 OR d.name_fold = $2)', doc);
        -- the score without its ts_rank part (at most 0.1: below), which
        -- the page adds where it can matter
        score := '(cv.score + CASE WHEN d.name_fold = $2 THEN 10 ELSE 0 END'
                 ' + CASE WHEN d.name_lc = $3 THEN 1 ELSE 0 END)::real';
        extra := format(', cv.score AS cvs, CASE WHEN d.name_fold = $2 THEN 10 ELSE 0 END AS nb1,'
                        ' CASE WHEN d.name_lc = $3 THEN 1 ELSE 0 END AS nb2, d.%I AS dv, cv.matched AS mt', doc);
        tier := format('SELECT d.* FROM khnet_search_docs d WHERE %s AND d.name_fold <> $2 AND %s', filters, '%s');
        pool := format('WITH e AS MATERIALIZED (SELECT d.* FROM khnet_search_docs d WHERE d.name_fold = $2 AND %1$s LIMIT $15 + 1),'
                       ' a1 AS MATERIALIZED (%2$s LIMIT $15 + 1),'
                       ' a2 AS MATERIALIZED (%3$s AND (SELECT count(*) FROM a1) <= $15 LIMIT $15 + 1),'
                       ' a3 AS MATERIALIZED (%4$s AND (SELECT count(*) FROM a1) + (SELECT count(*) FROM a2) <= $15 LIMIT $15 + 1),'
                       ' a4 AS MATERIALIZED (%5$s AND (SELECT count(*) FROM a1) + (SELECT count(*) FROM a2)'
                       '                      + (SELECT count(*) FROM a3) <= $15 LIMIT $15 + 1)'
                       ' SELECT * FROM e UNION ALL SELECT * FROM a1 UNION ALL SELECT * FROM a2'
                       ' UNION ALL SELECT * FROM a3 UNION ALL SELECT * FROM a4',
                       filters,
                       format(tier, khnet_search_narrowed(doc, '$21', c1)),
                       -- NOT t1 first: t1 (the terms as themselves) is
                       -- small, and rejects the documents of the tier
                       -- before without testing them against the narrower
                       -- concepts, which fails slowly (~14 us for the ~100
                       -- words of aquaculture's); quals of equal cost keep
                       -- the order written
                       format(tier, CASE WHEN t2::text = t1::text THEN 'false'
                                         ELSE format('NOT d.%I @@ $21 AND ', doc)
                                              || khnet_search_narrowed(doc, '$32', c2) END),
                       format(tier, CASE WHEN t3 IS NULL THEN 'false'
                                         ELSE khnet_search_narrowed(doc, '$23', c3)
                                              || format(' AND NOT d.%I @@ $22', doc) END),
                       format(tier, CASE WHEN n = 1 THEN 'false'
                                         ELSE khnet_search_narrowed(doc, '$1', c3)
                                              || format(' AND NOT d.%I @@ %s', doc,
                                                        CASE WHEN t3 IS NULL THEN '$22' ELSE '$23' END) END));
    ELSIF tsq IS NOT NULL THEN
        conds := conds || format('(d.%I @@ $1 OR d.name_fold = $2)', doc);
        score := format('(greatest(ts_rank(''{0.005,0.02,0.04,0.1}'', d.%1$I, $1),'
                        ' coalesce(ts_rank(''{0.005,0.02,0.04,0.1}'', d.%1$I, $25), 0))'
                        ' + CASE WHEN d.name_fold = $2 THEN 10 ELSE 0 END'
                        ' + khnet_search_name_overlap(d.name_lc, $3))::real', doc);
        pool := format('(SELECT d.* FROM khnet_search_docs d WHERE d.name_fold = $2 AND %1$s LIMIT $15 + 1)'
                       ' UNION ALL (SELECT d.* FROM khnet_search_docs d WHERE d.%2$I @@ $1'
                       ' AND d.name_fold <> $2 AND %1$s LIMIT $15 + 1)', filters, doc);
    ELSE
        pool := format('SELECT d.* FROM khnet_search_docs d WHERE %s LIMIT $15 + 1', filters);
    END IF;
    where_sql := CASE WHEN cardinality(conds) = 0 THEN 'true' ELSE array_to_string(conds, ' AND ') END;
    -- The candidates carry only the columns used below, not d.*: the
    -- documents of the two other visibility levels were two thirds of each
    -- copied row (the tier CTEs and cand each hold ~1,000).
    pool := replace(pool, 'SELECT d.* FROM khnet_search_docs d',
                    format('SELECT d.profile_id, d.%I, d.expertise_tsv, d.expertise_terms, d.name_fold,'
                           ' d.name_lc, d.country, d.languages, d.sector_ids, d.vis_edu, d.degree_levels,'
                           ' d.vis_career, d.years, d.updated_at FROM khnet_search_docs d', doc));

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
    IF sort_kind = 'relevance' AND mode = 'terms' THEN
        -- Coverage: the score is cv.score + 0.1 * ts_rank + the name
        -- bonuses, the candidates' `score` all but its ts_rank part.
        -- 0.1 * ts_rank adds at most $31 (khnet_search_rank_margin: 0.1,
        -- or 0.016 for the usual OR of terms and forms), so a candidate
        -- whose partial score is more than that below the (page + 1)-th
        -- best partial score of the candidates surely on this side of
        -- the keyset cannot reach the page: it keeps its partial score,
        -- and ts_rank runs for the rest ("aquaculture": its query, with
        -- the narrower concepts, has ~100 words, ~15 µs per candidate).
        -- The full score is the same expression in the same types as
        -- before.
        page_sql := format(
            'SELECT m.id, m.score, m.k, m.mt FROM (SELECT m.id, m.k, m.mt, CASE WHEN m.score >= coalesce(('
            '     SELECT t.score FROM m t WHERE %s ORDER BY t.score DESC OFFSET $11 LIMIT 1), ''-Infinity'') - $31'
            '   THEN (m.cvs + 0.1 * ts_rank(''{0.005,0.02,0.04,0.1}'', m.dv, $1) + m.nb1 + m.nb2)::real'
            '   ELSE m.score END AS score FROM m) m %s ORDER BY %s LIMIT $11 + 1',
            CASE WHEN after_id IS NOT NULL THEN 't.score + $31 < $12::real' ELSE 'true' END,
            CASE WHEN after_id IS NOT NULL THEN 'WHERE ' || keycmp ELSE '' END,
            order_by);
    ELSIF sort_kind = 'relevance' THEN
        page_sql := format('SELECT m.id, m.score, m.k FROM m %s ORDER BY %s LIMIT $11 + 1',
                           CASE WHEN after_id IS NOT NULL THEN 'WHERE ' || keycmp ELSE '' END,
                           order_by);
    ELSE
        score := '0::real';
        extra := '';
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
                   d.sector_ids, CASE WHEN d.vis_edu <= $14 THEN d.degree_levels END AS levels %9$s
              FROM (SELECT * FROM (%2$s) p0 LIMIT $15 + 1) d %7$s
        ), m AS NOT MATERIALIZED (
            -- each reader (the page, the facets) reads the first $15 of
            -- cand itself: a second copy of ~1,000 rows (in a terms
            -- search each with its document, dv) cost more: -0.23 ms a
            -- search (alt.py, 7 bench queries at 200,000 profiles)
            SELECT * FROM cand LIMIT $15
        ), page AS (%3$s
        ), hits AS (
            -- the card and snippet of the page's hits only, not of the
            -- one after it (read for next_key); the card inlined
            -- (khnet_search_card), its sector slugs a subquery planned
            -- with the statement: through khnet_profile_json's PL/pgSQL
            -- call and sector query, and with three `||` of the whole
            -- hit, a search took ~0.3 ms more backend CPU (200,000
            -- profiles, alt.py, 7 bench queries: mean -0.44 and -0.25 ms)
            SELECT pg.id, pg.score, pg.k, pg.n,
                   CASE WHEN pg.n <= $11 THEN khnet_search_card(p, $14,
                   (SELECT s.slugs FROM khnet_profile_sector_slugs(p.account_id) s),
                   jsonb_build_object('score', round(pg.score::numeric, 4), 'matched', %8$s,
                      'snippet', CASE WHEN $1 IS NOT NULL THEN
                          khnet_search_snippet(khnet_search_snippet_text(p, $14), $29, $1) END)) END AS hit
              FROM (SELECT pg.*, row_number() OVER (ORDER BY %4$s) AS n FROM page pg) pg
              JOIN khnet_profiles p ON p.account_id = pg.id
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
        $f$, score, pool, page_sql, replace(order_by, 'm.', 'pg.'), sort_kind, ckey,
        CASE WHEN mode = 'terms' AND sort_kind = 'relevance'
             THEN 'CROSS JOIN LATERAL ' || CASE WHEN n > 0 THEN khnet_search_cover_sql(n, doc)
                  ELSE format('khnet_search_cover(d.%I, d.expertise_tsv, d.expertise_terms, $16, $28, $17, $20, $30)', doc) END || ' cv'
             ELSE '' END,
        CASE WHEN mode = 'terms' AND sort_kind = 'relevance'
             THEN 'to_jsonb(ARRAY(SELECT $24[i] FROM unnest(pg.mt) i ORDER BY i))'
             WHEN mode = 'terms' THEN format('to_jsonb(ARRAY(SELECT $24[i] FROM khnet_search_docs sd'
                                             ' CROSS JOIN LATERAL khnet_search_cover(sd.%I, sd.expertise_tsv,'
                                             ' sd.expertise_terms, $16, $28, $17, $20, $30) c, unnest(c.matched) i'
                                             ' WHERE sd.profile_id = pg.id ORDER BY i))', doc)
             ELSE 'NULL::jsonb' END,
        extra);
    -- Planned once per shape and session (42_search_plans.sql): the text
    -- holds no value of the query, the pairs keys included ($33 on); ~2.6
    -- of the ~3 ms a one-concept search spent planning, 6.6 ms for six
    -- concepts.  Only for the relevance order without filters or with the
    -- mentoring and years ones: planned without the values, the planner
    -- takes default selectivities, and with a filter on a list (sectors,
    -- countries, cities...) it left the filter's index out of the
    -- candidate reads and tested the tsquery first ("du lịch biển" in Nha
    -- Trang 28 -> 94 ms, "offshore wind" in JP/DE/DK 22 -> 39 ms); with
    -- the other sorts it sorted every document for a page (no query: 64 ->
    -- 220 ms).  Those are planned for their values in every run, the keys
    -- written into the text as literals: as a prepared statement planned
    -- each time they cost 2-5 ms more (the values' text read back, the
    -- query tree copied).
    IF sort_kind = 'relevance' AND sids IS NULL AND countries IS NULL AND degrees IS NULL
       AND langs IS NULL AND updated_since IS NULL AND cities IS NULL AND affs IS NULL THEN
        result := khnet_search_prepared(sql,
            'tsquery, text, text, smallint[], text[], text[], text[], boolean, int, timestamptz,'
            ' int, text, bigint, int, int, tsquery[], tsquery[], text[], text[], real[],'
            ' tsquery, tsquery, tsquery, text[], tsquery, text[], int[], tsquery[], tsquery, jsonb[],'
            ' real, tsquery' || repeat(', int[]', cardinality(pk)),
            ARRAY[tsq::text, qf, qlc, sids::text, countries::text, degrees::text, langs::text,
                  mentor::text, min_years::text, khnet_search_lit(updated_since),
                  page_size::text, after_key, after_id::text, level::text, cap::text, p_ex::text,
                  p_nar::text, cities::text, affs::text, khnet_search_lit(p_w),
                  t1::text, t2::text, t3::text, p_terms::text, tsx::text, p_eqf::text, p_eqt::text,
                  exw::text, tso::text, eqx::text,
                  khnet_search_lit(khnet_search_rank_margin(tsq)), t2n::text] || pk);
    ELSE
        -- from the last: $33 would also match the start of $330
        FOR i IN REVERSE cardinality(pk) .. 1 LOOP
            sql := replace(sql, '$' || (32 + i), quote_nullable(pk[i]) || '::int[]');
        END LOOP;
        EXECUTE sql INTO result
            USING tsq, qf, qlc, sids, countries, degrees, langs, mentor, min_years, updated_since,
                  page_size, after_key, after_id, level, cap, p_ex, p_nar, cities, affs, p_w,
                  t1, t2, t3, p_terms, tsx, p_eqf, p_eqt, exw, tso, eqx,
                  khnet_search_rank_margin(tsq), t2n;
    END IF;

    -- Above the cap: the planner's estimate of all matches (never below
    -- what we saw).
    IF (result->>'total')::bigint > cap THEN
        result := result || jsonb_build_object(
            'total', greatest(cap + 1, khnet_search_estimate(
                         where_sql,
                         tsq, qf, qlc, sids, countries, degrees, langs, mentor, min_years,
                         updated_since, page_size, after_key, after_id, level, cap, p_ex, p_nar,
                         cities, affs)),
            'total_exact', false);
    ELSE
        result := result || jsonb_build_object('total_exact', true);
    END IF;
    RETURN result;
END
$$;

-- khnet_search_run before issue 11 (modes 'text' and 'name' only, no plan
-- and no city or affiliation filter), kept for the same reason.
CREATE OR REPLACE FUNCTION khnet_search_run(
    level int, doc text, mode text, tsq tsquery, qf text, qlc text, sids smallint[],
    countries text[], degrees text[], langs text[], mentor boolean, min_years int,
    updated_since timestamptz, sort_kind text, page_size int, after_key text, after_id bigint)
    RETURNS jsonb LANGUAGE sql VOLATILE
AS $$
    SELECT khnet_search_run(level, doc, mode, tsq, qf, qlc, sids, countries, degrees, langs,
                            mentor, min_years, updated_since, sort_kind, page_size, after_key,
                            after_id, NULL::tsquery, NULL::text[], NULL::tsquery[], NULL::tsquery[],
                            NULL::real[], NULL::text[], NULL::int[], NULL::text[], NULL::text[])
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

-- People with a word of their name starting with t (one word: a given
-- name typed alone), for the first `lim` names in (word, name) order of
-- khnet_search_name_index: a whole word comes before longer words it
-- starts ("thu" before "thuy"); one row per name as written.  Planned per
-- value like khnet_search_names_from.
CREATE OR REPLACE FUNCTION khnet_search_names_by_word(t text, lim int)
    RETURNS TABLE (profile_id bigint, name text, name_fold text)
    LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF t IS NULL OR t = '' THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE
        'SELECT x.profile_id, x.full_name, x.name_fold FROM (
             SELECT DISTINCT ON (d.name_fold, d.name_lc) d.profile_id, p.full_name, d.name_fold, nx.o
               FROM (SELECT x0.name_fold, row_number() OVER () AS o FROM (
                         SELECT w.name_fold FROM khnet_search_name_index w
                          WHERE w.word ~>=~ $1 AND w.word ~<~ khnet_prefix_end($1)
                          ORDER BY w.word USING ~<~, w.name_fold USING ~<~ LIMIT $2) x0) nx
               JOIN khnet_search_docs d ON d.name_fold = nx.name_fold
               JOIN khnet_profiles p ON p.account_id = d.profile_id
              ORDER BY d.name_fold, d.name_lc, d.profile_id) x
          ORDER BY x.o, x.name_fold'
        USING t, lim;
END
$$;

-- Always ok: {items: [{kind, text, id?, key?, other?}]} (one shape).
SELECT khnet_drop_old_shape('khnet_search_suggest(text, int)');
CREATE OR REPLACE FUNCTION khnet_search_suggest(q text, lim int,
                                                OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE sql STABLE
AS $$
    WITH f AS (SELECT btrim(regexp_replace(khnet_fold(q), '\s+', ' ', 'g')) AS t,
                      khnet_concept_term(q) AS ct),
    pre AS MATERIALIZED (
        (SELECT 0 AS tier, 'name' AS kind, n.name AS text, n.profile_id AS id, 1.0::real AS sim,
                NULL::text AS key, NULL::text AS other
           FROM khnet_search_names_from((SELECT t FROM f), lim) n LIMIT lim)
        UNION ALL
        (SELECT 0, 'name', n.name, n.profile_id, 0.99::real, NULL, NULL
           FROM khnet_search_names_by_word((SELECT t FROM f WHERE t ~ '^[[:alnum:]]+$'), lim) n LIMIT lim)
        UNION ALL
        (SELECT 0, 'concept', l.label, NULL, 0.98::real, c.key,
                (SELECT o.label FROM khnet_concept_labels o
                  WHERE o.concept_id = l.concept_id AND o.pref AND o.lang <> l.lang)
           FROM (SELECT l0.* FROM khnet_concept_labels l0, f
                  WHERE f.ct <> '' AND l0.term ~>=~ f.ct AND l0.term ~<~ khnet_prefix_end(f.ct)
                  ORDER BY l0.term USING ~<~, l0.concept_id LIMIT lim) l
           JOIN khnet_concepts c ON c.id = l.concept_id)
        UNION ALL
        (SELECT 0, t.kind, t.display, NULL, 1.0::real, NULL, NULL FROM khnet_search_terms t, f
          WHERE t.kind <> 'word' AND t.term ~>=~ f.t AND t.term ~<~ khnet_prefix_end(f.t)
          ORDER BY length(t.term), t.term LIMIT lim)
        UNION ALL
        (SELECT 1, t.kind, t.display, NULL, similarity(t.term, f.t), NULL, NULL
           FROM khnet_search_terms t, f
          WHERE t.kind <> 'word' AND t.term % f.t ORDER BY t.term <-> f.t LIMIT lim)
    ), fixed AS MATERIALIZED (
        SELECT khnet_search_name_fix(f.t) AS t FROM f WHERE (SELECT count(*) FROM pre) < lim
    ), cand AS (
        SELECT * FROM pre
        UNION ALL
        (SELECT 1, 'name', n.name, n.profile_id, similarity(n.name_fold, f.t), NULL, NULL
           FROM khnet_search_names_from((SELECT t FROM fixed), lim) n, f LIMIT lim)
    ), best AS (
        SELECT DISTINCT ON (kind, text) * FROM cand ORDER BY kind, text, tier, sim DESC
    ), top AS (
        SELECT * FROM best ORDER BY tier, sim DESC, length(text), text LIMIT lim
    )
    SELECT 'ok', NULL, jsonb_build_object('items', coalesce(jsonb_agg(
               jsonb_strip_nulls(jsonb_build_object('kind', kind, 'text', text, 'id', id,
                                                    'key', key, 'other', other))
               ORDER BY tier, sim DESC, length(text), text), '[]'))
      FROM top
$$;

-- ok {items}, or not_found when the profile does not exist (or was
-- erased), in the one shape.  Scored as
-- PROTOCOL.md says over a bounded pool, like a search's candidates: those
-- holding all of the profile's keywords, the first sharing any keyword,
-- the first sharing a sector, at most khnet_search_cap() each.  Scoring
-- every profile sharing a keyword or a sector read ~55,000 of 200,000
-- (314 ms); the pool takes 14 ms and gave the same top scores.
SELECT khnet_drop_old_shape('khnet_search_similar(bigint, text, bigint, int)');
CREATE OR REPLACE FUNCTION khnet_search_similar(viewer_id bigint, viewer_role text, pid bigint, lim int,
                                                OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE sql STABLE
AS $$
    WITH v AS (SELECT khnet_search_level(viewer_id, viewer_role) AS level),
    me AS MATERIALIZED (SELECT d.* FROM khnet_search_docs d WHERE d.profile_id = pid),
    -- each of its keywords with what counts as it (issue 11): itself and
    -- every label of the concepts it is a label of
    eq AS MATERIALIZED (
        SELECT k AS kw, k AS form FROM me, unnest(me.expertise_fold) k
        UNION
        SELECT k, khnet_fold(o.label) FROM me, unnest(me.expertise_fold) k
          JOIN khnet_concept_labels c ON c.term = khnet_concept_term(k)
          JOIN khnet_concept_labels o ON o.concept_id = c.concept_id
    ), forms AS (SELECT coalesce(array_agg(DISTINCT form), '{}') AS f FROM eq),
    pool AS MATERIALIZED (
        (SELECT d.profile_id, d.expertise_fold, d.sector_ids, d.aff_fold, d.vis_aff
           FROM khnet_search_docs d, me
          WHERE d.expertise_fold @> me.expertise_fold AND cardinality(me.expertise_fold) > 1
            AND d.profile_id <> me.profile_id LIMIT khnet_search_cap())
        UNION
        (SELECT d.profile_id, d.expertise_fold, d.sector_ids, d.aff_fold, d.vis_aff
           FROM khnet_search_docs d, me, forms
          WHERE d.expertise_fold && forms.f AND d.profile_id <> me.profile_id
          LIMIT khnet_search_cap())
        UNION
        (SELECT d.profile_id, d.expertise_fold, d.sector_ids, d.aff_fold, d.vis_aff
           FROM khnet_search_docs d, me
          WHERE d.sector_ids && me.sector_ids AND d.profile_id <> me.profile_id
          LIMIT khnet_search_cap())
    ), cand AS (
        SELECT d.profile_id AS id,
               ARRAY(SELECT DISTINCT eq.kw FROM eq WHERE eq.form = ANY (d.expertise_fold)
                      ORDER BY eq.kw) AS shared,
               (SELECT count(*) FROM unnest(d.sector_ids) s WHERE s = ANY (me.sector_ids)) AS nsec,
               (d.aff_fold = me.aff_fold AND d.vis_aff <= v.level AND me.vis_aff <= v.level) AS same_aff
          FROM pool d, me, v
    ), ranked AS (
        SELECT id, shared, 3 * cardinality(shared) + nsec + CASE WHEN same_aff THEN 1 ELSE 0 END AS score
          FROM cand ORDER BY 3 * cardinality(shared) + nsec + CASE WHEN same_aff THEN 1 ELSE 0 END DESC, id DESC
         LIMIT lim
    )
    SELECT 'ok', NULL, jsonb_build_object('items', coalesce((
        SELECT jsonb_agg(khnet_search_card(p, v.level,
                             (SELECT s.slugs FROM khnet_profile_sector_slugs(p.account_id) s),
                             jsonb_build_object('score', r.score, 'shared', to_jsonb(r.shared)))
                         ORDER BY r.score DESC, r.id DESC)
          FROM ranked r JOIN khnet_profiles p ON p.account_id = r.id, v), '[]'))
     WHERE EXISTS (SELECT 1 FROM me)
    UNION ALL
    SELECT f.* FROM khnet_fail('not_found', NULL, 'no such profile') f
     WHERE NOT EXISTS (SELECT 1 FROM me)
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

-- A term as the thesaurus understands it, for "who fits" (issue 11): when
-- t is a label of some concepts, any label of those concepts (synonyms,
-- the other language) matches it; NULL otherwise.
CREATE OR REPLACE FUNCTION khnet_search_concept_tsquery(t text) RETURNS tsquery
    LANGUAGE sql STABLE
AS $$
    SELECT string_agg('(' || phraseto_tsquery('simple', l.term)::text || ')', ' | ' ORDER BY l.term)::tsquery
      FROM (SELECT DISTINCT o.term FROM khnet_concept_labels c
              JOIN khnet_concept_labels o ON o.concept_id = c.concept_id WHERE c.term = t) l
$$;

-- Significant terms of a pasted text: vocabulary phrases (expertise
-- keywords, sector names) and thesaurus labels found in it, then
-- vocabulary words not among the stop words; experts ranked by weighted
-- coverage of those terms, a term that is a concept's label matched by
-- any label of that concept (khnet_search_concept_tsquery).  The
-- coverage is computed over a bounded pool, at most khnet_search_cap()
-- from each of: the profiles matching two of the heaviest terms (two
-- phrases when there are two, else two of the first 12 terms), and the
-- first matching any term.  Scoring everyone matching any term (most of
-- the directory for common words) took 290-700 ms for a paragraph at
-- 200,000 profiles and 4.5 s for 20 KiB, against a 5 s statement
-- timeout; the pool takes 22-67 ms and 0.15 s, and for five sample
-- paragraphs gave the same ten top scores.  One shape: ok {terms, hits},
-- or invalid_value for an unknown sector (field `sectors.N`).  The text is
-- `txt` (`body` names the answer).
SELECT khnet_drop_old_shape('khnet_search_fit(bigint, text, text, text[], text[], text[], text[], '
                            'boolean, int, int)');
CREATE OR REPLACE FUNCTION khnet_search_fit(
    viewer_id bigint, viewer_role text, txt text, sectors text[], countries text[],
    degrees text[], langs text[], mentor boolean, min_years int, lim int,
    OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    level int := khnet_search_level(viewer_id, viewer_role);
    doc text := 'doc' || level;
    f text := ' ' || btrim(regexp_replace(khnet_fold(txt), '[^[:alnum:]]+', ' ', 'g')) || ' ';
    terms text[];
    words text[];
    bad int;
    sids smallint[];
    conds text[] := '{}';
BEGIN
    IF sectors IS NOT NULL THEN
        SELECT min(i) INTO bad FROM generate_subscripts(sectors, 1) i
         WHERE NOT EXISTS (SELECT 1 FROM khnet_sectors s WHERE s.slug = sectors[i]);
        IF bad IS NOT NULL THEN
            SELECT e.* INTO status, field, body
              FROM khnet_fail('invalid_value', 'sectors.' || (bad - 1), 'unknown sector') e;
            RETURN;
        END IF;
        SELECT array_agg(s.id) INTO sids FROM khnet_sectors s WHERE s.slug = ANY (sectors);
    END IF;
    -- phrases of 2+ words from the vocabulary and the thesaurus's labels
    -- (issue 11: a concept named in the text counts even when nobody wrote
    -- it that way)
    SELECT array_agg(DISTINCT x.t) INTO terms FROM (
        SELECT regexp_replace(t.term, '[^[:alnum:]]+', ' ', 'g') AS t
          FROM khnet_search_terms t WHERE t.kind IN ('expertise', 'sector')
        UNION ALL
        SELECT l.term FROM khnet_concept_labels l) x
     WHERE x.t LIKE '% %' AND position(' ' || x.t || ' ' IN f) > 0;
    SELECT array_agg(w ORDER BY w) INTO words FROM (
        SELECT DISTINCT w FROM regexp_split_to_table(btrim(f), ' ') w
         WHERE length(w) >= 3 AND w <> ALL (khnet_search_stopwords())
           AND EXISTS (SELECT 1 FROM khnet_search_terms t WHERE t.kind = 'word' AND t.term = w)) s;
    terms := coalesce(terms, '{}');
    words := coalesce(words, '{}');
    status := 'ok';
    IF cardinality(terms) + cardinality(words) = 0 THEN
        body := jsonb_build_object('terms', '[]'::jsonb, 'hits', '[]'::jsonb);
        RETURN;
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
            SELECT t AS term, 3 AS w, coalesce(khnet_search_concept_tsquery(t),
                                                phraseto_tsquery('simple', t)) AS tq
              FROM unnest($1::text[]) t
            UNION ALL
            SELECT t, 1, coalesce(khnet_search_concept_tsquery(t), to_tsquery('simple', quote_literal(t)))
              FROM unnest($2::text[]) t
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
            SELECT jsonb_agg(khnet_search_card(p, $9,
                       (SELECT x.slugs FROM khnet_profile_sector_slugs(p.account_id) x),
                       jsonb_build_object('score', s.cover, 'matched', to_jsonb(s.matched)))
                   ORDER BY s.cover DESC, s.r DESC, s.id DESC)
              FROM scored s JOIN khnet_profiles p ON p.account_id = s.id), '[]'))
        $f$, doc, CASE WHEN cardinality(conds) > 0 THEN ' AND ' || array_to_string(conds, ' AND ') ELSE '' END)
      INTO body USING terms, words, sids, countries, degrees, langs, mentor, min_years, level, lim,
                      khnet_search_cap();
END
$$;
