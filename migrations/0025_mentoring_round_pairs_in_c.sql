-- 0025_mentoring_round_pairs_in_c.sql — a run's eligible pairs are made in
-- C now (server/match/pairs.c, from the round's two sides, no longer one
-- jsonb document of every pair: issue 10, PROTOCOL.md "Programme
-- rounds"), so round_max_pairs (0022) bounds the run's memory instead of
-- PostgreSQL's 256 MB jsonb limit: 20,000,000 pairs are 320 MB of edges
-- for the optimiser, above a round of 10,000 mentees x 2,000 mentors (11.8
-- million).  A setting left at 0022's default follows; one set by hand
-- stays.
ALTER TABLE khnet_mentoring_settings ALTER COLUMN round_max_pairs SET DEFAULT 20000000;
UPDATE khnet_mentoring_settings SET round_max_pairs = 20000000 WHERE round_max_pairs = 3000000;
