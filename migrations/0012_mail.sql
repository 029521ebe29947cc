-- 0012_mail.sql — the mail queue and invitations for imported people.
--
-- Mails are rows, written in the transaction that makes their token, and
-- delivered in the background by khnetd's mail pump (server/mail/): a mail
-- server that is down delays a mail, never loses it.  The functions are in
-- repeatable/15_mail.sql and repeatable/85_invitations.sql.

-- One mail to send.  `token` is the link token the text carries: kept here
-- until the mail is sent or the token expires, then wiped (the token tables
-- hold only hashes).  state: pending (waiting for next_at), sending (claimed
-- by a pump at claimed_at), sent, expired (the token expired first).  A row
-- left in `sending` by a process that died mid-delivery is not sent again:
-- at most once per mail.
CREATE TABLE khnet_mail_queue (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('password_reset', 'invitation')),
    account_id  bigint      NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    to_addr     text        NOT NULL,
    language    text        NOT NULL CHECK (language IN ('vi', 'en')),
    token       text,
    state       text        NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'expired')),
    attempts    int         NOT NULL DEFAULT 0,
    next_at     timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    claimed_at  timestamptz,
    sent_at     timestamptz,
    last_error  text
);
CREATE INDEX khnet_mail_queue_due ON khnet_mail_queue (next_at) WHERE state = 'pending';
CREATE INDEX khnet_mail_queue_account ON khnet_mail_queue (account_id);

-- An invitation to claim an imported account: only the SHA-256 of its
-- token is stored; single use, expiring.  used_at is set for every
-- invitation of the account when one of them is claimed.
CREATE TABLE khnet_invitations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint      NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    invited_by  bigint      REFERENCES khnet_accounts (id),
    token_hash  bytea       NOT NULL UNIQUE,
    mail_id     bigint      REFERENCES khnet_mail_queue (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX khnet_invitations_account ON khnet_invitations (account_id, created_at);

-- When the owner accepted the terms (claiming an invitation); NULL before.
ALTER TABLE khnet_accounts ADD COLUMN terms_accepted_at timestamptz;
