-- 0011_search_perf.sql — per-query cost of POST /v1/search/experts at
-- 200,000 profiles (tests/bench/search), measured with EXPLAIN (ANALYZE,
-- BUFFERS) on a seeded database.
--
-- * khnet_search_docs is split into 8 hash partitions, so that the
--   candidate read (LIMIT cap + 1) of a common word stops after the first
--   partitions instead of building a GIN bitmap of every match (below).
-- * No index served the country filter: a query with a country and a
--   sector ("filters only": aquaculture in AU) read every profile of the
--   sector from the heap twice (candidates, then the page by recency) and
--   dropped 9 in 10 on the country (~100 ms; "offshore wind" in JP/DE/DK
--   plus a sector: ~28 ms).  A btree on country lets the planner AND it
--   with the text or sector bitmap (~17 ms and ~13 ms).
--   Likewise (willing, years) for the mentoring and years filters.
-- * Facets: unnest as a set-returning function in the target list
--   (ProjectSet) instead of a LATERAL function scan per candidate; the
--   four facet counts over 1,000 candidates cost ~1 ms instead of ~2.6 ms.
--   Same counts.
--
-- Looked at and left (numbers in the commit message): a RUM index
-- ordering by rank (`<=>`) took 12 ms for the top 21 of "aquaculture"
-- and 21 ms for "cang & bien", more than the GIN bitmap plus ts_rank over
-- 1,000 candidates, with rank weights that differ from ours; a smaller
-- candidate bound would make totals and facets inexact above it, which
-- PROTOCOL.md promises up to 1,000; ts_headline over a page costs ~0.3 ms
-- warm.  khnet_search_run is the 0009 text with the facet subqueries
-- rewritten.

-- ---- khnet_search_docs in 8 hash partitions -----------------------------------
--
-- A search reads at most cap + 1 candidates, but a GIN bitmap scan first
-- collects every match of the query (36,000 TIDs for "aquaculture",
-- ~4 ms) and sorts their pages (~2 ms) before the first row comes back:
-- the LIMIT stops the heap reads, not the index.  Split by hash of
-- profile_id, the same read is an Append over 8 partitions that runs them
-- in turn and stops once it has cap + 1 rows, so a common word builds the
-- bitmap of one partition (1/8 of the work).  Measured per candidate
-- query (1,001 rows, ranked), 200,000 profiles: "aquaculture" 7.3 -> 1.2
-- ms, "nuoi & trong & thuy & san" 8.6 -> 1.7, "green <-> finance" 4.2 ->
-- 1.6, "coral & reef & oceanography" 2.6 -> 1.1; a query whose matches
-- are all rare words pays 8 small scans instead of one ("tran & van &
-- hoa", 812 matches: 2.4 -> 3.0 ms).  Candidates are now "the first
-- matches the index yields" partition by partition; same rules
-- otherwise.  Nothing outside this file names a partition.

ALTER TABLE khnet_search_docs RENAME TO khnet_search_docs_0004;
CREATE TABLE khnet_search_docs (LIKE khnet_search_docs_0004 INCLUDING DEFAULTS)
    PARTITION BY HASH (profile_id);
DO $$
BEGIN
    FOR i IN 0 .. 7 LOOP
        EXECUTE format('CREATE TABLE khnet_search_docs_p%s PARTITION OF khnet_search_docs'
                       ' FOR VALUES WITH (MODULUS 8, REMAINDER %s)', i, i);
    END LOOP;
END
$$;
INSERT INTO khnet_search_docs SELECT * FROM khnet_search_docs_0004;
DROP TABLE khnet_search_docs_0004;
ALTER TABLE khnet_search_docs
    ADD CONSTRAINT khnet_search_docs_pkey PRIMARY KEY (profile_id),
    ADD CONSTRAINT khnet_search_docs_profile_id_fkey FOREIGN KEY (profile_id)
        REFERENCES khnet_profiles (account_id) ON DELETE CASCADE;
SET LOCAL maintenance_work_mem = '256MB';
CREATE INDEX khnet_search_docs_doc0 ON khnet_search_docs USING gin (doc0);
CREATE INDEX khnet_search_docs_doc1 ON khnet_search_docs USING gin (doc1);
CREATE INDEX khnet_search_docs_doc2 ON khnet_search_docs USING gin (doc2);
CREATE INDEX khnet_search_docs_name_trgm ON khnet_search_docs USING gin (name_fold gin_trgm_ops);
CREATE INDEX khnet_search_docs_name_prefix ON khnet_search_docs (name_fold text_pattern_ops);
CREATE INDEX khnet_search_docs_expertise ON khnet_search_docs USING gin (expertise_fold);
CREATE INDEX khnet_search_docs_sectors ON khnet_search_docs USING gin (sector_ids);
CREATE INDEX khnet_search_docs_updated ON khnet_search_docs (updated_at DESC, profile_id DESC);

-- No index served the country filter (see the top of this file).
CREATE INDEX khnet_search_docs_country ON khnet_search_docs (country);
-- "willing to mentor" with a minimum of years ("machine learning",
-- mentors with 10+ years: 759 of ~7,000 text matches) filtered every text
-- match in the heap (19 ms); with this index the planner ANDs the range
-- into the text bitmap (14 ms).
CREATE INDEX khnet_search_docs_mentor_years ON khnet_search_docs (willing, years);
ANALYZE khnet_search_docs;

-- khnet_search_fill (0008) drops the table's GIN indexes and recreates
-- them from pg_get_indexdef around a bulk load.  For a partitioned
-- table's index that text reads "ON ONLY khnet_search_docs", which would
-- create the parent index alone (invalid, no partition indexes); run
-- without ONLY it builds them on every partition.  Otherwise the 0008
-- text.
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
        $f$, score, pool, page_sql, replace(order_by, 'm.', 'pg.'), sort_kind);
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
