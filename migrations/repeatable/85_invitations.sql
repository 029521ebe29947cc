-- 85_invitations.sql — invitations for imported people: a liaison officer
-- or an admin invites accounts made by an import (no password) to claim
-- them; the list of who was invited and who claimed; the claim.
--
-- A repeatable file (migrations/README): re-applied whenever its bytes
-- change.  Tables: 0012_mail.sql.  Answers in the one shape (status,
-- field, body) of server/api/README.md.  Role checks are the handler's.

-- Invites p_ids (distinct, ascending), or when p_ids is NULL every imported
-- account with an e-mail, no password and no invitation yet, at most as
-- many as tokens were given.  p_tokens / p_hashes: fresh link tokens and
-- their SHA-256, used in order.  Rows are locked in id order, so two
-- concurrent invitations of the same person cannot both pass the 24-hour
-- rule.  body: {invited, skipped: [{account_id, reason}], remaining?}.
CREATE OR REPLACE FUNCTION khnet_invite(p_actor bigint, p_ids bigint[], p_tokens text[],
                                        p_hashes bytea[])
RETURNS TABLE (status text, field text, body jsonb)
    LANGUAGE plpgsql
AS $$
DECLARE
    want bigint[];
    a record;
    used int := 0;
    mail bigint;
    reason text;
    invited jsonb := '[]';
    skipped jsonb := '[]';
    expires timestamptz := now() + interval '14 days';
BEGIN
    IF p_ids IS NULL THEN
        want := ARRAY(SELECT c.id FROM khnet_accounts c
                       WHERE c.created_by_import AND c.password_hash IS NULL
                         AND c.email IS NOT NULL AND c.erased_at IS NULL
                         AND NOT EXISTS (SELECT 1 FROM khnet_invitations v WHERE v.account_id = c.id)
                       ORDER BY c.id LIMIT cardinality(p_tokens));
    ELSE
        want := ARRAY(SELECT DISTINCT x FROM unnest(p_ids) x ORDER BY 1);
    END IF;
    PERFORM 1 FROM khnet_accounts c WHERE c.id = ANY (want) ORDER BY c.id FOR UPDATE;
    FOR a IN SELECT w.id AS want_id, c.* FROM unnest(want) AS w(id)
               LEFT JOIN khnet_accounts c ON c.id = w.id ORDER BY w.id LOOP
        reason := CASE
            WHEN a.id IS NULL OR a.erased_at IS NOT NULL THEN 'not_found'
            WHEN NOT a.created_by_import THEN 'not_imported'
            WHEN a.password_hash IS NOT NULL THEN 'claimed'
            WHEN a.email IS NULL THEN 'no_email'
            WHEN EXISTS (SELECT 1 FROM khnet_invitations v WHERE v.account_id = a.id
                            AND v.created_at > now() - interval '24 hours') THEN 'too_soon'
            END;
        IF reason IS NOT NULL THEN
            skipped := skipped || jsonb_build_object('account_id', a.want_id, 'reason', reason);
            CONTINUE;
        END IF;
        used := used + 1;
        mail := khnet_mail_enqueue('invitation', a.id, p_tokens[used], expires);
        INSERT INTO khnet_invitations (account_id, invited_by, token_hash, mail_id, expires_at)
        VALUES (a.id, p_actor, p_hashes[used], mail, expires);
        INSERT INTO khnet_audit_log (actor_id, action, target_id) VALUES (p_actor, 'invite', a.id);
        invited := invited || to_jsonb(a.id);
    END LOOP;
    status := 'ok';
    body := jsonb_build_object('invited', invited, 'skipped', skipped);
    IF p_ids IS NULL THEN
        body := body || jsonb_build_object('remaining', (
            SELECT count(*) FROM khnet_accounts c
             WHERE c.created_by_import AND c.password_hash IS NULL AND c.email IS NOT NULL
               AND c.erased_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM khnet_invitations v WHERE v.account_id = c.id)));
    END IF;
    RETURN NEXT;
