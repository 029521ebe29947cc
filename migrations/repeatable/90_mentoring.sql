-- 90_mentoring.sql — mentor matching (issue 10, PROTOCOL.md "Mentoring"):
-- working-day overlap across IANA zones, topic keys, the scoring of a
-- mentee-mentor pair, suggestions, the request flow, feedback, programme
-- rounds and the liaison statistics.  Tables: 0010_mentoring.sql.
--
-- A repeatable file (migrations/README): CREATE OR REPLACE throughout; a
-- changed signature or result type needs a DROP ... IF EXISTS first.
--
-- Every endpoint calls one function returning (status, field, body):
-- status 'ok' / 'created' or a PROTOCOL.md error code ('not_found',
-- 'forbidden', 'conflict', 'invalid_value', 'not_eligible', 'capacity_full'),
-- field the request field at fault, body the response document (for
-- errors {message, reasons?}).  Events go through khnet_emit (0005) in the
-- same transaction.  Permission by role is the caller's (it knows the
-- principal); what depends on the data (who is a side of a mentorship) is
-- decided here.

SET LOCAL client_min_messages = warning;  -- the drops below cascade by design

-- The views' columns may change; functions take their row types, so both
-- are dropped and made again whenever this file runs.
DROP VIEW IF EXISTS khnet_mentor_side, khnet_mentee_side CASCADE;

-- ---- time zones ------------------------------------------------------------
-- Computed here, not in C: PostgreSQL already carries the IANA database
-- (the one khnet_time_zone_valid checks names against) and converts local
-- times with daylight saving through AT TIME ZONE.

-- UTC offset of zone tz at instant t, in hours (5.5 for Asia/Kolkata).
CREATE OR REPLACE FUNCTION khnet_tz_offset_hours(tz text, t timestamptz) RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE STRICT
    RETURN extract(epoch FROM (t AT TIME ZONE tz) - (t AT TIME ZONE 'UTC')) / 3600;

-- The gap between two zones' clocks at t, in hours, the short way round
-- the day (UTC+14 and UTC-10 are 0 hours apart, on different dates).
CREATE OR REPLACE FUNCTION khnet_tz_gap_hours(a text, b text, t timestamptz) RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE STRICT
    RETURN (SELECT round(least(d, 24 - d), 2)
              FROM (SELECT abs(khnet_tz_offset_hours(a, t) - khnet_tz_offset_hours(b, t)) % 24 AS d) x);

-- Hours that a's working day (09:00-18:00 local) on date `day` shares with
-- b's working days (b's day before, same and after, so zones far apart
-- still meet across midnight).  Each boundary is converted on its own date,
-- so a day on which daylight saving starts or ends is counted as it is.
CREATE OR REPLACE FUNCTION khnet_tz_overlap_hours(a text, b text, day date) RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE STRICT
    RETURN (SELECT round(coalesce(sum(greatest(0, extract(epoch FROM
                       least((day + time '18:00') AT TIME ZONE a, (day + k + time '18:00') AT TIME ZONE b)
                     - greatest((day + time '09:00') AT TIME ZONE a, (day + k + time '09:00') AT TIME ZONE b)
                   ))), 0) / 3600, 2)
              FROM generate_series(-1, 1) k);

-- The same overlap from the two zones' UTC offsets (hours): what scoring
-- uses, with the offsets each zone has at the pair's reference instant
-- (daylight saving included); it equals khnet_tz_overlap_hours on every
-- day but the few on which a zone moves its clocks, and costs no zone
-- lookups per pair.
CREATE OR REPLACE FUNCTION khnet_workday_overlap(oa numeric, ob numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN round(greatest(0, least(18 - oa, 18 - ob - 24) - greatest(9 - oa, 9 - ob - 24))
               + greatest(0, least(18 - oa, 18 - ob) - greatest(9 - oa, 9 - ob))
               + greatest(0, least(18 - oa, 18 - ob + 24) - greatest(9 - oa, 9 - ob + 24)), 2);

-- ---- topics ----------------------------------------------------------------

-- The key a topic is compared by, so that English and Vietnamese forms of
-- one topic meet ("nuôi trồng thủy sản" = "Aquaculture"): the topic folded
-- as search folds (khnet_fold; punctuation runs as one space), then
--   * its concept in the search thesaurus (0009_thesaurus.sql: any label,
--     either language, preferred or alternative), when that is installed;
--   * else the sector whose English or Vietnamese name (or slug) it is;
--   * else the folded text itself.
-- The thesaurus is looked up only when it is installed because this file
-- must also load on a schema without it (it is another domain's migration).
CREATE OR REPLACE FUNCTION khnet_topic_key(t text) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
AS $$
DECLARE
    folded text := btrim(regexp_replace(khnet_fold(t), '[^[:alnum:]]+', ' ', 'g'));
    k text;
BEGIN
    -- static SQL (planned once a session; 2.3 times faster than EXECUTE,
    -- which planned it on every call), only ever run when the table is there
    IF to_regclass('khnet_concept_labels') IS NOT NULL THEN
        SELECT 'c:' || c.key INTO k FROM khnet_concept_labels l
          JOIN khnet_concepts c ON c.id = l.concept_id
         WHERE l.term = folded ORDER BY c.id LIMIT 1;
    END IF;
    IF k IS NULL THEN
        -- The sector names as search's vocabulary holds them folded (0004;
        -- kept up to date by its trigger on khnet_sectors): one index read
        -- instead of folding every sector name on every call.
        SELECT 's:' || s.slug INTO k
          FROM khnet_search_terms st JOIN khnet_sectors s ON st.display IN (s.name_en, s.name_vi)
         WHERE st.kind = 'sector' AND st.term = khnet_fold(t)
         ORDER BY s.id LIMIT 1;
    END IF;
    IF k IS NULL THEN
        SELECT 's:' || s.slug INTO k FROM khnet_sectors s WHERE replace(s.slug, '_', ' ') = folded;
    END IF;
    RETURN coalesce(k, folded);
END
$$;

-- Distinct keys of a topic list, each with the first topic (as written)
-- that gave it.
CREATE OR REPLACE FUNCTION khnet_topic_keys(ts text[])
    RETURNS TABLE (key text, topic text) LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT DISTINCT ON (k) k, t
      FROM unnest(ts) WITH ORDINALITY u(t, o), khnet_topic_key(u.t) k
     WHERE k <> ''
     ORDER BY k, o
$$;

-- Folded words (3+ letters, not stop words) of a text.
CREATE OR REPLACE FUNCTION khnet_mentoring_words(t text) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT coalesce(array_agg(DISTINCT w), '{}')
              FROM regexp_split_to_table(khnet_fold(coalesce(t, '')), '[^[:alnum:]]+') w
             WHERE length(w) >= 3 AND w <> ALL (khnet_search_stopwords()));

-- ---- the two sides ---------------------------------------------------------
-- A member's offer and request as saved, or, before they save one, as
-- their profile already says (willing_to_mentor, mentor_capacity,
-- mentor_topics or else expertise, languages, time zone): the prefill.

CREATE VIEW khnet_mentor_side AS
    SELECT p.account_id AS id, o.mentor_id IS NOT NULL AS saved,
           coalesce(o.topics, CASE WHEN cardinality(p.mentor_topics) > 0 THEN p.mentor_topics
                                   ELSE p.expertise END) AS topics,
           coalesce(o.capacity, p.mentor_capacity) AS capacity,
           coalesce(o.languages, p.languages) AS languages,
           coalesce(o.time_zone, p.time_zone) AS time_zone,
           coalesce(o.formats, '{video,chat}') AS formats,
           coalesce(o.cadence, 'monthly') AS cadence, o.note,
           coalesce(o.paused, false) AS paused,
           -- an offer: saved, or the profile's willing_to_mentor
           (o.mentor_id IS NOT NULL OR p.willing_to_mentor) AS offering,
           p.years_experience AS years, p.expertise,
           (SELECT count(*)::int FROM khnet_mentorships m
             WHERE m.mentor_id = p.account_id AND m.status = 'active') AS active,
           -- what scoring compares, folded once per mentor, not once per pair
           k.keys, k.words,
           ARRAY(SELECT ps.sector_id FROM khnet_profile_sectors ps
                  WHERE ps.profile_id = p.account_id ORDER BY 1) AS sector_ids
      FROM khnet_profiles p
      JOIN khnet_accounts a ON a.id = p.account_id AND a.erased_at IS NULL
      LEFT JOIN khnet_mentor_offers o ON o.mentor_id = p.account_id
     CROSS JOIN LATERAL (
           SELECT t.all_topics,
                  coalesce(c.keys, ARRAY(SELECT x.key FROM khnet_topic_keys(t.all_topics) x)) AS keys,
                  coalesce(c.words, khnet_mentoring_words(array_to_string(t.all_topics, ' '))) AS words
             FROM (SELECT coalesce(o.topics, CASE WHEN cardinality(p.mentor_topics) > 0
                                                  THEN p.mentor_topics ELSE p.expertise END)
                          || p.expertise AS all_topics) t
             -- an offering mentor's keys and words as khnet_mentor_terms
             -- keeps them (0017, below): no thesaurus look-up per topic
             LEFT JOIN LATERAL (
                   SELECT array_agg(substr(mt.term, 3)) FILTER (WHERE mt.term LIKE 'k:%') AS keys,
                          array_agg(substr(mt.term, 3)) FILTER (WHERE mt.term LIKE 'w:%') AS words
                     FROM khnet_mentor_terms mt WHERE mt.mentor_id = p.account_id
                   HAVING count(*) > 0) c ON true) k;

CREATE VIEW khnet_mentee_side AS
    SELECT p.account_id AS id, r.mentee_id IS NOT NULL AS saved,
           coalesce(r.goals, '') AS goals,
           coalesce(r.topics, p.expertise) AS topics,
           coalesce(r.languages, p.languages) AS languages,
           coalesce(r.time_zone, p.time_zone) AS time_zone,
           coalesce(r.max_tz_gap, 12) AS max_tz_gap,
           coalesce(r.career_stage, 'early_career') AS career_stage,
           p.seeking_mentor, p.years_experience AS years, p.country,
           k.keys, k.key_topics,
           khnet_mentoring_words(coalesce(r.goals, '')) AS goal_words,
           ARRAY(SELECT ps.sector_id FROM khnet_profile_sectors ps
                  WHERE ps.profile_id = p.account_id) AS sector_ids
      FROM khnet_profiles p
      JOIN khnet_accounts a ON a.id = p.account_id AND a.erased_at IS NULL
      LEFT JOIN khnet_mentee_requests r ON r.mentee_id = p.account_id
     CROSS JOIN LATERAL (
           SELECT coalesce(array_agg(x.key ORDER BY x.key), '{}') AS keys,
                  coalesce(array_agg(x.topic ORDER BY x.key), '{}') AS key_topics
             FROM khnet_topic_keys(coalesce(r.topics, p.expertise)) x) k;

CREATE OR REPLACE FUNCTION khnet_mentor_offer_json(o khnet_mentor_side) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object(
        'mentor_id', o.id, 'saved', o.saved, 'topics', to_jsonb(o.topics),
        'capacity', o.capacity, 'active', o.active,
        'remaining', greatest(o.capacity - o.active, 0),
        'languages', to_jsonb(o.languages), 'time_zone', o.time_zone,
        'formats', to_jsonb(o.formats), 'cadence', o.cadence, 'note', o.note,
        'paused', o.paused);

CREATE OR REPLACE FUNCTION khnet_mentee_request_json(r khnet_mentee_side) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object(
        'mentee_id', r.id, 'saved', r.saved, 'goals', r.goals, 'topics', to_jsonb(r.topics),
        'languages', to_jsonb(r.languages), 'time_zone', r.time_zone,
        'max_tz_gap', r.max_tz_gap, 'career_stage', r.career_stage);

-- ---- scoring ---------------------------------------------------------------
-- One pair, mentee e and mentor m, at instant t (the day whose working
-- hours are compared).  Hard rules, each a reason when broken:
--   no_shared_language  no language in both lists
--   experience_gap      the mentor's years_experience is unknown or less
--                       than the mentee's (unknown = 0) plus
--                       min_experience_gap (settings, default 3)
--   time_zone_gap       the zones' clocks are further apart than the
--                       mentee's max_tz_gap (a missing zone counts as 0)
--   no_capacity         no free place (suggestions and requests)
--   paused, not_offering (suggestions and requests), blocked (either
--   way), self
-- round_capacity NULL: a suggestion or request, judged on the mentor's
-- offer; else a round, where the mentor opted in with that capacity (the
-- optimiser owns capacity, so it is no rule and earns no points).
-- Score (PROTOCOL.md "Scoring"), all integers:
--   10 for an eligible pair
--   + 25 per topic key in both (mentee topics vs mentor topics and
--     expertise), at most 4 counted
--   + 8 per goal word found among the mentor's topic/expertise words, at most 5
--   + 5 per shared language, at most 3
--   + 3 per hour of working-day overlap (0-9 hours), rounded
--   + 15 when the mentor works in a sector the mentee's profile names, or
--     (in a round with a sector focus) in the focus sector
--   + the experience gap beyond the minimum, at most 10
--   + 2 per remaining place, at most 5 places (suggestions only)
CREATE OR REPLACE FUNCTION khnet_mentor_pair(
    e khnet_mentee_side, m khnet_mentor_side, t timestamptz, focus smallint,
    round_capacity int,
    OUT eligible boolean, OUT reasons text[], OUT score int, OUT explanation jsonb)
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    min_gap int := (SELECT min_experience_gap FROM khnet_mentoring_settings);
    langs text[] := ARRAY(SELECT DISTINCT x FROM unnest(e.languages) x
                           WHERE x = ANY (m.languages) ORDER BY x);
    topics jsonb;
    n_topics int;
    words text[];
    overlap numeric := 0;
    gap numeric := 0;
    oa numeric;
    ob numeric;
    years_gap int := coalesce(m.years, -1000) - coalesce(e.years, 0);
    sectors jsonb;
    with_capacity boolean := round_capacity IS NULL;
    free int := coalesce(round_capacity, greatest(m.capacity - m.active, 0));
    p_topics int; p_goals int; p_langs int; p_overlap int; p_sector int; p_exp int; p_cap int;
