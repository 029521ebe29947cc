-- 80_data_rights.sql — data rights: profile import, account export and erasure.
--
-- A repeatable file: every function, view and trigger of this domain at its
-- current version.  `khnetd migrate` re-applies it, in one transaction,
-- whenever its bytes change (migrations/README).  Change a function here;
-- 0008_data_rights.sql created these first and is applied history (tables, indexes
-- and data stay there and in later numbered files).  Everything is
-- CREATE OR REPLACE; a changed signature or result type needs a
-- DROP ... IF EXISTS in front of the new definition.

-- GET /v1/account/export: everything held about one live account, as one
-- document.  Only the account's own rows: its messages (not the replies of
-- others), its conversations as memberships (not the other members), its
-- reports, blocks and saved searches, audit rows where it is actor or
-- target, and its events as (seq, kind, time) — an event's payload is a
-- copy of a conversation's data (others' messages included), which the
-- messages section covers for what is the member's own.  Secrets never
-- leave: no password hash, no token or reset-token hashes.  In the one
-- shape: 'ok' with the document, 'not_found' for an unknown or erased
-- account.
SELECT khnet_drop_old_shape('khnet_account_export(bigint)');
CREATE OR REPLACE FUNCTION khnet_account_export(p_account bigint,
                                     OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE sql STABLE
AS $$
    WITH doc AS (
    SELECT jsonb_build_object(
        'format', 'khnet-export/1',
        'exported_at', khnet_time_text(now()),
        'account', jsonb_build_object(
            'id', a.id, 'email', a.email, 'role', a.role,
            'created_at', khnet_time_text(a.created_at),
            'created_by_import', a.created_by_import,
            'terms_accepted_at', khnet_time_text(a.terms_accepted_at),
            'partner', (SELECT jsonb_build_object('id', pa.id, 'name', pa.name)
                          FROM khnet_partners pa WHERE pa.id = a.partner_id)),
        'sessions', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'id', s.id, 'created_at', khnet_time_text(s.created_at),
                'expires_at', khnet_time_text(s.expires_at),
                'last_seen_at', khnet_time_text(s.last_seen_at),
                'revoked_at', khnet_time_text(s.revoked_at),
                'user_agent', s.user_agent, 'client_addr', host(s.client_addr)) ORDER BY s.id), '[]')
              FROM khnet_sessions s WHERE s.account_id = a.id),
        'password_resets', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'created_at', khnet_time_text(r.created_at),
                'expires_at', khnet_time_text(r.expires_at),
                'used_at', khnet_time_text(r.used_at)) ORDER BY r.id), '[]')
              FROM khnet_password_resets r WHERE r.account_id = a.id),
        'profile', (SELECT khnet_profile_json(p, 3, true)
                           || jsonb_build_object('external_id', p.external_id)
                      FROM khnet_profiles p WHERE p.account_id = a.id),
        'audit', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'id', l.id, 'at', khnet_time_text(l.at), 'actor_id', l.actor_id,
                'action', l.action, 'target_id', l.target_id, 'detail', l.detail) ORDER BY l.id), '[]')
              FROM khnet_audit_log l WHERE l.actor_id = a.id OR l.target_id = a.id),
        'conversations', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'id', c.id, 'type', c.kind, 'title', c.title, 'owner', c.owner_id = a.id,
                'joined_at', khnet_time_text(cm.joined_at), 'read_seq', cm.read_seq)
                ORDER BY c.id), '[]')
              FROM khnet_conversation_members cm
              JOIN khnet_conversations c ON c.id = cm.conversation_id
             WHERE cm.account_id = a.id),
        'messages', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'id', m.id, 'conversation_id', m.conversation_id, 'seq', m.seq,
                'client_id', m.client_id, 'text', m.body, 'original_text', m.original_body,
                'reply_to', m.reply_to, 'created_at', khnet_time_text(m.created_at),
                'edited_at', khnet_time_text(m.edited_at),
                'deleted_at', khnet_time_text(m.deleted_at)) ORDER BY m.id), '[]')
              FROM khnet_messages m WHERE m.sender_id = a.id),
        'reports', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'id', r.id, 'target_kind', r.target_kind, 'target_id', r.target_id,
                'reason', r.reason, 'status', r.status, 'resolution', r.resolution,
                'created_at', khnet_time_text(r.created_at),
                'resolved_at', khnet_time_text(r.resolved_at)) ORDER BY r.id), '[]')
              FROM khnet_reports r WHERE r.reporter_id = a.id),
        'blocks', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'account_id', b.blocked_id, 'created_at', khnet_time_text(b.created_at))
                ORDER BY b.blocked_id), '[]')
              FROM khnet_blocks b WHERE b.blocker_id = a.id),
        'silences', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'until', khnet_time_text(s.until), 'reason', s.reason,
                'created_at', khnet_time_text(s.created_at))), '[]')
              FROM khnet_silences s WHERE s.account_id = a.id),
        'events', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'seq', e.seq, 'kind', e.kind, 'created_at', khnet_time_text(e.created_at))
                ORDER BY e.seq), '[]')
              FROM khnet_events e WHERE e.account_id = a.id),
        'saved_searches', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'id', s.id, 'name', s.name, 'query', s.query, 'sort', s.sort,
                'created_at', khnet_time_text(s.created_at),
                'last_seen_at', khnet_time_text(s.last_seen_at)) ORDER BY s.id), '[]')
              FROM khnet_saved_searches s WHERE s.owner_id = a.id),
        'forum', khnet_forum_export(a.id),  -- 75_forum
        'invitations', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'invited_at', khnet_time_text(v.created_at),
                'expires_at', khnet_time_text(v.expires_at),
                'claimed_at', khnet_time_text(v.used_at),
                'invited_by', v.invited_by) ORDER BY v.id), '[]')
              FROM khnet_invitations v WHERE v.account_id = a.id),
        'mails', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'kind', m.kind, 'state', m.state,
                'created_at', khnet_time_text(m.created_at),
                'sent_at', khnet_time_text(m.sent_at)) ORDER BY m.id), '[]')
              FROM khnet_mail_queue m WHERE m.account_id = a.id)) AS d
      FROM khnet_accounts a WHERE a.id = p_account AND a.erased_at IS NULL)
    SELECT 'ok', NULL, doc.d FROM doc
    UNION ALL
    SELECT f.* FROM khnet_fail('not_found', NULL, 'no such account') f
     WHERE NOT EXISTS (SELECT 1 FROM doc)
