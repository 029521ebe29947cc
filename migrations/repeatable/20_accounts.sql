-- 20_accounts.sql — accounts: idempotency keys, registration, login, sessions, roles,
-- partners, password resets.
--
-- A repeatable file: every function, view and trigger of this domain at its
-- current version.  `khnetd migrate` re-applies it, in one transaction,
-- whenever its bytes change (migrations/README).  Change a function here;
-- 0002_accounts.sql created these first and is applied history (tables, indexes
-- and data stay there and in later numbered files).  Everything is
-- CREATE OR REPLACE; a changed signature needs a DROP ... IF EXISTS of the
-- old one in front of the new definition, and a function whose result
-- became the one shape a khnet_drop_old_shape (10_core.sql) call, which
-- drops it only while it is still the old one (so re-applying this file
-- keeps every function, and its oid).

-- Timestamps leave the database as RFC 3339 UTC text with milliseconds
-- (0003 has the same as khnet_ts; one could go once both are settled).
CREATE OR REPLACE FUNCTION khnet_time_text(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');

-- An account as the API shows it: {id, email, role}.
CREATE OR REPLACE FUNCTION khnet_account_json(a khnet_accounts) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object('id', a.id, 'email', a.email, 'role', a.role);

-- state: 'new' (claimed; go on and write), 'replay' (result is the first
-- answer's row), 'mismatch' (the key was used for another request).  Keys
-- older than 24 hours are purged here, so no job is needed.
CREATE OR REPLACE FUNCTION khnet_idem_claim(p_scope text, p_key text, p_fp bytea,
                                 OUT state text, OUT result jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM khnet_idempotency i WHERE i.created_at < now() - interval '24 hours';
    INSERT INTO khnet_idempotency (key, scope, fingerprint) VALUES (p_key, p_scope, p_fp)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN state := 'new'; RETURN; END IF;
    SELECT CASE WHEN i.fingerprint = p_fp THEN 'replay' ELSE 'mismatch' END, i.result
      INTO state, result
      FROM khnet_idempotency i WHERE i.scope = p_scope AND i.key = p_key;
    state := coalesce(state, 'mismatch'); -- purged under us: treat as foreign
END $$;

CREATE OR REPLACE FUNCTION khnet_idem_store(p_scope text, p_key text, p_status int, p_result jsonb)
RETURNS void
LANGUAGE sql
BEGIN ATOMIC
    UPDATE khnet_idempotency SET status = p_status, result = p_result
     WHERE scope = p_scope AND key = p_key;
END;

-- Sign-up: (status, field, body) plus idem: NULL (no key), 'new', 'replay'
-- (the row is the first answer's) or 'mismatch' (nothing else set).  status
-- 'created' with the account, 'conflict' (e-mail taken) or 'invalid_value'
-- (unknown partner key).  The stored HTTP status is the code's (201/409/400);
-- replays are encoded from the stored row.  A key claimed before this shape
-- (at most a day old) stored {status, id, email, role}: read as such.
SELECT khnet_drop_old_shape('khnet_register(text, text, bytea, text, text, bytea)');
CREATE OR REPLACE FUNCTION khnet_register(p_email text, p_hash text, p_partner_key bytea,
                               p_idem_scope text, p_idem_key text, p_idem_fp bytea,
                               OUT idem text, OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE v_partner bigint; v_prev jsonb; v_acc khnet_accounts;
BEGIN
    IF p_idem_key IS NOT NULL THEN
        SELECT c.state, c.result INTO idem, v_prev FROM khnet_idem_claim(p_idem_scope, p_idem_key, p_idem_fp) c;
        IF idem = 'mismatch' THEN RETURN; END IF;
        IF idem = 'replay' AND v_prev ? 'body' THEN
            status := v_prev->>'status'; field := v_prev->>'field'; body := v_prev->'body';
            RETURN;
        ELSIF idem = 'replay' THEN -- the shape before
            SELECT r.* INTO status, field, body FROM khnet_fail('conflict', 'email',
                'an account with this e-mail exists') r;
            IF v_prev->>'status' = 'ok' THEN
                status := 'created'; field := NULL; body := v_prev - 'status';
            ELSIF v_prev->>'status' = 'bad_partner' THEN
                SELECT r.* INTO status, field, body FROM khnet_fail('invalid_value', 'X-Partner-Key',
                    'unknown partner key') r;
            END IF;
            RETURN;
        END IF;
    END IF;
    IF p_partner_key IS NOT NULL THEN
        SELECT p.id INTO v_partner FROM khnet_partners p
         WHERE p.key_hash = p_partner_key AND p.disabled_at IS NULL;
        IF NOT FOUND THEN
            SELECT r.* INTO status, field, body FROM khnet_fail('invalid_value', 'X-Partner-Key',
                'unknown partner key') r;
        END IF;
    END IF;
    IF status IS NULL THEN
        INSERT INTO khnet_accounts AS a (email, password_hash, partner_id)
        VALUES (p_email, p_hash, v_partner)
        ON CONFLICT (email) DO NOTHING
        RETURNING a.* INTO v_acc;
        IF v_acc.id IS NULL THEN
            SELECT r.* INTO status, field, body FROM khnet_fail('conflict', 'email',
                'an account with this e-mail exists') r;
        ELSE
            status := 'created'; body := khnet_account_json(v_acc);
        END IF;
    END IF;
    IF idem = 'new' THEN
        PERFORM khnet_idem_store(p_idem_scope, p_idem_key,
                                 CASE status WHEN 'created' THEN 201 WHEN 'conflict' THEN 409 ELSE 400 END,
                                 jsonb_build_object('status', status, 'field', field, 'body', body));
    END IF;
END $$;

-- Login, step 1: the stored hash (no row for an unknown or erased e-mail).
-- Like khnet_account_password, not in the one shape: the kit's password step
-- (api_pw_check) reads these two columns, and a hash never goes into a
-- reply document.
CREATE OR REPLACE FUNCTION khnet_login_lookup(p_email text)
RETURNS TABLE (id bigint, password_hash text)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT a.id, a.password_hash FROM khnet_accounts a
     WHERE a.email = p_email AND a.erased_at IS NULL;
END;

-- The same by account id (password change, erasure).
CREATE OR REPLACE FUNCTION khnet_account_password(p_account bigint)
RETURNS TABLE (id bigint, password_hash text)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT a.id, a.password_hash FROM khnet_accounts a
     WHERE a.id = p_account AND a.erased_at IS NULL;
END;

-- Login, step 2: a session for a verified account: 'created' with
-- {expires_at, account}; the token is added by khnetd (only its hash is
-- stored).  'not_found' when the account went meanwhile.
SELECT khnet_drop_old_shape('khnet_session_create(bigint, bytea, int, text, inet)');
CREATE OR REPLACE FUNCTION khnet_session_create(p_account bigint, p_token_hash bytea, p_ttl_hours int,
                                     p_user_agent text, p_addr inet,
                                     OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql
BEGIN ATOMIC
    WITH s AS (
        INSERT INTO khnet_sessions (account_id, token_hash, expires_at, user_agent, client_addr)
        SELECT a.id, p_token_hash, now() + make_interval(hours => p_ttl_hours), p_user_agent, p_addr
          FROM khnet_accounts a WHERE a.id = p_account AND a.erased_at IS NULL
        RETURNING khnet_sessions.account_id, khnet_sessions.expires_at),
    made AS (
        SELECT 'created'::text AS status, NULL::text AS field,
               jsonb_build_object('expires_at', khnet_time_text(s.expires_at),
                                  'account', khnet_account_json(a)) AS body
          FROM s JOIN khnet_accounts a ON a.id = s.account_id)
    SELECT * FROM made
    UNION ALL
    SELECT * FROM khnet_fail('not_found', NULL, 'no such account')
     WHERE NOT EXISTS (SELECT 1 FROM made);
END;

-- Every authenticated request: the live session behind a token hash.
-- last_seen_at is refreshed at most once a minute to spare the writes, and
-- never in a read-only transaction (default_transaction_read_only, a
-- standby): a data-modifying statement there fails even when it would touch
-- no row (SQLSTATE 25006), and a signed-in read must still work.  PL/pgSQL,
-- so the UPDATE is only planned and run when it is needed.
CREATE OR REPLACE FUNCTION khnet_session_auth(p_token_hash bytea)
RETURNS TABLE (session_id bigint, account_id bigint, role text)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_seen timestamptz;
BEGIN
    SELECT s.id, s.account_id, a.role, s.last_seen_at
      INTO session_id, account_id, role, v_seen
      FROM khnet_sessions s JOIN khnet_accounts a ON a.id = s.account_id
     WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL
       AND s.expires_at > now() AND a.erased_at IS NULL;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v_seen < now() - interval '1 minute'
       AND current_setting('transaction_read_only') = 'off' THEN
        UPDATE khnet_sessions u SET last_seen_at = now() WHERE u.id = session_id;
    END IF;
    RETURN NEXT;
END
$$;

-- The answer of a one-statement authenticated read (a *_by_token function:
-- given the token's hash by the kit's api_bearer_hex, it finds its caller
-- with khnet_session_auth) when the token names no live session: the kit's
-- 401 unauthenticated, in the one shape, with api_authenticate's message.
CREATE OR REPLACE FUNCTION khnet_unauthenticated(OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE sql IMMUTABLE
AS $$ SELECT * FROM khnet_fail('unauthenticated', NULL, 'the token is unknown, expired or revoked') $$;

-- The caller's live sessions, newest first; `current` marks p_current.
DROP FUNCTION IF EXISTS khnet_sessions_list(bigint);
CREATE OR REPLACE FUNCTION khnet_sessions_list(p_account bigint, p_current bigint,
                                    OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT 'ok', NULL, jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
               'id', s.id, 'created_at', khnet_time_text(s.created_at),
               'expires_at', khnet_time_text(s.expires_at),
               'last_seen_at', khnet_time_text(s.last_seen_at),
               'user_agent', s.user_agent, 'current', s.id = p_current) ORDER BY s.id DESC),
               '[]'))
      FROM khnet_sessions s
     WHERE s.account_id = p_account AND s.revoked_at IS NULL AND s.expires_at > now();
END;

-- Revokes p_session (NULL: all) of p_account.  'ok', or with p_strict
-- 'not_found' (field id) when no such session was live; without it (log
-- out: the session may have gone meanwhile) always 'ok'.
DROP FUNCTION IF EXISTS khnet_sessions_revoke(bigint, bigint, bigint);
CREATE OR REPLACE FUNCTION khnet_sessions_revoke(p_account bigint, p_session bigint, p_strict boolean,
                                      OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql
BEGIN ATOMIC
    WITH r AS (
        UPDATE khnet_sessions s SET revoked_at = now()
         WHERE s.account_id = p_account AND s.revoked_at IS NULL AND s.expires_at > now()
           AND (p_session IS NULL OR s.id = p_session)
        RETURNING 1)
    SELECT f.* FROM khnet_fail('not_found', 'id', 'no such session') f
     WHERE p_strict AND NOT EXISTS (SELECT 1 FROM r)
    UNION ALL
    SELECT 'ok', NULL, '{}'::jsonb WHERE NOT p_strict OR EXISTS (SELECT 1 FROM r);
END;

-- The caller's account: {id, email, role, created_at}.
SELECT khnet_drop_old_shape('khnet_account_get(bigint)');
CREATE OR REPLACE FUNCTION khnet_account_get(p_account bigint,
                                  OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH a AS (
        SELECT khnet_account_json(a) || jsonb_build_object('created_at', khnet_time_text(a.created_at)) AS doc
          FROM khnet_accounts a WHERE a.id = p_account AND a.erased_at IS NULL)
    SELECT 'ok', NULL, a.doc FROM a
    UNION ALL
    SELECT f.* FROM khnet_fail('not_found', NULL, 'no such account') f
     WHERE NOT EXISTS (SELECT 1 FROM a);
END;

-- Password change: new hash, every other session revoked, audited.
-- 'ok', or 'not_found' when the account went meanwhile.
SELECT khnet_drop_old_shape('khnet_password_set(bigint, text, bigint)');
CREATE OR REPLACE FUNCTION khnet_password_set(p_account bigint, p_hash text, p_keep_session bigint,
                                   OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql
BEGIN ATOMIC
    WITH a AS (
        UPDATE khnet_accounts SET password_hash = p_hash
         WHERE id = p_account AND erased_at IS NULL RETURNING id),
    r AS (
        UPDATE khnet_sessions s SET revoked_at = now() FROM a
         WHERE s.account_id = a.id AND s.revoked_at IS NULL AND s.id <> p_keep_session),
    l AS (
        INSERT INTO khnet_audit_log (actor_id, action, target_id)
        SELECT a.id, 'password_change', a.id FROM a)
    SELECT 'ok', NULL, '{}'::jsonb WHERE EXISTS (SELECT 1 FROM a)
    UNION ALL
    SELECT f.* FROM khnet_fail('not_found', NULL, 'no such account') f
     WHERE NOT EXISTS (SELECT 1 FROM a);
END;

-- Role change by p_actor (NULL: the command line), audited with both roles:
-- 'ok' with {id, email, role, previous_role}, or 'not_found' (field id) when
-- the target does not exist or is erased.
SELECT khnet_drop_old_shape('khnet_role_set(bigint, bigint, text)');
CREATE OR REPLACE FUNCTION khnet_role_set(p_actor bigint, p_target bigint, p_role text,
                               OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql
BEGIN ATOMIC
    WITH old AS (
        SELECT a.id, a.role FROM khnet_accounts a
         WHERE a.id = p_target AND a.erased_at IS NULL FOR UPDATE),
    upd AS (
        UPDATE khnet_accounts a SET role = p_role FROM old WHERE a.id = old.id
        RETURNING a.id, a.email, a.role, old.role AS previous_role),
    l AS (
        INSERT INTO khnet_audit_log (actor_id, action, target_id, detail)
        SELECT p_actor, 'role_change', upd.id,
               jsonb_build_object('old_role', upd.previous_role, 'new_role', upd.role)
          FROM upd)
    SELECT 'ok', NULL, jsonb_build_object('id', upd.id, 'email', upd.email, 'role', upd.role,
                                          'previous_role', upd.previous_role)
      FROM upd
    UNION ALL
    SELECT f.* FROM khnet_fail('not_found', 'id', 'no such account') f
     WHERE NOT EXISTS (SELECT 1 FROM upd);
END;

-- Admin bootstrap from the command line (actor NULL).  No row when the
-- e-mail is taken.
CREATE OR REPLACE FUNCTION khnet_admin_create(p_email text, p_hash text)
RETURNS bigint
LANGUAGE sql
BEGIN ATOMIC
    WITH a AS (
        INSERT INTO khnet_accounts (email, password_hash, role)
        VALUES (p_email, p_hash, 'admin')
        ON CONFLICT (email) DO NOTHING RETURNING id),
    l AS (
        INSERT INTO khnet_audit_log (actor_id, action, target_id, detail)
        SELECT NULL, 'admin_create', a.id, '{"new_role": "admin"}'::jsonb FROM a)
    SELECT a.id FROM a;
END;

-- Every origin of an enabled partner: what each worker's CORS cache holds.
CREATE OR REPLACE FUNCTION khnet_cors_origins() RETURNS text
LANGUAGE sql STABLE
RETURN (SELECT coalesce(string_agg(DISTINCT o, ' ' ORDER BY o), '')
          FROM khnet_partners p, unnest(p.origins) o WHERE p.disabled_at IS NULL);

-- A partner as the API shows it (the key only once, by khnetd).
CREATE OR REPLACE FUNCTION khnet_partner_json(p khnet_partners) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object('id', p.id, 'name', p.name, 'origins', to_jsonb(p.origins),
                              'created_at', khnet_time_text(p.created_at),
                              'disabled', p.disabled_at IS NOT NULL);

SELECT khnet_drop_old_shape('khnet_partners_list()');
CREATE OR REPLACE FUNCTION khnet_partners_list(OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT 'ok', NULL,
           jsonb_build_object('items', coalesce(jsonb_agg(khnet_partner_json(p) ORDER BY p.id), '[]'))
      FROM khnet_partners p;
END;

-- The three partner writes answer the partner with `cors` added: the origin
-- set after the write (read in a later statement of the same transaction,
-- so it sees the write), which the worker that made the change installs at
-- once (and takes out of the reply).  'created' / 'ok', 'conflict' (name
-- taken; create only) or 'not_found' (field id).
CREATE OR REPLACE FUNCTION khnet_partner_written(p khnet_partners, p_status text,
                                      OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    IF p.id IS NULL THEN
        SELECT f.* INTO status, field, body FROM khnet_fail('not_found', 'id', 'no such partner') f;
        RETURN;
    END IF;
    status := p_status;
    body := khnet_partner_json(p) || jsonb_build_object('cors', khnet_cors_origins());
END $$;

SELECT khnet_drop_old_shape('khnet_partner_create(bigint, text, text[], bytea)');
CREATE OR REPLACE FUNCTION khnet_partner_create(p_actor bigint, p_name text, p_origins text[],
                                     p_key_hash bytea,
                                     OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE v khnet_partners;
BEGIN
    INSERT INTO khnet_partners AS p (name, key_hash, origins)
    VALUES (p_name, p_key_hash, p_origins)
    ON CONFLICT DO NOTHING
    RETURNING p.* INTO v;
    IF v.id IS NULL THEN
        SELECT f.* INTO status, field, body FROM khnet_fail('conflict', 'name',
            'a partner with this name exists') f;
        RETURN;
    END IF;
    INSERT INTO khnet_audit_log (actor_id, action, detail)
    VALUES (p_actor, 'partner_create',
            jsonb_build_object('partner_id', v.id, 'name', v.name, 'origins', to_jsonb(p_origins)));
    SELECT w.* INTO status, field, body FROM khnet_partner_written(v, 'created') w;
END $$;

-- p_origins / p_disabled NULL: unchanged.
SELECT khnet_drop_old_shape('khnet_partner_update(bigint, bigint, text[], boolean)');
CREATE OR REPLACE FUNCTION khnet_partner_update(p_actor bigint, p_id bigint, p_origins text[],
                                     p_disabled boolean,
                                     OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE v khnet_partners;
BEGIN
    UPDATE khnet_partners AS p
       SET origins = coalesce(p_origins, p.origins),
           disabled_at = CASE WHEN p_disabled IS NULL THEN p.disabled_at
                              WHEN p_disabled THEN coalesce(p.disabled_at, now()) END
     WHERE p.id = p_id
    RETURNING p.* INTO v;
    IF v.id IS NOT NULL THEN
        INSERT INTO khnet_audit_log (actor_id, action, detail)
        VALUES (p_actor, 'partner_update',
                jsonb_strip_nulls(jsonb_build_object('partner_id', v.id, 'origins', to_jsonb(p_origins),
                                                     'disabled', p_disabled)));
    END IF;
    SELECT w.* INTO status, field, body FROM khnet_partner_written(v, 'ok') w;
END $$;

SELECT khnet_drop_old_shape('khnet_partner_rekey(bigint, bigint, bytea)');
CREATE OR REPLACE FUNCTION khnet_partner_rekey(p_actor bigint, p_id bigint, p_key_hash bytea,
                                    OUT status text, OUT field text, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE v khnet_partners;
BEGIN
    UPDATE khnet_partners AS p SET key_hash = p_key_hash WHERE p.id = p_id RETURNING p.* INTO v;
    IF v.id IS NOT NULL THEN
        INSERT INTO khnet_audit_log (actor_id, action, detail)
        VALUES (p_actor, 'partner_key_rotate', jsonb_build_object('partner_id', v.id));
    END IF;
    SELECT w.* INTO status, field, body FROM khnet_partner_written(v, 'ok') w;
END $$;

-- A token for the account with that e-mail, and its mail queued in the
-- same transaction (the pump sends it, 15_mail.sql): 'ok' with {queued}
-- (false when no live account has that e-mail; the client is told the
-- same either way).  Purges day-old tokens.  (Until 0012 the server mailed
-- the token itself: the two-argument version is gone.)
DROP FUNCTION IF EXISTS khnet_reset_create(text, bytea);
SELECT khnet_drop_old_shape('khnet_reset_create(text, bytea, text)');
CREATE OR REPLACE FUNCTION khnet_reset_create(p_email text, p_token_hash bytea, p_token text,
                                   OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql
BEGIN ATOMIC
    WITH old AS (
        DELETE FROM khnet_password_resets r WHERE r.expires_at < now() - interval '1 day'),
    made AS (
        INSERT INTO khnet_password_resets (account_id, token_hash, expires_at)
        SELECT a.id, p_token_hash, now() + interval '1 hour'
          FROM khnet_accounts a WHERE a.email = p_email AND a.erased_at IS NULL
        RETURNING khnet_password_resets.account_id, khnet_password_resets.expires_at),
    mail AS (
        SELECT khnet_mail_enqueue('password_reset', made.account_id, p_token, made.expires_at) AS id
          FROM made)
    SELECT 'ok', NULL, jsonb_build_object('queued', count(*) > 0) FROM mail;
END;

-- Uses a live token: new hash, every session revoked, the account's other
-- outstanding tokens spent too, audited.  'ok', or 'invalid_value' (field
-- token) when the token is unknown, used or expired.
SELECT khnet_drop_old_shape('khnet_reset_confirm(bytea, text)');
CREATE OR REPLACE FUNCTION khnet_reset_confirm(p_token_hash bytea, p_hash text,
                                    OUT status text, OUT field text, OUT body jsonb)
LANGUAGE sql
BEGIN ATOMIC
    WITH t AS (
        UPDATE khnet_password_resets r SET used_at = now()
         WHERE r.token_hash = p_token_hash AND r.used_at IS NULL AND r.expires_at > now()
        RETURNING r.account_id),
    a AS (
        UPDATE khnet_accounts u SET password_hash = p_hash FROM t
         WHERE u.id = t.account_id AND u.erased_at IS NULL RETURNING u.id),
    s AS (
        UPDATE khnet_sessions s SET revoked_at = now() FROM a
         WHERE s.account_id = a.id AND s.revoked_at IS NULL),
    o AS (
        UPDATE khnet_password_resets r SET used_at = now() FROM a
         WHERE r.account_id = a.id AND r.used_at IS NULL AND r.token_hash <> p_token_hash),
    l AS (
        INSERT INTO khnet_audit_log (actor_id, action, target_id)
        SELECT a.id, 'password_reset', a.id FROM a)
    SELECT 'ok', NULL, '{}'::jsonb WHERE EXISTS (SELECT 1 FROM a)
    UNION ALL
    SELECT f.* FROM khnet_fail('invalid_value', 'token',
                               'the reset token is unknown, used or expired') f
     WHERE NOT EXISTS (SELECT 1 FROM a);
END;