BEGIN
    reasons := '{}';
    IF e.id = m.id THEN reasons := reasons || 'self'::text; END IF;
    IF with_capacity AND NOT m.offering THEN reasons := reasons || 'not_offering'::text; END IF;
    IF with_capacity AND m.paused THEN reasons := reasons || 'paused'::text; END IF;
    IF khnet_blocked_between(e.id, m.id) THEN reasons := reasons || 'blocked'::text; END IF;
    IF cardinality(langs) = 0 THEN reasons := reasons || 'no_shared_language'::text; END IF;
    IF years_gap < min_gap THEN reasons := reasons || 'experience_gap'::text; END IF;
    IF e.time_zone IS NOT NULL AND m.time_zone IS NOT NULL THEN
        oa := khnet_tz_offset_hours(e.time_zone, t);
        ob := khnet_tz_offset_hours(m.time_zone, t);
        gap := round(least(abs(oa - ob) % 24, 24 - abs(oa - ob) % 24), 2);
        overlap := khnet_workday_overlap(oa, ob);
    END IF;
    IF gap > e.max_tz_gap THEN reasons := reasons || 'time_zone_gap'::text; END IF;
    IF with_capacity AND free = 0 THEN reasons := reasons || 'no_capacity'::text; END IF;
    eligible := cardinality(reasons) = 0;

    SELECT coalesce(jsonb_agg(u.topic ORDER BY u.topic), '[]'), count(*)
      INTO topics, n_topics
      FROM unnest(e.keys, e.key_topics) u(key, topic)
     WHERE u.key = ANY (m.keys);
    words := ARRAY(SELECT w FROM unnest(e.goal_words) w WHERE w = ANY (m.words) ORDER BY w);
    sectors := CASE WHEN m.sector_ids && (e.sector_ids || focus) THEN
        (SELECT coalesce(jsonb_agg(s.slug ORDER BY s.slug), '[]') FROM khnet_sectors s
          WHERE s.id = ANY (m.sector_ids) AND s.id = ANY (e.sector_ids || focus))
        ELSE '[]' END;

    p_topics := 25 * least(n_topics, 4);
    p_goals := 8 * least(cardinality(words), 5);
    p_langs := 5 * least(cardinality(langs), 3);
    p_overlap := round(3 * least(overlap, 9))::int;
    p_sector := CASE WHEN jsonb_array_length(sectors) > 0 THEN 15 ELSE 0 END;
    p_exp := least(greatest(years_gap - min_gap, 0), 10);
    p_cap := CASE WHEN with_capacity THEN 2 * least(free, 5) ELSE 0 END;
    score := CASE WHEN eligible THEN 10 + p_topics + p_goals + p_langs + p_overlap + p_sector
                                     + p_exp + p_cap ELSE 0 END;
    explanation := jsonb_build_object(
        'topics', topics, 'goal_words', to_jsonb(words), 'languages', to_jsonb(langs),
        'overlap_hours', overlap, 'tz_gap_hours', gap, 'sectors', sectors,
        'experience_gap', CASE WHEN m.years IS NULL THEN NULL ELSE years_gap END,
        'remaining_capacity', free,
        'points', jsonb_build_object(
            'eligible', CASE WHEN eligible THEN 10 ELSE 0 END, 'topics', p_topics,
            'goal_words', p_goals, 'languages', p_langs, 'overlap', p_overlap,
            'sector', p_sector, 'experience', p_exp, 'capacity', p_cap));
END
$$;

-- ---- requests expire ---------------------------------------------------------

-- Closes every open request and proposal past its expiry, with an event
-- to both sides.  Called at the start of each mentoring write and read
-- that depends on open items, so expiry needs no timer (a request expires
-- when anyone next looks, at its exact expires_at for what they see).
CREATE OR REPLACE FUNCTION khnet_mentoring_expire() RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    x khnet_mentorships;
BEGIN
    FOR x IN UPDATE khnet_mentorships SET status = 'expired', closed_at = now()
              WHERE status IN ('requested', 'proposed') AND expires_at <= now()
             RETURNING * LOOP
        PERFORM khnet_emit(ARRAY[x.mentor_id, x.mentee_id], 'mentoring.expired',
                           khnet_mentorship_json(x, NULL));
    END LOOP;
END
$$;

-- The mentorship document.  viewer NULL: the event form (no close reason
-- of a decline, which only the mentee is told, through their own view).
CREATE OR REPLACE FUNCTION khnet_mentorship_json(x khnet_mentorships, viewer bigint) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object(
        'id', x.id, 'mentor_id', x.mentor_id, 'mentor_name', khnet_author_name(x.mentor_id),
        'mentee_id', x.mentee_id, 'mentee_name', khnet_author_name(x.mentee_id),
        'status', x.status, 'round_id', x.round_id, 'message', x.message,
        'score', x.score, 'explanation', x.explanation,
        'mentor_accepted', x.mentor_ok_at IS NOT NULL,
        'mentee_accepted', x.mentee_ok_at IS NOT NULL,
        'reason', CASE WHEN viewer IN (x.mentor_id, x.mentee_id) THEN x.close_reason END,
        'conversation_id', x.conversation_id,
        'created_at', khnet_time_text(x.created_at), 'expires_at', khnet_time_text(x.expires_at),
        'started_at', khnet_time_text(x.started_at), 'closed_at', khnet_time_text(x.closed_at));

-- A live account with a profile (both sides of mentoring need one).
CREATE OR REPLACE FUNCTION khnet_mentoring_member(a bigint) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN EXISTS (SELECT 1 FROM khnet_profiles p JOIN khnet_accounts x ON x.id = p.account_id
                    WHERE p.account_id = a AND x.erased_at IS NULL);

-- ---- offers and requests ---------------------------------------------------
-- The C side has checked each field's type, length and enum (PROTOCOL.md);
-- the time zone's name is checked here against the IANA database.

CREATE OR REPLACE FUNCTION khnet_mentor_offer_get(p_me bigint,
                                                  OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
    o khnet_mentor_side;
BEGIN
    SELECT * INTO o FROM khnet_mentor_side WHERE id = p_me;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "create your profile first"}'; RETURN;
    END IF;
    status := 'ok'; body := khnet_mentor_offer_json(o);
END
$$;

-- PUT: the fields given replace the offer's (absent: as saved, or as the
-- profile says); pausing declines every open request politely.
CREATE OR REPLACE FUNCTION khnet_mentor_offer_put(p_me bigint, p jsonb,
                                                  OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    cur khnet_mentor_side;
    x khnet_mentorships;
BEGIN
    IF jsonb_typeof(p->'time_zone') = 'string' AND NOT khnet_time_zone_valid(p->>'time_zone') THEN
        status := 'invalid_value'; field := 'time_zone';
        body := '{"message": "not an IANA time zone"}'; RETURN;
    END IF;
    SELECT * INTO cur FROM khnet_mentor_side WHERE id = p_me;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "create your profile first"}'; RETURN;
    END IF;
    INSERT INTO khnet_mentor_offers AS o (mentor_id, topics, capacity, languages, time_zone,
                                          formats, cadence, note, paused)
    VALUES (p_me,
            CASE WHEN p ? 'topics' THEN khnet_keywords(p->'topics') ELSE cur.topics END,
            coalesce((p->>'capacity')::int, cur.capacity),
            CASE WHEN p ? 'languages' THEN khnet_text_array(p->'languages') ELSE cur.languages END,
            CASE WHEN p ? 'time_zone' THEN p->>'time_zone' ELSE cur.time_zone END,
            CASE WHEN p ? 'formats' THEN ARRAY(SELECT DISTINCT f FROM jsonb_array_elements_text(p->'formats') f ORDER BY f)
                 ELSE cur.formats END,
            coalesce(p->>'cadence', cur.cadence),
            CASE WHEN p ? 'note' THEN p->>'note' ELSE cur.note END,
            coalesce((p->>'paused')::boolean, cur.paused))
    ON CONFLICT (mentor_id) DO UPDATE SET
        topics = EXCLUDED.topics, capacity = EXCLUDED.capacity, languages = EXCLUDED.languages,
        time_zone = EXCLUDED.time_zone, formats = EXCLUDED.formats, cadence = EXCLUDED.cadence,
        note = EXCLUDED.note, paused = EXCLUDED.paused, updated_at = now();
    IF coalesce((p->>'paused')::boolean, false) THEN
        FOR x IN SELECT * FROM khnet_mentorships
                  WHERE mentor_id = p_me AND status = 'requested' ORDER BY id FOR UPDATE LOOP
            PERFORM khnet_mentorship_close(x.id, 'declined', p_me,
                'The mentor is not taking new mentees at the moment. Thank you for asking.');
        END LOOP;
    END IF;
    SELECT * INTO cur FROM khnet_mentor_side WHERE id = p_me;
    status := 'ok'; body := khnet_mentor_offer_json(cur);
END
$$;

CREATE OR REPLACE FUNCTION khnet_mentee_request_get(p_me bigint,
                                                    OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
    r khnet_mentee_side;
BEGIN
    SELECT * INTO r FROM khnet_mentee_side WHERE id = p_me;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "create your profile first"}'; RETURN;
    END IF;
    status := 'ok'; body := khnet_mentee_request_json(r);
END
$$;

CREATE OR REPLACE FUNCTION khnet_mentee_request_put(p_me bigint, p jsonb,
                                                    OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    cur khnet_mentee_side;
BEGIN
    IF jsonb_typeof(p->'time_zone') = 'string' AND NOT khnet_time_zone_valid(p->>'time_zone') THEN
        status := 'invalid_value'; field := 'time_zone';
        body := '{"message": "not an IANA time zone"}'; RETURN;
    END IF;
    SELECT * INTO cur FROM khnet_mentee_side WHERE id = p_me;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "create your profile first"}'; RETURN;
    END IF;
    INSERT INTO khnet_mentee_requests AS r (mentee_id, goals, topics, languages, time_zone,
                                            max_tz_gap, career_stage)
    VALUES (p_me, coalesce(p->>'goals', cur.goals),
            CASE WHEN p ? 'topics' THEN khnet_keywords(p->'topics') ELSE cur.topics END,
            CASE WHEN p ? 'languages' THEN khnet_text_array(p->'languages') ELSE cur.languages END,
            CASE WHEN p ? 'time_zone' THEN p->>'time_zone' ELSE cur.time_zone END,
            coalesce((p->>'max_tz_gap')::int, cur.max_tz_gap),
            coalesce(p->>'career_stage', cur.career_stage))
    ON CONFLICT (mentee_id) DO UPDATE SET
        goals = EXCLUDED.goals, topics = EXCLUDED.topics, languages = EXCLUDED.languages,
        time_zone = EXCLUDED.time_zone, max_tz_gap = EXCLUDED.max_tz_gap,
        career_stage = EXCLUDED.career_stage, updated_at = now();
    SELECT * INTO cur FROM khnet_mentee_side WHERE id = p_me;
    status := 'ok'; body := khnet_mentee_request_json(cur);
END
$$;

-- ---- suggestions -------------------------------------------------------------

-- The terms and cards of khnet_mentor_terms / khnet_mentor_cards (0017)
-- for the offering mentors among ids, replacing what they had (an id no
-- longer offering, or gone, loses its rows): the keys and words
-- khnet_mentor_side computes (topic keys of its topics and expertise;
-- khnet_mentoring_words of them, which is the union of each topic's
-- words), worked out once per distinct topic, so that the seed's 60,000
-- mentors cost a few hundred khnet_topic_key calls, not 300,000.
-- Without JIT: compiling the bulk fill's plan took 8 of its 10 s.
CREATE OR REPLACE FUNCTION khnet_mentor_terms_refresh(ids bigint[]) RETURNS void
    LANGUAGE sql VOLATILE SET jit = off
