-- 0005_events.sql — the per-member event log behind real-time push.
--
-- Every event a member should see (a new message, an edit, a read cursor, a
-- conversation change, later forum and mentoring events) is a row here,
-- numbered per recipient.  Push over the WebSocket is only a hint: a client
-- that missed pushes fetches `GET /v1/events?after=<seq>` and loses nothing.
--
-- Why a per-recipient sequence and not one global identity: a global id is
-- taken at INSERT but becomes visible at COMMIT, so a reader can see id 7
-- before id 6 commits and then skip 6 forever.  Here khnet_emit() locks the
-- recipient's counter row; concurrent writers to one recipient commit in seq
-- order, so "after=N" never skips a committed event.

CREATE TABLE khnet_event_seq (
    account_id bigint PRIMARY KEY REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    last_seq   bigint NOT NULL DEFAULT 0                 -- newest seq handed out
);

CREATE TABLE khnet_events (
    account_id bigint      NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    seq        bigint      NOT NULL,                     -- 1, 2, 3... per recipient
    kind       text        NOT NULL CHECK (kind ~ '^[a-z_]+\.[a-z_]+$'),  -- e.g. message.new
    payload    jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, seq)
);
CREATE INDEX khnet_events_created ON khnet_events (created_at);  -- for expiry

-- Appends one event for each recipient and notifies every khnetd worker
-- (LISTEN khnet_events) after COMMIT — NOTIFY is transactional, so a push
-- only ever announces committed data.  Payload: "<account_id>:<seq>".
-- Recipients are processed in id order so two writers with overlapping
-- recipient sets lock the counters in the same order (no deadlock).
CREATE FUNCTION khnet_emit(recipients bigint[], kind text, payload jsonb)
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
CREATE FUNCTION khnet_events_after(viewer bigint, after_seq bigint, lim int)
    RETURNS TABLE (seq bigint, kind text, payload text, created_at text)
    LANGUAGE sql STABLE AS $$
    SELECT e.seq, e.kind, e.payload::text,
           to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      FROM khnet_events e
     WHERE e.account_id = viewer AND e.seq > after_seq
     ORDER BY e.seq
     LIMIT lim
$$;

-- The newest seq of a member (0 if none): where a new stream starts.
CREATE FUNCTION khnet_event_latest(viewer bigint) RETURNS bigint
    LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT last_seq FROM khnet_event_seq WHERE account_id = viewer), 0)
$$;

-- Of the given sessions, those no longer usable (revoked, expired, erased
-- account, gone): each worker checks its open streams with one call.
CREATE FUNCTION khnet_sessions_dead(ids bigint[]) RETURNS SETOF bigint
    LANGUAGE sql STABLE AS $$
    SELECT i FROM unnest(ids) AS i
     WHERE NOT EXISTS (
        SELECT 1 FROM khnet_sessions s JOIN khnet_accounts a ON a.id = s.account_id
         WHERE s.id = i AND s.revoked_at IS NULL AND s.expires_at > now()
           AND a.erased_at IS NULL)
$$;