END
$$;

-- What became of a mail, as an invitation shows it: a `sending` mail whose
-- pump has not answered for 10 minutes died with it (never sent again).
CREATE OR REPLACE FUNCTION khnet_mail_state(m khnet_mail_queue) RETURNS text
    LANGUAGE sql STABLE
AS $$
    SELECT CASE
        WHEN m.id IS NULL THEN 'unknown'
        WHEN m.state = 'pending' THEN 'queued'
        WHEN m.state = 'sending' AND m.claimed_at > now() - interval '10 minutes' THEN 'queued'
        WHEN m.state = 'sending' THEN 'unknown'
        ELSE m.state END
$$;

-- Invitations, newest first, after the cursor p_after (an invitation id;
-- NULL: from the newest).  body: {items, next_key}.
CREATE OR REPLACE FUNCTION khnet_invitations_list(p_after bigint, p_limit int)
RETURNS TABLE (status text, field text, body jsonb)
    LANGUAGE sql STABLE
AS $$
    WITH page AS (
        SELECT v.*, c.email, p.full_name, khnet_mail_state(m) AS mail
          FROM khnet_invitations v
          JOIN khnet_accounts c ON c.id = v.account_id
          LEFT JOIN khnet_profiles p ON p.account_id = v.account_id
          LEFT JOIN khnet_mail_queue m ON m.id = v.mail_id
         WHERE p_after IS NULL OR v.id < p_after
         ORDER BY v.id DESC LIMIT p_limit + 1)
    SELECT 'ok', NULL::text, jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'id', x.id, 'account_id', x.account_id, 'email', x.email,
                'full_name', x.full_name, 'invited_by', x.invited_by,
                'invited_at', khnet_time_text(x.created_at),
                'expires_at', khnet_time_text(x.expires_at),
                'claimed_at', khnet_time_text(x.used_at), 'mail', x.mail) ORDER BY x.id DESC)
            FROM (SELECT * FROM page ORDER BY id DESC LIMIT p_limit) x), '[]'),
        'next_key', (SELECT min(x.id) FROM (SELECT id FROM page ORDER BY id DESC LIMIT p_limit) x
                      WHERE (SELECT count(*) FROM page) > p_limit))
$$;

-- Claims an imported account with a live invitation token: the password
-- set, the terms accepted, every invitation of the account spent, its
-- invitation mails still queued dropped (their tokens are dead), audited.
-- An account that has a password by now (a reset) cannot be claimed.
CREATE OR REPLACE FUNCTION khnet_invitation_claim(p_token_hash bytea, p_hash text)
RETURNS TABLE (status text, field text, body jsonb)
    LANGUAGE plpgsql
AS $$
DECLARE
    acc bigint;
BEGIN
    SELECT c.id INTO acc
      FROM khnet_invitations v JOIN khnet_accounts c ON c.id = v.account_id
     WHERE v.token_hash = p_token_hash AND v.used_at IS NULL AND v.expires_at > now()
       AND c.password_hash IS NULL AND c.erased_at IS NULL AND c.email IS NOT NULL
       FOR UPDATE OF v, c;
    IF acc IS NULL THEN
        RETURN QUERY SELECT 'invalid_value', 'token',
            jsonb_build_object('message', 'the invitation is unknown, used or expired');
        RETURN;
    END IF;
    UPDATE khnet_accounts SET password_hash = p_hash, terms_accepted_at = now() WHERE id = acc;
    UPDATE khnet_invitations SET used_at = now() WHERE account_id = acc AND used_at IS NULL;
    UPDATE khnet_mail_queue SET state = 'expired', token = NULL
     WHERE account_id = acc AND kind = 'invitation' AND state = 'pending';
    INSERT INTO khnet_audit_log (actor_id, action, target_id)
    VALUES (acc, 'invitation_claim', acc);
    RETURN QUERY SELECT 'ok', NULL::text, '{}'::jsonb;
END
$$;