AS $$
    -- IN (unnest), not = ANY: a hash join, where = ANY would compare each
    -- row with the whole array (the seed passes 200,000 ids).
    DELETE FROM khnet_mentor_terms WHERE mentor_id IN (SELECT unnest(ids));
    DELETE FROM khnet_mentor_cards WHERE mentor_id IN (SELECT unnest(ids));
    INSERT INTO khnet_mentor_cards (mentor_id, languages, years, time_zone, sector_ids,
                                    capacity, paused)
    SELECT p.account_id, coalesce(o.languages, p.languages), p.years_experience,
           coalesce(o.time_zone, p.time_zone),
           ARRAY(SELECT ps.sector_id FROM khnet_profile_sectors ps
                  WHERE ps.profile_id = p.account_id ORDER BY 1),
           coalesce(o.capacity, p.mentor_capacity), coalesce(o.paused, false)
      FROM khnet_profiles p
      JOIN khnet_accounts a ON a.id = p.account_id AND a.erased_at IS NULL
      LEFT JOIN khnet_mentor_offers o ON o.mentor_id = p.account_id
     WHERE p.account_id IN (SELECT unnest(ids)) AND (o.mentor_id IS NOT NULL OR p.willing_to_mentor);
    WITH m AS (
             SELECT p.account_id AS id,
                    coalesce(o.topics, CASE WHEN cardinality(p.mentor_topics) > 0
                                            THEN p.mentor_topics ELSE p.expertise END)
                        || p.expertise AS all_topics
               FROM khnet_mentor_cards c
               JOIN khnet_profiles p ON p.account_id = c.mentor_id
               LEFT JOIN khnet_mentor_offers o ON o.mentor_id = p.account_id
              WHERE c.mentor_id IN (SELECT unnest(ids))),
         mt AS (SELECT DISTINCT m.id, t FROM m, unnest(m.all_topics) t WHERE t IS NOT NULL),
         -- MATERIALIZED: once per distinct topic (inlined, the planner may call
         -- khnet_topic_key once per mentor and topic: 90 s for the seed)
         tk AS MATERIALIZED (SELECT d.t, khnet_topic_key(d.t) AS key, khnet_mentoring_words(d.t) AS words
                  FROM (SELECT DISTINCT t FROM mt) d)
    INSERT INTO khnet_mentor_terms (term, mentor_id)
    SELECT DISTINCT x.term, mt.id
      FROM mt JOIN tk ON tk.t = mt.t,
           LATERAL (SELECT 'k:' || tk.key WHERE tk.key <> ''
                    UNION ALL SELECT 'w:' || w FROM unnest(tk.words) w) x(term);
$$;

CREATE OR REPLACE FUNCTION khnet_mentor_terms_all() RETURNS void
    LANGUAGE sql VOLATILE
AS $$
    SELECT khnet_mentor_terms_refresh(ARRAY(
        SELECT account_id FROM khnet_profiles WHERE willing_to_mentor
         UNION SELECT mentor_id FROM khnet_mentor_offers
         UNION SELECT mentor_id FROM khnet_mentor_cards));
$$;

-- Statement-level with transition tables, like search's documents: a COPY
-- of 200,000 profiles refreshes once.  Writers that defer the search
-- documents (khnet.search_defer: the seed, an import; 40_search.sql) defer
-- these too and refresh once themselves before they commit: otherwise the
-- seed refreshed every mentor twice (after the profiles' COPY and again
-- after the sectors'), doubling a 200,000-profile seed (158 -> 310 s).
CREATE OR REPLACE FUNCTION khnet_mentor_terms_on_profiles() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF khnet_search_deferred() THEN RETURN NULL; END IF;
    PERFORM khnet_mentor_terms_refresh(array_agg(account_id)) FROM changed;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION khnet_mentor_terms_on_offers() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM khnet_mentor_terms_refresh(array_agg(mentor_id)) FROM changed;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION khnet_mentor_terms_on_sectors() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF khnet_search_deferred() THEN RETURN NULL; END IF;
    PERFORM khnet_mentor_terms_refresh(array_agg(DISTINCT profile_id)) FROM changed;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION khnet_mentor_terms_on_erase() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM khnet_mentor_terms_refresh(ARRAY[NEW.id]);
    RETURN NULL;
END
$$;

-- A renamed sector can change any topic's key (rare, an admin's act).
CREATE OR REPLACE FUNCTION khnet_mentor_terms_on_vocabulary() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM khnet_mentor_terms_all();
    RETURN NULL;
END
$$;

-- A thesaurus edit changes the key (khnet_topic_key) only of topics whose
-- folded text is one of the labels written or removed: such a topic was
-- keyed by that text itself, by a sector of that name, or by a concept
-- holding that label, and may be keyed otherwise now.  Only the mentors
-- holding one of those keys are refreshed (every mentor took ~15 s at
-- 200,000 profiles: past the statement timeout of an edit through the API).
-- `terms`: the labels' folded texts; `concepts`: the edited concepts' ids.
CREATE OR REPLACE FUNCTION khnet_mentor_terms_relabel(terms text[], concepts bigint[]) RETURNS void
    LANGUAGE sql VOLATILE
AS $$
    SELECT khnet_mentor_terms_refresh(ARRAY(
        SELECT DISTINCT mt.mentor_id FROM khnet_mentor_terms mt
         WHERE mt.term IN (
               SELECT 'k:' || t FROM unnest(terms) t
               UNION SELECT 'k:c:' || c.key FROM khnet_concepts c
                      WHERE c.id IN (SELECT unnest(concepts))
                         OR c.id IN (SELECT l.concept_id FROM khnet_concept_labels l
                                      WHERE l.term IN (SELECT unnest(terms)))
               UNION SELECT 'k:s:' || s.slug FROM khnet_sectors s, unnest(ARRAY[
                             replace(s.slug, '_', ' '), khnet_fold(s.name_en), khnet_fold(s.name_vi)]) n
                      WHERE btrim(regexp_replace(n, '[^[:alnum:]]+', ' ', 'g'))
                            IN (SELECT unnest(terms)))));
$$;

-- Statement triggers with transition tables (one per event: PostgreSQL
-- allows transition tables only on single-event triggers).
CREATE OR REPLACE FUNCTION khnet_mentor_terms_on_labels() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    terms text[] := '{}';
    concepts bigint[] := '{}';
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT terms || array_agg(term), concepts || array_agg(concept_id)
          INTO terms, concepts FROM new_rows;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT terms || array_agg(term), concepts || array_agg(concept_id)
          INTO terms, concepts FROM old_rows;
    END IF;
    PERFORM khnet_mentor_terms_relabel(terms, concepts);
    RETURN NULL;
END
$$;

-- A concept deleted (its labels go by cascade, when its key can no longer
-- be read) or re-keyed: the mentors keyed by its old key.
CREATE OR REPLACE FUNCTION khnet_mentor_terms_on_concepts() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM khnet_mentor_terms_refresh(ARRAY(
        SELECT DISTINCT mt.mentor_id FROM khnet_mentor_terms mt
         WHERE mt.term IN (SELECT 'k:c:' || o.key FROM old_rows o)));
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS khnet_mentor_terms_profiles_ins ON khnet_profiles;
CREATE TRIGGER khnet_mentor_terms_profiles_ins AFTER INSERT ON khnet_profiles
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_mentor_terms_on_profiles();
DROP TRIGGER IF EXISTS khnet_mentor_terms_profiles_upd ON khnet_profiles;
CREATE TRIGGER khnet_mentor_terms_profiles_upd AFTER UPDATE ON khnet_profiles
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_mentor_terms_on_profiles();
DROP TRIGGER IF EXISTS khnet_mentor_terms_profiles_del ON khnet_profiles;
CREATE TRIGGER khnet_mentor_terms_profiles_del AFTER DELETE ON khnet_profiles
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_mentor_terms_on_profiles();
DROP TRIGGER IF EXISTS khnet_mentor_terms_offers_ins ON khnet_mentor_offers;
CREATE TRIGGER khnet_mentor_terms_offers_ins AFTER INSERT ON khnet_mentor_offers
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_mentor_terms_on_offers();
DROP TRIGGER IF EXISTS khnet_mentor_terms_offers_upd ON khnet_mentor_offers;
CREATE TRIGGER khnet_mentor_terms_offers_upd AFTER UPDATE ON khnet_mentor_offers
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_mentor_terms_on_offers();
DROP TRIGGER IF EXISTS khnet_mentor_terms_offers_del ON khnet_mentor_offers;
CREATE TRIGGER khnet_mentor_terms_offers_del AFTER DELETE ON khnet_mentor_offers
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_mentor_terms_on_offers();
DROP TRIGGER IF EXISTS khnet_mentor_terms_psectors_ins ON khnet_profile_sectors;
CREATE TRIGGER khnet_mentor_terms_psectors_ins AFTER INSERT ON khnet_profile_sectors
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_mentor_terms_on_sectors();
DROP TRIGGER IF EXISTS khnet_mentor_terms_psectors_del ON khnet_profile_sectors;
CREATE TRIGGER khnet_mentor_terms_psectors_del AFTER DELETE ON khnet_profile_sectors
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_mentor_terms_on_sectors();
DROP TRIGGER IF EXISTS khnet_mentor_terms_accounts ON khnet_accounts;
CREATE TRIGGER khnet_mentor_terms_accounts AFTER UPDATE OF erased_at ON khnet_accounts
    FOR EACH ROW WHEN (NEW.erased_at IS DISTINCT FROM OLD.erased_at)
    EXECUTE FUNCTION khnet_mentor_terms_on_erase();
DROP TRIGGER IF EXISTS khnet_mentor_terms_sectors ON khnet_sectors;
CREATE TRIGGER khnet_mentor_terms_sectors AFTER INSERT OR UPDATE OR DELETE ON khnet_sectors
    FOR EACH STATEMENT EXECUTE FUNCTION khnet_mentor_terms_on_vocabulary();
DROP TRIGGER IF EXISTS khnet_mentor_terms_concepts ON khnet_concept_labels;
DROP TRIGGER IF EXISTS khnet_mentor_terms_labels_ins ON khnet_concept_labels;
CREATE TRIGGER khnet_mentor_terms_labels_ins AFTER INSERT ON khnet_concept_labels
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_mentor_terms_on_labels();
DROP TRIGGER IF EXISTS khnet_mentor_terms_labels_upd ON khnet_concept_labels;
CREATE TRIGGER khnet_mentor_terms_labels_upd AFTER UPDATE ON khnet_concept_labels
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_mentor_terms_on_labels();
DROP TRIGGER IF EXISTS khnet_mentor_terms_labels_del ON khnet_concept_labels;
CREATE TRIGGER khnet_mentor_terms_labels_del AFTER DELETE ON khnet_concept_labels
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_mentor_terms_on_labels();
DROP TRIGGER IF EXISTS khnet_mentor_terms_concepts_del ON khnet_concepts;
CREATE TRIGGER khnet_mentor_terms_concepts_del AFTER DELETE ON khnet_concepts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_mentor_terms_on_concepts();
DROP TRIGGER IF EXISTS khnet_mentor_terms_concepts_upd ON khnet_concepts;
CREATE TRIGGER khnet_mentor_terms_concepts_upd AFTER UPDATE ON khnet_concepts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION khnet_mentor_terms_on_concepts();

-- This file's keys or words may have changed: every mentor's terms again,
-- with statistics for the suggestions' plans.
SELECT khnet_mentor_terms_all();
ANALYZE khnet_mentor_terms, khnet_mentor_cards;

-- Scores of the mentors c.id for mentee e at instant t, with nt topic keys
-- and nw goal words in common (counted by the caller from
-- khnet_mentor_terms; absent: none): the rules and points of khnet_mentor_pair in
-- suggestion mode, set-based (that function costs ~0.7 ms a pair; it
-- still explains the mentors finally chosen, and tests/interop's
-- mentoring_sql checks that the two rank alike).  Ineligible mentors and
-- those with an open or active link to e are left out.
CREATE OR REPLACE FUNCTION khnet_mentor_scores(e khnet_mentee_side, t timestamptz,
                                               ids bigint[], nts int[], nws int[])
    RETURNS TABLE (id bigint, score int) LANGUAGE sql STABLE
AS $$
    SELECT m.id,
           (10 + 25 * least(coalesce(c.nt, 0), 4) + 8 * least(coalesce(c.nw, 0), 5) + 5 * least(l.n, 3)
               + round(3 * least(z.overlap, 9))::int
               + CASE WHEN m.sector_ids && e.sector_ids THEN 15 ELSE 0 END
               + least(greatest(m.years - coalesce(e.years, 0) - g.gap, 0), 10)
               + 2 * least(f.free, 5))::int
      FROM unnest(ids, nts, nws) c(id, nt, nw)
      JOIN khnet_mentor_side m ON m.id = c.id
     CROSS JOIN (SELECT min_experience_gap AS gap FROM khnet_mentoring_settings) g
     CROSS JOIN LATERAL (SELECT count(DISTINCT x)::int AS n FROM unnest(e.languages) x
                          WHERE x = ANY (m.languages)) l
     CROSS JOIN LATERAL (SELECT greatest(m.capacity - m.active, 0) AS free) f
     CROSS JOIN LATERAL (
           SELECT coalesce(round(least(abs(o.a - o.b) % 24, 24 - abs(o.a - o.b) % 24), 2), 0) AS gap,
                  coalesce(khnet_workday_overlap(o.a, o.b), 0) AS overlap
             FROM (SELECT CASE WHEN m.time_zone IS NOT NULL THEN khnet_tz_offset_hours(e.time_zone, t) END AS a,
                          CASE WHEN e.time_zone IS NOT NULL THEN khnet_tz_offset_hours(m.time_zone, t) END AS b) o) z
     WHERE m.offering AND NOT m.paused AND m.id <> e.id AND l.n > 0 AND f.free > 0
       AND m.years - coalesce(e.years, 0) >= g.gap AND z.gap <= e.max_tz_gap
       AND NOT khnet_blocked_between(e.id, m.id)
       AND NOT EXISTS (SELECT 1 FROM khnet_mentorships x
                        WHERE x.mentor_id = m.id AND x.mentee_id = e.id
                          AND x.status IN ('requested', 'proposed', 'active'))
