-- 0022_mentoring_round_limit.sql — how many eligible pairs a programme
-- round's run takes (issue 10, PROTOCOL.md "Programme rounds").  The run
-- hands every eligible pair to the optimiser in one document; PostgreSQL
-- refuses a jsonb array past 256 MB, which a round of 10,000 mentees x
-- 2,000 mentors (11.8 million pairs) exceeded with a 500 after 90 s.  Past
-- this many pairs the run answers 409 conflict instead, once the pairs are
-- counted and before that document is built, saying how many there are.

ALTER TABLE khnet_mentoring_settings
    ADD COLUMN round_max_pairs int NOT NULL DEFAULT 3000000 CHECK (round_max_pairs >= 1);
