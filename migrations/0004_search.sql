-- 0004_search.sql — expert search: the folding rule, a search read model
-- (khnet_search_docs) kept current by triggers, the vocabulary behind typo
-- correction and typeahead (khnet_search_terms), and the functions the API
-- calls, one per request: khnet_search_experts, khnet_search_suggest,
-- khnet_search_similar, khnet_search_fit.
--
-- Folding ("what a Vietnamese user expects"): NFC first, so NFD input and
-- precomposed input are the same string; then lower-case; then unaccent,
-- which drops every diacritic (tone marks and vowel marks alike) and maps
-- đ/Đ to d.  Dropping the tone mark makes the old and new placements equal
-- ("hòa" and "hoà" both fold to "hoa"; "thụy" and "thuỵ" to "thuy").
-- Every comparison in search goes through khnet_fold, on both sides.
--
-- Visibility: bio and affiliation/position sit in groups whose visibility
-- each owner picks, while names, headline, expertise and sectors are always
-- public.  We keep one weighted document per viewer level (doc0 anonymous,
-- doc1 members, doc2 liaison officers and admins), each holding exactly the
-- text that level may see.  The alternative (one document plus a recheck of
-- hidden fields per candidate) would leak through ranking unless the rank
-- were recomputed on a filtered document anyway; three documents make a
-- hidden field impossible to match, rank or highlight by construction, at
-- the cost of three GIN indexes.  Filters on grouped fields (degree, years,
-- mentoring) likewise match only where the viewer sees the group.

CREATE FUNCTION khnet_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT khnet_unaccent(lower(normalize($1, NFC))) $$;

COMMENT ON FUNCTION khnet_fold(text) IS
    'search folding: NFC, lower-case, no diacritics (đ -> d); IMMUTABLE for indexes';

