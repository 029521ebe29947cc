-- 60_messaging.sql — messaging: conversations, messages, blocks, reports, silences.
--
-- A repeatable file: every function, view and trigger of this domain at its
-- current version.  `khnetd migrate` re-applies it, in one transaction,
-- whenever its bytes change (migrations/README).  Change a function here;
-- 0006_messaging.sql created these first and is applied history (tables, indexes
-- and data stay there and in later numbered files).  Everything is
-- CREATE OR REPLACE; a changed signature or result type needs a
-- DROP ... IF EXISTS in front of the new definition.

-- The name shown beside what an account wrote: its display name (else full
-- name), 'former member' once erased, NULL for a live account without a
-- profile (clients fall back to the id).  Every document that names an
-- author calls this, so erasure (0008) changes every one of them at once.
CREATE OR REPLACE FUNCTION khnet_author_name(account bigint) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT CASE WHEN a.erased_at IS NOT NULL THEN 'former member'
                        ELSE coalesce(p.display_name, p.full_name) END
              FROM khnet_accounts a LEFT JOIN khnet_profiles p ON p.account_id = a.id
             WHERE a.id = account);

CREATE OR REPLACE FUNCTION khnet_message_json(m khnet_messages) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object(
        'id', m.id, 'conversation_id', m.conversation_id, 'seq', m.seq,
        'sender_id', m.sender_id, 'sender_name', khnet_author_name(m.sender_id),
        'client_id', m.client_id, 'text', m.body,
        'reply_to', m.reply_to, 'created_at', khnet_time_text(m.created_at),
        'edited_at', khnet_time_text(m.edited_at), 'deleted_at', khnet_time_text(m.deleted_at));

-- Unread messages of `viewer` in conversation `conv`: from others, after
-- the read cursor, not deleted.
CREATE OR REPLACE FUNCTION khnet_unread_in(conv bigint, viewer bigint, read_seq bigint) RETURNS bigint
    LANGUAGE sql STABLE
    RETURN (SELECT count(*) FROM khnet_messages m
             WHERE m.conversation_id = conv AND m.seq > read_seq
               AND m.sender_id <> viewer AND m.deleted_at IS NULL);

-- The conversation document; `unread` only when viewer is given.
CREATE OR REPLACE FUNCTION khnet_conversation_json(conv bigint, viewer bigint) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', c.id, 'type', c.kind, 'title', c.title, 'owner_id', c.owner_id,
        'members', (SELECT coalesce(jsonb_agg(cm.account_id ORDER BY cm.account_id), '[]')
                      FROM khnet_conversation_members cm WHERE cm.conversation_id = c.id),
        'created_at', khnet_time_text(c.created_at),
        'last_activity_at', khnet_time_text(c.activity_at),
        'last_message', (SELECT khnet_message_json(m) FROM khnet_messages m
                          WHERE m.conversation_id = c.id AND m.seq = c.last_seq))
        || CASE WHEN viewer IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('unread',
               (SELECT khnet_unread_in(c.id, viewer, cm.read_seq) FROM khnet_conversation_members cm
                 WHERE cm.conversation_id = c.id AND cm.account_id = viewer)) END
      FROM khnet_conversations c WHERE c.id = conv
$$;

CREATE OR REPLACE FUNCTION khnet_conversation_members_of(conv bigint) RETURNS bigint[]
    LANGUAGE sql STABLE
    RETURN (SELECT coalesce(array_agg(account_id), '{}') FROM khnet_conversation_members
             WHERE conversation_id = conv);

CREATE OR REPLACE FUNCTION khnet_is_member(conv bigint, who bigint) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN EXISTS (SELECT 1 FROM khnet_conversation_members
                    WHERE conversation_id = conv AND account_id = who);

CREATE OR REPLACE FUNCTION khnet_blocked_between(a bigint, b bigint) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN EXISTS (SELECT 1 FROM khnet_blocks
                    WHERE (blocker_id = a AND blocked_id = b) OR (blocker_id = b AND blocked_id = a));

CREATE OR REPLACE FUNCTION khnet_account_live(a bigint) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN EXISTS (SELECT 1 FROM khnet_accounts WHERE id = a AND erased_at IS NULL);

