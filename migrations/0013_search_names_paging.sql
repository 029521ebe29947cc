-- 0013_search_names_paging.sql — two costs of POST /v1/search/experts
-- found at 200,000 profiles (tests/bench/search; per-query latency with
-- one pgbench client, the bench's query bodies as SQL).
--
-- * A query typed as a name, "Trần Văn Hòa", searched `tran & van &
--   hoa:*`: the last word is a prefix unless it is a whole word of the
--   vocabulary (0008), and the vocabulary holds expertise and sector words,
--   not names.  "hoa:*" expands to hoa, hoai, hoan, hoang, ... in every
--   GIN partition (20.4 ms; "Nguyen Thi Minh Thu": 12.9 ms).  The words of
--   full names are now kept in khnet_search_name_words, filled by
--   statement triggers on khnet_search_docs, and a last word found there
--   is a whole word as well (9.5 ms and 4.4 ms).  They are a table of
--   their own, not vocabulary rows: the vocabulary also feeds "did you
--   mean", suggestions and "who fits this?", where "nam", "long" or "an"
--   taken from names would be noise.  Like the vocabulary, words of
--   renamed or erased profiles stay (a word, no person).
-- * sort recent or experience read the matches twice: once as candidates
--   (total and facets), once more in key order for the page.  When the
--   candidates are every match (at most cap) the page now comes from them;
--   ranking is skipped for those sorts (their hits carry score 0 as
--   before).  "keelung" (569 matches) by recent: 6.3 -> 5.1 ms; "offshore
--   wind" in JP/DE/DK, renewable energy, by experience: 13.2 -> 8.6 ms.
--   Results are the same: the answers of 30 query/sort/filter combinations
--   compared equal, byte for byte, before and after.
-- khnet_search_experts is the 0008 text with the whole-word test;
-- khnet_search_run the 0011 text with the page and the candidate key.

CREATE TABLE khnet_search_name_words (
    term text PRIMARY KEY  -- one folded word of some full name
);

INSERT INTO khnet_search_name_words (term)
SELECT DISTINCT w FROM khnet_search_docs d, regexp_split_to_table(d.name_fold, '[^[:alnum:]]+') w
 WHERE w <> '';

-- One pass over the statement's new documents (the bulk fill is one
-- statement of 200,000 rows; a row trigger would run 200,000 inserts).
CREATE FUNCTION khnet_search_on_docs_names() RETURNS trigger
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
CREATE TRIGGER khnet_search_docs_names_ins AFTER INSERT ON khnet_search_docs
    REFERENCING NEW TABLE AS new_docs FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_docs_names();
CREATE TRIGGER khnet_search_docs_names_upd AFTER UPDATE ON khnet_search_docs
    REFERENCING NEW TABLE AS new_docs FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_docs_names();

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
