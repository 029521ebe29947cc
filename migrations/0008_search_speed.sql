-- 0007_search_speed.sql — expert search at 200,000 profiles: bulk loads
-- build the search read model once instead of once per COPY, and a search
-- ranks, counts and facets a bounded candidate set instead of every match.
--
-- What was slow (measured on 200,000 seeded profiles, 2 cores):
-- * `khnetd seed` took ~200 s: the statement triggers rebuilt every seeded
--   profile's three documents after the profiles COPY, again after the
--   sectors COPY, and updated them after the degrees COPY, each pass through
--   seven GIN indexes (one of them, on terms_fold, used by no query).
-- * A query took 175–855 ms: it scored every match with ts_rank (tens of
--   thousands for "aquaculture"), counted every match for facets, and OR'ed
--   a trigram name condition (`name_fold % q`) into every query, which on
--   Vietnamese names (few family names, shared by everyone) walks posting
--   lists holding most of the table (~200 ms alone).
--
-- Now:
-- * Writers in a session with `khnet.search_defer = on` skip the
--   triggers; such a writer (the seed, an import) calls khnet_search_fill()
--   before it commits, which builds the missing documents in one set-based
--   statement.  The server never sets the flag.
-- * A search takes at most khnet_search_cap() candidates: every match when
--   there are that few (then total and facets are exact, as before), else
--   the exact-name matches plus the first matches the GIN index yields
--   (physical order: reading stops after the cap), and ranks only those.  Beyond the cap
--   `total` is the planner's estimate (total_exact false) and facets count
--   the candidates; PROTOCOL.md says so.
-- * The trigram name branch runs only when the query looks like a name
--   (2–5 words, letters only, no quotes) and full text found nothing.

-- ---- the read model ----------------------------------------------------------

DROP INDEX khnet_search_docs_terms_trgm;
ALTER TABLE khnet_search_docs DROP COLUMN terms_fold;

-- Folding is most of the cost of building a document, and NFC
-- normalisation most of folding (~16 µs a call); text that is already NFC
-- (nearly all) skips it after a quick check.  Same results, so indexes on
-- folded columns stay valid.
CREATE OR REPLACE FUNCTION khnet_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT khnet_unaccent(lower(CASE WHEN $1 IS NFC NORMALIZED THEN $1
                                       ELSE normalize($1, NFC) END)) $$;

-- One row per live profile as khnet_search_docs holds it (the columns in
-- table order).  The single definition behind the per-statement refresh
-- and the bulk fill; a filter on profile_id is pushed into it.  Each piece
-- of text is folded once (expertise keywords joined by U+001F, which
-- folding keeps, then split again); OFFSET 0 keeps the planner from
-- pulling the LATERAL subqueries up, which would copy each folding call
-- into every expression that uses its result (3-4 times the work).
CREATE VIEW khnet_search_doc_source AS
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
CREATE FUNCTION khnet_search_vocab(ids bigint[]) RETURNS TABLE (term text, kind text, display text)
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
-- on khnet_search_docs until commit: searches wait for the load.
CREATE FUNCTION khnet_search_fill() RETURNS bigint
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
            EXECUTE def;
        END LOOP;
    END IF;
    RETURN n;
END
$$;

CREATE FUNCTION khnet_search_deferred() RETURNS boolean
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

-- ---- search --------------------------------------------------------------------

-- Candidates a search ranks, counts and facets at most; the bound up to
-- which total and facets are exact.
CREATE FUNCTION khnet_search_cap() RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 1000 $$;