-- Starts a direct conversation with p_member (returns the existing one) or a
-- group titled p_title with p_members.
CREATE OR REPLACE FUNCTION khnet_conv_create(p_me bigint, p_type text, p_member bigint, p_title text,
                                  p_members bigint[],
                                  OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_lo bigint;
    v_hi bigint;
    v_all bigint[];
BEGIN
    IF p_type = 'direct' THEN
        IF p_member = p_me THEN
            status := 'invalid_value'; field := 'member_id';
            body := '{"message": "a direct conversation needs another member"}'; RETURN;
        END IF;
        IF NOT khnet_account_live(p_member) THEN
            status := 'invalid_value'; field := 'member_id';
            body := '{"message": "no such account"}'; RETURN;
        END IF;
        IF khnet_blocked_between(p_me, p_member) THEN
            status := 'blocked'; body := '{"message": "a block stops this conversation"}'; RETURN;
        END IF;
        v_lo := least(p_me, p_member);
        v_hi := greatest(p_me, p_member);
        INSERT INTO khnet_conversations (kind, direct_lo, direct_hi) VALUES ('direct', v_lo, v_hi)
            ON CONFLICT (direct_lo, direct_hi) DO NOTHING RETURNING id INTO v_id;
        IF v_id IS NULL THEN
            SELECT id INTO v_id FROM khnet_conversations WHERE direct_lo = v_lo AND direct_hi = v_hi;
            status := 'ok'; body := khnet_conversation_json(v_id, p_me); RETURN;
        END IF;
        v_all := ARRAY[v_lo, v_hi];
    ELSE
        SELECT coalesce(array_agg(DISTINCT m), '{}') INTO v_all
          FROM unnest(p_members) m WHERE m <> p_me;
        IF cardinality(v_all) > 255 THEN
            status := 'too_long'; field := 'member_ids';
            body := '{"message": "a group has at most 256 members"}'; RETURN;
        END IF;
        IF EXISTS (SELECT 1 FROM unnest(v_all) m WHERE NOT khnet_account_live(m)) THEN
            status := 'invalid_value'; field := 'member_ids';
            body := '{"message": "no such account"}'; RETURN;
        END IF;
        INSERT INTO khnet_conversations (kind, title, owner_id) VALUES ('group', p_title, p_me)
            RETURNING id INTO v_id;
        v_all := p_me || v_all;
    END IF;
    INSERT INTO khnet_conversation_members (conversation_id, account_id)
        SELECT v_id, m FROM unnest(v_all) m;
    PERFORM khnet_emit(v_all, 'conversation.created', khnet_conversation_json(v_id, NULL));
    status := 'created'; body := khnet_conversation_json(v_id, p_me);
END $$;

CREATE OR REPLACE FUNCTION khnet_conv_get(p_me bigint, p_conv bigint,
                               OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT khnet_is_member(p_conv, p_me) THEN
        status := 'not_found'; body := '{"message": "no such conversation"}'; RETURN;
    END IF;
    status := 'ok'; body := khnet_conversation_json(p_conv, p_me);
END $$;

-- My conversations, newest activity first, after the activity key p_after.
-- body: {items, next_key} (next_key: the activity of the last item when more follow).
CREATE OR REPLACE FUNCTION khnet_conv_list(p_me bigint, p_after bigint, p_limit int,
                                OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT c.id, c.activity FROM khnet_conversation_members cm
          JOIN khnet_conversations c ON c.id = cm.conversation_id
         WHERE cm.account_id = p_me AND (p_after IS NULL OR c.activity < p_after)
         ORDER BY c.activity DESC LIMIT p_limit + 1),
    shown AS (SELECT * FROM page ORDER BY activity DESC LIMIT p_limit)
    SELECT 'ok', NULL::text, jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(khnet_conversation_json(s.id, p_me) ORDER BY s.activity DESC)
                             FROM shown s), '[]'),
        'next_key', CASE WHEN (SELECT count(*) FROM page) > p_limit
                         THEN (SELECT min(activity) FROM shown) END)
$$;

