-- 41_search_pairs.sql — word pairs of the search documents, a cheap
-- necessary condition for their phrase matches (issue 11: search speed).
--
-- Why: a coverage search's candidates (khnet_search_run, the tiers) are
-- documents matching an AND of ORs of phrases ("marine" <-> "biology" |
-- "sinh" <-> "hoc" <-> "bien" | ...).  The tsvector GIN index answers that
-- from the posting lists of every word of every phrase, and the common ones
-- ("hoc", "bien", "marine": tens of thousands of documents each) were most
-- of the time of a multi-concept query (~3 ms per partition, 8 partitions,
-- for ~150 matches each).  khnet_search_docs.pairs (0026) holds, hashed,
-- each word of a document and each pair of words at adjacent positions in
-- any of its three documents; a phrase's match needs its pairs there, so
-- the posting list of one pair (rare) stands in for those of its words.
-- The condition only narrows what the index yields: the tsquery test still
-- decides each row, so the matches, and their order (the bitmap heap scan
-- reads in physical order either way), are the same.  A hash collision only
-- lets a row through to that test.

-- The pairs of a document: hashtext of each word, and of "a b" for a word
-- b at the position after one of a (what `a <-> b` asks), over the three
-- documents (a viewer's level picks one; the union serves all three).
-- 0026 defines it for the generated column; this is its current version.
CREATE OR REPLACE FUNCTION khnet_search_pairs(d0 tsvector, d1 tsvector, d2 tsvector) RETURNS int[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(DISTINCT h ORDER BY h), '{}') FROM (
        SELECT hashtext(x.lexeme) AS h FROM unnest(d2) x
        UNION ALL
        SELECT hashtext(a.w || ' ' || b.w)
          FROM (SELECT DISTINCT d FROM (VALUES (d0), (d1), (d2)) v(d)) v
         CROSS JOIN LATERAL (SELECT x.lexeme AS w, unnest(x.positions) AS p FROM unnest(v.d) x) a
          JOIN LATERAL (SELECT x.lexeme AS w, unnest(x.positions) AS p FROM unnest(v.d) x) b
            ON b.p = a.p + 1
    ) s
$$;

-- One key per alternative of q, an OR of phrases as khnet_search_plan
-- builds a term ('a' <-> 'b' | 'c'): a document matching q holds one of
-- them in pairs.  For a phrase, its pair of longest words (likely the
-- rarest); for a single word, the word.  NULL (no condition) for any other
-- shape (a prefix, a weight, an AND, a gap): each alternative must read
-- back as exactly its words joined by <->, or q gets no keys.
CREATE OR REPLACE FUNCTION khnet_search_pair_keys(q tsquery) RETURNS int[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    alt text;
    ws text[];
    w text;
    best text;
    len int;
    keys int[] := '{}';
BEGIN
    IF q IS NULL OR numnode(q) = 0 OR q::text ~ '[()&!:\\]' THEN
        RETURN NULL;
    END IF;
    -- Plain expressions only (no query per alternative and word: asked
    -- that way, the ~44 alternatives of "aquaculture" with its narrower
    -- concepts took ~2 ms, and a search asks 3-4 times).
    FOREACH alt IN ARRAY string_to_array(q::text, ' | ') LOOP
        -- each word quoted, a quote inside doubled, joined by <->
        ws := string_to_array(alt, ' <-> ');
        FOR i IN 1 .. cardinality(ws) LOOP
            w := ws[i];
            IF length(w) < 2 OR left(w, 1) <> '''' OR right(w, 1) <> ''''
               OR strpos(replace(substr(w, 2, length(w) - 2), '''''', ''), '''') > 0 THEN
                RETURN NULL;
            END IF;
            ws[i] := replace(substr(w, 2, length(w) - 2), '''''', '''');
        END LOOP;
        best := ws[1];
        len := -1;
        FOR i IN 1 .. cardinality(ws) - 1 LOOP
            IF length(ws[i]) + length(ws[i + 1]) > len THEN
                len := length(ws[i]) + length(ws[i + 1]);
                best := ws[i] || ' ' || ws[i + 1];
            END IF;
        END LOOP;
        keys := keys || hashtext(best);
    END LOOP;
    RETURN keys;
END
$$;

-- The pairs condition for an AND of terms, each matched by qs[i] (an OR
-- of phrases): `d.pairs && $k` per term, ANDed; with anyof, for any of
-- them: one `&&` with all their keys.  NULL when a term has no keys: then
-- the tsvector index does better, ANDing the other terms with that one
-- ("autonomous underwater vehicle navigation", the last a prefix: the
-- pairs of the first term alone gave ~8,000 rows to test against none,
-- 24 -> 41 ms).  The keys are parameters of the statement, numbered after
-- its base ones: keys holds the values (int[] literals) of those already
-- given, and comes back with this condition's appended (unchanged when
-- cond is NULL).  So the statement's text depends on the query's shape
-- only, not on its words, and a session plans it once per shape
-- (khnet_search_prepared, 42_search_plans.sql); written into the text as
-- before, the keys made every search a new statement to plan (~2.6 ms of
-- the ~3 ms planning a one-concept search).  PL/pgSQL, each term's keys
-- worked out once: as a SQL function it was planned again in every search
-- (three calls), and for anyof it worked out every term's keys twice.
DROP FUNCTION IF EXISTS khnet_search_pairs_cond(tsquery[], boolean);
CREATE OR REPLACE FUNCTION khnet_search_pairs_cond(qs tsquery[], anyof boolean, base int,
                                                   INOUT keys text[], OUT cond text)
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    k int[];
    ks int[] := '{}';
    own text[] := '{}';
    parts text[] := '{}';
BEGIN
    FOR i IN coalesce(array_lower(qs, 1), 1) .. coalesce(array_upper(qs, 1), 0) LOOP
        k := khnet_search_pair_keys(qs[i]);
        IF k IS NULL THEN
            RETURN;
        END IF;
        ks := ks || k;
        own := own || k::text;
        parts := parts || format('d.pairs && $%s', base + cardinality(keys) + cardinality(own));
    END LOOP;
    IF anyof THEN
        -- no term at all: NULL keys, a condition that holds for no row
        keys := keys || (SELECT array_agg(DISTINCT x ORDER BY x) FROM unnest(ks) x)::text;
        cond := format('d.pairs && $%s', base + cardinality(keys));
    ELSIF cardinality(parts) > 0 THEN
        keys := keys || own;
        cond := array_to_string(parts, ' AND ');
    END IF;
END
$$;

-- A tier's test of the document column doc against the statement's
-- parameter q (khnet_search_run): narrowed by a pairs condition, the
-- tsquery made unindexable (IS TRUE: the value is never NULL) so that the
-- planner reads the pairs index and tests each row it yields; without one,
-- the plain indexable test.  PL/pgSQL: format() is STABLE, so as a SQL
-- function it was never inlined and was planned again in every search.
CREATE OR REPLACE FUNCTION khnet_search_narrowed(doc text, q text, narrow text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN CASE WHEN narrow IS NULL THEN format('d.%I @@ %s', doc, q)
                ELSE format('%s AND (d.%I @@ %s) IS TRUE', narrow, doc, q) END;
END
$$;