$$;

-- Upper bounds of the scores for e at t of the mentors ids (nts topic keys
-- and nws goal words in common), from their cards (0017):
-- khnet_mentor_scores's points with the whole capacity free (a card does
-- not count active mentorships) and the hard rules a card knows applied;
-- blocks and open links are left to the exact score.
CREATE OR REPLACE FUNCTION khnet_mentor_bounds(e khnet_mentee_side, t timestamptz,
                                               ids bigint[], nts int[], nws int[])
    RETURNS TABLE (id bigint, nt int, nw int, bound int) LANGUAGE sql STABLE
AS $$
    SELECT m.mentor_id, s.nt, s.nw,
           (10 + 25 * least(coalesce(s.nt, 0), 4) + 8 * least(coalesce(s.nw, 0), 5) + 5 * least(l.n, 3)
               + round(3 * least(z.overlap, 9))::int
               + CASE WHEN m.sector_ids && e.sector_ids THEN 15 ELSE 0 END
               + least(greatest(m.years - coalesce(e.years, 0) - g.gap, 0), 10)
               + 2 * least(m.capacity, 5))::int
      FROM unnest(ids, nts, nws) s(id, nt, nw)
      JOIN khnet_mentor_cards m ON m.mentor_id = s.id
     CROSS JOIN (SELECT min_experience_gap AS gap FROM khnet_mentoring_settings) g
     CROSS JOIN (SELECT khnet_tz_offset_hours(e.time_zone, t) AS a) ea
     CROSS JOIN (SELECT ARRAY(SELECT DISTINCT x FROM unnest(e.languages) x) AS langs) el
     CROSS JOIN LATERAL (SELECT (SELECT count(*) FROM unnest(el.langs) x
                                  WHERE x = ANY (m.languages))::int AS n) l
     CROSS JOIN LATERAL (
           SELECT coalesce(round(least(abs(o.a - o.b) % 24, 24 - abs(o.a - o.b) % 24), 2), 0) AS gap,
                  coalesce(khnet_workday_overlap(o.a, o.b), 0) AS overlap
             FROM (SELECT ea.a, khnet_tz_offset_hours(m.time_zone, t) AS b) o) z
     WHERE NOT m.paused AND m.capacity > 0 AND m.languages && el.langs AND m.mentor_id <> e.id
       AND m.years - coalesce(e.years, 0) >= g.gap AND z.gap <= e.max_tz_gap
$$;

-- The best p_limit mentors for e (by score, then id), exactly, scoring
-- only mentors whose bound can still reach them.  Shared topic keys and
-- goal words are worth 25 * nt + 8 * nw points (capped), all else at most
-- `rest` (eligible 10, languages 15, overlap 27, sector 15, experience 10,
-- capacity 10).  The mentors sharing terms with e (khnet_mentor_terms) go
-- in groups of equal term points, best first, and the mentors sharing
-- none last; a group is skipped, and the search ends, once the p_limit-th
-- score found beats points + rest (strictly: a tie could go to a smaller
-- mentor id).  Within a group, mentors go by descending bound
-- (khnet_mentor_bounds), a batch at a time, to the exact score
-- (khnet_mentor_scores), until the p_limit-th score beats the next bound.
-- The bound misses only the active count, blocks and open links, so a
-- group's first batch is nearly always its last.
CREATE OR REPLACE FUNCTION khnet_mentoring_top(e khnet_mentee_side, t timestamptz, p_limit int)
    RETURNS TABLE (id bigint, score int) LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
    terms text[] := ARRAY(SELECT 'k:' || k FROM unnest(e.keys) k
                          UNION SELECT 'w:' || w FROM unnest(e.goal_words) w);
    rest int := 10 + 5 * least((SELECT count(DISTINCT x) FROM unnest(e.languages) x), 3) + 27
                + CASE WHEN cardinality(e.sector_ids) > 0 THEN 15 ELSE 0 END + 10 + 10;
    size int := greatest(p_limit, 16);
    best bigint[] := '{}';
    scores int[] := '{}';
    ids bigint[] := '{}';
    nts int[] := '{}';
    nws int[] := '{}';
    grp record;
    r record;
    stop boolean;
BEGIN
    FOR grp IN
        SELECT * FROM (
            SELECT 25 * least(c.nt, 4) + 8 * least(c.nw, 5) AS points, array_agg(c.mentor_id) AS ids,
                   array_agg(c.nt) AS nts, array_agg(c.nw) AS nws
              FROM (SELECT mt.mentor_id, count(*) FILTER (WHERE mt.term LIKE 'k:%')::int AS nt,
                           count(*) FILTER (WHERE mt.term LIKE 'w:%')::int AS nw
                      FROM khnet_mentor_terms mt WHERE mt.term = ANY (terms)
                     GROUP BY mt.mentor_id) c
             GROUP BY 1
             UNION ALL SELECT 0, NULL, NULL, NULL) g
         ORDER BY g.points DESC
    LOOP
        EXIT WHEN cardinality(best) >= p_limit AND scores[p_limit] > grp.points + rest;
        IF grp.ids IS NULL THEN  -- the mentors sharing no term
            grp.ids := ARRAY(SELECT m.mentor_id FROM khnet_mentor_cards m
                              WHERE NOT EXISTS (SELECT 1 FROM khnet_mentor_terms mt
                                                 WHERE mt.mentor_id = m.mentor_id
                                                   AND mt.term = ANY (terms)));
        END IF;
        -- a last row with bound -1 flushes the group's final batch
        FOR r IN SELECT * FROM (SELECT * FROM khnet_mentor_bounds(e, t, grp.ids, grp.nts, grp.nws)
                                UNION ALL SELECT NULL, 0, 0, -1) b
                  ORDER BY b.bound DESC, b.id LOOP
            stop := r.bound < 0 OR (cardinality(best) >= p_limit AND scores[p_limit] > r.bound);
            IF NOT stop THEN
                ids := ids || r.id; nts := nts || r.nt; nws := nws || r.nw;
            END IF;
            IF stop OR cardinality(ids) >= size THEN
                SELECT coalesce(array_agg(x.id ORDER BY x.score DESC, x.id), '{}'),
                       coalesce(array_agg(x.score ORDER BY x.score DESC, x.id), '{}')
                  INTO best, scores
                  FROM (SELECT * FROM unnest(best, scores) b(id, score)
                        UNION ALL SELECT * FROM khnet_mentor_scores(e, t, ids, nts, nws)
                        ORDER BY 2 DESC, 1 LIMIT p_limit) x;
                ids := '{}'; nts := '{}'; nws := '{}';
            END IF;
            EXIT WHEN stop;
        END LOOP;
    END LOOP;
    RETURN QUERY SELECT * FROM unnest(best, scores);
END
$$;

-- The best mentors for me: eligible pairs only, by score, then mentor id
-- (khnet_mentoring_top), each explained by khnet_mentor_pair.  Mentors I
-- already have an open or active link with are left out.
CREATE OR REPLACE FUNCTION khnet_mentoring_suggest(p_me bigint, p_limit int,
                                                   OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
    e khnet_mentee_side;
    t timestamptz := now();
BEGIN
    SELECT * INTO e FROM khnet_mentee_side WHERE id = p_me;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "create your profile first"}'; RETURN;
    END IF;
    status := 'ok';
    body := jsonb_build_object('request', khnet_mentee_request_json(e), 'items', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'mentor', khnet_profile_json(p, 1, false) || jsonb_build_object(
                       'offer', khnet_mentor_offer_json(m)),
                   'score', pr.score, 'explanation', pr.explanation) ORDER BY pr.score DESC, m.id)
          FROM khnet_mentoring_top(e, t, p_limit) top
          JOIN khnet_mentor_side m ON m.id = top.id
          JOIN khnet_profiles p ON p.account_id = m.id
         CROSS JOIN LATERAL khnet_mentor_pair(e, m, t, NULL, NULL) pr), '[]'));
END
$$;

-- ---- the flow ---------------------------------------------------------------------

-- Closes an open or active mentorship (declined, withdrawn, expired,
-- ended) and tells both sides.  The caller holds the row's lock.
CREATE OR REPLACE FUNCTION khnet_mentorship_close(p_id bigint, p_status text, p_by bigint,
                                                  p_reason text) RETURNS khnet_mentorships
    LANGUAGE plpgsql
AS $$
DECLARE
    x khnet_mentorships;
BEGIN
    UPDATE khnet_mentorships SET status = p_status, closed_at = now(), closed_by = p_by,
                                 close_reason = p_reason
     WHERE id = p_id RETURNING * INTO x;
    PERFORM khnet_emit(ARRAY[x.mentor_id, x.mentee_id], 'mentoring.' || p_status,
                       khnet_mentorship_json(x, NULL)
                       || jsonb_build_object('reason', p_reason));
    RETURN x;
END
$$;

-- The mentor's offer row, made from the profile when they have not saved
-- one (a profile's willing_to_mentor is an offer), then locked: every
-- change to a mentor's load goes through this lock, so concurrent accepts
-- count one after another.
CREATE OR REPLACE FUNCTION khnet_mentor_offer_lock(p_mentor bigint) RETURNS khnet_mentor_offers
    LANGUAGE plpgsql
AS $$
DECLARE
    o khnet_mentor_offers;
BEGIN
    INSERT INTO khnet_mentor_offers (mentor_id, topics, capacity, languages, time_zone)
    SELECT id, topics, least(capacity, 50), languages, time_zone FROM khnet_mentor_side
     WHERE id = p_mentor
    ON CONFLICT (mentor_id) DO NOTHING;
    SELECT * INTO o FROM khnet_mentor_offers WHERE mentor_id = p_mentor FOR UPDATE;
    RETURN o;
END
$$;

-- POST /v1/mentoring/requests: I (the mentee) ask a mentor.  At most 5
-- open requests; none while I have an active mentor.
CREATE OR REPLACE FUNCTION khnet_mentoring_request(p_me bigint, p_mentor bigint, p_message text,
                                                   OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    e khnet_mentee_side;
    m khnet_mentor_side;
    pr record;
    x khnet_mentorships;
BEGIN
    PERFORM khnet_mentoring_expire();
    SELECT * INTO e FROM khnet_mentee_side WHERE id = p_me;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "create your profile first"}'; RETURN;
    END IF;
    SELECT * INTO m FROM khnet_mentor_side WHERE id = p_mentor;
    IF NOT FOUND THEN
        status := 'not_found'; field := 'mentor_id'; body := '{"message": "no such mentor"}'; RETURN;
    END IF;
    -- Serialise my own requests (the limit of 5 and the one-active rule).
    PERFORM 1 FROM khnet_accounts WHERE id = p_me FOR UPDATE;
    IF EXISTS (SELECT 1 FROM khnet_mentorships WHERE mentee_id = p_me AND status = 'active') THEN
        status := 'conflict'; body := '{"message": "you already have an active mentor"}'; RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM khnet_mentorships WHERE mentee_id = p_me AND mentor_id = p_mentor
                  AND status IN ('requested', 'proposed')) THEN
        status := 'conflict'; field := 'mentor_id';
        body := '{"message": "a request to this mentor is already open"}'; RETURN;
    END IF;
    IF (SELECT count(*) FROM khnet_mentorships
         WHERE mentee_id = p_me AND status = 'requested') >= 5 THEN
        status := 'conflict'; body := '{"message": "at most 5 open requests"}'; RETURN;
    END IF;
    pr := khnet_mentor_pair(e, m, now(), NULL, NULL);
    IF NOT pr.eligible THEN
        status := 'not_eligible'; field := 'mentor_id';
        body := jsonb_build_object('message', 'this mentor does not fit the hard rules',
                                   'reasons', to_jsonb(pr.reasons));
        RETURN;
    END IF;
    PERFORM khnet_mentor_offer_lock(p_mentor);
    INSERT INTO khnet_mentorships (mentor_id, mentee_id, status, message, score, explanation,
                                   mentee_ok_at, expires_at)
    VALUES (p_mentor, p_me, 'requested', p_message, pr.score, pr.explanation, now(),
            now() + (SELECT request_ttl FROM khnet_mentoring_settings))
    RETURNING * INTO x;
    PERFORM khnet_emit(ARRAY[p_mentor, p_me], 'mentoring.requested', khnet_mentorship_json(x, NULL));
    status := 'created'; body := khnet_mentorship_json(x, p_me);
END
$$;

