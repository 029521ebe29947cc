-- 0010_mentoring.sql — mentor matching (issue 10, PROTOCOL.md "Mentoring"):
-- mentors' offers, mentees' requests, the mentorships between them (from a
-- member's request or a published programme round), feedback, and the
-- programme rounds with their participants, officers' pins/forbids and
-- results.  Tables and indexes only; the functions the API calls live in
-- migrations/repeatable/ (the mentoring file), re-applied when changed.
-- Round acts (open, run, pin, forbid, publish) go to khnet_audit_log (0002).

-- Settings an admin may change with SQL; one row.
CREATE TABLE khnet_mentoring_settings (
    id                   boolean PRIMARY KEY DEFAULT true CHECK (id),
    request_ttl          interval NOT NULL DEFAULT interval '14 days'  -- open requests expire
                         CHECK (request_ttl > interval '0'),
    feedback_min_count   int NOT NULL DEFAULT 3 CHECK (feedback_min_count >= 1),
    min_experience_gap   int NOT NULL DEFAULT 3 CHECK (min_experience_gap >= 0)  -- years
);
INSERT INTO khnet_mentoring_settings DEFAULT VALUES;

-- A mentor's offer.  Capacity is the number of concurrent active mentees;
-- accepting locks this row, so concurrent accepts are counted one after
-- another and never overbook.
CREATE TABLE khnet_mentor_offers (
    mentor_id   bigint PRIMARY KEY REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    topics      text[] NOT NULL DEFAULT '{}' CHECK (cardinality(topics) <= 20),
    capacity    int    NOT NULL CHECK (capacity BETWEEN 0 AND 50),
    languages   text[] NOT NULL DEFAULT '{}' CHECK (cardinality(languages) <= 20),
    time_zone   text   CHECK (length(time_zone) BETWEEN 1 AND 64),
    formats     text[] NOT NULL DEFAULT '{video,chat}'
                CHECK (formats <@ ARRAY['video', 'chat', 'in_person']::text[]),
    cadence     text   NOT NULL DEFAULT 'monthly'
                CHECK (cadence IN ('weekly', 'fortnightly', 'monthly', 'ad_hoc')),
    note        text   CHECK (length(note) <= 1000),
    paused      boolean NOT NULL DEFAULT false,       -- no new requests
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A mentee's request: what they look for.
CREATE TABLE khnet_mentee_requests (
    mentee_id    bigint PRIMARY KEY REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    goals        text   NOT NULL DEFAULT '' CHECK (length(goals) <= 2000),
    topics       text[] NOT NULL DEFAULT '{}' CHECK (cardinality(topics) <= 20),
    languages    text[] NOT NULL DEFAULT '{}' CHECK (cardinality(languages) <= 20),
    time_zone    text   CHECK (length(time_zone) BETWEEN 1 AND 64),
    max_tz_gap   int    NOT NULL DEFAULT 12 CHECK (max_tz_gap BETWEEN 0 AND 12),  -- hours
    career_stage text   NOT NULL DEFAULT 'early_career'
                 CHECK (career_stage IN ('student', 'early_career', 'mid_career', 'senior')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Programme rounds run by liaison officers.
CREATE TABLE khnet_mentoring_rounds (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    deadline     timestamptz NOT NULL,                 -- joins close
    sector_id    smallint REFERENCES khnet_sectors (id), -- optional focus
    status       text NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'review', 'published')),
    runs         int  NOT NULL DEFAULT 0,              -- how many times it was run
    total_score  bigint,                               -- of the latest run
    greedy_score bigint,                               -- greedy's, same run (for the report)
    created_by   bigint REFERENCES khnet_accounts (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    run_at       timestamptz,
    published_at timestamptz
);

CREATE TABLE khnet_round_participants (
    round_id   bigint NOT NULL REFERENCES khnet_mentoring_rounds (id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    side       text   NOT NULL CHECK (side IN ('mentor', 'mentee')),
    capacity   int    CHECK (capacity BETWEEN 1 AND 20),   -- mentors only
    joined_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (round_id, account_id),
    CHECK ((side = 'mentor') = (capacity IS NOT NULL))
);

-- An officer's pin (the pair must be in the result) or forbid (never).
CREATE TABLE khnet_round_rules (
    round_id   bigint NOT NULL REFERENCES khnet_mentoring_rounds (id) ON DELETE CASCADE,
    mentee_id  bigint NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    mentor_id  bigint NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    rule       text   NOT NULL CHECK (rule IN ('pin', 'forbid')),
    set_by     bigint REFERENCES khnet_accounts (id),
    set_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (round_id, mentee_id, mentor_id)
);

-- The latest run's outcome, one row per mentee participant: the pair (or
-- NULL and why not) with its score and explanation.
CREATE TABLE khnet_round_results (
    round_id    bigint NOT NULL REFERENCES khnet_mentoring_rounds (id) ON DELETE CASCADE,
    mentee_id   bigint NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    mentor_id   bigint REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    score       int,
    explanation jsonb,
    unmatched   text,     -- why not: 'no_eligible_mentor' | 'outscored'
    PRIMARY KEY (round_id, mentee_id),
    CHECK ((mentor_id IS NULL) = (unmatched IS NOT NULL))
);

-- Every mentorship from its first step: a member's request ('requested'
-- until the mentor answers) or a round's proposal ('proposed' until both
-- sides accept), then 'active', then 'ended'; or closed early as
-- 'declined', 'withdrawn' (the mentee's, or another mentor accepted
-- first) or 'expired'.
CREATE TABLE khnet_mentorships (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mentor_id        bigint NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    mentee_id        bigint NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    status           text   NOT NULL CHECK (status IN ('requested', 'proposed', 'active',
                            'ended', 'declined', 'withdrawn', 'expired')),
    round_id         bigint REFERENCES khnet_mentoring_rounds (id) ON DELETE SET NULL,
    message          text   CHECK (length(message) <= 2000),     -- the mentee's
    score            int,                                        -- when requested/proposed
    explanation      jsonb,
    mentor_ok_at     timestamptz,                                -- accepted by the mentor
    mentee_ok_at     timestamptz,                                -- by the mentee (at request)
    close_reason     text   CHECK (length(close_reason) <= 500), -- decline/withdraw/end
    closed_by        bigint REFERENCES khnet_accounts (id) ON DELETE SET NULL,
    conversation_id  bigint REFERENCES khnet_conversations (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz,                                -- open ones
    started_at       timestamptz,                                -- became active
    closed_at        timestamptz,
    CHECK (mentor_id <> mentee_id),
    CHECK ((status = 'active') = (started_at IS NOT NULL AND closed_at IS NULL))
);
-- One open or active link per pair; one active mentor per mentee.
CREATE UNIQUE INDEX khnet_mentorships_pair ON khnet_mentorships (mentor_id, mentee_id)
    WHERE status IN ('requested', 'proposed', 'active');
CREATE UNIQUE INDEX khnet_mentorships_mentee_active ON khnet_mentorships (mentee_id)
    WHERE status = 'active';
CREATE INDEX khnet_mentorships_mentor ON khnet_mentorships (mentor_id, status);
CREATE INDEX khnet_mentorships_mentee ON khnet_mentorships (mentee_id, status);
CREATE INDEX khnet_mentorships_expiry ON khnet_mentorships (expires_at)
    WHERE status IN ('requested', 'proposed');

-- Feedback at the end of a mentorship, one per side.  Only admins and
-- liaison officers read it; a mentor sees the count and average of what
-- mentees wrote about them, and only from feedback_min_count on.
CREATE TABLE khnet_mentoring_feedback (
    mentorship_id bigint NOT NULL REFERENCES khnet_mentorships (id) ON DELETE CASCADE,
    author_id     bigint NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    subject_id    bigint NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    author_side   text   NOT NULL CHECK (author_side IN ('mentor', 'mentee')),
    rating        int    NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment       text   CHECK (length(comment) <= 2000),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mentorship_id, author_id)
);
CREATE INDEX khnet_mentoring_feedback_subject ON khnet_mentoring_feedback (subject_id, author_side);
