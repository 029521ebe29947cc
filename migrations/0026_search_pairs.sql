-- 0026_search_pairs.sql — each search document's words and adjacent word
-- pairs, hashed, with a GIN index (issue 11: search speed).
--
-- A coverage search reads its candidates through the tsvector index, which
-- answers a phrase from the posting lists of each of its words: for
-- several concepts each with a dozen labels that is every common word of
-- the directory ("hoc", "bien", "marine"), ~3 ms per partition for ~150
-- matches.  The posting list of a word pair is short; khnet_search_run
-- narrows a tier by the pairs its phrases need and tests each row with the
-- tsquery as before (repeatable 41_search_pairs.sql says how).  A column
-- generated from the three documents, so every write of a document keeps
-- it (refresh, fill, reformat) and adding it fills the existing rows.
-- khnet_search_pairs is defined here for that; 41_search_pairs.sql holds
-- its current version.

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

SET LOCAL maintenance_work_mem = '256MB';
ALTER TABLE khnet_search_docs
    ADD COLUMN pairs int[] GENERATED ALWAYS AS (khnet_search_pairs(doc0, doc1, doc2)) STORED;
CREATE INDEX khnet_search_docs_pairs ON khnet_search_docs USING gin (pairs);
