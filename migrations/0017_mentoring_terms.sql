-- 0017_mentoring_terms.sql — what suggestions look mentors up by (issue 10,
-- PROTOCOL.md "Mentoring"): each offering mentor's topic keys and topic
-- words, one row each, so that the mentors sharing a mentee's topics or goal
-- words are found through an index instead of folding and keying every
-- mentor's topics on every request (73 s at 200,000 profiles; the keys
-- come from the thesaurus through a plpgsql call per topic); and a card per
-- offering mentor with the plain values that bound a pair's score, so that
-- only the few mentors whose bound can still reach the top are scored.
-- Kept by statement triggers on profiles, offers, sectors and the thesaurus
-- (the repeatable mentoring file, which also fills it).

CREATE TABLE khnet_mentor_terms (
    term      text   NOT NULL,  -- 'k:' || topic key (khnet_topic_key), or 'w:' || word
    mentor_id bigint NOT NULL,  -- an offering mentor (offer saved or willing_to_mentor)
    PRIMARY KEY (term, mentor_id)
);
-- No foreign key: the bulk fill writes ~15 rows per mentor, and a row whose
-- mentor went away is dropped by the triggers (and never scored: the
-- suggestion reads each mentor from the live tables).
CREATE INDEX khnet_mentor_terms_mentor ON khnet_mentor_terms (mentor_id);

-- An offering mentor's values as khnet_mentor_side gives them (offer, else
-- profile).  capacity is the offer's, not what is left: the bound may only
-- be too high, never too low.
CREATE TABLE khnet_mentor_cards (
    mentor_id  bigint   PRIMARY KEY,
    languages  text[]   NOT NULL,
    years      int,
    time_zone  text,
    sector_ids smallint[] NOT NULL,
    capacity   int      NOT NULL,
    paused     boolean  NOT NULL
);