-- Makes a mentorship whose both sides agreed active.  The caller holds the
-- mentor's offer lock and the mentee's open rows.  Capacity: a request
-- counts against the offer's capacity, a round's proposal against the
-- capacity the mentor gave that round.
CREATE OR REPLACE FUNCTION khnet_mentorship_activate(x khnet_mentorships, o khnet_mentor_offers,
                                                     OUT status text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    cap int;
    used int;
    conv record;
    other khnet_mentorships;
BEGIN
    IF x.round_id IS NULL THEN
        cap := o.capacity;
        SELECT count(*) INTO used FROM khnet_mentorships
         WHERE mentor_id = x.mentor_id AND status = 'active' AND round_id IS NULL;
    ELSE
        SELECT rp.capacity INTO cap FROM khnet_round_participants rp
         WHERE rp.round_id = x.round_id AND rp.account_id = x.mentor_id;
        SELECT count(*) INTO used FROM khnet_mentorships
         WHERE mentor_id = x.mentor_id AND status = 'active' AND round_id = x.round_id;
    END IF;
    IF used >= coalesce(cap, 0) THEN
        status := 'capacity_full'; body := '{"message": "the mentor has no free place"}'; RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM khnet_mentorships WHERE mentee_id = x.mentee_id AND status = 'active') THEN
        status := 'conflict'; body := '{"message": "the mentee already has an active mentor"}'; RETURN;
    END IF;
    IF khnet_blocked_between(x.mentor_id, x.mentee_id) THEN
        status := 'blocked'; body := '{"message": "a block stops this mentorship"}'; RETURN;
    END IF;
    conv := khnet_conv_create(x.mentor_id, 'direct', x.mentee_id, NULL, NULL);
    UPDATE khnet_mentorships SET status = 'active', started_at = now(), expires_at = NULL,
                                 conversation_id = (conv.body->>'id')::bigint
     WHERE id = x.id RETURNING * INTO x;
    PERFORM khnet_emit(ARRAY[x.mentor_id, x.mentee_id], 'mentoring.accepted',
                       khnet_mentorship_json(x, NULL));
    -- First acceptance wins: the mentee's other open items are withdrawn.
    FOR other IN SELECT * FROM khnet_mentorships
                  WHERE mentee_id = x.mentee_id AND status IN ('requested', 'proposed')
                  ORDER BY id LOOP
        PERFORM khnet_mentorship_close(other.id, 'withdrawn', NULL,
                                       'The mentee has started a mentorship with another mentor.');
    END LOOP;
    status := 'ok'; body := khnet_mentorship_json(x, x.mentor_id);
END
$$;

