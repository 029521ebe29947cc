-- 0024_search_doc_format.sql — which format the search documents were
-- built in (issue 11: quoted phrases stay strict).
--
-- Format 1: the pieces of a profile's text (keywords, sector names,
-- headline, name, affiliation, position) were joined with no gap between
-- them, so the last word of one keyword and the first of the next stood
-- side by side and a quoted phrase ("machine learning") matched a profile
-- whose keywords were "machine" and "learning".  Format 2 keeps the
-- pieces apart (khnet_search_gap, repeatable 40_search.sql).  The
-- repeatable file rebuilds documents older than the format it writes and
-- records the new one here; a table so that it is done once, not each
-- time that file changes.

CREATE TABLE khnet_search_doc_format (
    version int NOT NULL
);
INSERT INTO khnet_search_doc_format (version) VALUES (1);