-- A query that may be a person's name: 2–5 words of letters, no quotes.
CREATE FUNCTION khnet_search_namelike(qf text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT qf ~ '^[[:alpha:]]+( [[:alpha:]]+){1,4}$' $$;

DROP FUNCTION khnet_search_run(int, text, tsquery, text, text, smallint[], text[], text[], text[],
                               boolean, int, timestamptz, text, int, text, bigint);

-- The search proper, for one match mode: 'text' (full text, or an exact
-- folded full name) or 'name' (trigram similarity of the full name).  The
-- statement is put together from fixed fragments (filters present, the
-- viewer's document column, the sort); every value is a parameter.
--
-- Shape: `cand` is the bounded candidate set (cap + 1 rows: exact-name
-- matches first, then the first matches in index order); with sort relevance it
-- is scored and paged; with the other sorts the page is read straight from
-- all matches in key order (exact paging, as before) and `cand` only feeds
-- total and facets.  VOLATILE only because PL/pgSQL refuses EXPLAIN (the
-- estimate) elsewhere; it writes nothing.  No JIT (compiling costs more
-- than these plans run), no parallel workers (many small queries at once),
-- and no sequential scans: with LIMIT the planner likes a seq scan that
-- evaluates @@ on every row until enough match, 300 ms for a rare word.
CREATE FUNCTION khnet_search_run(
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
    key text;
    keycmp text;
    order_by text;
    where_sql text;
    filters text;
    pool text;
    page_sql text;
    sql text;
    plan json;
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
        score := format('(ts_rank(''{0.05,0.2,0.4,1.0}'', d.%I, $1)'
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

    -- The page: relevance from the scored candidates; the other sorts over
    -- every match (an index or a top-N sort, no scoring).
    IF sort_kind = 'relevance' THEN
        page_sql := format('SELECT m.id, m.score, m.k FROM m %s ORDER BY %s LIMIT $11 + 1',
                           CASE WHEN after_id IS NOT NULL THEN 'WHERE ' || keycmp ELSE '' END,
                           order_by);
    ELSE
        page_sql := format('SELECT m.id, m.score, m.k FROM (SELECT d.profile_id AS id, 0::real AS score,'
                           ' %s AS k FROM khnet_search_docs d WHERE %s) m %s ORDER BY %s LIMIT $11 + 1',
                           key, where_sql,
                           CASE WHEN after_id IS NOT NULL THEN 'WHERE ' || keycmp ELSE '' END,
                           order_by);
    END IF;

    sql := format($f$
        WITH cand AS MATERIALIZED (
            SELECT d.profile_id AS id, %1$s AS score, 0 AS k, d.country, d.languages,
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
                                      FROM (SELECT sid, count(*) AS n FROM m, unnest(m.sector_ids) sid
                                             GROUP BY sid) c JOIN khnet_sectors s ON s.id = c.sid), '[]'),
                'country', coalesce((SELECT jsonb_agg(jsonb_build_object('value', c.country, 'count', c.n)
                                                      ORDER BY c.n DESC, c.country)
                                       FROM (SELECT country, count(*) AS n FROM m
                                              WHERE country IS NOT NULL GROUP BY country) c), '[]'),
                'degree_level', coalesce((SELECT jsonb_agg(jsonb_build_object('value', c.l, 'count', c.n)
                                                           ORDER BY c.n DESC, c.l)
                                            FROM (SELECT l, count(*) AS n FROM m, unnest(m.levels) l
                                                   GROUP BY l) c), '[]'),
                'language', coalesce((SELECT jsonb_agg(jsonb_build_object('value', c.l, 'count', c.n)
                                                       ORDER BY c.n DESC, c.l)
                                        FROM (SELECT l, count(*) AS n FROM m, unnest(m.languages) l
                                               GROUP BY l) c), '[]')))
        $f$, score, pool, page_sql, replace(order_by, 'm.', 'pg.'), sort_kind);
    EXECUTE sql INTO result
        USING tsq, qf, qlc, sids, countries, degrees, langs, mentor, min_years, updated_since,
              page_size, after_key, after_id, level, cap;

    -- Above the cap: the planner's estimate of all matches (never below
    -- what we saw).
    IF (result->>'total')::bigint > cap THEN
        EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM khnet_search_docs d WHERE ' || where_sql
           INTO plan
          USING tsq, qf, qlc, sids, countries, degrees, langs, mentor, min_years, updated_since,
                page_size, after_key, after_id, level, cap;
        result := result || jsonb_build_object(
            'total', greatest(cap + 1, (plan->0->'Plan'->>'Plan Rows')::numeric::bigint),
            'total_exact', false);
    ELSE
        result := result || jsonb_build_object('total_exact', true);
    END IF;
    RETURN result;
END
$$;

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
    -- A last word that is already a whole vocabulary word is matched as
    -- itself, not as a prefix: a GIN prefix scan over a common word
    -- ("aquaculture:*") costs ~6 times the exact one (40 ms against 7 ms at
    -- 200,000 profiles).
    IF q ~ '[[:alnum:]]$' AND EXISTS (
           SELECT 1 FROM khnet_search_terms t
            WHERE t.kind = 'word' AND t.term = substring(qf FROM '([[:alnum:]]+)$')) THEN
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

-- ---- GET /v1/suggest -----------------------------------------------------------
-- As before, but the trigram branch over 200,000 names (slow: common
-- trigrams) runs only when the prefix branches found fewer than `lim`.
CREATE OR REPLACE FUNCTION khnet_search_suggest(q text, lim int) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    WITH f AS (SELECT btrim(regexp_replace(khnet_fold(q), '\s+', ' ', 'g')) AS t),
    pre AS MATERIALIZED (
        (SELECT 0 AS tier, 'name' AS kind, p.full_name AS text, d.profile_id AS id, 1.0::real AS sim
           FROM khnet_search_docs d JOIN khnet_profiles p ON p.account_id = d.profile_id, f
          WHERE d.name_fold LIKE f.t || '%' ORDER BY d.name_fold, d.profile_id LIMIT lim)
        UNION ALL
        (SELECT 0, t.kind, t.display, NULL, 1.0::real FROM khnet_search_terms t, f
          WHERE t.kind <> 'word' AND t.term LIKE f.t || '%' ORDER BY length(t.term), t.term LIMIT lim)
        UNION ALL
        (SELECT 1, t.kind, t.display, NULL, similarity(t.term, f.t) FROM khnet_search_terms t, f
          WHERE t.kind <> 'word' AND t.term % f.t ORDER BY t.term <-> f.t LIMIT lim)
    ), cand AS (
        SELECT * FROM pre
        UNION ALL
        (SELECT 1, 'name', p.full_name, d.profile_id, similarity(d.name_fold, f.t)
           FROM khnet_search_docs d JOIN khnet_profiles p ON p.account_id = d.profile_id, f
          WHERE (SELECT count(*) FROM pre) < lim AND d.name_fold % f.t
          ORDER BY d.name_fold <-> f.t LIMIT lim)
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
