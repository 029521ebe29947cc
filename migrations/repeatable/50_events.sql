-- 50_events.sql — the event log behind the stream: emit, replay, dead sessions.
--
-- A repeatable file: every function, view and trigger of this domain at its
-- current version.  `khnetd migrate` re-applies it, in one transaction,
-- whenever its bytes change (migrations/README).  Change a function here;
-- 0005_events.sql created these first and is applied history (tables, indexes
-- and data stay there and in later numbered files).  Everything is
-- CREATE OR REPLACE; a changed signature or result type needs a
-- DROP ... IF EXISTS in front of the new definition.

-- Appends one event for each recipient and notifies every khnetd worker
-- (LISTEN khnet_events) after COMMIT — NOTIFY is transactional, so a push
-- only ever announces committed data.  Payload: "<account_id>:<seq>".
-- Recipients are processed in id order so two writers with overlapping
-- recipient sets lock the counters in the same order (no deadlock).
CREATE OR REPLACE FUNCTION khnet_emit(recipients bigint[], kind text, payload jsonb)
    RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
    s bigint;
BEGIN
    FOR r IN SELECT DISTINCT unnest(recipients) ORDER BY 1 LOOP
        INSERT INTO khnet_event_seq AS q (account_id, last_seq) VALUES (r, 1)
            ON CONFLICT (account_id) DO UPDATE SET last_seq = q.last_seq + 1
            RETURNING last_seq INTO s;
        INSERT INTO khnet_events (account_id, seq, kind, payload) VALUES (r, s, kind, payload);
        PERFORM pg_notify('khnet_events', r::text || ':' || s::text);
    END LOOP;
END $$;

-- A member's events after a cursor, oldest first, as one jsonb document for
-- GET /v1/events and for the stream's catch-up.
CREATE OR REPLACE FUNCTION khnet_events_after(viewer bigint, after_seq bigint, lim int)
    RETURNS TABLE (seq bigint, kind text, payload text, created_at text)
    LANGUAGE sql STABLE AS $$
    SELECT e.seq, e.kind, e.payload::text,
           to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      FROM khnet_events e
     WHERE e.account_id = viewer AND e.seq > after_seq
     ORDER BY e.seq
     LIMIT lim
$$;

-- GET /v1/events in the one shape: {items: [{seq, kind, payload, at}], next}
-- with up to lim events after after_seq, oldest first; `next` (the last
-- shown seq, as text) only when more follow.
CREATE OR REPLACE FUNCTION khnet_events_page(viewer bigint, after_seq bigint, lim int,
                                             OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE sql STABLE AS $$
    WITH e AS (SELECT * FROM khnet_events_after(viewer, after_seq, lim + 1)),
    shown AS (SELECT * FROM e ORDER BY e.seq LIMIT lim)
    SELECT 'ok', NULL, jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(jsonb_build_object('seq', s.seq, 'kind', s.kind,
                                                               'payload', s.payload::jsonb,
                                                               'at', s.created_at) ORDER BY s.seq)
                             FROM shown s), '[]'),
        'next', CASE WHEN (SELECT count(*) FROM e) > lim THEN (SELECT max(s.seq)::text FROM shown s) END)
$$;

-- The newest seq of a member (0 if none): where a new stream starts.
CREATE OR REPLACE FUNCTION khnet_event_latest(viewer bigint) RETURNS bigint
    LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT last_seq FROM khnet_event_seq WHERE account_id = viewer), 0)
$$;

-- Of the given sessions, those no longer usable (revoked, expired, erased
-- account, gone): each worker checks its open streams with one call.
CREATE OR REPLACE FUNCTION khnet_sessions_dead(ids bigint[]) RETURNS SETOF bigint
    LANGUAGE sql STABLE AS $$
    SELECT i FROM unnest(ids) AS i
     WHERE NOT EXISTS (
        SELECT 1 FROM khnet_sessions s JOIN khnet_accounts a ON a.id = s.account_id
         WHERE s.id = i AND s.revoked_at IS NULL AND s.expires_at > now()
           AND a.erased_at IS NULL)
$$;
