-- 0016_search_expansions.sql — each thesaurus term's expansion, stored
-- (issue 11: search speed).
--
-- A query word run that is a concept label (khnet_search_plan) is matched
-- by the labels of its concepts and, with a lower weight, of their
-- narrower concepts, each set pruned of forms that hold a shorter one.
-- Worked out per query that was a few queries of the thesaurus and an
-- all-pairs prune of up to ~110 narrower labels: ~2-5 ms of a broad
-- query's CPU ("aquaculture", "nuôi trồng thủy sản" at 200,000 profiles).
-- It only changes with the thesaurus, so it is kept here, one row per
-- folded label, and the thesaurus's triggers (repeatable 45_thesaurus.sql)
-- rebuild the rows of the concepts an edit touches; the repeatable file
-- fills the table when it is applied.

CREATE TABLE khnet_search_expansions (
    term   text PRIMARY KEY,      -- khnet_concept_labels.term
    cids   bigint[] NOT NULL,     -- the concepts holding it, ascending
    forms  text[] NOT NULL,       -- their labels, pruned (khnet_search_prune)
    allf   text[] NOT NULL,       -- ... before pruning
    nforms text[] NOT NULL,       -- their narrower concepts' labels, pruned, the first 40
    alln   text[] NOT NULL,       -- ... before pruning
    info   jsonb NOT NULL         -- {concepts: [{key, label_en, label_vi}]}, as `expanded` shows it
);
