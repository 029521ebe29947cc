-- 20_accounts.sql — accounts: idempotency keys, registration, login, sessions, roles,
-- partners, password resets.
--
-- A repeatable file: every function, view and trigger of this domain at its
-- current version.  `khnetd migrate` re-applies it, in one transaction,
-- whenever its bytes change (migrations/README).  Change a function here;
-- 0002_accounts.sql created these first and is applied history (tables, indexes
-- and data stay there and in later numbered files).  Everything is
-- CREATE OR REPLACE; a changed signature or result type needs a
-- DROP ... IF EXISTS in front of the new definition.

-- Timestamps leave the database as RFC 3339 UTC text with milliseconds
-- (0003 has the same as khnet_ts; one could go once both are settled).
CREATE OR REPLACE FUNCTION khnet_time_text(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');

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

-- Sign-up.  status: 'ok', 'conflict' (e-mail taken) or 'bad_partner';
-- idem: NULL (no key), 'new', 'replay' (the row is the first answer's) or
-- 'mismatch' (nothing else set).  The stored HTTP status mirrors
-- server/api/accounts.c (201/409/400); replays are encoded from the row.
CREATE OR REPLACE FUNCTION khnet_register(p_email text, p_hash text, p_partner_key bytea,
                               p_idem_scope text, p_idem_key text, p_idem_fp bytea,
                               OUT idem text, OUT status text, OUT id bigint, OUT email text,
                               OUT role text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE v_partner bigint; v_prev jsonb;
BEGIN
    IF p_idem_key IS NOT NULL THEN
        SELECT c.state, c.result INTO idem, v_prev FROM khnet_idem_claim(p_idem_scope, p_idem_key, p_idem_fp) c;
        IF idem = 'mismatch' THEN RETURN; END IF;
        IF idem = 'replay' THEN
            SELECT r.status, r.id, r.email, r.role INTO status, id, email, role
              FROM jsonb_to_record(v_prev) AS r (status text, id bigint, email text, role text);
            RETURN;
        END IF;
    END IF;
    IF p_partner_key IS NOT NULL THEN
        SELECT p.id INTO v_partner FROM khnet_partners p
         WHERE p.key_hash = p_partner_key AND p.disabled_at IS NULL;
        IF NOT FOUND THEN status := 'bad_partner'; END IF;
    END IF;
    IF status IS NULL THEN
        INSERT INTO khnet_accounts AS a (email, password_hash, partner_id)
        VALUES (p_email, p_hash, v_partner)
        ON CONFLICT (email) DO NOTHING
        RETURNING a.id, a.email, a.role INTO id, email, role;
        status := CASE WHEN id IS NULL THEN 'conflict' ELSE 'ok' END;
    END IF;
    IF idem = 'new' THEN
        PERFORM khnet_idem_store(p_idem_scope, p_idem_key,
                                 CASE status WHEN 'ok' THEN 201 WHEN 'conflict' THEN 409 ELSE 400 END,
                                 jsonb_build_object('status', status, 'id', id, 'email', email,
                                                    'role', role));
    END IF;
END $$;

-- Login, step 1: the stored hash (no row for an unknown or erased e-mail).
CREATE OR REPLACE FUNCTION khnet_login_lookup(p_email text)
RETURNS TABLE (id bigint, password_hash text)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT a.id, a.password_hash FROM khnet_accounts a
     WHERE a.email = p_email AND a.erased_at IS NULL;
END;

-- Login, step 2: a session for a verified account.
CREATE OR REPLACE FUNCTION khnet_session_create(p_account bigint, p_token_hash bytea, p_ttl_hours int,
                                     p_user_agent text, p_addr inet)
RETURNS TABLE (session_id bigint, expires_at text, id bigint, email text, role text)
LANGUAGE sql
BEGIN ATOMIC
    WITH s AS (
        INSERT INTO khnet_sessions (account_id, token_hash, expires_at, user_agent, client_addr)
        VALUES (p_account, p_token_hash, now() + make_interval(hours => p_ttl_hours),
                p_user_agent, p_addr)
        RETURNING khnet_sessions.id, khnet_sessions.account_id, khnet_sessions.expires_at)
    SELECT s.id, khnet_time_text(s.expires_at), a.id, a.email, a.role
      FROM s JOIN khnet_accounts a ON a.id = s.account_id;
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

CREATE OR REPLACE FUNCTION khnet_sessions_list(p_account bigint)
RETURNS TABLE (id bigint, created_at text, expires_at text, last_seen_at text, user_agent text)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT s.id, khnet_time_text(s.created_at), khnet_time_text(s.expires_at), khnet_time_text(s.last_seen_at),
           s.user_agent
      FROM khnet_sessions s
     WHERE s.account_id = p_account AND s.revoked_at IS NULL AND s.expires_at > now()
     ORDER BY s.id DESC;
END;

-- Revokes p_session (NULL: all) of p_account, sparing p_except (NULL: none);
-- returns how many were live.
CREATE OR REPLACE FUNCTION khnet_sessions_revoke(p_account bigint, p_session bigint, p_except bigint)
RETURNS bigint
LANGUAGE sql
BEGIN ATOMIC
    WITH r AS (
        UPDATE khnet_sessions s SET revoked_at = now()
         WHERE s.account_id = p_account AND s.revoked_at IS NULL AND s.expires_at > now()
           AND (p_session IS NULL OR s.id = p_session)
           AND (p_except IS NULL OR s.id <> p_except)
        RETURNING 1)
    SELECT count(*) FROM r;
END;

CREATE OR REPLACE FUNCTION khnet_account_get(p_account bigint)
RETURNS TABLE (id bigint, email text, role text, created_at text, password_hash text)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT a.id, a.email, a.role, khnet_time_text(a.created_at), a.password_hash
      FROM khnet_accounts a WHERE a.id = p_account AND a.erased_at IS NULL;
END;

-- Password change: new hash, every other session revoked, audited.
CREATE OR REPLACE FUNCTION khnet_password_set(p_account bigint, p_hash text, p_keep_session bigint)
RETURNS bigint
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
    SELECT count(*) FROM a;
END;

-- Role change by p_actor (NULL: the command line), audited with both roles.
-- No row when the target does not exist or is erased.
CREATE OR REPLACE FUNCTION khnet_role_set(p_actor bigint, p_target bigint, p_role text)
RETURNS TABLE (id bigint, email text, role text, previous_role text)
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
    SELECT upd.id, upd.email, upd.role, upd.previous_role FROM upd;
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

CREATE OR REPLACE FUNCTION khnet_partners_list()
RETURNS TABLE (id bigint, name text, origins text, created_at text, disabled boolean)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT p.id, p.name, array_to_string(p.origins, ' '), khnet_time_text(p.created_at),
           p.disabled_at IS NOT NULL
      FROM khnet_partners p ORDER BY p.id;
END;

-- The three partner writes return the partner plus `cors`, the origin set
-- after the write (read in a later statement of the same transaction, so it
-- sees the write): the worker that made the change installs it at once.
-- status: 'ok', 'conflict' (name taken; create only) or 'not_found'.
CREATE OR REPLACE FUNCTION khnet_partner_create(p_actor bigint, p_name text, p_origins text[],
                                     p_key_hash bytea,
                                     OUT status text, OUT id bigint, OUT name text,
                                     OUT origins text, OUT created_at text, OUT disabled boolean,
                                     OUT cors text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO khnet_partners AS p (name, key_hash, origins)
    VALUES (p_name, p_key_hash, p_origins)
    ON CONFLICT DO NOTHING
    RETURNING p.id, p.name, array_to_string(p.origins, ' '), khnet_time_text(p.created_at),
              p.disabled_at IS NOT NULL
         INTO id, name, origins, created_at, disabled;
    IF id IS NULL THEN status := 'conflict'; RETURN; END IF;
    INSERT INTO khnet_audit_log (actor_id, action, detail)
    VALUES (p_actor, 'partner_create',
            jsonb_build_object('partner_id', id, 'name', name, 'origins', to_jsonb(p_origins)));
    status := 'ok';
    cors := khnet_cors_origins();
END $$;

-- p_origins / p_disabled NULL: unchanged.
CREATE OR REPLACE FUNCTION khnet_partner_update(p_actor bigint, p_id bigint, p_origins text[],
                                     p_disabled boolean,
                                     OUT status text, OUT id bigint, OUT name text,
                                     OUT origins text, OUT created_at text, OUT disabled boolean,
                                     OUT cors text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    UPDATE khnet_partners AS p
       SET origins = coalesce(p_origins, p.origins),
           disabled_at = CASE WHEN p_disabled IS NULL THEN p.disabled_at
                              WHEN p_disabled THEN coalesce(p.disabled_at, now()) END
     WHERE p.id = p_id
    RETURNING p.id, p.name, array_to_string(p.origins, ' '), khnet_time_text(p.created_at),
              p.disabled_at IS NOT NULL
         INTO id, name, origins, created_at, disabled;
    IF id IS NULL THEN status := 'not_found'; RETURN; END IF;
    INSERT INTO khnet_audit_log (actor_id, action, detail)
    VALUES (p_actor, 'partner_update',
            jsonb_strip_nulls(jsonb_build_object('partner_id', id, 'origins', to_jsonb(p_origins),
                                                 'disabled', p_disabled)));
    status := 'ok';
    cors := khnet_cors_origins();
END $$;

CREATE OR REPLACE FUNCTION khnet_partner_rekey(p_actor bigint, p_id bigint, p_key_hash bytea,
                                    OUT status text, OUT id bigint, OUT name text,
                                    OUT origins text, OUT created_at text, OUT disabled boolean,
                                    OUT cors text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    UPDATE khnet_partners AS p SET key_hash = p_key_hash WHERE p.id = p_id
    RETURNING p.id, p.name, array_to_string(p.origins, ' '), khnet_time_text(p.created_at),
              p.disabled_at IS NOT NULL
         INTO id, name, origins, created_at, disabled;
    IF id IS NULL THEN status := 'not_found'; RETURN; END IF;
    INSERT INTO khnet_audit_log (actor_id, action, detail)
    VALUES (p_actor, 'partner_key_rotate', jsonb_build_object('partner_id', id));
    status := 'ok';
    cors := khnet_cors_origins();
END $$;

-- A token for the account with that e-mail, and its mail queued in the
-- same transaction (the pump sends it, 15_mail.sql): one row when the
-- account exists, none otherwise.  Purges day-old tokens.  (Until 0012 the
-- server mailed the token itself: the two-argument version is gone.)
DROP FUNCTION IF EXISTS khnet_reset_create(text, bytea);
CREATE OR REPLACE FUNCTION khnet_reset_create(p_email text, p_token_hash bytea, p_token text)
RETURNS TABLE (account_id bigint, mail_id bigint)
LANGUAGE sql
BEGIN ATOMIC
    WITH old AS (
        DELETE FROM khnet_password_resets r WHERE r.expires_at < now() - interval '1 day'),
    made AS (
        INSERT INTO khnet_password_resets (account_id, token_hash, expires_at)
        SELECT a.id, p_token_hash, now() + interval '1 hour'
          FROM khnet_accounts a WHERE a.email = p_email AND a.erased_at IS NULL
        RETURNING khnet_password_resets.account_id, khnet_password_resets.expires_at)
    SELECT made.account_id,
           khnet_mail_enqueue('password_reset', made.account_id, p_token, made.expires_at)
      FROM made;
END;

-- Uses a live token: new hash, every session revoked, the account's other
-- outstanding tokens spent too, audited.  0 when the token is unknown,
-- used or expired.
CREATE OR REPLACE FUNCTION khnet_reset_confirm(p_token_hash bytea, p_hash text)
RETURNS bigint
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
    SELECT count(*) FROM a;
END;
