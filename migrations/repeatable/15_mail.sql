-- 15_mail.sql — the mail queue's functions: which language a person reads,
-- queueing a mail, and the pump's claim and verdict (server/mail/pump.c).
--
-- A repeatable file (migrations/README): re-applied whenever its bytes
-- change.  Tables: 0012_mail.sql.  Before 20_accounts.sql, whose reset
-- function queues mails.

-- The mail language of an account: the first of vi / en among its
-- profile's languages (BCP 47, primary subtag), else Vietnamese.
CREATE OR REPLACE FUNCTION khnet_mail_language(p_account bigint) RETURNS text
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT split_part(lower(l), '-', 1)
                       FROM khnet_profiles p, unnest(p.languages) WITH ORDINALITY AS x(l, n)
                      WHERE p.account_id = p_account
                        AND split_part(lower(l), '-', 1) IN ('vi', 'en')
                      ORDER BY n LIMIT 1), 'vi')
$$;

-- Queues one mail carrying `token` (valid until p_expires) to the
-- account's address; its id.
CREATE OR REPLACE FUNCTION khnet_mail_enqueue(p_kind text, p_account bigint, p_token text,
                                              p_expires timestamptz) RETURNS bigint
    LANGUAGE sql
AS $$
    INSERT INTO khnet_mail_queue (kind, account_id, to_addr, language, token, expires_at)
    SELECT p_kind, a.id, a.email, khnet_mail_language(a.id), p_token, p_expires
      FROM khnet_accounts a WHERE a.id = p_account AND a.email IS NOT NULL
    RETURNING id
$$;

-- The pump takes up to p_batch due mails: each is marked `sending` in this
-- (short) transaction, so no other pump, here or in another khnetd, takes
-- it (SKIP LOCKED: pumps never wait for each other).  Mails whose token
-- expired before they could go are marked expired and their token wiped.
CREATE OR REPLACE FUNCTION khnet_mail_claim(p_batch int)
RETURNS TABLE (id bigint, kind text, to_addr text, language text, token text)
    LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE khnet_mail_queue q SET state = 'expired', token = NULL
     WHERE q.state IN ('pending', 'sending') AND q.expires_at <= now() AND q.token IS NOT NULL;
    RETURN QUERY
    WITH due AS (
        SELECT q.id FROM khnet_mail_queue q
         WHERE q.state = 'pending' AND q.next_at <= now()
         ORDER BY q.next_at LIMIT p_batch
           FOR UPDATE SKIP LOCKED)
    UPDATE khnet_mail_queue q
       SET state = 'sending', claimed_at = now(), attempts = q.attempts + 1
      FROM due WHERE q.id = due.id
    RETURNING q.id, q.kind, q.to_addr, q.language, q.token;
END
$$;

-- The outcome of one delivery: sent (token wiped), or back to pending
-- after a backoff of 2 s doubling per attempt, at most 5 minutes.
CREATE OR REPLACE FUNCTION khnet_mail_done(p_id bigint, p_sent boolean, p_error text)
RETURNS void
    LANGUAGE sql
AS $$
    UPDATE khnet_mail_queue q
       SET state = CASE WHEN p_sent THEN 'sent' ELSE 'pending' END,
           sent_at = CASE WHEN p_sent THEN now() END,
           token = CASE WHEN p_sent THEN NULL ELSE q.token END,
           next_at = CASE WHEN p_sent THEN q.next_at
                          ELSE now() + least(interval '2 seconds' * power(2, least(q.attempts, 20) - 1),
                                             interval '5 minutes') END,
           last_error = left(p_error, 500)
     WHERE q.id = p_id AND q.state = 'sending'
$$;

-- Erasure takes the account's queued mails (and with them any token).
CREATE OR REPLACE FUNCTION khnet_mail_on_erase() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM khnet_invitations WHERE account_id = NEW.id;
    DELETE FROM khnet_mail_queue WHERE account_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER khnet_mail_erase AFTER UPDATE OF erased_at ON khnet_accounts
    FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL)
    EXECUTE FUNCTION khnet_mail_on_erase();
