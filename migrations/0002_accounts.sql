-- 0002_accounts.sql — accounts, roles, sessions (bearer tokens), partner
-- frontends and the audit log: who may do what, and the record of it.

-- Partner frontends (university, association, embassy portals).  Sign-ups
-- record their partner; CORS answers only for a partner's origins.
CREATE TABLE khnet_partners (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    key_hash    bytea       NOT NULL UNIQUE,          -- SHA-256 of the partner key
    origins     text[]      NOT NULL DEFAULT '{}',    -- allowed browser origins
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);

CREATE TABLE khnet_accounts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text        UNIQUE,                 -- lower-cased; NULL once erased
    password_hash text,                               -- "scrypt$N$r$p$salt$hash"; NULL once erased
    role          text        NOT NULL DEFAULT 'member'
                  CHECK (role IN ('member', 'moderator', 'liaison', 'admin')),
    partner_id    bigint      REFERENCES khnet_partners (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    erased_at     timestamptz,                        -- set by erasure: a "former member"
    CHECK (erased_at IS NOT NULL OR (email IS NOT NULL AND password_hash IS NOT NULL))
);

-- Bearer tokens: only the SHA-256 of the 256-bit token is stored.
CREATE TABLE khnet_sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   bigint      NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    token_hash   bytea       NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    user_agent   text,
    client_addr  inet
);
CREATE INDEX khnet_sessions_account ON khnet_sessions (account_id) WHERE revoked_at IS NULL;

-- Every role change, moderator act and liaison access to restricted fields.
CREATE TABLE khnet_audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   bigint      REFERENCES khnet_accounts (id),  -- NULL: the command line
    action     text        NOT NULL,                        -- e.g. 'role_change'
    target_id  bigint,                                      -- the account acted on
    detail     jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX khnet_audit_log_target ON khnet_audit_log (target_id, at);

-- ---- functions: one call per request step (server/api/routes.c) ----------
-- Timestamps leave the database as RFC 3339 UTC text with milliseconds
-- (0003 has the same as khnet_ts; one could go once both are settled).
CREATE FUNCTION khnet_time_text(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');

-- Sign-up.  status: 'ok', 'conflict' (e-mail taken) or 'bad_partner'.
CREATE FUNCTION khnet_register(p_email text, p_hash text, p_partner_key bytea,
                               OUT status text, OUT id bigint, OUT email text, OUT role text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE v_partner bigint;
BEGIN
    IF p_partner_key IS NOT NULL THEN
        SELECT p.id INTO v_partner FROM khnet_partners p
         WHERE p.key_hash = p_partner_key AND p.disabled_at IS NULL;
        IF NOT FOUND THEN status := 'bad_partner'; RETURN; END IF;
    END IF;
    INSERT INTO khnet_accounts AS a (email, password_hash, partner_id)
    VALUES (p_email, p_hash, v_partner)
    ON CONFLICT (email) DO NOTHING
    RETURNING a.id, a.email, a.role INTO id, email, role;
    status := CASE WHEN id IS NULL THEN 'conflict' ELSE 'ok' END;
END $$;

-- Login, step 1: the stored hash (no row for an unknown or erased e-mail).
CREATE FUNCTION khnet_login_lookup(p_email text)
RETURNS TABLE (id bigint, password_hash text)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT a.id, a.password_hash FROM khnet_accounts a
     WHERE a.email = p_email AND a.erased_at IS NULL;
END;

-- Login, step 2: a session for a verified account.
CREATE FUNCTION khnet_session_create(p_account bigint, p_token_hash bytea, p_ttl_hours int,
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
-- last_seen_at is refreshed at most once a minute to spare the writes.
CREATE FUNCTION khnet_session_auth(p_token_hash bytea)
RETURNS TABLE (session_id bigint, account_id bigint, role text)
LANGUAGE sql
BEGIN ATOMIC
    WITH s AS (
        SELECT s.id, s.account_id, a.role, s.last_seen_at
          FROM khnet_sessions s JOIN khnet_accounts a ON a.id = s.account_id
         WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL
           AND s.expires_at > now() AND a.erased_at IS NULL),
    touch AS (
        UPDATE khnet_sessions u SET last_seen_at = now() FROM s
         WHERE u.id = s.id AND s.last_seen_at < now() - interval '1 minute')
    SELECT s.id, s.account_id, s.role FROM s;
END;

CREATE FUNCTION khnet_sessions_list(p_account bigint)
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
CREATE FUNCTION khnet_sessions_revoke(p_account bigint, p_session bigint, p_except bigint)
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

CREATE FUNCTION khnet_account_get(p_account bigint)
RETURNS TABLE (id bigint, email text, role text, created_at text, password_hash text)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT a.id, a.email, a.role, khnet_time_text(a.created_at), a.password_hash
      FROM khnet_accounts a WHERE a.id = p_account AND a.erased_at IS NULL;
END;

-- Password change: new hash, every other session revoked, audited.
CREATE FUNCTION khnet_password_set(p_account bigint, p_hash text, p_keep_session bigint)
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
CREATE FUNCTION khnet_role_set(p_actor bigint, p_target bigint, p_role text)
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
CREATE FUNCTION khnet_admin_create(p_email text, p_hash text)
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