-- For ts_headline only: the same lexemes as to_tsvector('simple',
-- khnet_fold(x)) but computed on the original text, so the snippet shows
-- the text as written (diacritics kept) with the matches marked.
CREATE TEXT SEARCH CONFIGURATION khnet_fold (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION khnet_fold
    ALTER MAPPING FOR word, hword, hword_part WITH public.unaccent, simple;

-- The read model: one row per profile, everything a search needs without
-- touching khnet_profiles, so matching, filtering and facet counting scan
-- one table.  Columns of grouped fields are copied with their group's
-- visibility rank (0 public, 1 members, 2 liaison).
CREATE TABLE khnet_search_docs (
    profile_id     bigint PRIMARY KEY REFERENCES khnet_profiles (account_id) ON DELETE CASCADE,
    doc0           tsvector NOT NULL,        -- what an anonymous viewer may match
    doc1           tsvector NOT NULL,        -- ... a member
    doc2           tsvector NOT NULL,        -- ... a liaison officer or admin
    name_fold      text NOT NULL,            -- khnet_fold(full_name)
    name_lc        text NOT NULL,            -- lower(NFC(full_name)): exact-with-diacritics
    terms_fold     text NOT NULL,            -- folded expertise and sector names
    expertise_fold text[] NOT NULL,          -- khnet_fold of each expertise keyword
    aff_fold       text,                     -- folded affiliation
    vis_aff        smallint NOT NULL,        -- visibility rank of affiliation/position
    country        text,
    languages      text[] NOT NULL,
    sector_ids     smallint[] NOT NULL,
    degree_levels  text[] NOT NULL,          -- distinct levels of the profile's degrees
    vis_edu        smallint NOT NULL,        -- ... visible from this rank
    years          int,
    vis_career     smallint NOT NULL,
    willing        boolean NOT NULL,
    vis_mentoring  smallint NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX khnet_search_docs_doc0 ON khnet_search_docs USING gin (doc0);
CREATE INDEX khnet_search_docs_doc1 ON khnet_search_docs USING gin (doc1);
CREATE INDEX khnet_search_docs_doc2 ON khnet_search_docs USING gin (doc2);
CREATE INDEX khnet_search_docs_name_trgm ON khnet_search_docs USING gin (name_fold gin_trgm_ops);
CREATE INDEX khnet_search_docs_name_prefix ON khnet_search_docs (name_fold text_pattern_ops);
CREATE INDEX khnet_search_docs_terms_trgm ON khnet_search_docs USING gin (terms_fold gin_trgm_ops);
CREATE INDEX khnet_search_docs_expertise ON khnet_search_docs USING gin (expertise_fold);
CREATE INDEX khnet_search_docs_sectors ON khnet_search_docs USING gin (sector_ids);
CREATE INDEX khnet_search_docs_updated ON khnet_search_docs (updated_at DESC, profile_id DESC);

-- The vocabulary: distinct folded expertise keywords, sector names and
-- public affiliations (kind), and the single words in them ('word'), with a
-- display form as first written.  Grows with the data; a term nobody uses
-- any more stays (harmless for suggestions; khnet_search_terms_rebuild()
-- trims it).
CREATE TABLE khnet_search_terms (
    term    text NOT NULL,                       -- folded
    kind    text NOT NULL CHECK (kind IN ('word', 'expertise', 'sector', 'affiliation')),
    display text NOT NULL,                       -- as written (diacritics kept)
    PRIMARY KEY (kind, term)
);
CREATE INDEX khnet_search_terms_trgm ON khnet_search_terms USING gin (term gin_trgm_ops);
CREATE INDEX khnet_search_terms_prefix ON khnet_search_terms (term text_pattern_ops);

-- ---- maintenance -----------------------------------------------------------

CREATE FUNCTION khnet_search_refresh(ids bigint[]) RETURNS void
    LANGUAGE sql VOLATILE
AS $$
    WITH src AS (
        SELECT p.*,
               coalesce((SELECT array_agg(ps.sector_id ORDER BY ps.sector_id)
                           FROM khnet_profile_sectors ps WHERE ps.profile_id = p.account_id),
                        '{}') AS sids,
               coalesce((SELECT string_agg(replace(s.slug, '_', ' ') || ' ' || s.name_en || ' '
                                           || s.name_vi, ' . ')
                           FROM khnet_profile_sectors ps JOIN khnet_sectors s ON s.id = ps.sector_id
                          WHERE ps.profile_id = p.account_id), '') AS sector_text,
               coalesce((SELECT array_agg(DISTINCT d.level) FROM khnet_degrees d
                          WHERE d.profile_id = p.account_id), '{}') AS levels
          FROM (SELECT DISTINCT unnest(ids) AS pid) i
          JOIN khnet_profiles p ON p.account_id = i.pid
          JOIN khnet_accounts a ON a.id = p.account_id AND a.erased_at IS NULL
    ), parts AS (
        SELECT src.*,
               setweight(to_tsvector('simple', khnet_fold(
                   array_to_string(expertise, ' . ') || ' . ' || sector_text)), 'A')
            || setweight(to_tsvector('simple', khnet_fold(
                   concat_ws(' . ', headline, full_name, display_name))), 'B') AS ab,
               setweight(to_tsvector('simple', khnet_fold(coalesce(bio, ''))), 'C') AS c_bio,
               setweight(to_tsvector('simple', khnet_fold(
                   concat_ws(' . ', affiliation, position))), 'C') AS c_aff
          FROM src
    )
    INSERT INTO khnet_search_docs AS d
    SELECT account_id,
           ab || CASE WHEN khnet_vis_rank(vis_bio) <= 0 THEN c_bio ELSE '' END
              || CASE WHEN khnet_vis_rank(vis_affiliation) <= 0 THEN c_aff ELSE '' END,
           ab || CASE WHEN khnet_vis_rank(vis_bio) <= 1 THEN c_bio ELSE '' END
              || CASE WHEN khnet_vis_rank(vis_affiliation) <= 1 THEN c_aff ELSE '' END,
           ab || c_bio || c_aff,
           khnet_fold(full_name), lower(normalize(full_name, NFC)),
           khnet_fold(array_to_string(expertise, ' . ') || ' . ' || sector_text),
           coalesce((SELECT array_agg(khnet_fold(e)) FROM unnest(expertise) e), '{}'),
           khnet_fold(affiliation), khnet_vis_rank(vis_affiliation),
           country, languages, sids, levels, khnet_vis_rank(vis_education),
           years_experience, khnet_vis_rank(vis_career),
           willing_to_mentor, khnet_vis_rank(vis_mentoring), updated_at
      FROM parts
    ON CONFLICT (profile_id) DO UPDATE SET
        doc0 = EXCLUDED.doc0, doc1 = EXCLUDED.doc1, doc2 = EXCLUDED.doc2,
        name_fold = EXCLUDED.name_fold, name_lc = EXCLUDED.name_lc,
        terms_fold = EXCLUDED.terms_fold, expertise_fold = EXCLUDED.expertise_fold,
        aff_fold = EXCLUDED.aff_fold, vis_aff = EXCLUDED.vis_aff, country = EXCLUDED.country,
        languages = EXCLUDED.languages, sector_ids = EXCLUDED.sector_ids,
        degree_levels = EXCLUDED.degree_levels, vis_edu = EXCLUDED.vis_edu,
        years = EXCLUDED.years, vis_career = EXCLUDED.vis_career, willing = EXCLUDED.willing,
        vis_mentoring = EXCLUDED.vis_mentoring, updated_at = EXCLUDED.updated_at;

    -- New vocabulary from these profiles (single words of 3+ letters too,
    -- for "did you mean").
    INSERT INTO khnet_search_terms (term, kind, display)
    SELECT DISTINCT ON (t.term, t.kind) t.term, t.kind, t.display FROM (
        SELECT khnet_fold(e) AS term, 'expertise' AS kind, e AS display
          FROM khnet_profiles p, unnest(p.expertise) e WHERE p.account_id = ANY (ids)
        UNION ALL
        SELECT khnet_fold(p.affiliation), 'affiliation', p.affiliation
          FROM khnet_profiles p
         WHERE p.account_id = ANY (ids) AND p.affiliation IS NOT NULL
           AND p.vis_affiliation = 'public'
        UNION ALL
        SELECT w, 'word', w
          FROM khnet_profiles p, unnest(p.expertise) e,
               regexp_split_to_table(khnet_fold(e), '[^[:alnum:]]+') w
         WHERE p.account_id = ANY (ids) AND length(w) >= 3
    ) t WHERE t.term <> ''
    ON CONFLICT DO NOTHING;
$$;

-- Sector names and their words: the vocabulary's fixed part.
CREATE FUNCTION khnet_search_sector_terms() RETURNS void
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

CREATE FUNCTION khnet_search_terms_rebuild() RETURNS void
    LANGUAGE sql VOLATILE
AS $$
    DELETE FROM khnet_search_terms;
    SELECT khnet_search_sector_terms();
    SELECT khnet_search_refresh(array_agg(account_id)) FROM khnet_profiles;
$$;

CREATE FUNCTION khnet_search_on_profiles() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM khnet_search_refresh(array_agg(account_id)) FROM changed;
    RETURN NULL;
END
$$;

CREATE FUNCTION khnet_search_on_children() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM khnet_search_refresh(array_agg(DISTINCT profile_id)) FROM changed;
    RETURN NULL;
END
$$;

-- Statement-level with transition tables, so a COPY of 200,000 rows (the
-- seed, an import) refreshes once per statement, not once per row.
CREATE TRIGGER khnet_search_profiles_ins AFTER INSERT ON khnet_profiles
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_profiles();
CREATE TRIGGER khnet_search_profiles_upd AFTER UPDATE ON khnet_profiles
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_profiles();
CREATE TRIGGER khnet_search_sectors_ins AFTER INSERT ON khnet_profile_sectors
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_children();
CREATE TRIGGER khnet_search_sectors_del AFTER DELETE ON khnet_profile_sectors
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_children();
-- Degrees only feed the degree-level filter and facet: a cheap update.
CREATE FUNCTION khnet_search_on_degrees() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE khnet_search_docs d
       SET degree_levels = coalesce((SELECT array_agg(DISTINCT g.level) FROM khnet_degrees g
                                      WHERE g.profile_id = d.profile_id), '{}')
     WHERE d.profile_id IN (SELECT profile_id FROM changed);
    RETURN NULL;
END
$$;
CREATE TRIGGER khnet_search_degrees_ins AFTER INSERT ON khnet_degrees
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_degrees();
CREATE TRIGGER khnet_search_degrees_upd AFTER UPDATE ON khnet_degrees
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_degrees();
CREATE TRIGGER khnet_search_degrees_del AFTER DELETE ON khnet_degrees
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_degrees();

CREATE FUNCTION khnet_search_on_sector_names() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM khnet_search_sector_terms();
    PERFORM khnet_search_refresh(array_agg(DISTINCT ps.profile_id))
       FROM khnet_profile_sectors ps JOIN changed c ON c.id = ps.sector_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER khnet_search_sector_names AFTER UPDATE ON khnet_sectors
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_search_on_sector_names();

-- An erased account leaves search at once.
CREATE FUNCTION khnet_search_on_erase() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM khnet_search_docs WHERE profile_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER khnet_search_erase AFTER UPDATE OF erased_at ON khnet_accounts
    FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL)
    EXECUTE FUNCTION khnet_search_on_erase();

SELECT khnet_search_terms_rebuild();

-- ---- query parsing -----------------------------------------------------------

-- The tsquery for a typed query: words are ANDed; "quoted phrases" must
-- appear as written (<->); the last word matches as a prefix unless the
-- query ends with a space or a quote (the user is still typing it).  NULL
-- when there is nothing to search for.
CREATE FUNCTION khnet_search_tsquery(q text) RETURNS tsquery
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
CREATE FUNCTION khnet_search_correct(q text) RETURNS text
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

CREATE FUNCTION khnet_search_level(viewer_id bigint, viewer_role text) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN viewer_id IS NULL THEN 0 ELSE least(khnet_viewer_level(viewer_role), 2) END $$;

-- A search hit as the viewer may see it: the directory card's public
-- fields, the grouped ones only when visible.
CREATE FUNCTION khnet_search_card(p khnet_profiles, level int) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT khnet_profile_json(p, level, false)
        || CASE WHEN khnet_vis_rank(p.vis_career) <= level
                THEN jsonb_build_object('years_experience', p.years_experience) ELSE '{}' END
$$;

-- The text a snippet is cut from: only fields the viewer may see.
CREATE FUNCTION khnet_search_snippet_text(p khnet_profiles, level int) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT normalize(concat_ws(' · ', p.headline, array_to_string(p.expertise, ', '),
                     CASE WHEN khnet_vis_rank(p.vis_affiliation) <= level
                          THEN concat_ws(', ', p.position, p.affiliation) END,
                     CASE WHEN khnet_vis_rank(p.vis_bio) <= level THEN p.bio END), NFC)
$$;

-- ---- POST /v1/search/experts ------------------------------------------------
--
-- One call, one row: {hits, total, total_exact, facets, next_key,
-- did_you_mean, corrected}, or {error: {field}} for an unknown sector (the
-- only input the C side cannot check: the sector list is editable).
-- sort: 'relevance' | 'experience' | 'recent' (NULL: relevance with a query,
-- else recent).  after_key/after_id: the keyset of the last hit of the
-- previous page (score, years or updated_at microseconds).  Facets and total
-- cover every match: ranking by relevance has to score every match anyway,
-- so counting them is nearly free and total_exact is true today (the
-- protocol keeps the right to estimate above 1000).
CREATE FUNCTION khnet_search_experts(
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

    result := khnet_search_run(level, doc, tsq, qf, qlc, sids, countries, degrees, langs,
                               mentor, min_years, updated_since, sort_kind, page_size,
                               after_key, after_id);
    -- Poor or no match: suggest a spelling from the vocabulary; with no
    -- match at all, search with it straight away.
    IF qf IS NOT NULL AND (result->>'total')::bigint < 3 THEN
        did_you_mean := khnet_search_correct(q);
        IF did_you_mean IS NOT NULL AND (result->>'total')::bigint = 0 THEN
            tsq := khnet_search_tsquery(did_you_mean);
            result := khnet_search_run(level, doc, tsq, did_you_mean, did_you_mean, sids,
                                       countries, degrees, langs, mentor, min_years,
                                       updated_since, sort_kind, page_size, after_key, after_id);
            corrected := true;
        END IF;
    END IF;
    RETURN result || jsonb_build_object('did_you_mean', did_you_mean, 'corrected', corrected,
                                        'sort', sort_kind);
END
$$;

-- The search proper.  The statement is put together from fixed fragments
-- (which filters are present, which document column the viewer's level
-- uses); every value travels as a parameter.  Dynamic SQL gives a plan made
-- for the filters actually present, which a single catch-all statement
-- ("$1 IS NULL OR ...") would not.
CREATE FUNCTION khnet_search_run(
    level int, doc text, tsq tsquery, qf text, qlc text, sids smallint[], countries text[],
    degrees text[], langs text[], mentor boolean, min_years int, updated_since timestamptz,
    sort_kind text, page_size int, after_key text, after_id bigint)
    RETURNS jsonb LANGUAGE plpgsql STABLE
AS $$
DECLARE
    conds text[] := '{}';
    score text := '0::real';
    key text;
    keycmp text;
    order_by text;
    sql text;
    result jsonb;
BEGIN
    IF tsq IS NOT NULL OR qf IS NOT NULL THEN
        -- a query matches the document, or the person's name closely
        conds := conds || format('(%s d.name_fold %% $2)',
                                 CASE WHEN tsq IS NOT NULL THEN format('d.%I @@ $1 OR', doc) END);
        score := format('(%s + CASE WHEN d.name_fold = $2 THEN 10 ELSE 0 END'
                        ' + CASE WHEN d.name_lc = $3 THEN 1 ELSE 0 END'
                        ' + CASE WHEN d.name_fold %% $2 THEN similarity(d.name_fold, $2) ELSE 0 END)::real',
                        CASE WHEN tsq IS NOT NULL
                             THEN format('ts_rank(''{0.05,0.2,0.4,1.0}'', d.%I, $1)', doc)
                             ELSE '0' END);
    END IF;
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

    sql := format($f$
        WITH m AS MATERIALIZED (
            SELECT d.profile_id AS id, %1$s AS score, %2$s AS k, d.country, d.languages,
                   d.sector_ids, CASE WHEN d.vis_edu <= $14 THEN d.degree_levels END AS levels
              FROM khnet_search_docs d
             WHERE %3$s
        ), page AS (
            SELECT m.id, m.score, m.k FROM m %4$s ORDER BY %5$s LIMIT $11 + 1
        ), hits AS (
            SELECT pg.id, pg.score, pg.k,
                   row_number() OVER (ORDER BY %6$s) AS n,
                   khnet_search_card(p, $14)
                   || jsonb_build_object('score', round(pg.score::numeric, 4),
                      'snippet', CASE WHEN $1 IS NOT NULL THEN ts_headline('khnet_fold',
                          khnet_search_snippet_text(p, $14), $1,
                          'StartSel=«, StopSel=», MaxWords=25, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "')
                      END) AS hit
              FROM page pg JOIN khnet_profiles p ON p.account_id = pg.id
        ), total AS (SELECT count(*) AS n FROM m)
        SELECT jsonb_build_object(
            'hits', coalesce((SELECT jsonb_agg(h.hit ORDER BY h.n) FROM hits h WHERE h.n <= $11), '[]'),
            'next_key', (SELECT CASE WHEN count(*) > $11 THEN
                             (SELECT concat_ws('|', CASE WHEN %7$L = 'relevance' THEN h.score::text
                                                         ELSE h.k::text END, h.id)
                                FROM hits h WHERE h.n = $11) END FROM hits),
            'total', (SELECT n FROM total),
            'total_exact', true,
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
        $f$, score, CASE WHEN sort_kind = 'relevance' THEN '0' ELSE key END,
             CASE WHEN cardinality(conds) = 0 THEN 'true' ELSE array_to_string(conds, ' AND ') END,
             CASE WHEN after_id IS NOT NULL THEN 'WHERE ' || keycmp ELSE '' END,
             order_by, replace(order_by, 'm.', 'pg.'), sort_kind);
    EXECUTE sql INTO result
        USING tsq, qf, qlc, sids, countries, degrees, langs, mentor, min_years, updated_since,
              page_size, after_key, after_id, level;
    RETURN result;
END
$$;

-- ---- GET /v1/suggest -----------------------------------------------------------
-- Names (always public) and vocabulary terms; prefix matches first (btree
-- text_pattern_ops), then trigram neighbours (GIN), at most `lim` in all.
CREATE FUNCTION khnet_search_suggest(q text, lim int) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    WITH f AS (SELECT btrim(regexp_replace(khnet_fold(q), '\s+', ' ', 'g')) AS t),
    cand AS (
        (SELECT 0 AS tier, 'name' AS kind, p.full_name AS text, d.profile_id AS id, 1.0::real AS sim
           FROM khnet_search_docs d JOIN khnet_profiles p ON p.account_id = d.profile_id, f
          WHERE d.name_fold LIKE f.t || '%' ORDER BY d.name_fold, d.profile_id LIMIT lim)
        UNION ALL
        (SELECT 0, t.kind, t.display, NULL, 1.0::real FROM khnet_search_terms t, f
          WHERE t.kind <> 'word' AND t.term LIKE f.t || '%' ORDER BY length(t.term), t.term LIMIT lim)
        UNION ALL
        (SELECT 1, t.kind, t.display, NULL, similarity(t.term, f.t) FROM khnet_search_terms t, f
          WHERE t.kind <> 'word' AND t.term % f.t ORDER BY t.term <-> f.t LIMIT lim)
        UNION ALL
        (SELECT 1, 'name', p.full_name, d.profile_id, similarity(d.name_fold, f.t)
           FROM khnet_search_docs d JOIN khnet_profiles p ON p.account_id = d.profile_id, f
          WHERE d.name_fold % f.t ORDER BY d.name_fold <-> f.t LIMIT lim)
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

-- ---- GET /v1/profiles/{id}/similar ---------------------------------------------
-- NULL when the profile does not exist (or was erased).
CREATE FUNCTION khnet_search_similar(viewer_id bigint, viewer_role text, pid bigint, lim int)
    RETURNS jsonb LANGUAGE sql STABLE
AS $$
    WITH v AS (SELECT khnet_search_level(viewer_id, viewer_role) AS level),
    me AS (SELECT d.* FROM khnet_search_docs d WHERE d.profile_id = pid),
    cand AS (
        SELECT d.profile_id AS id,
               ARRAY(SELECT unnest(d.expertise_fold) INTERSECT SELECT unnest(me.expertise_fold)) AS shared,
               (SELECT count(*) FROM unnest(d.sector_ids) s WHERE s = ANY (me.sector_ids)) AS nsec,
               (d.aff_fold = me.aff_fold AND d.vis_aff <= v.level AND me.vis_aff <= v.level) AS same_aff
          FROM khnet_search_docs d, me, v
         WHERE d.profile_id <> me.profile_id
           AND (d.expertise_fold && me.expertise_fold OR d.sector_ids && me.sector_ids)
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
CREATE FUNCTION khnet_search_stopwords() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ARRAY['the','and','for','with','from','that','this','are','was','were','will',
    'have','has','had','not','but','our','their','its','into','about','also','can','all',
    'any','more','most','such','than','then','them','they','which','who','whom','what',
    'when','where','how','new','use','used','using','based','project','projects','program',
    'management','development','research','expert','experts','call','proposal','proposals',
    'province','technology','technologies','cac','cua','cho','voi','nhung','mot','trong',
    'duoc','khong','nay','tai','tren','theo','nhu','cung','den','hoac','ve','va','la','co',
    'tinh','khanh','hoa','du','an','cong','nghe','chuyen','gia','nghien','cuu','phat','trien']::text[] $$;

-- ---- POST /v1/search/fit ---------------------------------------------------------
-- Significant terms of a pasted text: vocabulary phrases (expertise
-- keywords, sector names) found in it, then vocabulary words not among the
-- stop words; experts ranked by weighted coverage of those terms.
CREATE FUNCTION khnet_search_fit(
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
        cand AS (
            SELECT d.profile_id AS id, d.%1$I AS doc FROM khnet_search_docs d, anyq
             WHERE d.%1$I @@ anyq.tq %2$s
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
      INTO result USING terms, words, sids, countries, degrees, langs, mentor, min_years, level, lim;
    RETURN result;
END
$$;
