-- 0029_concept_words.sql — the words of the thesaurus' labels and the
-- syllable pairs of its Vietnamese labels (issue 11), for reading a query
-- (khnet_search_plan, 40_search.sql): a word of a label is no misspelling
-- even when no member uses it, a misspelt word is matched to the closest
-- label words by a trigram index, and two syllables side by side in a
-- Vietnamese label make a word of Vietnamese ("hệ thống").  Scanning the
-- ~2,000 labels for these took 5-10 ms a query word.  Kept equal to the
-- labels by khnet_concept_words_rebuild (45_thesaurus.sql) when a
-- transaction that changed them commits, and filled by that file when it
-- is applied (it runs after every numbered file, and changed with this one).

CREATE TABLE khnet_concept_words (
    kind text NOT NULL CHECK (kind IN ('word', 'pair')),  -- pair: two syllables, 'vi' labels
    term text NOT NULL,                                   -- folded, as khnet_concept_labels.term
    PRIMARY KEY (kind, term)
);
CREATE INDEX khnet_concept_words_trgm ON khnet_concept_words USING gin (term gin_trgm_ops)
    WHERE kind = 'word';