$$;

-- DELETE /v1/account, after the server has checked the password.  One
-- transaction: the profile with its degrees, sectors and search document
-- (cascades; 0004's erase trigger also drops the document), sessions and
-- reset tokens (deleted, not only revoked: they hold addresses and user
-- agents), blocks both ways, silences, events, the sign-up's stored
-- idempotent reply (it holds the e-mail); then the account is emptied
-- (0007's erase trigger drops its saved searches) and an audit row
-- written.  Messages, conversation memberships and reports stay: they
-- belong to conversations with others and to moderation.  Forum posts stay
-- too, shown as "former member"; 75_forum's erase trigger removes the
-- handle, watches, read marks, reactions and mentions.
-- 'ok', or 'not_found': no such live account.
SELECT khnet_drop_old_shape('khnet_account_erase(bigint)');
CREATE OR REPLACE FUNCTION khnet_account_erase(p_account bigint,
                                    OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM 1 FROM khnet_accounts WHERE id = p_account AND erased_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        SELECT f.* INTO status, field, body FROM khnet_fail('not_found', NULL, 'no such account') f;
        RETURN;
    END IF;
    DELETE FROM khnet_profiles WHERE account_id = p_account;
    DELETE FROM khnet_sessions WHERE account_id = p_account;
    DELETE FROM khnet_password_resets WHERE account_id = p_account;
    DELETE FROM khnet_blocks WHERE blocker_id = p_account OR blocked_id = p_account;
    DELETE FROM khnet_silences WHERE account_id = p_account;
    DELETE FROM khnet_events WHERE account_id = p_account;
    DELETE FROM khnet_event_seq WHERE account_id = p_account;
    DELETE FROM khnet_idempotency -- as stored by khnet_register: {status, field, body}, or before
     WHERE (result->'body' ? 'email' AND result->'body'->>'id' = p_account::text)
        OR (result ? 'email' AND result->>'id' = p_account::text);
    UPDATE khnet_accounts SET email = NULL, password_hash = NULL, partner_id = NULL,
                              erased_at = now()
     WHERE id = p_account;
    INSERT INTO khnet_audit_log (actor_id, action, target_id)
    VALUES (p_account, 'account_erase', p_account);
    status := 'ok';
    body := '{}';
END
$$;

-- `khnetd import profiles FILE` and POST /v1/profiles/import.  The server
-- has parsed the file and run every row through profile_validate (the
-- PATCH validator, import mode); p_rows holds the rows it accepted as
-- [{line, p}], p the normalised fields plus external_id (and email when
-- given).  Here come the checks only the database can make, row by row:
-- sector slugs and time zones (khnet_profile_check), an external_id or
-- e-mail repeated in the file, an e-mail that belongs to another imported
-- person.
--
-- Matching, per row: the profile with that external_id (re-import: update);
-- else the live account with that e-mail (link: its profile, or a new one,
-- takes the external_id); else a new account (created_by_import, no
-- password: its owner sets one through a password reset; no e-mail when
-- none was given).  A row that names an e-mail for a profile whose account
-- has none gives the account that e-mail.
--
-- The writes run with the search triggers standing aside
-- (khnet.search_defer, 0004); every touched profile's search document is
-- built once at the end.
--
-- All or nothing: when any row is refused (here or, p_write false, by the
-- server) nothing is written and the report lists every refusal.  Imports
-- are serialised by an advisory lock so two never race for one external_id.
-- Result, in the one shape (always ok: a refused row is part of the
-- report, not an error of the call): {rejected: [{line, field, code,
-- message}] in line order, created, updated} (the counts of profiles
-- created and updated, 0 when nothing was written).  POST
-- /v1/profiles/import and `khnetd import profiles` both read it
-- (profile_import_report_row, server/profile/import.c).
SELECT khnet_drop_old_shape('khnet_profiles_import(bigint, jsonb, boolean)');
CREATE OR REPLACE FUNCTION khnet_profiles_import(p_actor bigint, p_rows jsonb, p_write boolean,
                                      OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
DECLARE
    v_ids bigint[];
    v_ps jsonb[];
    rejected jsonb;
    created int := 0;
    updated int := 0;
BEGIN
    status := 'ok';
    PERFORM pg_advisory_xact_lock(hashtext('khnet_profiles_import'));
    CREATE TEMP TABLE khnet_import (
        line        int PRIMARY KEY,
        p           jsonb NOT NULL,
        ext         text NOT NULL,
        email       text,
        account_id  bigint,
        has_profile boolean NOT NULL DEFAULT false,
        by_ext      boolean NOT NULL DEFAULT false,
        field       text,
        code        text,
        message     text
    ) ON COMMIT DROP;
    INSERT INTO khnet_import (line, p, ext, email)
    SELECT (e->>'line')::int, e->'p', e->'p'->>'external_id', lower(e->'p'->>'email')
      FROM jsonb_array_elements(p_rows) e;

    -- What only the database knows.
    UPDATE khnet_import i SET field = c.f, code = 'invalid_value',
           message = CASE WHEN c.f = 'time_zone' THEN 'unknown time zone' ELSE 'unknown sector' END
      FROM (SELECT line, khnet_profile_check(p) AS f FROM khnet_import) c
     WHERE c.line = i.line AND c.f IS NOT NULL;
    UPDATE khnet_import i SET field = 'external_id', code = 'conflict',
           message = 'external_id repeats line ' || d.first
      FROM (SELECT line, min(line) OVER (PARTITION BY ext) AS first FROM khnet_import) d
     WHERE d.line = i.line AND d.first <> i.line AND i.field IS NULL;
    UPDATE khnet_import i SET field = 'email', code = 'conflict',
           message = 'email repeats line ' || d.first
      FROM (SELECT line, min(line) OVER (PARTITION BY email) AS first FROM khnet_import
             WHERE email IS NOT NULL) d
     WHERE d.line = i.line AND d.first <> i.line AND i.field IS NULL;

    -- Matching: by external_id, then by e-mail.
    UPDATE khnet_import i SET account_id = pr.account_id, has_profile = true, by_ext = true
      FROM khnet_profiles pr WHERE pr.external_id = i.ext;
    UPDATE khnet_import i SET account_id = a.id,
           has_profile = EXISTS (SELECT 1 FROM khnet_profiles pr WHERE pr.account_id = a.id)
      FROM khnet_accounts a
     WHERE NOT i.by_ext AND i.email IS NOT NULL AND a.email = i.email AND a.erased_at IS NULL;
    UPDATE khnet_import i SET field = 'email', code = 'conflict',
           message = 'this e-mail belongs to a profile with another external_id'
      FROM khnet_profiles pr
     WHERE NOT i.by_ext AND i.account_id IS NOT NULL AND pr.account_id = i.account_id
       AND pr.external_id IS NOT NULL AND i.field IS NULL;
    UPDATE khnet_import i SET field = 'email', code = 'conflict',
           message = 'the profile with this external_id has another e-mail, or the e-mail is taken'
      FROM khnet_accounts a
     WHERE i.by_ext AND i.email IS NOT NULL AND a.id = i.account_id
       AND a.email IS DISTINCT FROM i.email AND i.field IS NULL
       AND (a.email IS NOT NULL
            OR EXISTS (SELECT 1 FROM khnet_accounts o WHERE o.email = i.email));

    SELECT coalesce(jsonb_agg(jsonb_build_object('line', i.line, 'field', i.field, 'code', i.code,
                                                 'message', i.message) ORDER BY i.line), '[]')
      INTO rejected FROM khnet_import i WHERE i.field IS NOT NULL;
    IF NOT p_write OR rejected <> '[]'::jsonb THEN
        body := jsonb_build_object('rejected', rejected, 'created', 0, 'updated', 0);
        RETURN;
    END IF;

    -- New people: accounts without a password (ids taken first, so each
    -- row knows its own).
    UPDATE khnet_import SET account_id = nextval(pg_get_serial_sequence('khnet_accounts', 'id'))
     WHERE account_id IS NULL;
    INSERT INTO khnet_accounts (id, email, password_hash, created_by_import)
    OVERRIDING SYSTEM VALUE
    SELECT i.account_id, i.email, NULL, true FROM khnet_import i
     WHERE NOT EXISTS (SELECT 1 FROM khnet_accounts a WHERE a.id = i.account_id);
    UPDATE khnet_accounts a SET email = i.email FROM khnet_import i
     WHERE a.id = i.account_id AND i.email IS NOT NULL AND a.email IS NULL;
    PERFORM set_config('khnet.search_defer', 'on', true);
    INSERT INTO khnet_profiles (account_id, external_id, full_name, version)
    SELECT account_id, ext, p->>'full_name', 0 FROM khnet_import WHERE NOT has_profile;
    UPDATE khnet_profiles pr SET external_id = i.ext FROM khnet_import i
     WHERE i.has_profile AND NOT i.by_ext AND pr.account_id = i.account_id;

    SELECT array_agg(account_id ORDER BY line), array_agg(p - 'external_id' - 'email' ORDER BY line)
      INTO v_ids, v_ps FROM khnet_import;
    PERFORM khnet_profiles_apply(v_ids, v_ps);
    PERFORM set_config('khnet.search_defer', 'off', true);
    PERFORM khnet_search_refresh(v_ids);
    PERFORM khnet_mentor_terms_refresh(v_ids);
    SELECT count(*) FILTER (WHERE NOT has_profile), count(*) FILTER (WHERE has_profile)
      INTO created, updated FROM khnet_import;
    INSERT INTO khnet_audit_log (actor_id, action, detail)
    VALUES (p_actor, 'profile_import',
            jsonb_build_object('created', created, 'updated', updated));
    body := jsonb_build_object('rejected', rejected, 'created', created, 'updated', updated);
END
$$;