-- POST /v1/mentoring/mentorships/{id}/accept.  A request: its mentor
-- accepts.  A round's proposal: each side accepts; active once both have.
-- Locks, always in this order: the mentor's offer, then the mentee's open
-- rows by id (pause and decline take the offer, then rows by id, too), so
-- concurrent accepts neither overbook nor deadlock.
CREATE OR REPLACE FUNCTION khnet_mentoring_accept(p_me bigint, p_id bigint,
                                                  OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    x khnet_mentorships;
    o khnet_mentor_offers;
    act record;
BEGIN
    PERFORM khnet_mentoring_expire();
    SELECT * INTO x FROM khnet_mentorships WHERE id = p_id;
    IF NOT FOUND OR p_me NOT IN (x.mentor_id, x.mentee_id) THEN
        status := 'not_found'; body := '{"message": "no such mentorship"}'; RETURN;
    END IF;
    o := khnet_mentor_offer_lock(x.mentor_id);
    PERFORM 1 FROM khnet_mentorships WHERE mentee_id = x.mentee_id
                                       AND status IN ('requested', 'proposed')
     ORDER BY id FOR UPDATE;
    SELECT * INTO x FROM khnet_mentorships WHERE id = p_id;
    IF x.status = 'requested' AND p_me <> x.mentor_id THEN
        status := 'forbidden'; body := '{"message": "only the mentor accepts a request"}'; RETURN;
    END IF;
    IF x.status NOT IN ('requested', 'proposed') THEN
        status := 'conflict';
        body := jsonb_build_object('message', 'this mentorship is ' || x.status); RETURN;
    END IF;
    UPDATE khnet_mentorships
       SET mentor_ok_at = CASE WHEN p_me = mentor_id THEN coalesce(mentor_ok_at, now()) ELSE mentor_ok_at END,
           mentee_ok_at = CASE WHEN p_me = mentee_id THEN coalesce(mentee_ok_at, now()) ELSE mentee_ok_at END
     WHERE id = p_id RETURNING * INTO x;
    IF x.mentor_ok_at IS NULL OR x.mentee_ok_at IS NULL THEN
        PERFORM khnet_emit(ARRAY[x.mentor_id, x.mentee_id], 'mentoring.accepted',
                           khnet_mentorship_json(x, NULL));
        status := 'ok'; body := khnet_mentorship_json(x, p_me); RETURN;
    END IF;
    act := khnet_mentorship_activate(x, o);
    status := act.status; body := act.body;
    IF status = 'ok' THEN body := khnet_mentorship_json(
        (SELECT m FROM khnet_mentorships m WHERE m.id = p_id), p_me); END IF;
END
$$;

-- Decline (the mentor of a request, either side of a proposal), withdraw
-- (the mentee of a request) or end (either side of an active mentorship,
-- with optional feedback: rating 1-5 and a comment).
CREATE OR REPLACE FUNCTION khnet_mentoring_close(p_me bigint, p_id bigint, p_action text,
                                                 p_reason text, p_rating int, p_comment text,
                                                 OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    x khnet_mentorships;
    want text[];
    allowed boolean;
BEGIN
    PERFORM khnet_mentoring_expire();
    SELECT * INTO x FROM khnet_mentorships WHERE id = p_id;
    IF NOT FOUND OR p_me NOT IN (x.mentor_id, x.mentee_id) THEN
        status := 'not_found'; body := '{"message": "no such mentorship"}'; RETURN;
    END IF;
    PERFORM 1 FROM khnet_mentor_offers WHERE mentor_id = x.mentor_id FOR UPDATE;
    SELECT * INTO x FROM khnet_mentorships WHERE id = p_id FOR UPDATE;
    want := CASE p_action WHEN 'declined' THEN '{requested,proposed}'::text[]
                          WHEN 'withdrawn' THEN '{requested}'::text[]
                          ELSE '{active}'::text[] END;
    IF x.status <> ALL (want) THEN
        status := 'conflict';
        body := jsonb_build_object('message', 'this mentorship is ' || x.status); RETURN;
    END IF;
    allowed := CASE p_action
        WHEN 'declined' THEN p_me = x.mentor_id OR x.status = 'proposed'
        WHEN 'withdrawn' THEN p_me = x.mentee_id
        ELSE true END;
    IF NOT allowed THEN
        status := 'forbidden';
        body := jsonb_build_object('message', 'you cannot do this as the '
            || CASE WHEN p_me = x.mentor_id THEN 'mentor' ELSE 'mentee' END); RETURN;
    END IF;
    x := khnet_mentorship_close(p_id, p_action, p_me, p_reason);
    IF p_action = 'ended' AND p_rating IS NOT NULL THEN
        INSERT INTO khnet_mentoring_feedback (mentorship_id, author_id, subject_id, author_side,
                                              rating, comment)
        VALUES (p_id, p_me, CASE WHEN p_me = x.mentor_id THEN x.mentee_id ELSE x.mentor_id END,
                CASE WHEN p_me = x.mentor_id THEN 'mentor' ELSE 'mentee' END, p_rating, p_comment);
    END IF;
    status := 'ok'; body := khnet_mentorship_json(x, p_me);
END
$$;

-- Feedback after the end, by a side that gave none at the end.
CREATE OR REPLACE FUNCTION khnet_mentoring_feedback_add(p_me bigint, p_id bigint, p_rating int,
                                                        p_comment text,
                                                        OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    x khnet_mentorships;
BEGIN
    SELECT * INTO x FROM khnet_mentorships WHERE id = p_id;
    IF NOT FOUND OR p_me NOT IN (x.mentor_id, x.mentee_id) THEN
        status := 'not_found'; body := '{"message": "no such mentorship"}'; RETURN;
    END IF;
    IF x.status <> 'ended' THEN
        status := 'conflict'; body := '{"message": "feedback follows the end of a mentorship"}';
        RETURN;
    END IF;
    INSERT INTO khnet_mentoring_feedback (mentorship_id, author_id, subject_id, author_side,
                                          rating, comment)
    VALUES (p_id, p_me, CASE WHEN p_me = x.mentor_id THEN x.mentee_id ELSE x.mentor_id END,
            CASE WHEN p_me = x.mentor_id THEN 'mentor' ELSE 'mentee' END, p_rating, p_comment)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        status := 'conflict'; body := '{"message": "you already gave feedback"}'; RETURN;
    END IF;
    status := 'created'; body := jsonb_build_object('mentorship_id', p_id, 'rating', p_rating);
END
$$;

-- GET /v1/mentoring/mentorships: mine (either side), newest first, keyset
-- on id; p_status NULL = all.
CREATE OR REPLACE FUNCTION khnet_mentorships_list(p_me bigint, p_status text, p_after bigint,
                                                  p_limit int,
                                                  OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
    PERFORM khnet_mentoring_expire();
    status := 'ok';
    WITH page AS (SELECT m AS x FROM khnet_mentorships m
                    WHERE (m.mentor_id = p_me OR m.mentee_id = p_me)
                      AND (p_status IS NULL OR m.status = p_status)
                      AND (p_after IS NULL OR m.id < p_after)
                    ORDER BY m.id DESC LIMIT p_limit + 1),
         shown AS (SELECT x FROM page ORDER BY (x).id DESC LIMIT p_limit)
    SELECT jsonb_build_object(
               'items', coalesce((SELECT jsonb_agg(khnet_mentorship_json(x, p_me) ORDER BY (x).id DESC)
                                    FROM shown), '[]'),
               'next_key', CASE WHEN (SELECT count(*) FROM page) > p_limit
                                THEN (SELECT min((x).id) FROM shown) END)
      INTO body;
END
$$;

-- ---- feedback as read ---------------------------------------------------------

-- Admins and liaison officers (the caller checks the role): every
-- feedback, newest first, keyset on (created_at, mentorship, author) by
-- the mentorship id.
CREATE OR REPLACE FUNCTION khnet_mentoring_feedback_list(p_actor bigint, p_after bigint, p_limit int,
                                                         OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO khnet_audit_log (actor_id, action, detail)
    VALUES (p_actor, 'mentoring_feedback_read', jsonb_build_object('after', p_after));
    status := 'ok';
    SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
               'mentorship_id', f.mentorship_id, 'author_id', f.author_id,
               'author_side', f.author_side, 'subject_id', f.subject_id,
               'subject_name', khnet_author_name(f.subject_id),
               'rating', f.rating, 'comment', f.comment,
               'created_at', khnet_time_text(f.created_at))
               ORDER BY f.mentorship_id DESC, f.author_id) FILTER (WHERE f.n <= p_limit), '[]'),
           'next_key', CASE WHEN count(*) > p_limit
                            THEN min(f.mentorship_id) FILTER (WHERE f.n <= p_limit) END)
      INTO body
      FROM (SELECT fb.*, dense_rank() OVER (ORDER BY fb.mentorship_id DESC) AS n
              FROM khnet_mentoring_feedback fb
             WHERE p_after IS NULL OR fb.mentorship_id < p_after) f
     WHERE f.n <= p_limit + 1;
END
$$;

-- A mentor's own summary: what mentees rated them, anonymous and only in
-- aggregate, and only from feedback_min_count ratings on.
CREATE OR REPLACE FUNCTION khnet_mentoring_feedback_summary(p_me bigint,
                                                            OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE sql STABLE
AS $$
    WITH f AS (SELECT rating FROM khnet_mentoring_feedback
                WHERE subject_id = p_me AND author_side = 'mentee'),
         s AS (SELECT feedback_min_count AS k FROM khnet_mentoring_settings)
    SELECT 'ok', NULL::text, jsonb_build_object(
        'count', (SELECT count(*) FROM f), 'minimum', s.k,
        'average', CASE WHEN (SELECT count(*) FROM f) >= s.k
                        THEN (SELECT round(avg(rating), 2) FROM f) END,
        'ratings', CASE WHEN (SELECT count(*) FROM f) >= s.k THEN (
            SELECT jsonb_object_agg(r, (SELECT count(*) FROM f WHERE rating = r))
              FROM generate_series(1, 5) r) END)
      FROM s
$$;

-- ---- programme rounds ------------------------------------------------------------
-- Open (liaison/admin) → members join as mentor (with a capacity) or
-- mentee until the deadline or the first run → run: khnet_round_problem
-- gives the eligible pairs with scores, the C optimiser (server/match)
-- picks the assignment, khnet_round_store keeps it with explanations →
-- review: pin or forbid pairs and run again → publish: each pair becomes
-- a proposal both sides accept (khnet_mentoring_accept).  Every officer's
-- act is in khnet_audit_log.  The reference instant of a round (whose
-- working-day overlap is compared) is its deadline.

CREATE OR REPLACE FUNCTION khnet_round_json(r khnet_mentoring_rounds, full_view boolean) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object(
        'id', r.id, 'name', r.name, 'deadline', khnet_time_text(r.deadline),
        'sector', (SELECT slug FROM khnet_sectors WHERE id = r.sector_id),
        'status', r.status, 'runs', r.runs,
        'mentors', (SELECT count(*) FROM khnet_round_participants p
                     WHERE p.round_id = r.id AND p.side = 'mentor'),
        'mentees', (SELECT count(*) FROM khnet_round_participants p
                     WHERE p.round_id = r.id AND p.side = 'mentee'),
        'created_at', khnet_time_text(r.created_at), 'run_at', khnet_time_text(r.run_at),
        'published_at', khnet_time_text(r.published_at))
    || CASE WHEN full_view THEN jsonb_build_object(
        'total_score', r.total_score, 'greedy_score', r.greedy_score,
        'rules', (SELECT coalesce(jsonb_agg(jsonb_build_object('mentee_id', x.mentee_id,
                      'mentor_id', x.mentor_id, 'rule', x.rule) ORDER BY x.mentee_id, x.mentor_id), '[]')
                    FROM khnet_round_rules x WHERE x.round_id = r.id),
        'results', (SELECT coalesce(jsonb_agg(jsonb_build_object('mentee_id', x.mentee_id,
                        'mentee_name', khnet_author_name(x.mentee_id), 'mentor_id', x.mentor_id,
                        'mentor_name', khnet_author_name(x.mentor_id), 'score', x.score,
                        'explanation', x.explanation, 'unmatched', x.unmatched)
                        ORDER BY x.mentee_id), '[]')
                      FROM khnet_round_results x WHERE x.round_id = r.id))
       ELSE '{}'::jsonb END;

-- The round as the caller sees it: khnet_round_json and the side the
-- caller joined it on (PROTOCOL.md: every reply that is a round says it).
CREATE OR REPLACE FUNCTION khnet_round_view(r khnet_mentoring_rounds, full_view boolean,
                                            viewer bigint) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN khnet_round_json(r, full_view) || jsonb_build_object('joined_as',
        (SELECT p.side FROM khnet_round_participants p WHERE p.round_id = r.id AND p.account_id = viewer));

CREATE OR REPLACE FUNCTION khnet_round_open(p_me bigint, p_name text, p_deadline timestamptz,
                                            p_sector text,
                                            OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    sid smallint;
    r khnet_mentoring_rounds;
BEGIN
    IF p_deadline <= now() THEN
        status := 'invalid_value'; field := 'deadline';
        body := '{"message": "the deadline must be in the future"}'; RETURN;
    END IF;
    IF p_sector IS NOT NULL THEN
        SELECT id INTO sid FROM khnet_sectors WHERE slug = p_sector;
        IF NOT FOUND THEN
            status := 'invalid_value'; field := 'sector';
            body := '{"message": "no such sector"}'; RETURN;
        END IF;
    END IF;
    INSERT INTO khnet_mentoring_rounds (name, deadline, sector_id, created_by)
    VALUES (p_name, p_deadline, sid, p_me) RETURNING * INTO r;
    INSERT INTO khnet_audit_log (actor_id, action, detail)
    VALUES (p_me, 'round_open', jsonb_build_object('round_id', r.id, 'name', p_name));
    status := 'created'; body := khnet_round_view(r, true, p_me);
END
$$;

-- GET /v1/mentoring/rounds/{id}: officers (p_officer) see everything;
-- members the round's summary and, once published, nothing more (their
-- proposal reaches them as a mentorship).
CREATE OR REPLACE FUNCTION khnet_round_get(p_me bigint, p_officer boolean, p_round bigint,
                                           OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
    r khnet_mentoring_rounds;
BEGIN
    SELECT * INTO r FROM khnet_mentoring_rounds WHERE id = p_round;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "no such round"}'; RETURN;
    END IF;
    status := 'ok';
    body := khnet_round_view(r, p_officer, p_me);
END
$$;

-- Join (or change side/capacity) while the round is open and before its
-- deadline.  p_side 'mentor' needs p_capacity (1-20).
CREATE OR REPLACE FUNCTION khnet_round_join(p_me bigint, p_round bigint, p_side text, p_capacity int,
                                            OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    r khnet_mentoring_rounds;
BEGIN
    SELECT * INTO r FROM khnet_mentoring_rounds WHERE id = p_round FOR SHARE;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "no such round"}'; RETURN;
    END IF;
    IF r.status <> 'open' OR r.deadline <= now() THEN
        status := 'conflict'; body := '{"message": "the round is closed to joins"}'; RETURN;
    END IF;
    IF NOT khnet_mentoring_member(p_me) THEN
        status := 'not_found'; body := '{"message": "create your profile first"}'; RETURN;
    END IF;
    INSERT INTO khnet_round_participants (round_id, account_id, side, capacity)
    VALUES (p_round, p_me, p_side, CASE WHEN p_side = 'mentor' THEN p_capacity END)
    ON CONFLICT (round_id, account_id) DO UPDATE SET side = EXCLUDED.side,
        capacity = EXCLUDED.capacity, joined_at = now();
    status := 'ok'; body := khnet_round_view(r, false, p_me);
END
$$;

-- The two sides of a round as a run needs them, once each (O(mentees +
-- mentors) rows, by side then id): per participant its years (a mentee's
-- unknown = 0; mentors without years are left out, never eligible), its
-- limit (a mentee's max_tz_gap, a mentor's round capacity), its zone's UTC
-- offset at the deadline (NULL: no zone) and its languages (l), topic keys
-- (k), goal or topic/expertise words (w) and sectors (s; a mentee's with
-- the round's focus) as term indices numbered per round and per kind, so
-- that what two sides share is an intersection of indices.  Erased
-- mentees are left out.  The same values as khnet_mentor_pair reads
-- (khnet_mentee_side / khnet_mentor_side), with topics and goals keyed once
-- per distinct text.  Pairs are made from these by server/match/pairs.c
-- for a run and by khnet_round_pairs below for the tests.
DROP FUNCTION IF EXISTS khnet_round_sides(bigint);
CREATE FUNCTION khnet_round_sides(p_round bigint)
    RETURNS TABLE (id bigint, mentor boolean, years int, lim int, off numeric,
                   l int[], k int[], w int[], s int[])
    -- without JIT (compiling the plan costs more than it saves)
    LANGUAGE sql STABLE SET jit = off SET work_mem = '64MB'
AS $$
    WITH r AS (SELECT * FROM khnet_mentoring_rounds WHERE id = p_round),
         e0 AS MATERIALIZED (
             SELECT p.account_id AS id, coalesce(q.topics, p.expertise) AS topics,
                    coalesce(q.goals, '') AS goals, coalesce(q.languages, p.languages) AS languages,
                    coalesce(p.years_experience, 0) AS years, coalesce(q.max_tz_gap, 12) AS max_tz_gap,
                    ARRAY(SELECT ps.sector_id FROM khnet_profile_sectors ps
                           WHERE ps.profile_id = p.account_id) || r.sector_id AS sector_ids,
                    khnet_tz_offset_hours(coalesce(q.time_zone, p.time_zone), r.deadline) AS off
               FROM r JOIN khnet_round_participants rp ON rp.round_id = r.id AND rp.side = 'mentee'
               JOIN khnet_profiles p ON p.account_id = rp.account_id
               JOIN khnet_accounts a ON a.id = p.account_id AND a.erased_at IS NULL
               LEFT JOIN khnet_mentee_requests q ON q.mentee_id = p.account_id),
         tk AS MATERIALIZED (SELECT t, khnet_topic_key(t) AS key
                               FROM (SELECT DISTINCT unnest(topics) FROM e0) d(t)),
         gw AS MATERIALIZED (SELECT goals, khnet_mentoring_words(goals) AS words
                               FROM (SELECT DISTINCT goals FROM e0) d),
         m0 AS MATERIALIZED (
             SELECT s.id, s.languages, s.years, s.keys, s.words, s.sector_ids, rp.capacity,
                    khnet_tz_offset_hours(s.time_zone, r.deadline) AS off
               FROM r JOIN khnet_round_participants rp ON rp.round_id = r.id AND rp.side = 'mentor'
               JOIN khnet_mentor_side s ON s.id = rp.account_id
              WHERE s.years IS NOT NULL),
         -- each side's terms as (id, kind, term), then every term of the
         -- round numbered per kind
         et AS (SELECT e0.id, 'l' AS kind, l AS t FROM e0, unnest(e0.languages) l
                UNION SELECT e0.id, 'k', tk.key FROM e0, unnest(e0.topics) u(t)
                        JOIN tk ON tk.t = u.t WHERE tk.key <> ''
                UNION SELECT e0.id, 'w', w FROM e0 JOIN gw ON gw.goals = e0.goals, unnest(gw.words) w
                UNION SELECT e0.id, 's', s::text FROM e0, unnest(e0.sector_ids) s WHERE s IS NOT NULL),
         mt AS (SELECT m0.id, 'l' AS kind, l AS t FROM m0, unnest(m0.languages) l
                UNION SELECT m0.id, 'k', k FROM m0, unnest(m0.keys) k
                UNION SELECT m0.id, 'w', w FROM m0, unnest(m0.words) w
                UNION SELECT m0.id, 's', s::text FROM m0, unnest(m0.sector_ids) s),
         terms AS MATERIALIZED (
             SELECT kind, t, (row_number() OVER (PARTITION BY kind ORDER BY t) - 1)::int AS i
               FROM (SELECT kind, t FROM et UNION SELECT kind, t FROM mt) x),
         idx AS MATERIALIZED (
             SELECT b.id, b.mentor,
                    array_agg(x.i ORDER BY x.i) FILTER (WHERE b.kind = 'l') AS l,
                    array_agg(x.i ORDER BY x.i) FILTER (WHERE b.kind = 'k') AS k,
                    array_agg(x.i ORDER BY x.i) FILTER (WHERE b.kind = 'w') AS w,
                    array_agg(x.i ORDER BY x.i) FILTER (WHERE b.kind = 's') AS s
               FROM (SELECT id, false AS mentor, kind, t FROM et
                     UNION ALL SELECT id, true, kind, t FROM mt) b
               JOIN terms x ON x.kind = b.kind AND x.t = b.t
              GROUP BY 1, 2)
    SELECT v.id, v.mentor, v.years::int, v.lim::int, v.off, coalesce(x.l, '{}'),
           coalesce(x.k, '{}'), coalesce(x.w, '{}'), coalesce(x.s, '{}')
      FROM (SELECT e0.id, false AS mentor, e0.years, e0.max_tz_gap AS lim, e0.off FROM e0
            UNION ALL SELECT m0.id, true, m0.years, m0.capacity, m0.off FROM m0) v
      LEFT JOIN idx x ON x.id = v.id AND x.mentor = v.mentor
     ORDER BY 2, 1
$$;

-- A side's term indices as a bit string of n bits (index 0 leftmost).
CREATE OR REPLACE FUNCTION khnet_round_bits(idx int[], n int) RETURNS varbit
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT coalesce(bit_or(rpad('1', n, '0')::varbit >> i), repeat('0', n)::varbit)
              FROM unnest(idx) i);

-- The gap (hours, the short way round the day) and the working-day overlap
-- points of two UTC offsets (NULL: a side without a zone, 0 and 0).
CREATE OR REPLACE FUNCTION khnet_round_zone_gap(a numeric, b numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce(least(abs(a - b) % 24, 24 - abs(a - b) % 24), 0);
CREATE OR REPLACE FUNCTION khnet_round_zone_points(a numeric, b numeric) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN a IS NULL OR b IS NULL THEN 0  -- (least() would skip a NULL overlap)
                ELSE round(3 * least(khnet_workday_overlap(a, b), 9)) END::int;

-- Per mentee of a round, the mentors never paired with them: blocks either
-- way and the officers' forbids (mentor NULL when there are none).
DROP FUNCTION IF EXISTS khnet_round_excluded(bigint);
CREATE FUNCTION khnet_round_excluded(p_round bigint)
    RETURNS TABLE (mentee_id bigint, mentor_id bigint) LANGUAGE sql STABLE
AS $$
    WITH p AS (SELECT account_id AS id, side FROM khnet_round_participants WHERE round_id = p_round)
    SELECT b.blocker_id, b.blocked_id FROM khnet_blocks b
      JOIN p e ON e.id = b.blocker_id AND e.side = 'mentee'
      JOIN p m ON m.id = b.blocked_id AND m.side = 'mentor'
    UNION SELECT b.blocked_id, b.blocker_id FROM khnet_blocks b
      JOIN p e ON e.id = b.blocked_id AND e.side = 'mentee'
      JOIN p m ON m.id = b.blocker_id AND m.side = 'mentor'
    UNION SELECT u.mentee_id, u.mentor_id FROM khnet_round_rules u
     WHERE u.round_id = p_round AND u.rule = 'forbid'
$$;

-- The reference enumeration of a round's eligible pairs, in SQL: one row
-- per eligible pair (hard rules met, not forbidden, not blocked), by mentee
-- then mentor, with its score, the mentor's round capacity and whether an
-- officer pinned it.  A run does not use it (server/match/pairs.c makes the
-- pairs from khnet_round_sides, 11.8 million of them at 10,000 x 2,000 in
-- well under the 33 s this takes); the tests compare it with the
-- definition, khnet_mentor_pair (tests/interop/round_pairs_sql.py,
-- mentoring_sql.py: every pair, the ordinary cases and the edges) and with
-- pairs.c (round_pairs_sql.py), so the C scoring is the definition's.
-- Each side's terms are bit strings (a pair's shared count is one AND) and
-- zones are compared once per pair of offsets.  Pins of pairs no longer
-- eligible drop out.
DROP FUNCTION IF EXISTS khnet_round_pairs(bigint);
CREATE FUNCTION khnet_round_pairs(p_round bigint)
    RETURNS TABLE (mentee_id bigint, mentor_id bigint, capacity int, score int, pinned boolean)
    LANGUAGE sql STABLE SET jit = off SET work_mem = '128MB'
AS $$
    WITH sd AS MATERIALIZED (SELECT * FROM khnet_round_sides(p_round)),
         g AS (SELECT min_experience_gap AS gap FROM khnet_mentoring_settings),
         n AS MATERIALIZED (
             SELECT (SELECT 1 + coalesce(max(i), -1) FROM sd, unnest(sd.l) i) AS l,
                    (SELECT 1 + coalesce(max(i), -1) FROM sd, unnest(sd.k) i) AS k,
                    (SELECT 1 + coalesce(max(i), -1) FROM sd, unnest(sd.w) i) AS w,
                    (SELECT 1 + coalesce(max(i), -1) FROM sd, unnest(sd.s) i) AS s),
         b AS MATERIALIZED (
             SELECT sd.id, sd.mentor, sd.years, sd.lim, coalesce(sd.off, -99) AS zk,
                    khnet_round_bits(sd.l, n.l) AS lb, khnet_round_bits(sd.k, n.k) AS kb,
                    khnet_round_bits(sd.w, n.w) AS wb, khnet_round_bits(sd.s, n.s) AS sb
               FROM sd, n),
         -- the zones once per pair of offsets (-99: no zone)
         z AS MATERIALIZED (
             SELECT a.zk AS ez, c.zk AS mz,
                    khnet_round_zone_gap(nullif(a.zk, -99), nullif(c.zk, -99)) AS gap,
                    khnet_round_zone_points(nullif(a.zk, -99), nullif(c.zk, -99)) AS pov
               FROM (SELECT DISTINCT zk FROM b WHERE NOT mentor) a,
                    (SELECT DISTINCT zk FROM b WHERE mentor) c),
         ex AS MATERIALIZED (SELECT x.mentee_id, array_agg(x.mentor_id) AS out
                               FROM khnet_round_excluded(p_round) x GROUP BY 1),
         pin AS MATERIALIZED (SELECT u.mentee_id, array_agg(u.mentor_id) AS pins
                                FROM khnet_round_rules u
                               WHERE u.round_id = p_round AND u.rule = 'pin' GROUP BY 1)
    SELECT e.id, m.id, m.lim,
           (10 + 25 * least(bit_count(e.kb & m.kb), 4) + 8 * least(bit_count(e.wb & m.wb), 5)
               + 5 * least(bit_count(e.lb & m.lb), 3) + z.pov
               + CASE WHEN bit_count(e.sb & m.sb) > 0 THEN 15 ELSE 0 END
               + least(m.years - e.years - g.gap, 10))::int,
           coalesce(m.id = ANY (pin.pins), false)
      FROM g, b e JOIN z ON z.ez = e.zk AND z.gap <= e.lim
      JOIN b m ON m.mentor AND m.zk = z.mz
      LEFT JOIN ex ON ex.mentee_id = e.id
      LEFT JOIN pin ON pin.mentee_id = e.id
     WHERE NOT e.mentor AND m.years >= e.years + g.gap AND m.id <> e.id
       AND bit_count(e.lb & m.lb) > 0 AND (ex.out IS NULL OR m.id <> ALL (ex.out))
     ORDER BY 1, 2
$$;

-- One pair of a round judged and explained by khnet_mentor_pair (round
-- mode: the mentor's round capacity; the focus sector; the deadline).
CREATE OR REPLACE FUNCTION khnet_round_pair_explained(p_round bigint, p_mentee bigint,
                                                      p_mentor bigint)
    RETURNS TABLE (eligible boolean, score int, explanation jsonb) LANGUAGE sql STABLE
AS $$
    SELECT pr.eligible, pr.score, pr.explanation
      FROM khnet_mentoring_rounds r
      JOIN khnet_round_participants rp ON rp.round_id = r.id AND rp.account_id = p_mentor
      JOIN khnet_mentee_side e ON e.id = p_mentee
      JOIN khnet_mentor_side m ON m.id = p_mentor,
           LATERAL khnet_mentor_pair(e, m, r.deadline, r.sector_id, rp.capacity) pr
     WHERE r.id = p_round
$$;

-- POST .../run, first step (officers only: the caller checks the role):
-- the round's two sides for server/match/pairs.c, one document of
-- O(mentees + mentors) integers:
--   runs, min_gap, max_pairs (settings, 0025), terms [l, k, w, s] (how many
--   of each kind), zone_gap and zone_points (zones x zones, row = the
--   mentee's zone: whole hours rounded up, overlap points), mentees and
--   mentors [[id, years, limit, zone (-1: none), [l], [k], [w], [s]], ...]
--   by id, excluded and pins [[mentee, mentor], ...].
-- The run closes the round to joins.
CREATE OR REPLACE FUNCTION khnet_round_problem(p_round bigint,
                                               OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    r khnet_mentoring_rounds;
BEGIN
    SELECT * INTO r FROM khnet_mentoring_rounds WHERE id = p_round FOR UPDATE;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "no such round"}'; RETURN;
    END IF;
    IF r.status = 'published' THEN
        status := 'conflict'; body := '{"message": "the round is published"}'; RETURN;
    END IF;
    status := 'ok';
    WITH sd AS MATERIALIZED (SELECT * FROM khnet_round_sides(p_round)),
         zs AS MATERIALIZED (SELECT off, (row_number() OVER (ORDER BY off) - 1)::int AS zi
                               FROM (SELECT DISTINCT off FROM sd WHERE off IS NOT NULL) d),
         p AS (SELECT sd.*, coalesce(zs.zi, -1) AS zi FROM sd LEFT JOIN zs ON zs.off = sd.off)
    SELECT jsonb_build_object('runs', r.runs, 'min_gap', st.min_experience_gap,
        'max_pairs', st.round_max_pairs,
        'terms', (SELECT jsonb_build_array(1 + coalesce(max(i) FILTER (WHERE t = 'l'), -1),
                                           1 + coalesce(max(i) FILTER (WHERE t = 'k'), -1),
                                           1 + coalesce(max(i) FILTER (WHERE t = 'w'), -1),
                                           1 + coalesce(max(i) FILTER (WHERE t = 's'), -1))
                    FROM (SELECT 'l' AS t, unnest(l) AS i FROM sd UNION ALL SELECT 'k', unnest(k) FROM sd
                          UNION ALL SELECT 'w', unnest(w) FROM sd
                          UNION ALL SELECT 's', unnest(s) FROM sd) x),
        'zone_gap', (SELECT coalesce(jsonb_agg(ceil(khnet_round_zone_gap(a.off, b.off))::int
                                               ORDER BY a.zi, b.zi), '[]') FROM zs a, zs b),
        'zone_points', (SELECT coalesce(jsonb_agg(khnet_round_zone_points(a.off, b.off)
                                                  ORDER BY a.zi, b.zi), '[]') FROM zs a, zs b),
        'mentees', (SELECT coalesce(jsonb_agg(jsonb_build_array(id, years, lim, zi, l, k, w, s)
                                              ORDER BY id), '[]') FROM p WHERE NOT mentor),
        'mentors', (SELECT coalesce(jsonb_agg(jsonb_build_array(id, years, lim, zi, l, k, w, s)
                                              ORDER BY id), '[]') FROM p WHERE mentor),
        'excluded', (SELECT coalesce(jsonb_agg(jsonb_build_array(x.mentee_id, x.mentor_id)), '[]')
                       FROM khnet_round_excluded(p_round) x),
        'pins', (SELECT coalesce(jsonb_agg(jsonb_build_array(u.mentee_id, u.mentor_id)), '[]')
                   FROM khnet_round_rules u WHERE u.round_id = p_round AND u.rule = 'pin'))
      INTO body FROM khnet_mentoring_settings st;
END
$$;

-- The chosen pairs of a run (p_mentees[i] with p_mentors[i], scored
-- p_scores[i] by the run) each judged and explained by khnet_mentor_pair
-- as khnet_round_pair_explained does (round mode), eligible NULL for a
-- pair whose sides are not a live mentee and a mentor of the round.  Each
-- side's row is made once: the mentees' as khnet_mentee_side makes them
-- (tests/interop/round_pairs_sql.py checks every explanation against
-- khnet_round_pair_explained's), the mentors' read by id (OFFSET 0 keeps
-- each look-up apart: a plain lateral join let the planner key every
-- profile's topics to hash-join them, 5 s for 20 pairs), once for all
-- of their mentees.
-- The three arrays as rows, for the planner thousands of them (unnest of
-- parameters is taken for 10 rows: nested loops over the sides, O(n^2)).
DROP FUNCTION IF EXISTS khnet_round_chosen(bigint[], bigint[], int[]);
CREATE FUNCTION khnet_round_chosen(p_mentees bigint[], p_mentors bigint[], p_scores int[])
    RETURNS TABLE (e bigint, m bigint, s int) LANGUAGE plpgsql IMMUTABLE ROWS 5000
AS $$
BEGIN
    RETURN QUERY SELECT * FROM unnest(p_mentees, p_mentors, p_scores);
END
$$;

DROP FUNCTION IF EXISTS khnet_round_judge(bigint, bigint[], bigint[], int[]);
CREATE FUNCTION khnet_round_judge(p_round bigint, p_mentees bigint[], p_mentors bigint[],
                                  p_scores int[])
    RETURNS TABLE (mentee_id bigint, mentor_id bigint, score int, eligible boolean,
                   def_score int, explanation jsonb)
    LANGUAGE sql STABLE
AS $$
    WITH c AS MATERIALIZED (SELECT * FROM khnet_round_chosen(p_mentees, p_mentors, p_scores)),
         -- the mentees' rows of khnet_mentee_side, with their topics keyed
         -- and goals split once per distinct text (the view keys each
         -- mentee's topics on its own: 0.5 ms a mentee, most of a store)
         e0 AS MATERIALIZED (
             SELECT p.account_id AS id, r.mentee_id IS NOT NULL AS saved,
                    coalesce(r.goals, '') AS goals, coalesce(r.topics, p.expertise) AS topics,
                    coalesce(r.languages, p.languages) AS languages,
                    coalesce(r.time_zone, p.time_zone) AS time_zone,
                    coalesce(r.max_tz_gap, 12) AS max_tz_gap,
                    coalesce(r.career_stage, 'early_career') AS career_stage,
                    p.seeking_mentor, p.years_experience AS years, p.country
               FROM (SELECT DISTINCT e FROM c) d JOIN khnet_profiles p ON p.account_id = d.e
               JOIN khnet_accounts a ON a.id = p.account_id AND a.erased_at IS NULL
               LEFT JOIN khnet_mentee_requests r ON r.mentee_id = p.account_id),
         tk AS MATERIALIZED (SELECT t, khnet_topic_key(t) AS key
                               FROM (SELECT DISTINCT unnest(topics) FROM e0) d(t)),
         gw AS MATERIALIZED (SELECT goals, khnet_mentoring_words(goals) AS words
                               FROM (SELECT DISTINCT goals FROM e0) d),
         es AS MATERIALIZED (
             SELECT e0.id, e0.saved, e0.goals, e0.topics, e0.languages, e0.time_zone,
                    e0.max_tz_gap, e0.career_stage, e0.seeking_mentor, e0.years, e0.country,
                    k.keys, k.key_topics, gw.words AS goal_words,
                    ARRAY(SELECT ps.sector_id FROM khnet_profile_sectors ps
                           WHERE ps.profile_id = e0.id) AS sector_ids
               FROM e0 JOIN gw ON gw.goals = e0.goals
              CROSS JOIN LATERAL (   -- khnet_topic_keys with tk's keys
                    SELECT coalesce(array_agg(x.key ORDER BY x.key), '{}') AS keys,
                           coalesce(array_agg(x.t ORDER BY x.key), '{}') AS key_topics
                      FROM (SELECT DISTINCT ON (tk.key) tk.key, u.t
                              FROM unnest(e0.topics) WITH ORDINALITY u(t, o) JOIN tk ON tk.t = u.t
                             WHERE tk.key <> '' ORDER BY tk.key, u.o) x) k),
         ms AS MATERIALIZED (
             SELECT x.* FROM (SELECT DISTINCT m FROM c) d,
                    LATERAL (SELECT * FROM khnet_mentor_side v WHERE v.id = d.m OFFSET 0) x),
         -- the pairs with both sides' rows first, so that the judge runs
         -- once a pair (not once per mentee x mentor: the CTEs have no
         -- statistics)
         pr AS MATERIALIZED (
             SELECT p.e, p.m, ROW(es.*)::khnet_mentee_side AS er, ROW(ms.*)::khnet_mentor_side AS mr,
                    r.deadline, r.sector_id, rp.capacity
               FROM (SELECT DISTINCT e, m FROM c) p
               JOIN khnet_mentoring_rounds r ON r.id = p_round
               JOIN khnet_round_participants rp ON rp.round_id = r.id AND rp.account_id = p.m
               JOIN es ON es.id = p.e JOIN ms ON ms.id = p.m),
         j AS (SELECT pr.e, pr.m, x.eligible, x.score, x.explanation
                 FROM pr, LATERAL khnet_mentor_pair(pr.er, pr.mr, pr.deadline, pr.sector_id,
                                                    pr.capacity) x)
    SELECT c.e, c.m, c.s, j.eligible, j.score, j.explanation
      FROM c LEFT JOIN j ON j.e = c.e AND j.m = c.m
$$;

-- Whether the chosen pairs of a run (in khnet_round_tmp, with the
-- definition's judgement of each) are an assignment of the round as it is
-- now: each pair eligible (khnet_mentor_pair in round mode) with the score
-- the run gave it, a mentee of the round once and a mentor of the round
-- within capacity, none forbidden, the scores summing to p_total, and every
-- pin of a still eligible pair chosen.  Only the chosen pairs and the pins
-- are judged: no enumeration of the round's pairs.
-- (plpgsql: the temporary table exists only when a run calls it.)
CREATE OR REPLACE FUNCTION khnet_round_chosen_fit(p_round bigint, p_total bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT NOT EXISTS (SELECT 1 FROM khnet_round_tmp t
                        WHERE NOT coalesce(t.eligible AND t.def_score = t.score, false))
       AND (SELECT coalesce(sum(t.score), 0) FROM khnet_round_tmp t) = p_total
       AND (SELECT count(DISTINCT t.mentee_id) = count(*) FROM khnet_round_tmp t)
       AND NOT EXISTS (SELECT 1 FROM khnet_round_tmp t
                        LEFT JOIN khnet_round_participants e ON e.round_id = p_round
                         AND e.account_id = t.mentee_id AND e.side = 'mentee'
                       WHERE e.account_id IS NULL)
       AND NOT EXISTS (SELECT 1 FROM (SELECT mentor_id, count(*) AS n FROM khnet_round_tmp GROUP BY 1) t
                        LEFT JOIN khnet_round_participants m ON m.round_id = p_round
                         AND m.account_id = t.mentor_id AND m.side = 'mentor'
                       WHERE m.capacity IS NULL OR t.n > m.capacity)
       AND NOT EXISTS (SELECT 1 FROM khnet_round_tmp t JOIN khnet_round_rules u
                          ON u.round_id = p_round AND u.mentee_id = t.mentee_id
                         AND u.mentor_id = t.mentor_id AND u.rule = 'forbid')
       AND NOT EXISTS (SELECT 1 FROM khnet_round_rules u
                        WHERE u.round_id = p_round AND u.rule = 'pin'
                          AND NOT EXISTS (SELECT 1 FROM khnet_round_tmp t WHERE t.mentee_id = u.mentee_id
                                             AND t.mentor_id = u.mentor_id)
                          AND coalesce((SELECT x.eligible FROM khnet_round_pair_explained(
                                            p_round, u.mentee_id, u.mentor_id) x), false)));
END
$$;

-- POST .../run, second step: the assignment (p_mentees[i] gets
-- p_mentors[i], the pair scoring p_scores[i]) with its total, greedy's,
-- and the mentees that had any eligible pair (p_reachable: an unmatched one
-- was 'outscored', another had 'no_eligible_mentor').  The chosen pairs are
-- judged again by the definition (khnet_round_chosen_fit), which also
-- explains them; a stale run (another run since the first step), a pin or
-- forbid set meanwhile, or pairs that do not fit make this 'conflict': run
-- again.  p_reachable is taken as given: pairs.c computes it with the
-- formula the tests prove equal to SQL's, an officer's run sends it, and
-- it only labels why a mentee stayed unmatched.
DROP FUNCTION IF EXISTS khnet_round_store(bigint, bigint, int, bigint[], bigint[], bigint, bigint);
CREATE OR REPLACE FUNCTION khnet_round_store(p_me bigint, p_round bigint, p_runs int,
                                             p_mentees bigint[], p_mentors bigint[],
                                             p_scores int[], p_reachable bigint[],
                                             p_total bigint, p_greedy bigint,
                                             OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    r khnet_mentoring_rounds;
BEGIN
    SELECT * INTO r FROM khnet_mentoring_rounds WHERE id = p_round FOR UPDATE;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "no such round"}'; RETURN;
    END IF;
    IF r.status = 'published' OR r.runs <> p_runs THEN
        status := 'conflict'; body := '{"message": "the round changed meanwhile; run it again"}';
        RETURN;
    END IF;
    CREATE TEMPORARY TABLE IF NOT EXISTS khnet_round_tmp (mentee_id bigint, mentor_id bigint,
        score int, eligible boolean, def_score int, explanation jsonb) ON COMMIT DROP;
    TRUNCATE khnet_round_tmp;
    INSERT INTO khnet_round_tmp
    SELECT * FROM khnet_round_judge(p_round, p_mentees, p_mentors, p_scores);
    IF coalesce(cardinality(p_mentees), 0) <> coalesce(cardinality(p_scores), 0)
       OR NOT khnet_round_chosen_fit(p_round, p_total) THEN
        status := 'conflict'; body := '{"message": "the assignment does not fit the round; run it again"}';
        RETURN;
    END IF;
    DELETE FROM khnet_round_results WHERE round_id = p_round;
    INSERT INTO khnet_round_results (round_id, mentee_id, mentor_id, score, explanation, unmatched)
    SELECT p_round, rp.account_id, t.mentor_id, t.score, t.explanation,
           CASE WHEN t.mentor_id IS NOT NULL THEN NULL
                WHEN h.id IS NOT NULL THEN 'outscored' ELSE 'no_eligible_mentor' END
      FROM khnet_round_participants rp
      LEFT JOIN khnet_round_tmp t ON t.mentee_id = rp.account_id
      LEFT JOIN (SELECT DISTINCT u.id FROM unnest(p_reachable) u(id)) h ON h.id = rp.account_id
     WHERE rp.round_id = p_round AND rp.side = 'mentee';
    UPDATE khnet_mentoring_rounds SET status = 'review', runs = runs + 1, run_at = now(),
                                      total_score = p_total, greedy_score = p_greedy
     WHERE id = p_round RETURNING * INTO r;
    INSERT INTO khnet_audit_log (actor_id, action, detail)
    VALUES (p_me, 'round_run', jsonb_build_object('round_id', p_round, 'run', r.runs,
            'pairs', cardinality(p_mentees), 'total_score', p_total, 'greedy_score', p_greedy));
    status := 'ok'; body := khnet_round_view(r, true, p_me);
END
$$;

-- Pin, forbid or clear ('none') a pair, before publishing.  A pin needs an
-- eligible pair and a free place in the pins so far (else not_eligible /
-- conflict); a pin replaces the mentee's other pin.
CREATE OR REPLACE FUNCTION khnet_round_rule(p_me bigint, p_round bigint, p_mentee bigint,
                                            p_mentor bigint, p_rule text,
                                            OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    r khnet_mentoring_rounds;
BEGIN
    SELECT * INTO r FROM khnet_mentoring_rounds WHERE id = p_round FOR UPDATE;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "no such round"}'; RETURN;
    END IF;
    IF r.status = 'published' THEN
        status := 'conflict'; body := '{"message": "the round is published"}'; RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM khnet_round_participants WHERE round_id = p_round
                      AND account_id = p_mentee AND side = 'mentee') THEN
        status := 'invalid_value'; field := 'mentee_id';
        body := '{"message": "not a mentee of this round"}'; RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM khnet_round_participants WHERE round_id = p_round
                      AND account_id = p_mentor AND side = 'mentor') THEN
        status := 'invalid_value'; field := 'mentor_id';
        body := '{"message": "not a mentor of this round"}'; RETURN;
    END IF;
    -- Checked before anything changes: a refused pin keeps the old rules.
    IF p_rule = 'pin' THEN
        IF NOT coalesce((SELECT x.eligible FROM khnet_round_pair_explained(p_round, p_mentee,
                                                                           p_mentor) x), false) THEN
            status := 'not_eligible'; field := 'mentor_id';
            body := '{"message": "this pair breaks a hard rule"}'; RETURN;
        END IF;
        IF (SELECT count(*) FROM khnet_round_rules WHERE round_id = p_round AND rule = 'pin'
               AND mentor_id = p_mentor AND mentee_id <> p_mentee)
           >= (SELECT capacity FROM khnet_round_participants WHERE round_id = p_round
                  AND account_id = p_mentor) THEN
            status := 'conflict'; field := 'mentor_id';
            body := '{"message": "the mentor''s places are all pinned"}'; RETURN;
        END IF;
    END IF;
    DELETE FROM khnet_round_rules WHERE round_id = p_round AND mentee_id = p_mentee
                                    AND (mentor_id = p_mentor OR (p_rule = 'pin' AND rule = 'pin'));
    IF p_rule IN ('pin', 'forbid') THEN
        INSERT INTO khnet_round_rules (round_id, mentee_id, mentor_id, rule, set_by)
        VALUES (p_round, p_mentee, p_mentor, p_rule, p_me);
    END IF;
    INSERT INTO khnet_audit_log (actor_id, action, target_id, detail)
    VALUES (p_me, 'round_' || p_rule, p_mentee,
            jsonb_build_object('round_id', p_round, 'mentor_id', p_mentor));
    status := 'ok'; body := khnet_round_view(r, true, p_me);
END
$$;

-- Publish the latest run: every pair becomes a proposal (status
-- 'proposed', expiring like a request) unless the two already have an
-- open or active link; events to both sides and 'round.published' to
-- every participant.
CREATE OR REPLACE FUNCTION khnet_round_publish(p_me bigint, p_round bigint,
                                               OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    r khnet_mentoring_rounds;
    x khnet_mentorships;
    n int := 0;
BEGIN
    SELECT * INTO r FROM khnet_mentoring_rounds WHERE id = p_round FOR UPDATE;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "no such round"}'; RETURN;
    END IF;
    IF r.status <> 'review' THEN
        status := 'conflict';
        body := jsonb_build_object('message', CASE r.status WHEN 'open' THEN 'run the round first'
                                              ELSE 'the round is already published' END);
        RETURN;
    END IF;
    FOR x IN INSERT INTO khnet_mentorships (mentor_id, mentee_id, status, round_id, score,
                                            explanation, expires_at)
             SELECT rr.mentor_id, rr.mentee_id, 'proposed', p_round, rr.score, rr.explanation,
                    now() + (SELECT request_ttl FROM khnet_mentoring_settings)
               FROM khnet_round_results rr
              WHERE rr.round_id = p_round AND rr.mentor_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM khnet_mentorships o
                                 WHERE o.mentor_id = rr.mentor_id AND o.mentee_id = rr.mentee_id
                                   AND o.status IN ('requested', 'proposed', 'active'))
              ORDER BY rr.mentee_id
             RETURNING * LOOP
        PERFORM khnet_emit(ARRAY[x.mentor_id, x.mentee_id], 'mentoring.proposed',
                           khnet_mentorship_json(x, NULL));
        n := n + 1;
    END LOOP;
    UPDATE khnet_mentoring_rounds SET status = 'published', published_at = now()
     WHERE id = p_round RETURNING * INTO r;
    PERFORM khnet_emit(ARRAY(SELECT account_id FROM khnet_round_participants WHERE round_id = p_round),
                       'round.published', khnet_round_json(r, false));
    INSERT INTO khnet_audit_log (actor_id, action, detail)
    VALUES (p_me, 'round_publish', jsonb_build_object('round_id', p_round, 'proposals', n));
    status := 'ok'; body := khnet_round_view(r, true, p_me) || jsonb_build_object('proposals', n);
END
$$;

-- ---- the liaison view --------------------------------------------------------------

-- GET /v1/mentoring/stats (liaison/admin): the figures the province
-- reports.  A mentee is "unmatched" when they seek a mentor (the
-- profile's seeking_mentor or a saved request) and have no active one.
CREATE OR REPLACE FUNCTION khnet_mentoring_stats(OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
    PERFORM khnet_mentoring_expire();
    status := 'ok';
    WITH unmatched AS (
        SELECT s.id, s.country FROM khnet_mentee_side s
         WHERE (s.seeking_mentor OR s.saved)
           AND NOT EXISTS (SELECT 1 FROM khnet_mentorships m
                            WHERE m.mentee_id = s.id AND m.status = 'active'))
    SELECT jsonb_build_object(
        'active', (SELECT count(*) FROM khnet_mentorships WHERE status = 'active'),
        'open_requests', (SELECT count(*) FROM khnet_mentorships WHERE status = 'requested'),
        'open_proposals', (SELECT count(*) FROM khnet_mentorships WHERE status = 'proposed'),
        'ended', (SELECT count(*) FROM khnet_mentorships WHERE status = 'ended'),
        'mentors_offering', (SELECT count(*) FROM khnet_mentor_side WHERE offering AND NOT paused),
        'unmatched_mentees', (SELECT count(*) FROM unmatched),
        'unmatched_by_sector', (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM (
            SELECT coalesce(x.slug, 'none') AS k, count(*) AS n FROM unmatched u
              LEFT JOIN khnet_profile_sectors ps ON ps.profile_id = u.id
              LEFT JOIN khnet_sectors x ON x.id = ps.sector_id GROUP BY 1) t),
        'unmatched_by_country', (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM (
            SELECT coalesce(u.country, 'none') AS k, count(*) AS n FROM unmatched u GROUP BY 1) t),
        'avg_hours_to_accept', (SELECT round((extract(epoch FROM avg(started_at - created_at)) / 3600)::numeric, 2)
                                  FROM khnet_mentorships WHERE started_at IS NOT NULL))
      INTO body;
END
$$;
