-- 0014_search_inline.sql — search documents stored in line (issue 11:
-- search speed).
--
-- A row of khnet_search_docs is ~2,200 bytes (three document tsvectors of
-- ~500 bytes, one per visibility level, and the keyword columns), just above
-- the 2,032 bytes at which PostgreSQL starts moving values out of line; so
-- most rows kept a document in the TOAST table, and every test of it (`@@`
-- rechecks of the index, each field of the coverage score, ts_rank) fetched
-- it again from there: about 5 µs each, a few thousand per search.  With
-- toast_tuple_target at its maximum a row is only split when it would not
-- fit a page, so the documents stay in the row.  Set on each partition (a
-- partitioned table holds no storage parameters), then the rows are written
-- again, which rebuilds the indexes: the parameter only applies to new rows.

DO $$
DECLARE
    p regclass;
BEGIN
    FOR p IN SELECT inhrelid::regclass FROM pg_inherits
              WHERE inhparent = 'khnet_search_docs'::regclass LOOP
        EXECUTE format('ALTER TABLE %s SET (toast_tuple_target = 8160)', p);
    END LOOP;
END
$$;

-- A USING expression makes ALTER TABLE rewrite every partition (and build
-- its indexes anew, cheaper than updating each row's GIN entries); `||`
-- with an empty tsvector gives the same document, read in line.
ALTER TABLE khnet_search_docs
    ALTER COLUMN doc0 TYPE tsvector USING doc0 || ''::tsvector,
    ALTER COLUMN doc1 TYPE tsvector USING doc1 || ''::tsvector,
    ALTER COLUMN doc2 TYPE tsvector USING doc2 || ''::tsvector,
    ALTER COLUMN expertise_tsv TYPE tsvector USING expertise_tsv || ''::tsvector;
