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