CREATE OR REPLACE FUNCTION khnet_conv_title(p_me bigint, p_conv bigint, p_title text,
                                 OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE c khnet_conversations;
BEGIN
    SELECT * INTO c FROM khnet_conversations WHERE id = p_conv FOR UPDATE;
    IF NOT FOUND OR NOT khnet_is_member(p_conv, p_me) THEN
        status := 'not_found'; body := '{"message": "no such conversation"}'; RETURN;
    END IF;
    IF c.kind <> 'group' OR c.owner_id <> p_me THEN
        status := 'forbidden'; body := '{"message": "only the owner of a group renames it"}'; RETURN;
    END IF;
    UPDATE khnet_conversations SET title = p_title WHERE id = p_conv;
    PERFORM khnet_emit(khnet_conversation_members_of(p_conv), 'conversation.updated',
                       jsonb_build_object('conversation', khnet_conversation_json(p_conv, NULL),
                                          'change', 'title', 'account_id', NULL));
    status := 'ok'; body := khnet_conversation_json(p_conv, p_me);
END $$;

CREATE OR REPLACE FUNCTION khnet_conv_member_add(p_me bigint, p_conv bigint, p_member bigint,
                                      OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE c khnet_conversations;
BEGIN
    SELECT * INTO c FROM khnet_conversations WHERE id = p_conv FOR UPDATE;
    IF NOT FOUND OR NOT khnet_is_member(p_conv, p_me) THEN
        status := 'not_found'; body := '{"message": "no such conversation"}'; RETURN;
    END IF;
    IF c.kind <> 'group' OR c.owner_id <> p_me THEN
        status := 'forbidden'; body := '{"message": "only the owner of a group adds members"}'; RETURN;
    END IF;
    IF NOT khnet_account_live(p_member) THEN
        status := 'not_found'; field := 'account_id'; body := '{"message": "no such account"}'; RETURN;
    END IF;
    IF NOT khnet_is_member(p_conv, p_member) THEN
        IF (SELECT count(*) FROM khnet_conversation_members WHERE conversation_id = p_conv) >= 256 THEN
            status := 'conflict'; body := '{"message": "the group has 256 members"}'; RETURN;
        END IF;
        -- A new member starts with everything before them read.
        INSERT INTO khnet_conversation_members (conversation_id, account_id, read_seq)
            VALUES (p_conv, p_member, c.last_seq);
        PERFORM khnet_emit(array_remove(khnet_conversation_members_of(p_conv), p_member),
                           'conversation.updated',
                           jsonb_build_object('conversation', khnet_conversation_json(p_conv, NULL),
                                              'change', 'member_added', 'account_id', p_member));
        PERFORM khnet_emit(ARRAY[p_member], 'conversation.created',
                           khnet_conversation_json(p_conv, NULL));
    END IF;
    status := 'ok'; body := khnet_conversation_json(p_conv, p_me);
END $$;

-- Removes p_member (by the owner), or the caller leaves (p_member = p_me).
CREATE OR REPLACE FUNCTION khnet_conv_member_remove(p_me bigint, p_conv bigint, p_member bigint,
                                         OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    c khnet_conversations;
    v_left boolean := p_member = p_me;
BEGIN
    SELECT * INTO c FROM khnet_conversations WHERE id = p_conv FOR UPDATE;
    IF NOT FOUND OR NOT khnet_is_member(p_conv, p_me) THEN
        status := 'not_found'; body := '{"message": "no such conversation"}'; RETURN;
    END IF;
    IF c.kind <> 'group' THEN
        status := 'forbidden'; body := '{"message": "nobody leaves a direct conversation"}'; RETURN;
    END IF;
    IF NOT v_left AND c.owner_id <> p_me THEN
        status := 'forbidden'; body := '{"message": "only the owner removes members"}'; RETURN;
    END IF;
    DELETE FROM khnet_conversation_members WHERE conversation_id = p_conv AND account_id = p_member;
    IF NOT FOUND THEN
        status := 'not_found'; field := 'account_id'; body := '{"message": "not a member"}'; RETURN;
    END IF;
    IF c.owner_id = p_member THEN
        UPDATE khnet_conversations SET owner_id = (
            SELECT account_id FROM khnet_conversation_members WHERE conversation_id = p_conv
             ORDER BY joined_at, account_id LIMIT 1)
         WHERE id = p_conv;
    END IF;
    PERFORM khnet_emit(ARRAY[p_member], 'conversation.removed',
                       jsonb_build_object('conversation_id', p_conv,
                                          'reason', CASE WHEN v_left THEN 'left' ELSE 'removed' END));
    PERFORM khnet_emit(khnet_conversation_members_of(p_conv), 'conversation.updated',
                       jsonb_build_object('conversation', khnet_conversation_json(p_conv, NULL),
                                          'change', CASE WHEN v_left THEN 'member_left'
                                                         ELSE 'member_removed' END,
                                          'account_id', p_member));
    status := 'ok'; body := '{}';
END $$;

-- Moves the caller's read cursor to message p_up_to (never backwards).
CREATE OR REPLACE FUNCTION khnet_conv_read(p_me bigint, p_conv bigint, p_up_to bigint,
                                OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
    v_new bigint;
    v_old bigint;
BEGIN
    SELECT read_seq INTO v_old FROM khnet_conversation_members
     WHERE conversation_id = p_conv AND account_id = p_me FOR UPDATE;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "no such conversation"}'; RETURN;
    END IF;
    SELECT seq INTO v_seq FROM khnet_messages WHERE id = p_up_to AND conversation_id = p_conv;
    IF NOT FOUND THEN
        status := 'invalid_value'; field := 'up_to';
        body := '{"message": "not a message of this conversation"}'; RETURN;
    END IF;
    v_new := greatest(v_old, v_seq);
    IF v_new > v_old THEN
        UPDATE khnet_conversation_members SET read_seq = v_new
         WHERE conversation_id = p_conv AND account_id = p_me;
        PERFORM khnet_emit(khnet_conversation_members_of(p_conv), 'message.read',
                           jsonb_build_object('conversation_id', p_conv, 'account_id', p_me,
                                              'up_to_seq', v_new));
    END IF;
    status := 'ok';
    body := jsonb_build_object('conversation_id', p_conv, 'up_to_seq', v_new,
                               'unread', khnet_unread_in(p_conv, p_me, v_new));
END $$;

CREATE OR REPLACE FUNCTION khnet_unread_total(p_me bigint, OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql STABLE AS $$
    WITH u AS (SELECT khnet_unread_in(cm.conversation_id, p_me, cm.read_seq) AS n
                 FROM khnet_conversation_members cm WHERE cm.account_id = p_me)
    SELECT 'ok', NULL::text, jsonb_build_object(
        'total', (SELECT coalesce(sum(n), 0) FROM u),
        'conversations', (SELECT count(*) FROM u WHERE n > 0))
$$;

CREATE OR REPLACE FUNCTION khnet_silenced_until(who bigint) RETURNS timestamptz
    LANGUAGE sql STABLE
    RETURN (SELECT until FROM khnet_silences WHERE account_id = who AND until > now());

-- Sends a message.  The conversation row lock serialises senders, so seq is
-- gap-free; the (sender, client_id) check runs under the same lock, so a
-- retry racing its original sees it committed and creates nothing.
CREATE OR REPLACE FUNCTION khnet_msg_send(p_me bigint, p_conv bigint, p_client_id text, p_text text,
                               p_reply_to bigint,
                               OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    c khnet_conversations;
    m khnet_messages;
    v_other bigint;
    v_until timestamptz;
BEGIN
    SELECT * INTO c FROM khnet_conversations WHERE id = p_conv FOR UPDATE;
    IF NOT FOUND OR NOT khnet_is_member(p_conv, p_me) THEN
        status := 'not_found'; body := '{"message": "no such conversation"}'; RETURN;
    END IF;
    SELECT * INTO m FROM khnet_messages WHERE sender_id = p_me AND client_id = p_client_id;
    IF FOUND THEN
        IF m.conversation_id <> p_conv OR m.body IS DISTINCT FROM p_text
           AND coalesce(m.original_body, '') <> p_text THEN
            status := 'conflict'; field := 'client_id';
            body := '{"message": "client_id was used for another message"}'; RETURN;
        END IF;
        status := 'ok'; body := khnet_message_json(m); RETURN;
    END IF;
    v_until := khnet_silenced_until(p_me);
    IF v_until IS NOT NULL THEN
        status := 'silenced';
        body := jsonb_build_object('message', 'you are silenced', 'until', khnet_time_text(v_until));
        RETURN;
    END IF;
    IF c.kind = 'direct' THEN
        v_other := CASE WHEN c.direct_lo = p_me THEN c.direct_hi ELSE c.direct_lo END;
        IF khnet_blocked_between(p_me, v_other) THEN
            status := 'blocked'; body := '{"message": "a block stops this conversation"}'; RETURN;
        END IF;
    END IF;
    IF p_reply_to IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM khnet_messages WHERE id = p_reply_to AND conversation_id = p_conv) THEN
        status := 'invalid_value'; field := 'reply_to';
        body := '{"message": "not a message of this conversation"}'; RETURN;
    END IF;
    INSERT INTO khnet_messages (conversation_id, seq, sender_id, client_id, body, reply_to)
        VALUES (p_conv, c.last_seq + 1, p_me, p_client_id, p_text, p_reply_to)
        ON CONFLICT (sender_id, client_id) DO NOTHING
        RETURNING * INTO m;
    IF m.id IS NULL THEN  -- the same client_id, committed meanwhile for another conversation
        status := 'conflict'; field := 'client_id';
        body := '{"message": "client_id was used for another message"}'; RETURN;
    END IF;
    UPDATE khnet_conversations
       SET last_seq = m.seq, activity = nextval('khnet_activity_seq'), activity_at = m.created_at
     WHERE id = p_conv;
    UPDATE khnet_conversation_members SET read_seq = m.seq
     WHERE conversation_id = p_conv AND account_id = p_me;
    body := khnet_message_json(m);
    PERFORM khnet_emit(khnet_conversation_members_of(p_conv), 'message.new', body);
    status := 'created';
END $$;

-- History: p_before / p_after are seqs (at most one); body {items (seq
-- order), prev_key, next_key}.
CREATE OR REPLACE FUNCTION khnet_msg_history(p_me bigint, p_conv bigint, p_before bigint, p_after bigint,
                                  p_limit int,
                                  OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_lo bigint;
    v_hi bigint;
    v_items jsonb;
BEGIN
    IF NOT khnet_is_member(p_conv, p_me) THEN
        status := 'not_found'; body := '{"message": "no such conversation"}'; RETURN;
    END IF;
    IF p_after IS NOT NULL THEN
        SELECT coalesce(jsonb_agg(khnet_message_json(m) ORDER BY m.seq), '[]'), min(m.seq), max(m.seq)
          INTO v_items, v_lo, v_hi
          FROM (SELECT * FROM khnet_messages WHERE conversation_id = p_conv AND seq > p_after
                 ORDER BY seq LIMIT p_limit) m;
    ELSE
        SELECT coalesce(jsonb_agg(khnet_message_json(m) ORDER BY m.seq), '[]'), min(m.seq), max(m.seq)
          INTO v_items, v_lo, v_hi
          FROM (SELECT * FROM khnet_messages WHERE conversation_id = p_conv
                   AND (p_before IS NULL OR seq < p_before)
                 ORDER BY seq DESC LIMIT p_limit) m;
    END IF;
    status := 'ok';
    body := jsonb_build_object('items', v_items,
        'prev_key', CASE WHEN v_lo > 1 THEN v_lo END,
        'next_key', CASE WHEN EXISTS (SELECT 1 FROM khnet_messages
                                       WHERE conversation_id = p_conv AND seq > v_hi) THEN v_hi END);
END $$;

-- Edit (p_text given) or delete (p_text NULL) by the sender.
CREATE OR REPLACE FUNCTION khnet_msg_change(p_me bigint, p_msg bigint, p_text text,
                                 OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    m khnet_messages;
    v_until timestamptz;
BEGIN
    SELECT * INTO m FROM khnet_messages WHERE id = p_msg FOR UPDATE;
    IF NOT FOUND OR NOT khnet_is_member(m.conversation_id, p_me) THEN
        status := 'not_found'; body := '{"message": "no such message"}'; RETURN;
    END IF;
    IF m.sender_id <> p_me THEN
        status := 'forbidden'; body := '{"message": "only the sender changes a message"}'; RETURN;
    END IF;
    IF p_text IS NULL THEN
        IF m.deleted_at IS NULL THEN
            UPDATE khnet_messages t SET body = NULL, deleted_at = now(),
                   original_body = coalesce(t.original_body, t.body)
             WHERE t.id = p_msg RETURNING t.* INTO m;
            PERFORM khnet_emit(khnet_conversation_members_of(m.conversation_id), 'message.deleted',
                               khnet_message_json(m));
        END IF;
        status := 'ok'; body := khnet_message_json(m); RETURN;
    END IF;
    v_until := khnet_silenced_until(p_me);
    IF v_until IS NOT NULL THEN
        status := 'silenced';
        body := jsonb_build_object('message', 'you are silenced', 'until', khnet_time_text(v_until));
        RETURN;
    END IF;
    IF m.deleted_at IS NOT NULL THEN
        status := 'conflict'; body := '{"message": "the message was deleted"}'; RETURN;
    END IF;
    UPDATE khnet_messages t SET body = p_text, edited_at = now(),
           original_body = coalesce(t.original_body, t.body)
     WHERE t.id = p_msg RETURNING t.* INTO m;
    PERFORM khnet_emit(khnet_conversation_members_of(m.conversation_id), 'message.edited',
                       khnet_message_json(m));
    status := 'ok'; body := khnet_message_json(m);
END $$;

CREATE OR REPLACE FUNCTION khnet_block_set(p_me bigint, p_other bigint, p_on boolean,
                                OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    IF p_other = p_me THEN
        status := 'invalid_value'; field := 'account_id';
        body := '{"message": "nobody blocks themselves"}'; RETURN;
    END IF;
    IF NOT khnet_account_live(p_other) THEN
        status := 'not_found'; field := 'account_id'; body := '{"message": "no such account"}'; RETURN;
    END IF;
    IF p_on THEN
        INSERT INTO khnet_blocks (blocker_id, blocked_id) VALUES (p_me, p_other) ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM khnet_blocks WHERE blocker_id = p_me AND blocked_id = p_other;
    END IF;
    status := 'ok'; body := '{}';
END $$;

CREATE OR REPLACE FUNCTION khnet_blocks_list(p_me bigint, p_after bigint, p_limit int,
                                  OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT b.blocked_id, b.created_at FROM khnet_blocks b
         WHERE b.blocker_id = p_me AND (p_after IS NULL OR b.blocked_id > p_after)
         ORDER BY b.blocked_id LIMIT p_limit + 1),
    shown AS (SELECT * FROM page ORDER BY blocked_id LIMIT p_limit)
    SELECT 'ok', NULL::text, jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(jsonb_build_object('account_id', s.blocked_id,
                                   'created_at', khnet_time_text(s.created_at)) ORDER BY s.blocked_id)
                             FROM shown s), '[]'),
        'next_key', CASE WHEN (SELECT count(*) FROM page) > p_limit
                         THEN (SELECT max(blocked_id) FROM shown) END)
$$;

CREATE OR REPLACE FUNCTION khnet_report_json(r khnet_reports, with_target boolean) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', r.id, 'target_kind', r.target_kind, 'target_id', r.target_id,
        'reporter_id', r.reporter_id, 'reason', r.reason, 'status', r.status,
        'resolution', r.resolution, 'resolved_by', r.resolved_by,
        'created_at', khnet_time_text(r.created_at), 'resolved_at', khnet_time_text(r.resolved_at))
    || CASE WHEN with_target AND r.target_kind = 'message' THEN (
        SELECT jsonb_build_object(
            'message', khnet_message_json(m)
                       || jsonb_build_object('original_text', coalesce(m.original_body, m.body)),
            'context', (SELECT coalesce(jsonb_agg(khnet_message_json(x) ORDER BY x.seq), '[]')
                          FROM khnet_messages x
                         WHERE x.conversation_id = m.conversation_id
                           AND x.seq BETWEEN m.seq - 3 AND m.seq + 3 AND x.seq <> m.seq))
          FROM khnet_messages m WHERE m.id = r.target_id)
       ELSE '{}'::jsonb END
$$;

CREATE OR REPLACE FUNCTION khnet_report_message(p_me bigint, p_msg bigint, p_reason text,
                                     OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    r khnet_reports;
    v_conv bigint;
BEGIN
    SELECT conversation_id INTO v_conv FROM khnet_messages WHERE id = p_msg;
    IF NOT FOUND OR NOT khnet_is_member(v_conv, p_me) THEN
        status := 'not_found'; body := '{"message": "no such message"}'; RETURN;
    END IF;
    INSERT INTO khnet_reports (target_kind, target_id, reporter_id, reason)
        VALUES ('message', p_msg, p_me, p_reason)
        ON CONFLICT (target_kind, target_id, reporter_id) DO NOTHING RETURNING * INTO r;
    IF r.id IS NULL THEN
        SELECT * INTO r FROM khnet_reports
         WHERE target_kind = 'message' AND target_id = p_msg AND reporter_id = p_me;
        status := 'ok';
    ELSE
        status := 'created';
    END IF;
    body := khnet_report_json(r, false);
END $$;

CREATE OR REPLACE FUNCTION khnet_reports_list(p_status text, p_after bigint, p_limit int,
                                   OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT r FROM khnet_reports r
         WHERE r.status = p_status AND (p_after IS NULL OR r.id > p_after)
         ORDER BY r.id LIMIT p_limit + 1),
    shown AS (SELECT * FROM page ORDER BY (r).id LIMIT p_limit)
    SELECT 'ok', NULL::text, jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(khnet_report_json(s.r, true) ORDER BY (s.r).id)
                             FROM shown s), '[]'),
        'next_key', CASE WHEN (SELECT count(*) FROM page) > p_limit
                         THEN (SELECT max((s.r).id) FROM shown s) END)
$$;

CREATE OR REPLACE FUNCTION khnet_report_resolve(p_me bigint, p_report bigint, p_resolution text,
                                     OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE r khnet_reports;
BEGIN
    SELECT * INTO r FROM khnet_reports WHERE id = p_report FOR UPDATE;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "no such report"}'; RETURN;
    END IF;
    IF r.status = 'resolved' THEN
        status := 'conflict'; body := '{"message": "the report is already resolved"}'; RETURN;
    END IF;
    UPDATE khnet_reports SET status = 'resolved', resolution = p_resolution, resolved_by = p_me,
           resolved_at = now()
     WHERE id = p_report RETURNING * INTO r;
    INSERT INTO khnet_audit_log (actor_id, action, target_id, detail)
        VALUES (p_me, 'report_resolve', r.reporter_id,
                jsonb_build_object('report_id', r.id, 'target_kind', r.target_kind,
                                   'target_id', r.target_id, 'resolution', p_resolution));
    status := 'ok'; body := khnet_report_json(r, true);
END $$;

-- Silences p_target for p_minutes (0 lifts it).  p_role is the caller's.
CREATE OR REPLACE FUNCTION khnet_silence(p_me bigint, p_role text, p_target bigint, p_minutes int,
                              p_reason text,
                              OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    v_role text;
    v_until timestamptz;
BEGIN
    IF p_target = p_me THEN
        status := 'invalid_value'; field := 'id'; body := '{"message": "nobody silences themselves"}';
        RETURN;
    END IF;
    SELECT role INTO v_role FROM khnet_accounts WHERE id = p_target AND erased_at IS NULL;
    IF NOT FOUND THEN
        status := 'not_found'; body := '{"message": "no such account"}'; RETURN;
    END IF;
    IF p_role <> 'admin' AND v_role IN ('moderator', 'admin') THEN
        status := 'forbidden'; body := '{"message": "moderators cannot silence moderators or admins"}';
        RETURN;
    END IF;
    IF p_minutes = 0 THEN
        DELETE FROM khnet_silences WHERE account_id = p_target;
    ELSE
        v_until := now() + make_interval(mins => p_minutes);
        INSERT INTO khnet_silences (account_id, until, reason, silenced_by)
            VALUES (p_target, v_until, p_reason, p_me)
            ON CONFLICT (account_id) DO UPDATE
               SET until = EXCLUDED.until, reason = EXCLUDED.reason,
                   silenced_by = EXCLUDED.silenced_by, created_at = now();
    END IF;
    INSERT INTO khnet_audit_log (actor_id, action, target_id, detail)
        VALUES (p_me, 'silence', p_target,
                jsonb_build_object('minutes', p_minutes, 'until', khnet_time_text(v_until),
                                   'reason', p_reason));
    status := 'ok';
    body := jsonb_build_object('account_id', p_target, 'until', khnet_time_text(v_until));
END $$;
