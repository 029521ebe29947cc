-- 75_forum.sql — forums: the functions behind PROTOCOL.md "Forums" and
-- "Moderation" (tables in 0011_forum.sql).
--
-- A repeatable file: every function and trigger of this domain at its
-- current version, re-applied whenever its bytes change (migrations/README).
-- It runs after 60_messaging (khnet_author_name, khnet_silenced_until,
-- khnet_silence), 50_events (khnet_emit) and 40_search (khnet_fold,
-- khnet_search_tsquery), and before 80_data_rights, whose export calls
-- khnet_forum_export.
--
-- Every endpoint is one call of one function returning (status, field,
-- body) like messaging: status 'ok' / 'created' or a PROTOCOL.md error code,
-- field the request field at fault, body the response document (for errors
-- {message, until?}).  The caller is (p_me, p_role): account id and role
-- text, both NULL for an anonymous reader.  Visibility is decided here, in
-- one place per object: khnet_forum_post_visible, khnet_forum_thread_visible.
-- Writes log moderator acts (khnet_mod_log) and emit events in the same
-- transaction.

-- ---- who may do what -----------------------------------------------------------

-- Every predicate here is true or false, never NULL (an anonymous caller
-- has p_me NULL), so `IF NOT ...` cannot be skipped by a NULL.

-- Moderates category p_cat: global moderators, admins, and the category's own.
CREATE OR REPLACE FUNCTION khnet_forum_is_mod(p_me bigint, p_role text, p_cat bigint)
    RETURNS boolean LANGUAGE sql STABLE
    RETURN p_me IS NOT NULL AND (coalesce(p_role IN ('moderator', 'admin'), false) OR EXISTS (
        SELECT 1 FROM khnet_forum_category_mods m
         WHERE m.category_id = p_cat AND m.account_id = p_me));

-- Moderates anything at all (the queue and the log are theirs).
CREATE OR REPLACE FUNCTION khnet_forum_is_any_mod(p_me bigint, p_role text)
    RETURNS boolean LANGUAGE sql STABLE
    RETURN p_me IS NOT NULL AND (coalesce(p_role IN ('moderator', 'admin'), false) OR EXISTS (
        SELECT 1 FROM khnet_forum_category_mods m WHERE m.account_id = p_me));

CREATE OR REPLACE FUNCTION khnet_forum_post_visible(p khnet_forum_posts, p_me bigint,
                                                    p_mod boolean)
    RETURNS boolean LANGUAGE sql STABLE
    RETURN p.hidden_at IS NULL OR coalesce(p_mod, false) OR p.author_id IS NOT DISTINCT FROM p_me;

-- A deleted thread is the moderators' alone, its author's no more.
CREATE OR REPLACE FUNCTION khnet_forum_thread_visible(t khnet_forum_threads, p_me bigint,
                                                      p_mod boolean)
    RETURNS boolean LANGUAGE sql STABLE
    RETURN coalesce(p_mod, false)
        OR (t.deleted_at IS NULL AND (NOT t.hidden OR t.author_id IS NOT DISTINCT FROM p_me));

-- The listing key: pinned threads above every unpinned one, then activity
-- (the expression of the index khnet_forum_threads_listing).
CREATE OR REPLACE FUNCTION khnet_forum_sort_key(t khnet_forum_threads) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    RETURN (CASE WHEN t.pinned THEN 4611686018427387904 ELSE 0 END) + t.activity;

CREATE OR REPLACE FUNCTION khnet_forum_err(p_status text, p_field text, p_message text,
                                           OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE sql IMMUTABLE
    RETURN (p_status, p_field, jsonb_build_object('message', p_message));

-- ---- documents ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION khnet_forum_author(account bigint) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object(
        'author_id', account, 'author_name', khnet_author_name(account),
        'author_handle', (SELECT h.handle FROM khnet_handles h WHERE h.account_id = account));

-- The post document from its row and what it joins to
-- (khnet_forum_post_extras).  One expression over plain arguments, so a
-- set-based caller gets it inlined rather than called per post.
CREATE OR REPLACE FUNCTION khnet_forum_post_doc(p khnet_forum_posts, p_name text, p_handle text,
                                                p_reacted boolean)
    RETURNS jsonb LANGUAGE sql STABLE
    RETURN jsonb_build_object(
        'id', p.id, 'thread_id', p.thread_id, 'seq', p.seq,
        'reply_to', p.reply_to, 'quote_of', p.quote_of,
        'markdown', p.body, 'html', p.html, 'helpful', p.helpful, 'reacted', p_reacted,
        'revisions', p.revisions,
        'created_at', khnet_time_text(p.created_at), 'edited_at', khnet_time_text(p.edited_at),
        'deleted_at', khnet_time_text(p.deleted_at),
        'hidden', CASE WHEN p.hidden_at IS NOT NULL THEN jsonb_build_object(
            'reason', p.hidden_reason, 'held', p.held, 'at', khnet_time_text(p.hidden_at)) END,
        'author_id', p.author_id, 'author_name', p_name, 'author_handle', p_handle);

-- A post's author name (khnet_author_name's rule), handle, and whether
-- p_me marked it helpful.  A one-SELECT SQL table function: used as
-- `CROSS JOIN LATERAL khnet_forum_post_extras(...)` it is inlined into the
-- caller's query, which joins once over its page of posts (no executor
-- started per post, as a scalar function with a subquery would).
CREATE OR REPLACE FUNCTION khnet_forum_post_extras(p_author bigint, p_post bigint, p_me bigint)
    RETURNS TABLE (name text, handle text, reacted boolean) LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN a.erased_at IS NOT NULL THEN 'former member'
                ELSE coalesce(pr.display_name, pr.full_name) END,
           h.handle, r.post_id IS NOT NULL
      FROM khnet_accounts a
      LEFT JOIN khnet_profiles pr ON pr.account_id = a.id
      LEFT JOIN khnet_handles h ON h.account_id = a.id
      LEFT JOIN khnet_forum_reactions r
        ON r.post_id = p_post AND r.account_id = p_me AND r.kind = 'helpful'
     WHERE a.id = p_author
$$;

CREATE OR REPLACE FUNCTION khnet_forum_post_json(p khnet_forum_posts, p_me bigint) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN (SELECT khnet_forum_post_doc(p, x.name, x.handle, x.reacted)
              FROM khnet_forum_post_extras(p.author_id, p.id, p_me) x);

-- Posts of thread t after read_seq that p_me can see and did not write.
CREATE OR REPLACE FUNCTION khnet_forum_unread_in(p_thread bigint, p_read int, p_me bigint,
                                                 p_mod boolean)
    RETURNS int LANGUAGE sql STABLE
    RETURN (SELECT count(*) FROM khnet_forum_posts p
             WHERE p.thread_id = p_thread AND p.seq > p_read AND p.author_id <> p_me
               AND p.deleted_at IS NULL AND (p.hidden_at IS NULL OR p_mod));

CREATE OR REPLACE FUNCTION khnet_forum_thread_json(t khnet_forum_threads, p_me bigint,
                                                   p_mod boolean)
    RETURNS jsonb LANGUAGE sql STABLE
    RETURN jsonb_build_object(
        'id', t.id, 'category_id', t.category_id, 'title', t.title, 'tags', to_jsonb(t.tags),
        'pinned', t.pinned, 'locked', t.locked, 'hidden', khnet_forum_thread_visible(t, p_me, p_mod) AND t.hidden,
        'posts', t.posts, 'last_seq', t.last_seq,
        'created_at', khnet_time_text(t.created_at),
        'last_activity_at', khnet_time_text(t.activity_at),
        'deleted_at', khnet_time_text(t.deleted_at),
        'unread', CASE WHEN p_me IS NULL THEN 0 ELSE khnet_forum_unread_in(t.id,
            coalesce((SELECT r.read_seq FROM khnet_forum_reads r
                       WHERE r.account_id = p_me AND r.thread_id = t.id), 0), p_me, p_mod) END,
        'watching', p_me IS NOT NULL AND EXISTS (
            SELECT 1 FROM khnet_forum_watches w WHERE w.account_id = p_me AND w.thread_id = t.id))
        || khnet_forum_author(t.author_id);

CREATE OR REPLACE FUNCTION khnet_forum_category_json(c khnet_forum_categories, p_me bigint,
                                                     p_role text)
    RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', c.id, 'slug', c.slug, 'name', c.name, 'description', c.description,
        'sector', (SELECT s.slug FROM khnet_sectors s WHERE s.id = c.sector_id),
        'position', c.position, 'read_only', c.read_only, 'archived', c.archived_at IS NOT NULL,
        'moderators', (SELECT coalesce(jsonb_agg(m.account_id ORDER BY m.account_id), '[]')
                         FROM khnet_forum_category_mods m WHERE m.category_id = c.id),
        'threads', (SELECT count(*) FROM khnet_forum_threads t
                     WHERE t.category_id = c.id AND NOT t.hidden AND t.deleted_at IS NULL),
        'posts', (SELECT coalesce(sum(t.posts), 0) FROM khnet_forum_threads t
                   WHERE t.category_id = c.id AND NOT t.hidden AND t.deleted_at IS NULL),
        'last_activity_at', (SELECT khnet_time_text(max(t.activity_at)) FROM khnet_forum_threads t
                              WHERE t.category_id = c.id AND NOT t.hidden AND t.deleted_at IS NULL),
        'unread_threads', CASE WHEN p_me IS NULL THEN 0 ELSE (
            SELECT count(*) FROM khnet_forum_threads t
              LEFT JOIN khnet_forum_reads r ON r.thread_id = t.id AND r.account_id = p_me
             WHERE t.category_id = c.id
               AND khnet_forum_thread_visible(t, p_me, mod.yes)
               AND EXISTS (SELECT 1 FROM khnet_forum_posts p
                            WHERE p.thread_id = t.id AND p.seq > coalesce(r.read_seq, 0)
                              AND p.author_id <> p_me AND p.deleted_at IS NULL
                              AND (p.hidden_at IS NULL OR mod.yes))) END)
      FROM (SELECT khnet_forum_is_mod(p_me, p_role, c.id) AS yes) mod
$$;

CREATE OR REPLACE FUNCTION khnet_forum_log(p_actor bigint, p_action text, p_kind text,
                                           p_target bigint, p_cat bigint, p_before jsonb,
                                           p_after jsonb, p_reason text)
    RETURNS void LANGUAGE sql AS $$
    INSERT INTO khnet_mod_log (actor_id, action, target_kind, target_id, category_id,
                               before, after, reason)
    VALUES (p_actor, p_action, p_kind, p_target, p_cat, p_before, p_after, p_reason)
$$;

-- ---- categories -----------------------------------------------------------------------

CREATE OR REPLACE FUNCTION khnet_forum_categories(p_me bigint, p_role text,
                                                  OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE sql STABLE AS $$
    SELECT 'ok', NULL::text, jsonb_build_object('items', coalesce(
        (SELECT jsonb_agg(khnet_forum_category_json(c, p_me, p_role) ORDER BY c.position, c.id)
           FROM khnet_forum_categories c), '[]'))
$$;

CREATE OR REPLACE FUNCTION khnet_forum_category_create(p_me bigint, p_role text, p_slug text,
                                                       p_name text, p_description text,
                                                       p_position int, p_read_only boolean,
                                                       OUT status text, OUT field text,
                                                       OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE c khnet_forum_categories;
BEGIN
    IF p_role IS DISTINCT FROM 'admin' THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('forbidden', NULL, 'admins only');
        RETURN;
    END IF;
    INSERT INTO khnet_forum_categories (slug, name, description, position, read_only)
    VALUES (p_slug, p_name, p_description,
            coalesce(p_position, (SELECT coalesce(max(position), 0) + 10
                                    FROM khnet_forum_categories)),
            coalesce(p_read_only, false))
    ON CONFLICT (slug) DO NOTHING RETURNING * INTO c;
    IF c.id IS NULL THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('conflict', 'slug', 'slug is taken');
        RETURN;
    END IF;
    body := khnet_forum_category_json(c, p_me, p_role);
    PERFORM khnet_forum_log(p_me, 'category.create', 'category', c.id, c.id, NULL, body, NULL);
    status := 'created';
END $$;

-- p_patch holds the fields to change (validated by the server): name,
-- description (null clears), position, read_only, archived.
CREATE OR REPLACE FUNCTION khnet_forum_category_update(p_me bigint, p_role text, p_cat bigint,
                                                       p_patch jsonb,
                                                       OUT status text, OUT field text,
                                                       OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    c khnet_forum_categories;
    v_before jsonb;
BEGIN
    IF p_role IS DISTINCT FROM 'admin' THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('forbidden', NULL, 'admins only');
        RETURN;
    END IF;
    SELECT * INTO c FROM khnet_forum_categories WHERE id = p_cat FOR UPDATE;
    IF NOT FOUND THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such category');
        RETURN;
    END IF;
    v_before := khnet_forum_category_json(c, p_me, p_role);
    UPDATE khnet_forum_categories k SET
        name = CASE WHEN p_patch ? 'name' THEN p_patch->>'name' ELSE k.name END,
        description = CASE WHEN p_patch ? 'description' THEN p_patch->>'description'
                           ELSE k.description END,
        position = CASE WHEN p_patch ? 'position' THEN (p_patch->>'position')::int ELSE k.position END,
        read_only = CASE WHEN p_patch ? 'read_only' THEN (p_patch->>'read_only')::boolean
                         ELSE k.read_only END,
        archived_at = CASE WHEN NOT p_patch ? 'archived' THEN k.archived_at
                           WHEN (p_patch->>'archived')::boolean THEN coalesce(k.archived_at, now())
                           ELSE NULL END
     WHERE k.id = p_cat RETURNING * INTO c;
    body := khnet_forum_category_json(c, p_me, p_role);
    PERFORM khnet_forum_log(p_me, 'category.update', 'category', c.id, c.id, v_before, body, NULL);
    status := 'ok';
END $$;

CREATE OR REPLACE FUNCTION khnet_forum_category_mod_set(p_me bigint, p_role text, p_cat bigint,
                                                        p_account bigint, p_on boolean,
                                                        OUT status text, OUT field text,
                                                        OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE v_was boolean;
BEGIN
    IF p_role IS DISTINCT FROM 'admin' THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('forbidden', NULL, 'admins only');
        RETURN;
    END IF;
    PERFORM 1 FROM khnet_forum_categories WHERE id = p_cat FOR UPDATE;
    IF NOT FOUND THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such category');
        RETURN;
    END IF;
    IF NOT khnet_account_live(p_account) THEN
        SELECT * INTO status, field, body
          FROM khnet_forum_err('not_found', 'account_id', 'no such account');
        RETURN;
    END IF;
    v_was := EXISTS (SELECT 1 FROM khnet_forum_category_mods
                      WHERE category_id = p_cat AND account_id = p_account);
    IF p_on AND NOT v_was THEN
        INSERT INTO khnet_forum_category_mods (category_id, account_id, added_by)
        VALUES (p_cat, p_account, p_me);
    ELSIF NOT p_on AND v_was THEN
        DELETE FROM khnet_forum_category_mods WHERE category_id = p_cat AND account_id = p_account;
    END IF;
    IF p_on <> v_was THEN
        PERFORM khnet_forum_log(p_me, CASE WHEN p_on THEN 'category.mod_add' ELSE 'category.mod_remove' END,
                                'account', p_account, p_cat, jsonb_build_object('moderator', v_was),
                                jsonb_build_object('moderator', p_on), NULL);
    END IF;
    status := 'ok'; body := '{}';
END $$;

-- Mark every thread of the category read up to its last post.
CREATE OR REPLACE FUNCTION khnet_forum_category_read(p_me bigint, p_role text, p_cat bigint,
                                                     OUT status text, OUT field text,
                                                     OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
    PERFORM 1 FROM khnet_forum_categories WHERE id = p_cat;
    IF NOT FOUND THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such category');
        RETURN;
    END IF;
    INSERT INTO khnet_forum_reads AS r (account_id, thread_id, read_seq)
    SELECT p_me, t.id, t.last_seq FROM khnet_forum_threads t WHERE t.category_id = p_cat
    ON CONFLICT (account_id, thread_id) DO UPDATE SET read_seq = greatest(r.read_seq, EXCLUDED.read_seq);
    GET DIAGNOSTICS n = ROW_COUNT;
    status := 'ok'; body := jsonb_build_object('category_id', p_cat, 'threads', n);
END $$;

-- ---- threads ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION khnet_forum_threads_list(p_me bigint, p_role text, p_cat bigint,
                                                    p_after bigint, p_limit int,
                                                    OUT status text, OUT field text,
                                                    OUT body jsonb)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_mod boolean := khnet_forum_is_mod(p_me, p_role, p_cat);
    v_items jsonb;
    v_last bigint;
    v_n int;
BEGIN
    PERFORM 1 FROM khnet_forum_categories WHERE id = p_cat;
    IF NOT FOUND THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such category');
        RETURN;
    END IF;
    WITH page AS (
        SELECT t, khnet_forum_sort_key(t) AS k FROM khnet_forum_threads t
         WHERE t.category_id = p_cat
           AND (p_after IS NULL OR khnet_forum_sort_key(t) < p_after)
           AND khnet_forum_thread_visible(t, p_me, v_mod)
         ORDER BY khnet_forum_sort_key(t) DESC LIMIT p_limit + 1),
    shown AS (SELECT * FROM page ORDER BY k DESC LIMIT p_limit)
    SELECT coalesce((SELECT jsonb_agg(khnet_forum_thread_json(s.t, p_me, v_mod) ORDER BY s.k DESC)
                       FROM shown s), '[]'),
           (SELECT min(k) FROM shown), (SELECT count(*) FROM page)
      INTO v_items, v_last, v_n;
    status := 'ok';
    body := jsonb_build_object('items', v_items,
                               'next_key', CASE WHEN v_n > p_limit THEN v_last END);
END $$;

CREATE OR REPLACE FUNCTION khnet_forum_thread_get(p_me bigint, p_role text, p_thread bigint,
                                                  OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql STABLE AS $$
DECLARE t khnet_forum_threads;
BEGIN
    SELECT * INTO t FROM khnet_forum_threads WHERE id = p_thread;
    IF NOT FOUND OR NOT khnet_forum_thread_visible(t, p_me,
                                                   khnet_forum_is_mod(p_me, p_role, t.category_id)) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such thread');
        RETURN;
    END IF;
    status := 'ok';
    body := khnet_forum_thread_json(t, p_me, khnet_forum_is_mod(p_me, p_role, t.category_id));
END $$;

CREATE OR REPLACE FUNCTION khnet_forum_posts_list(p_me bigint, p_role text, p_thread bigint,
                                                  p_after bigint, p_limit int,
                                                  OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    t khnet_forum_threads;
    v_mod boolean;
    v_items jsonb;
    v_last int;
    v_n int;
BEGIN
    SELECT * INTO t FROM khnet_forum_threads WHERE id = p_thread;
    v_mod := khnet_forum_is_mod(p_me, p_role, t.category_id);
    IF t.id IS NULL OR NOT khnet_forum_thread_visible(t, p_me, v_mod) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such thread');
        RETURN;
    END IF;
    WITH page AS (
        SELECT p FROM khnet_forum_posts p
         WHERE p.thread_id = p_thread AND p.seq > coalesce(p_after, 0)
           AND khnet_forum_post_visible(p, p_me, v_mod)
         ORDER BY p.seq LIMIT p_limit + 1),
    shown AS (SELECT * FROM page ORDER BY (p).seq LIMIT p_limit)
    SELECT coalesce((SELECT jsonb_agg(khnet_forum_post_doc(s.p, x.name, x.handle, x.reacted)
                                      ORDER BY (s.p).seq)
                       FROM shown s
                      CROSS JOIN LATERAL khnet_forum_post_extras((s.p).author_id, (s.p).id, p_me) x),
                    '[]'),
           (SELECT max((s.p).seq) FROM shown s), (SELECT count(*) FROM page)
      INTO v_items, v_last, v_n;
    status := 'ok';
    body := jsonb_build_object('items', v_items,
                               'next_key', CASE WHEN v_n > p_limit THEN v_last END);
END $$;

-- GET /v1/forum/threads/{id}/posts in one round trip: the caller behind
-- the bearer token's hash (the kit's api_bearer_hex) by khnet_session_auth
-- (the one session rule, its last_seen_at refresh included), then
-- khnet_forum_posts_list as that caller.  p_token_hash NULL:
-- no Authorization was sent (an anonymous reader).  A token that names no
-- live session (unknown, expired, revoked, its account erased) answers
-- 'unauthenticated' and reads nothing: a bad token is never an anonymous
-- read.  VOLATILE because the session check may write last_seen_at.
CREATE OR REPLACE FUNCTION khnet_forum_posts_by_token(p_token_hash bytea, p_thread bigint,
                                                      p_after bigint, p_limit int,
                                                      OUT status text, OUT field text,
                                                      OUT body jsonb)
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_me bigint;
    v_role text;
BEGIN
    IF p_token_hash IS NOT NULL THEN
        SELECT s.account_id, s.role INTO v_me, v_role FROM khnet_session_auth(p_token_hash) s;
        IF NOT FOUND THEN
            SELECT * INTO status, field, body FROM khnet_unauthenticated();
            RETURN;
        END IF;
    END IF;
    SELECT * INTO status, field, body
      FROM khnet_forum_posts_list(v_me, v_role, p_thread, p_after, p_limit);
END $$;

-- ---- writing ---------------------------------------------------------------------------

-- May p_me write in category c now?  NULL when yes, else the refusal
-- (status, field, body).  p_posting: a new post (not an edit), which the
-- trust rule's rate applies to.
CREATE OR REPLACE FUNCTION khnet_forum_write_check(p_me bigint, p_role text,
                                                   c khnet_forum_categories, p_posting boolean,
                                                   OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_until timestamptz;
    v_trust khnet_forum_trust;
    v_oldest timestamptz;
BEGIN
    IF c.archived_at IS NOT NULL THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('conflict', NULL, 'the category is archived');
        RETURN;
    END IF;
    IF c.read_only AND p_role NOT IN ('liaison', 'admin', 'moderator')
       AND NOT khnet_forum_is_mod(p_me, p_role, c.id) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('forbidden', NULL, 'the category is read-only');
        RETURN;
    END IF;
    v_until := khnet_silenced_until(p_me);
    IF v_until IS NOT NULL THEN
        status := 'silenced';
        body := jsonb_build_object('message', 'you are silenced', 'until', khnet_time_text(v_until));
        RETURN;
    END IF;
    IF p_posting AND khnet_forum_is_new(p_me, p_role) THEN
        SELECT * INTO v_trust FROM khnet_forum_trust;
        SELECT min(created_at) INTO v_oldest FROM (
            SELECT p.created_at FROM khnet_forum_posts p
             WHERE p.author_id = p_me AND p.created_at > now() - interval '1 hour'
             ORDER BY p.created_at DESC LIMIT v_trust.posts_per_hour) x
         HAVING count(*) >= v_trust.posts_per_hour;
        IF v_oldest IS NOT NULL THEN
            status := 'rate_limited';
            body := jsonb_build_object('message', 'new members write at most '
                        || v_trust.posts_per_hour || ' posts an hour',
                        'retry_after', greatest(1, ceil(extract(epoch FROM
                            v_oldest + interval '1 hour' - now())))::int);
        END IF;
    END IF;
END $$;

-- A new member (PROTOCOL.md "Trust rule").
CREATE OR REPLACE FUNCTION khnet_forum_is_new(p_me bigint, p_role text) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN p_role = 'member' AND EXISTS (
        SELECT 1 FROM khnet_accounts a, khnet_forum_trust t
         WHERE a.id = p_me AND a.created_at > now() - make_interval(hours => t.new_hours));

-- Tells watchers, the replied-to author and the mentioned (one event each,
-- reply before mention before post), once per post, when it is visible.
CREATE OR REPLACE FUNCTION khnet_forum_notify(p khnet_forum_posts) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    v_payload jsonb;
    v_replied bigint[];
    v_mentioned bigint[];
    v_watchers bigint[];
BEGIN
    IF p.notified OR p.hidden_at IS NOT NULL OR p.deleted_at IS NOT NULL THEN RETURN; END IF;
    UPDATE khnet_forum_posts SET notified = true WHERE id = p.id;
    v_payload := jsonb_build_object('thread_id', p.thread_id, 'post_id', p.id, 'seq', p.seq,
        'title', (SELECT title FROM khnet_forum_threads WHERE id = p.thread_id),
        'author_id', p.author_id, 'author_name', khnet_author_name(p.author_id));
    SELECT coalesce(array_agg(q.author_id), '{}') INTO v_replied FROM khnet_forum_posts q
     WHERE q.id = p.reply_to AND q.author_id <> p.author_id AND khnet_account_live(q.author_id);
    SELECT coalesce(array_agg(m.account_id), '{}') INTO v_mentioned FROM khnet_forum_mentions m
     WHERE m.post_id = p.id AND m.account_id <> p.author_id AND m.account_id <> ALL (v_replied);
    SELECT coalesce(array_agg(w.account_id), '{}') INTO v_watchers FROM khnet_forum_watches w
     WHERE w.thread_id = p.thread_id AND w.account_id <> p.author_id
       AND w.account_id <> ALL (v_replied || v_mentioned);
    IF cardinality(v_replied) > 0 THEN
        PERFORM khnet_emit(v_replied, 'forum.reply', v_payload);
    END IF;
    IF cardinality(v_mentioned) > 0 THEN
        PERFORM khnet_emit(v_mentioned, 'forum.mention', v_payload);
    END IF;
    IF cardinality(v_watchers) > 0 THEN
        PERFORM khnet_emit(v_watchers, 'forum.post', v_payload);
    END IF;
END $$;

-- The mentioned accounts of a post: tokens are handles or ids (server/forum).
CREATE OR REPLACE FUNCTION khnet_forum_mentions_set(p_post bigint, p_tokens text[])
    RETURNS void LANGUAGE sql AS $$
    DELETE FROM khnet_forum_mentions WHERE post_id = p_post;
    INSERT INTO khnet_forum_mentions (post_id, account_id)
    SELECT DISTINCT p_post, a.id FROM unnest(p_tokens) k
      JOIN khnet_accounts a ON a.erased_at IS NULL AND (
           (k ~ '^[0-9]{1,18}$' AND a.id = k::bigint)
        OR a.id = (SELECT h.account_id FROM khnet_handles h WHERE h.handle = k))
$$;

-- Appends a post to thread p_thread (locked FOR UPDATE by the caller).
-- The trust rule holds a new member's post with links.
CREATE OR REPLACE FUNCTION khnet_forum_post_add(t khnet_forum_threads, p_me bigint, p_role text,
                                                p_body text, p_html text, p_reply_to bigint,
                                                p_quote_of bigint, p_mentions text[],
                                                p_links int)
    RETURNS khnet_forum_posts LANGUAGE plpgsql AS $$
DECLARE
    p khnet_forum_posts;
    v_held boolean := p_links > 0 AND khnet_forum_is_new(p_me, p_role)
                      AND (SELECT hold_links FROM khnet_forum_trust);
BEGIN
    INSERT INTO khnet_forum_posts (thread_id, seq, author_id, reply_to, quote_of, body, html,
                                   held, hidden_at, hidden_reason)
    VALUES (t.id, t.last_seq + 1, p_me, p_reply_to, p_quote_of, p_body, p_html, v_held,
            CASE WHEN v_held THEN now() END, CASE WHEN v_held THEN 'held for review' END)
    RETURNING * INTO p;
    INSERT INTO khnet_forum_revisions (post_id, rev, body, html, editor_id)
    VALUES (p.id, 1, p_body, p_html, p_me);
    UPDATE khnet_forum_threads
       SET last_seq = p.seq, posts = posts + CASE WHEN v_held THEN 0 ELSE 1 END,
           activity = CASE WHEN v_held THEN activity ELSE nextval('khnet_forum_activity_seq') END,
           activity_at = CASE WHEN v_held THEN activity_at ELSE p.created_at END,
           hidden = CASE WHEN p.seq = 1 THEN v_held ELSE hidden END
     WHERE id = t.id;
    INSERT INTO khnet_forum_reads AS r (account_id, thread_id, read_seq) VALUES (p_me, t.id, p.seq)
        ON CONFLICT (account_id, thread_id) DO UPDATE SET read_seq = greatest(r.read_seq, p.seq);
    INSERT INTO khnet_forum_watches (account_id, thread_id) VALUES (p_me, t.id)
        ON CONFLICT DO NOTHING;
    PERFORM khnet_forum_mentions_set(p.id, p_mentions);
    PERFORM khnet_forum_notify(p);
    SELECT * INTO p FROM khnet_forum_posts WHERE id = p.id;
    RETURN p;
END $$;

-- p_tags: a JSON array of trimmed tags (server-checked); lower-cased and
-- de-duplicated here as expertise keywords are (khnet_keywords).
CREATE OR REPLACE FUNCTION khnet_forum_thread_create(p_me bigint, p_role text, p_cat bigint,
                                                     p_title text, p_tags jsonb, p_body text,
                                                     p_html text, p_mentions text[], p_links int,
                                                     OUT status text, OUT field text,
                                                     OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    c khnet_forum_categories;
    t khnet_forum_threads;
    p khnet_forum_posts;
BEGIN
    SELECT * INTO c FROM khnet_forum_categories WHERE id = p_cat;
    IF NOT FOUND THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such category');
        RETURN;
    END IF;
    SELECT * INTO status, field, body FROM khnet_forum_write_check(p_me, p_role, c, true);
    IF status IS NOT NULL THEN RETURN; END IF;
    INSERT INTO khnet_forum_threads (category_id, author_id, title, tags)
    VALUES (p_cat, p_me, p_title, khnet_keywords(coalesce(p_tags, '[]')))
    RETURNING * INTO t;
    p := khnet_forum_post_add(t, p_me, p_role, p_body, p_html, NULL, NULL, p_mentions, p_links);
    SELECT * INTO t FROM khnet_forum_threads WHERE id = t.id;
    status := 'created';
    body := jsonb_build_object('thread', khnet_forum_thread_json(t, p_me, false),
                               'post', khnet_forum_post_json(p, p_me));
END $$;

CREATE OR REPLACE FUNCTION khnet_forum_reply(p_me bigint, p_role text, p_thread bigint,
                                             p_body text, p_html text, p_reply_to bigint,
                                             p_quote_of bigint, p_mentions text[], p_links int,
                                             OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    w record;
    t khnet_forum_threads;
    c khnet_forum_categories;
    p khnet_forum_posts;
    v_mod boolean;
BEGIN
    w := khnet_forum_thread_for_write(p_thread, p_me, p_role);
    t := w.t; v_mod := w.is_mod;
    IF t.id IS NULL THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such thread');
        RETURN;
    END IF;
    IF t.deleted_at IS NOT NULL THEN  -- a moderator's view of it
        SELECT * INTO status, field, body FROM khnet_forum_err('conflict', NULL, 'the thread was deleted');
        RETURN;
    END IF;
    SELECT * INTO c FROM khnet_forum_categories WHERE id = t.category_id;
    SELECT * INTO status, field, body FROM khnet_forum_write_check(p_me, p_role, c, true);
    IF status IS NOT NULL THEN RETURN; END IF;
    IF t.locked AND NOT v_mod THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('conflict', NULL, 'the thread is locked');
        RETURN;
    END IF;
    IF p_reply_to IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM khnet_forum_posts q WHERE q.id = p_reply_to AND q.thread_id = p_thread
              AND khnet_forum_post_visible(q, p_me, v_mod)) THEN
        SELECT * INTO status, field, body
          FROM khnet_forum_err('invalid_value', 'reply_to', 'not a post of this thread');
        RETURN;
    END IF;
    IF p_quote_of IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM khnet_forum_posts q WHERE q.id = p_quote_of AND q.thread_id = p_thread
              AND khnet_forum_post_visible(q, p_me, v_mod)) THEN
        SELECT * INTO status, field, body
          FROM khnet_forum_err('invalid_value', 'quote_of', 'not a post of this thread');
        RETURN;
    END IF;
    p := khnet_forum_post_add(t, p_me, p_role, p_body, p_html, p_reply_to, p_quote_of,
                              p_mentions, p_links);
    status := 'created'; body := khnet_forum_post_json(p, p_me);
END $$;

-- Opens a write on a whole thread (a reply, the thread's delete): locks
-- it and returns it with the caller's moderation right in its category; t
-- comes back NULL when it is missing or the caller may not see it.
CREATE OR REPLACE FUNCTION khnet_forum_thread_for_write(p_thread bigint, p_me bigint, p_role text,
                                                        OUT t khnet_forum_threads,
                                                        OUT is_mod boolean)
    LANGUAGE plpgsql AS $$
BEGIN
    SELECT * INTO t FROM khnet_forum_threads WHERE id = p_thread FOR UPDATE;
    is_mod := khnet_forum_is_mod(p_me, p_role, t.category_id);
    IF t.id IS NULL OR NOT khnet_forum_thread_visible(t, p_me, is_mod) THEN
        t := NULL;
    END IF;
END $$;

-- Opens every write on one post (edit, delete, hide/unhide, helpful,
-- report): locks its thread, then the post -- the order every writer of a
-- thread locks in (a reply locks the thread; the whole-thread delete the
-- thread, then its posts), so two writers never wait on each other in a
-- cycle -- and returns both with the caller's moderation right in the
-- thread's category.  t and p come back NULL when the post is missing or
-- the caller may not see it or its thread (not_found: for them it does
-- not exist).
CREATE OR REPLACE FUNCTION khnet_forum_post_for_write(p_post bigint, p_me bigint, p_role text,
                                                      OUT t khnet_forum_threads,
                                                      OUT p khnet_forum_posts,
                                                      OUT is_mod boolean)
    LANGUAGE plpgsql AS $$
BEGIN
    SELECT * INTO t FROM khnet_forum_threads
     WHERE id = (SELECT thread_id FROM khnet_forum_posts WHERE id = p_post) FOR UPDATE;
    SELECT * INTO p FROM khnet_forum_posts WHERE id = p_post FOR UPDATE;
    is_mod := khnet_forum_is_mod(p_me, p_role, t.category_id);
    IF p.id IS NULL OR NOT khnet_forum_post_visible(p, p_me, is_mod)
       OR NOT khnet_forum_thread_visible(t, p_me, is_mod) THEN
        t := NULL;
        p := NULL;
    END IF;
END $$;

-- khnet_forum_post_for_write with the refusal when p_me may not act on the
-- post: not_found when it is not there for p_me, else forbidden (message
-- p_forbidden) unless p_may says p_me may: 'author', 'moderator' (of its
-- category) or 'author or moderator'; any other p_may refuses.  status
-- NULL: go ahead.
CREATE OR REPLACE FUNCTION khnet_forum_post_for_act(p_post bigint, p_me bigint, p_role text,
                                                    p_may text, p_forbidden text,
                                                    OUT t khnet_forum_threads,
                                                    OUT p khnet_forum_posts,
                                                    OUT is_mod boolean,
                                                    OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    w record;
BEGIN
    w := khnet_forum_post_for_write(p_post, p_me, p_role);
    t := w.t; p := w.p; is_mod := w.is_mod;
    IF p.id IS NULL THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such post');
    ELSIF NOT coalesce(CASE p_may WHEN 'author' THEN p.author_id = p_me
                                  WHEN 'moderator' THEN is_mod
                                  WHEN 'author or moderator' THEN p.author_id = p_me OR is_mod
                       END, false) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('forbidden', NULL, p_forbidden);
    END IF;
END $$;

-- ---- retrying a post (PROTOCOL.md "Retrying a post") ---------------------------
-- khnet_forum_thread_create_idem and khnet_forum_reply_idem are the two
-- writers above behind an Idempotency-Key: the key is claimed
-- (khnet_idem_claim, 20_accounts), the post written and the key's result
-- stored in the caller's one transaction, so a crash leaves both or
-- neither.  The result holds ids only ({thread_id, post_id}); a replay
-- answers the post as it is now, so no text outlives a delete or an
-- erasure in the key table.  A refusal releases the claim: nothing was
-- written, and a retry once the cause is gone must be able to post.
-- idem: NULL (no key), 'new', 'replay' or 'mismatch' (nothing else set).

-- Claims p_key; for a replay fills status/body from the stored ids as p_me
-- sees them now.  p_with_thread: answer {thread, post} (a thread start).
CREATE OR REPLACE FUNCTION khnet_forum_idem_open(p_scope text, p_key text, p_fp bytea,
                                                 p_me bigint, p_role text,
                                                 p_with_thread boolean,
                                                 OUT idem text, OUT status text,
                                                 OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    v_prev jsonb;
    v_mod boolean;
    p khnet_forum_posts;
    t khnet_forum_threads;
BEGIN
    IF p_key IS NULL THEN RETURN; END IF;
    SELECT c.state, c.result INTO idem, v_prev FROM khnet_idem_claim(p_scope, p_key, p_fp) c;
    IF idem <> 'replay' THEN RETURN; END IF;
    SELECT * INTO p FROM khnet_forum_posts WHERE id = (v_prev->>'post_id')::bigint;
    SELECT * INTO t FROM khnet_forum_threads WHERE id = p.thread_id;
    v_mod := khnet_forum_is_mod(p_me, p_role, t.category_id);
    -- gone, or a thread deleted since that only moderators see now
    IF p.id IS NULL OR NOT khnet_forum_thread_visible(t, p_me, v_mod) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such post');
        RETURN;
    END IF;
    status := 'created';
    body := khnet_forum_post_json(p, p_me);
    IF p_with_thread THEN
        body := jsonb_build_object('thread', khnet_forum_thread_json(t, p_me, v_mod),
                                   'post', body);
    END IF;
END $$;

-- After the write: keeps the new post's ids under the key, or releases the
-- claim when the write was refused.  No key: nothing.
CREATE OR REPLACE FUNCTION khnet_forum_idem_close(p_scope text, p_key text, p_status text,
                                                  p_post jsonb)
    RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_key IS NULL THEN RETURN; END IF;
    IF p_status = 'created' THEN
        PERFORM khnet_idem_store(p_scope, p_key, 201, jsonb_build_object(
            'thread_id', (p_post->>'thread_id')::bigint, 'post_id', (p_post->>'id')::bigint));
    ELSE
        DELETE FROM khnet_idempotency WHERE scope = p_scope AND key = p_key;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION khnet_forum_thread_create_idem(
        p_idem_scope text, p_idem_key text, p_idem_fp bytea,
        p_me bigint, p_role text, p_cat bigint, p_title text, p_tags jsonb, p_body text,
        p_html text, p_mentions text[], p_links int,
        OUT idem text, OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
BEGIN
    SELECT * INTO idem, status, field, body
      FROM khnet_forum_idem_open(p_idem_scope, p_idem_key, p_idem_fp, p_me, p_role, true);
    IF idem IN ('replay', 'mismatch') THEN RETURN; END IF;
    SELECT * INTO status, field, body
      FROM khnet_forum_thread_create(p_me, p_role, p_cat, p_title, p_tags, p_body, p_html,
                                     p_mentions, p_links);
    PERFORM khnet_forum_idem_close(p_idem_scope, p_idem_key, status, body->'post');
END $$;

CREATE OR REPLACE FUNCTION khnet_forum_reply_idem(
        p_idem_scope text, p_idem_key text, p_idem_fp bytea,
        p_me bigint, p_role text, p_thread bigint, p_body text, p_html text,
        p_reply_to bigint, p_quote_of bigint, p_mentions text[], p_links int,
        OUT idem text, OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
BEGIN
    SELECT * INTO idem, status, field, body
      FROM khnet_forum_idem_open(p_idem_scope, p_idem_key, p_idem_fp, p_me, p_role, false);
    IF idem IN ('replay', 'mismatch') THEN RETURN; END IF;
    SELECT * INTO status, field, body
      FROM khnet_forum_reply(p_me, p_role, p_thread, p_body, p_html, p_reply_to, p_quote_of,
                             p_mentions, p_links);
    PERFORM khnet_forum_idem_close(p_idem_scope, p_idem_key, status, body);
END $$;

CREATE OR REPLACE FUNCTION khnet_forum_post_edit(p_me bigint, p_role text, p_post bigint,
                                                 p_body text, p_html text, p_mentions text[],
                                                 p_links int,
                                                 OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    a record;
    p khnet_forum_posts;
    t khnet_forum_threads;
    c khnet_forum_categories;
BEGIN
    a := khnet_forum_post_for_act(p_post, p_me, p_role, 'author', 'only the author edits a post');
    status := a.status; field := a.field; body := a.body;
    IF status IS NOT NULL THEN RETURN; END IF;
    t := a.t; p := a.p;
    SELECT * INTO c FROM khnet_forum_categories WHERE id = t.category_id;
    SELECT * INTO status, field, body FROM khnet_forum_write_check(p_me, p_role, c, false);
    IF status IS NOT NULL THEN RETURN; END IF;
    IF p.deleted_at IS NOT NULL THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('conflict', NULL, 'the post was deleted');
        RETURN;
    END IF;
    IF t.locked AND NOT a.is_mod THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('conflict', NULL, 'the thread is locked');
        RETURN;
    END IF;
    UPDATE khnet_forum_posts SET body = p_body, html = p_html, edited_at = now(),
           revisions = revisions + 1
     WHERE id = p_post RETURNING * INTO p;
    INSERT INTO khnet_forum_revisions (post_id, rev, body, html, editor_id)
    VALUES (p.id, p.revisions, p_body, p_html, p_me);
    PERFORM khnet_forum_mentions_set(p.id, p_mentions);
    status := 'ok'; body := khnet_forum_post_json(p, p_me);
END $$;

-- Delete by the author, or by a moderator of the category (logged, and
-- the author told).  The tombstone keeps the thread's shape.
CREATE OR REPLACE FUNCTION khnet_forum_post_delete(p_me bigint, p_role text, p_post bigint,
                                                   p_reason text,
                                                   OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    a record;
    p khnet_forum_posts;
    v_before jsonb;
BEGIN
    a := khnet_forum_post_for_act(p_post, p_me, p_role, 'author or moderator',
                                  'only the author or a moderator deletes a post');
    status := a.status; field := a.field; body := a.body;
    IF status IS NOT NULL THEN RETURN; END IF;
    p := a.p;
    IF p.deleted_at IS NULL THEN
        v_before := khnet_forum_post_json(p, p_me);
        UPDATE khnet_forum_posts SET body = NULL, html = NULL, deleted_at = now(), deleted_by = p_me
         WHERE id = p_post RETURNING * INTO p;
        DELETE FROM khnet_forum_mentions WHERE post_id = p_post;
        UPDATE khnet_forum_threads SET posts = posts - CASE WHEN p.hidden_at IS NULL THEN 1 ELSE 0 END
         WHERE id = (a.t).id;
        IF p.author_id <> p_me THEN
            PERFORM khnet_forum_log(p_me, 'post.delete', 'post', p.id, (a.t).category_id, v_before,
                                    khnet_forum_post_json(p, p_me), p_reason);
            PERFORM khnet_forum_tell(p.author_id, 'post.delete', (a.t).id, p.id, p_reason);
        END IF;
    END IF;
    status := 'ok'; body := khnet_forum_post_json(p, p_me);
END $$;

-- Deletes a whole thread (PROTOCOL.md "DELETE /v1/forum/threads/{id}"):
-- each post a tombstone as khnet_forum_post_delete makes one, the thread
-- marked deleted.  Moderators of the category may; its author may while no
-- one else's post in it stands (hidden ones stand).  Logged, and the
-- authors told, when it took moderator rights.  Locks the thread, then its
-- posts: the order every writer locks in (khnet_forum_post_for_write).
CREATE OR REPLACE FUNCTION khnet_forum_thread_delete(p_me bigint, p_role text, p_thread bigint,
                                                     p_reason text,
                                                     OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    w record;
    t khnet_forum_threads;
    v_mod boolean;
    v_others boolean;
    v_before jsonb;
    v_authors bigint[];
    k bigint;
BEGIN
    w := khnet_forum_thread_for_write(p_thread, p_me, p_role);
    t := w.t; v_mod := w.is_mod;
    IF t.id IS NULL THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such thread');
        RETURN;
    END IF;
    IF t.deleted_at IS NULL THEN
        PERFORM 1 FROM khnet_forum_posts WHERE thread_id = p_thread ORDER BY seq FOR UPDATE;
        v_others := EXISTS (SELECT 1 FROM khnet_forum_posts WHERE thread_id = p_thread
                               AND author_id <> p_me AND deleted_at IS NULL);
        IF NOT v_mod AND t.author_id <> p_me THEN
            SELECT * INTO status, field, body FROM khnet_forum_err('forbidden', NULL,
                'only its author or a moderator of the category deletes a thread');
            RETURN;
        END IF;
        IF NOT v_mod AND v_others THEN
            SELECT * INTO status, field, body FROM khnet_forum_err('conflict', NULL,
                'others have posts in the thread: a moderator deletes it');
            RETURN;
        END IF;
        v_before := khnet_forum_thread_json(t, p_me, true);
        WITH gone AS (
            UPDATE khnet_forum_posts SET body = NULL, html = NULL, deleted_at = now(),
                   deleted_by = p_me
             WHERE thread_id = p_thread AND deleted_at IS NULL RETURNING author_id)
        SELECT coalesce(array_agg(DISTINCT a), '{}') INTO v_authors
          FROM (SELECT author_id FROM gone UNION SELECT t.author_id) x(a) WHERE a <> p_me;
        DELETE FROM khnet_forum_mentions m USING khnet_forum_posts p
         WHERE m.post_id = p.id AND p.thread_id = p_thread;
        UPDATE khnet_forum_threads SET deleted_at = now(), deleted_by = p_me, posts = 0
         WHERE id = p_thread RETURNING * INTO t;
        IF t.author_id <> p_me OR v_others THEN
            PERFORM khnet_forum_log(p_me, 'thread.delete', 'thread', t.id, t.category_id, v_before,
                                    khnet_forum_thread_json(t, p_me, true), p_reason);
            FOREACH k IN ARRAY v_authors LOOP
                PERFORM khnet_forum_tell(k, 'thread.delete', t.id, NULL, p_reason);
            END LOOP;
        END IF;
    END IF;
    status := 'ok'; body := khnet_forum_thread_json(t, p_me, true);
END $$;

CREATE OR REPLACE FUNCTION khnet_forum_revisions(p_me bigint, p_role text, p_post bigint,
                                                 OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    p khnet_forum_posts;
    t khnet_forum_threads;
    v_mod boolean;
BEGIN
    SELECT * INTO p FROM khnet_forum_posts WHERE id = p_post;
    SELECT * INTO t FROM khnet_forum_threads WHERE id = p.thread_id;
    v_mod := khnet_forum_is_mod(p_me, p_role, t.category_id);
    IF p.id IS NULL OR NOT khnet_forum_post_visible(p, p_me, v_mod)
       OR NOT khnet_forum_thread_visible(t, p_me, v_mod) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such post');
        RETURN;
    END IF;
    IF p.author_id <> p_me AND NOT v_mod THEN
        SELECT * INTO status, field, body
          FROM khnet_forum_err('forbidden', NULL, 'the author and moderators see the history');
        RETURN;
    END IF;
    status := 'ok';
    body := jsonb_build_object('items', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'rev', r.rev, 'markdown', r.body, 'html', r.html, 'editor_id', r.editor_id,
                'created_at', khnet_time_text(r.created_at)) ORDER BY r.rev), '[]')
              FROM khnet_forum_revisions r WHERE r.post_id = p_post));
END $$;

-- ---- reading state, watches, reactions, handles -------------------------------------------

CREATE OR REPLACE FUNCTION khnet_forum_thread_read(p_me bigint, p_role text, p_thread bigint,
                                                   p_seq int,
                                                   OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    t khnet_forum_threads;
    v_mod boolean;
    v_read int;
BEGIN
    SELECT * INTO t FROM khnet_forum_threads WHERE id = p_thread;
    v_mod := khnet_forum_is_mod(p_me, p_role, t.category_id);
    IF t.id IS NULL OR NOT khnet_forum_thread_visible(t, p_me, v_mod) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such thread');
        RETURN;
    END IF;
    INSERT INTO khnet_forum_reads AS r (account_id, thread_id, read_seq)
    VALUES (p_me, p_thread, least(p_seq, t.last_seq))
    ON CONFLICT (account_id, thread_id) DO UPDATE SET read_seq = greatest(r.read_seq, EXCLUDED.read_seq)
    RETURNING r.read_seq INTO v_read;
    status := 'ok';
    body := jsonb_build_object('thread_id', p_thread, 'read_seq', v_read,
                               'unread', khnet_forum_unread_in(p_thread, v_read, p_me, v_mod));
END $$;

CREATE OR REPLACE FUNCTION khnet_forum_watch(p_me bigint, p_role text, p_thread bigint,
                                             p_on boolean,
                                             OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE t khnet_forum_threads;
BEGIN
    SELECT * INTO t FROM khnet_forum_threads WHERE id = p_thread;
    IF NOT FOUND OR NOT khnet_forum_thread_visible(t, p_me,
                                                   khnet_forum_is_mod(p_me, p_role, t.category_id)) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such thread');
        RETURN;
    END IF;
    IF p_on THEN
        INSERT INTO khnet_forum_watches (account_id, thread_id) VALUES (p_me, p_thread)
            ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM khnet_forum_watches WHERE account_id = p_me AND thread_id = p_thread;
    END IF;
    status := 'ok'; body := '{}';
END $$;

CREATE OR REPLACE FUNCTION khnet_forum_helpful(p_me bigint, p_role text, p_post bigint,
                                               p_on boolean,
                                               OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    w record;
    p khnet_forum_posts;
    v_n int;
BEGIN
    w := khnet_forum_post_for_write(p_post, p_me, p_role);
    p := w.p;
    IF p.id IS NULL OR p.deleted_at IS NOT NULL THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such post');
        RETURN;
    END IF;
    IF p.author_id = p_me THEN
        SELECT * INTO status, field, body
          FROM khnet_forum_err('forbidden', NULL, 'nobody marks their own post helpful');
        RETURN;
    END IF;
    IF p_on THEN
        INSERT INTO khnet_forum_reactions (post_id, account_id) VALUES (p_post, p_me)
            ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM khnet_forum_reactions WHERE post_id = p_post AND account_id = p_me;
    END IF;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    UPDATE khnet_forum_posts SET helpful = helpful + CASE WHEN p_on THEN v_n ELSE -v_n END
     WHERE id = p_post RETURNING helpful INTO v_n;
    status := 'ok';
    body := jsonb_build_object('post_id', p_post, 'helpful', v_n, 'reacted', p_on);
END $$;

CREATE OR REPLACE FUNCTION khnet_forum_handle_set(p_me bigint, p_handle text,
                                                  OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM khnet_handles WHERE handle = p_handle AND account_id <> p_me) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('conflict', 'handle', 'the handle is taken');
        RETURN;
    END IF;
    BEGIN
        INSERT INTO khnet_handles (account_id, handle) VALUES (p_me, p_handle)
            ON CONFLICT (account_id) DO UPDATE SET handle = EXCLUDED.handle, created_at = now();
    EXCEPTION WHEN unique_violation THEN  -- taken by a concurrent writer
        SELECT * INTO status, field, body FROM khnet_forum_err('conflict', 'handle', 'the handle is taken');
        RETURN;
    END;
    status := 'ok'; body := jsonb_build_object('account_id', p_me, 'handle', p_handle);
END $$;

-- ---- search ------------------------------------------------------------------------------

-- Posts matching q in their text, or opening posts of threads matching q in
-- title or tags; best first (PROTOCOL.md "POST /v1/forum/search"): the
-- post's text ranked with length normalisation (weight D, 0.1), plus for an
-- opening post its thread's title (A, 1.0) and tags (B, 0.4); equal ranks
-- newest post first.  The keyset is (rank, post id), the rank a real
-- computed the same way on every call, so a cursor continues the order
-- exactly.  Only what the caller may see is considered at all, so hidden
-- or deleted text is never matched, ranked or shown.
DROP FUNCTION IF EXISTS khnet_forum_search(bigint, text, text, bigint, bigint, text, timestamptz,
                                           timestamptz, bigint, int);
CREATE OR REPLACE FUNCTION khnet_forum_search(p_me bigint, p_role text, p_q text, p_cat bigint,
                                              p_author bigint, p_tag text, p_since timestamptz,
                                              p_until timestamptz, p_after_rank real,
                                              p_after_id bigint, p_limit int,
                                              OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_q tsquery := khnet_search_tsquery(p_q);
    v_tag text := lower(p_tag);
    v_items jsonb;
    v_last text;
    v_n int;
BEGIN
    IF v_q IS NULL THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('invalid_value', 'q', 'nothing to search for');
        RETURN;
    END IF;
    WITH hits AS (
        SELECT p.id FROM khnet_forum_posts p WHERE p.fts @@ v_q
        UNION
        SELECT p.id FROM khnet_forum_threads t JOIN khnet_forum_posts p
            ON p.thread_id = t.id AND p.seq = 1
         WHERE t.fts @@ v_q),
    ranked AS (
        SELECT p, t, (ts_rank(p.fts, v_q, 1)
                      + CASE WHEN p.seq = 1 THEN ts_rank(t.fts, v_q) ELSE 0 END)::real AS rank
          FROM hits h JOIN khnet_forum_posts p ON p.id = h.id
          JOIN khnet_forum_threads t ON t.id = p.thread_id
          CROSS JOIN LATERAL (SELECT khnet_forum_is_mod(p_me, p_role, t.category_id) AS yes) m
         WHERE p.deleted_at IS NULL
           AND khnet_forum_post_visible(p, p_me, m.yes) AND khnet_forum_thread_visible(t, p_me, m.yes)
           AND (p_cat IS NULL OR t.category_id = p_cat)
           AND (p_author IS NULL OR p.author_id = p_author)
           AND (v_tag IS NULL OR v_tag = ANY (t.tags))
           AND (p_since IS NULL OR p.created_at >= p_since)
           AND (p_until IS NULL OR p.created_at < p_until)),
    page AS (
        SELECT * FROM ranked r
         WHERE p_after_id IS NULL OR (r.rank, (r.p).id) < (p_after_rank, p_after_id)
         ORDER BY r.rank DESC, (r.p).id DESC LIMIT p_limit + 1),
    shown AS (SELECT * FROM page ORDER BY rank DESC, (p).id DESC LIMIT p_limit)
    SELECT coalesce((SELECT jsonb_agg(jsonb_build_object(
               'thread', khnet_forum_thread_json(s.t, p_me,
                                                 khnet_forum_is_mod(p_me, p_role, (s.t).category_id)),
               'post', khnet_forum_post_doc(s.p, x.name, x.handle, x.reacted),
               'snippet', ts_headline('khnet_fold', (s.p).body, v_q,
                                      'MaxFragments=2, MaxWords=20, MinWords=5'),
               'rank', round(s.rank::numeric, 4)) ORDER BY s.rank DESC, (s.p).id DESC)
                       FROM shown s
                      CROSS JOIN LATERAL khnet_forum_post_extras((s.p).author_id, (s.p).id, p_me) x),
                    '[]'),
           (SELECT s.rank::text || '|' || (s.p).id FROM shown s ORDER BY s.rank, (s.p).id LIMIT 1),
           (SELECT count(*) FROM page)
      INTO v_items, v_last, v_n;
    status := 'ok';
    body := jsonb_build_object('items', v_items,
                               'next_key', CASE WHEN v_n > p_limit THEN v_last END);
END $$;

-- ---- reports and the moderators' queue ------------------------------------------------------

CREATE OR REPLACE FUNCTION khnet_forum_report(p_me bigint, p_role text, p_post bigint,
                                              p_reason text,
                                              OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    w record;
    p khnet_forum_posts;
    t khnet_forum_threads;
    r khnet_reports;
    v_item bigint;
BEGIN
    w := khnet_forum_post_for_write(p_post, p_me, p_role);
    t := w.t; p := w.p;
    -- reporting is a member's act: hidden content is not reportable, even
    -- by a moderator who can see it (the author can: it is theirs)
    IF p.id IS NULL OR p.deleted_at IS NOT NULL OR NOT khnet_forum_post_visible(p, p_me, false)
       OR NOT khnet_forum_thread_visible(t, p_me, false) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such post');
        RETURN;
    END IF;
    SELECT * INTO r FROM khnet_reports
     WHERE target_kind = 'forum_post' AND target_id = p_post AND reporter_id = p_me;
    IF FOUND THEN
        status := 'ok'; body := khnet_report_json(r, false) || jsonb_build_object('item_id', r.item_id);
        RETURN;
    END IF;
    -- one open item per post: the partial unique index settles a race
    INSERT INTO khnet_report_items (target_kind, target_id, category_id)
    VALUES ('forum_post', p_post, t.category_id)
    ON CONFLICT (target_kind, target_id) WHERE status = 'open' DO NOTHING RETURNING id INTO v_item;
    IF v_item IS NULL THEN
        SELECT id INTO v_item FROM khnet_report_items
         WHERE target_kind = 'forum_post' AND target_id = p_post AND status = 'open';
    END IF;
    INSERT INTO khnet_reports (target_kind, target_id, reporter_id, reason, item_id)
    VALUES ('forum_post', p_post, p_me, p_reason, v_item)
    ON CONFLICT (target_kind, target_id, reporter_id) DO NOTHING RETURNING * INTO r;
    IF r.id IS NULL THEN
        SELECT * INTO r FROM khnet_reports
         WHERE target_kind = 'forum_post' AND target_id = p_post AND reporter_id = p_me;
        status := 'ok';
    ELSE
        status := 'created';
    END IF;
    body := khnet_report_json(r, false) || jsonb_build_object('item_id', r.item_id);
END $$;

CREATE OR REPLACE FUNCTION khnet_mod_item_json(i khnet_report_items, p_me bigint) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', i.id, 'target_kind', i.target_kind, 'target_id', i.target_id,
        'category_id', i.category_id, 'status', i.status, 'assignee_id', i.assignee_id,
        'resolution', i.resolution, 'resolved_by', i.resolved_by,
        'created_at', khnet_time_text(i.created_at), 'resolved_at', khnet_time_text(i.resolved_at),
        'reports', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'reporter_id', r.reporter_id, 'reason', r.reason,
                        'created_at', khnet_time_text(r.created_at)) ORDER BY r.id), '[]')
                      FROM khnet_reports r WHERE r.item_id = i.id),
        'post', (SELECT khnet_forum_post_json(p, p_me) || jsonb_build_object('markdown',
                            coalesce(p.body, (SELECT v.body FROM khnet_forum_revisions v
                                               WHERE v.post_id = p.id ORDER BY v.rev DESC LIMIT 1)))
                   FROM khnet_forum_posts p WHERE p.id = i.target_id),
        'thread', (SELECT khnet_forum_thread_json(t, p_me, true) FROM khnet_forum_threads t
                    WHERE t.id = (SELECT thread_id FROM khnet_forum_posts WHERE id = i.target_id)),
        'context', (SELECT coalesce(jsonb_agg(khnet_forum_post_json(x, p_me) ORDER BY x.seq), '[]')
                      FROM khnet_forum_posts x, khnet_forum_posts p
                     WHERE p.id = i.target_id AND x.thread_id = p.thread_id
                       AND x.seq BETWEEN p.seq - 2 AND p.seq + 2 AND x.seq <> p.seq))
$$;

-- p_assignee: 'me', 'none', an account id as text, or NULL (any).
CREATE OR REPLACE FUNCTION khnet_mod_queue(p_me bigint, p_role text, p_status text, p_cat bigint,
                                           p_assignee text, p_after bigint, p_limit int,
                                           OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_items jsonb;
    v_last bigint;
    v_n int;
BEGIN
    IF NOT khnet_forum_is_any_mod(p_me, p_role) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('forbidden', NULL, 'moderators only');
        RETURN;
    END IF;
    WITH page AS (
        SELECT i FROM khnet_report_items i
         WHERE i.status = p_status AND (p_after IS NULL OR i.id > p_after)
           AND (p_cat IS NULL OR i.category_id = p_cat)
           AND khnet_forum_is_mod(p_me, p_role, i.category_id)
           AND (p_assignee IS NULL
                OR (p_assignee = 'me' AND i.assignee_id = p_me)
                OR (p_assignee = 'none' AND i.assignee_id IS NULL)
                OR (p_assignee ~ '^[0-9]{1,18}$' AND i.assignee_id = p_assignee::bigint))
         ORDER BY i.id LIMIT p_limit + 1),
    shown AS (SELECT * FROM page ORDER BY (i).id LIMIT p_limit)
    SELECT coalesce((SELECT jsonb_agg(khnet_mod_item_json(s.i, p_me) ORDER BY (s.i).id)
                       FROM shown s), '[]'),
           (SELECT max((s.i).id) FROM shown s), (SELECT count(*) FROM page)
      INTO v_items, v_last, v_n;
    status := 'ok';
    body := jsonb_build_object('items', v_items,
                               'next_key', CASE WHEN v_n > p_limit THEN v_last END);
END $$;

-- p_assignee NULL: unassign.
CREATE OR REPLACE FUNCTION khnet_mod_queue_assign(p_me bigint, p_role text, p_item bigint,
                                                  p_assignee bigint,
                                                  OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    i khnet_report_items;
    v_role text;
BEGIN
    IF NOT khnet_forum_is_any_mod(p_me, p_role) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('forbidden', NULL, 'moderators only');
        RETURN;
    END IF;
    SELECT * INTO i FROM khnet_report_items WHERE id = p_item FOR UPDATE;
    IF NOT FOUND THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such queue item');
        RETURN;
    END IF;
    IF NOT khnet_forum_is_mod(p_me, p_role, i.category_id) THEN
        SELECT * INTO status, field, body
          FROM khnet_forum_err('forbidden', NULL, 'not a moderator of this category');
        RETURN;
    END IF;
    IF i.status = 'resolved' THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('conflict', NULL, 'the item is resolved');
        RETURN;
    END IF;
    IF p_assignee IS NOT NULL THEN
        SELECT role INTO v_role FROM khnet_accounts WHERE id = p_assignee AND erased_at IS NULL;
        IF NOT FOUND OR NOT khnet_forum_is_mod(p_assignee, v_role, i.category_id) THEN
            SELECT * INTO status, field, body
              FROM khnet_forum_err('invalid_value', 'assignee_id', 'not a moderator of this category');
            RETURN;
        END IF;
    END IF;
    UPDATE khnet_report_items SET assignee_id = p_assignee WHERE id = p_item;
    PERFORM khnet_forum_log(p_me, 'queue.assign', 'queue_item', p_item, i.category_id,
                            jsonb_build_object('assignee_id', i.assignee_id),
                            jsonb_build_object('assignee_id', p_assignee), NULL);
    SELECT * INTO i FROM khnet_report_items WHERE id = p_item;
    status := 'ok'; body := khnet_mod_item_json(i, p_me);
END $$;

-- An event for the author of content a moderator acted on.
CREATE OR REPLACE FUNCTION khnet_forum_tell(p_author bigint, p_action text, p_thread bigint,
                                            p_post bigint, p_reason text)
    RETURNS void LANGUAGE sql AS $$
    SELECT khnet_emit(ARRAY[p_author], 'forum.moderation', jsonb_build_object(
        'action', p_action, 'thread_id', p_thread, 'post_id', p_post, 'reason', p_reason))
     WHERE khnet_account_live(p_author)
$$;

-- Hide (p_hide) or unhide a post; unhiding a held post releases it (its
-- watchers and mentions are told then).  Caller checked moderation rights.
CREATE OR REPLACE FUNCTION khnet_mod_post_set_hidden(p_me bigint, p_role text, p_post bigint,
                                                     p_hide boolean, p_reason text,
                                                     OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    a record;
    p khnet_forum_posts;
    t khnet_forum_threads;
    v_before jsonb;
BEGIN
    a := khnet_forum_post_for_act(p_post, p_me, p_role, 'moderator',
                                  'not a moderator of this category');
    status := a.status; field := a.field; body := a.body;
    IF status IS NOT NULL THEN RETURN; END IF;
    t := a.t; p := a.p;
    IF p.deleted_at IS NOT NULL THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('conflict', NULL, 'the post was deleted');
        RETURN;
    END IF;
    IF p_hide = (p.hidden_at IS NOT NULL) AND NOT (p_hide AND p.held) THEN
        status := 'ok'; body := khnet_forum_post_json(p, p_me); RETURN;  -- nothing changes
    END IF;
    v_before := khnet_forum_post_json(p, p_me);
    UPDATE khnet_forum_posts SET
        hidden_at = CASE WHEN p_hide THEN now() END,
        hidden_reason = CASE WHEN p_hide THEN p_reason END,
        hidden_by = CASE WHEN p_hide THEN p_me END,
        held = false
     WHERE id = p_post RETURNING * INTO p;
    UPDATE khnet_forum_threads SET
        posts = posts + CASE WHEN p_hide AND (v_before->'hidden') = 'null' THEN -1
                             WHEN NOT p_hide THEN 1 ELSE 0 END,
        hidden = CASE WHEN p.seq = 1 THEN p_hide ELSE hidden END,
        activity = CASE WHEN NOT p_hide AND NOT p.notified THEN nextval('khnet_forum_activity_seq')
                        ELSE activity END
     WHERE id = t.id;
    PERFORM khnet_forum_log(p_me, CASE WHEN p_hide THEN 'post.hide' ELSE 'post.unhide' END, 'post',
                            p.id, t.category_id, v_before, khnet_forum_post_json(p, p_me), p_reason);
    PERFORM khnet_forum_tell(p.author_id, CASE WHEN p_hide THEN 'post.hide' ELSE 'post.unhide' END,
                             t.id, p.id, p_reason);
    PERFORM khnet_forum_notify(p);
    SELECT * INTO p FROM khnet_forum_posts WHERE id = p_post;
    status := 'ok'; body := khnet_forum_post_json(p, p_me);
END $$;

-- Lock / pin / move.  NULL arguments leave that part alone.
CREATE OR REPLACE FUNCTION khnet_mod_thread(p_me bigint, p_role text, p_thread bigint,
                                            p_locked boolean, p_pinned boolean, p_cat bigint,
                                            p_reason text,
                                            OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    t khnet_forum_threads;
    n khnet_forum_threads;
BEGIN
    SELECT * INTO t FROM khnet_forum_threads WHERE id = p_thread FOR UPDATE;
    IF NOT FOUND THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('not_found', NULL, 'no such thread');
        RETURN;
    END IF;
    IF NOT khnet_forum_is_mod(p_me, p_role, t.category_id) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err(
            CASE WHEN khnet_forum_thread_visible(t, p_me, false) THEN 'forbidden' ELSE 'not_found' END,
            NULL, 'not a moderator of this category');
        RETURN;
    END IF;
    IF t.deleted_at IS NOT NULL THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('conflict', NULL, 'the thread was deleted');
        RETURN;
    END IF;
    IF p_cat IS NOT NULL AND p_cat <> t.category_id THEN
        IF NOT EXISTS (SELECT 1 FROM khnet_forum_categories WHERE id = p_cat) THEN
            SELECT * INTO status, field, body
              FROM khnet_forum_err('invalid_value', 'category_id', 'no such category');
            RETURN;
        END IF;
        IF NOT khnet_forum_is_mod(p_me, p_role, p_cat) THEN
            SELECT * INTO status, field, body
              FROM khnet_forum_err('forbidden', 'category_id', 'not a moderator of the target category');
            RETURN;
        END IF;
    END IF;
    UPDATE khnet_forum_threads SET locked = coalesce(p_locked, locked),
           pinned = coalesce(p_pinned, pinned), category_id = coalesce(p_cat, category_id)
     WHERE id = p_thread RETURNING * INTO n;
    IF n.locked <> t.locked THEN
        PERFORM khnet_forum_log(p_me, CASE WHEN n.locked THEN 'thread.lock' ELSE 'thread.unlock' END,
                                'thread', t.id, t.category_id, jsonb_build_object('locked', t.locked),
                                jsonb_build_object('locked', n.locked), p_reason);
        PERFORM khnet_forum_tell(t.author_id, CASE WHEN n.locked THEN 'thread.lock' ELSE 'thread.unlock' END,
                                 t.id, NULL, p_reason);
    END IF;
    IF n.pinned <> t.pinned THEN
        PERFORM khnet_forum_log(p_me, CASE WHEN n.pinned THEN 'thread.pin' ELSE 'thread.unpin' END,
                                'thread', t.id, t.category_id, jsonb_build_object('pinned', t.pinned),
                                jsonb_build_object('pinned', n.pinned), p_reason);
        PERFORM khnet_forum_tell(t.author_id, CASE WHEN n.pinned THEN 'thread.pin' ELSE 'thread.unpin' END,
                                 t.id, NULL, p_reason);
    END IF;
    IF n.category_id <> t.category_id THEN
        PERFORM khnet_forum_log(p_me, 'thread.move', 'thread', t.id, n.category_id,
                                jsonb_build_object('category_id', t.category_id),
                                jsonb_build_object('category_id', n.category_id), p_reason);
        UPDATE khnet_report_items ri SET category_id = n.category_id
         WHERE ri.status = 'open'
           AND ri.target_id IN (SELECT id FROM khnet_forum_posts WHERE thread_id = t.id);
        PERFORM khnet_forum_tell(t.author_id, 'thread.move', t.id, NULL, p_reason);
    END IF;
    status := 'ok'; body := khnet_forum_thread_json(n, p_me, true);
END $$;

-- Resolves every item of p_items or none: each must exist, be open, and lie
-- in a category the caller moderates; 'silence' needs a global moderator.
CREATE OR REPLACE FUNCTION khnet_mod_queue_resolve(p_me bigint, p_role text, p_items bigint[],
                                                   p_action text, p_reason text, p_minutes int,
                                                   OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    i khnet_report_items;
    k int;
    v_post khnet_forum_posts;
    r record;
    v_out jsonb := '[]';
BEGIN
    IF NOT khnet_forum_is_any_mod(p_me, p_role) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('forbidden', NULL, 'moderators only');
        RETURN;
    END IF;
    IF p_action = 'silence' AND p_role NOT IN ('moderator', 'admin') THEN
        SELECT * INTO status, field, body
          FROM khnet_forum_err('forbidden', 'action', 'silencing is for global moderators');
        RETURN;
    END IF;
    FOR k IN 1 .. cardinality(p_items) LOOP
        SELECT * INTO i FROM khnet_report_items WHERE id = p_items[k] FOR UPDATE;
        IF NOT FOUND THEN
            SELECT * INTO status, field, body
              FROM khnet_forum_err('not_found', 'items.' || (k - 1), 'no such queue item');
            RETURN;
        END IF;
        IF NOT khnet_forum_is_mod(p_me, p_role, i.category_id) THEN
            SELECT * INTO status, field, body
              FROM khnet_forum_err('forbidden', 'items.' || (k - 1), 'not a moderator of this category');
            RETURN;
        END IF;
        IF i.status = 'resolved' THEN
            SELECT * INTO status, field, body
              FROM khnet_forum_err('conflict', 'items.' || (k - 1), 'the item is resolved');
            RETURN;
        END IF;
    END LOOP;
    FOR k IN 1 .. cardinality(p_items) LOOP
        UPDATE khnet_report_items SET status = 'resolved', resolution = p_action,
               resolved_by = p_me, resolved_at = now()
         WHERE id = p_items[k] AND status = 'open' RETURNING * INTO i;
        CONTINUE WHEN NOT FOUND;  -- the same id twice in the list
        UPDATE khnet_reports SET status = 'resolved', resolution = p_action || ': ' || p_reason,
               resolved_by = p_me, resolved_at = now()
         WHERE item_id = i.id AND status = 'open';
        SELECT * INTO v_post FROM khnet_forum_posts WHERE id = i.target_id;
        IF p_action IN ('hide', 'silence') AND v_post.deleted_at IS NULL THEN
            SELECT * INTO r FROM khnet_mod_post_set_hidden(p_me, p_role, i.target_id, true, p_reason);
        END IF;
        IF p_action = 'silence' THEN
            SELECT * INTO r FROM khnet_silence(p_me, p_role, v_post.author_id, p_minutes, p_reason);
            IF r.status <> 'ok' THEN
                RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = r.status,
                    DETAIL = coalesce(r.body->>'message', '');
            END IF;
            PERFORM khnet_forum_log(p_me, 'member.silence', 'account', v_post.author_id,
                                    i.category_id, NULL, r.body, p_reason);
        END IF;
        PERFORM khnet_forum_log(p_me, 'queue.resolve', 'queue_item', i.id, i.category_id,
                                jsonb_build_object('status', 'open'),
                                jsonb_build_object('status', 'resolved', 'resolution', p_action),
                                p_reason);
        v_out := v_out || jsonb_build_array(khnet_mod_item_json(i, p_me));
    END LOOP;
    status := 'ok'; body := jsonb_build_object('items', v_out);
EXCEPTION WHEN raise_exception THEN
    -- khnet_silence refused (e.g. the author is a moderator): undo it all
    status := CASE WHEN SQLERRM IN ('forbidden', 'not_found', 'invalid_value') THEN SQLERRM
                   ELSE 'conflict' END;
    field := 'items'; body := jsonb_build_object('message', 'cannot silence the author');
END $$;

CREATE OR REPLACE FUNCTION khnet_mod_log_list(p_me bigint, p_role text, p_actor bigint,
                                              p_action text, p_cat bigint, p_kind text,
                                              p_target bigint, p_after bigint, p_limit int,
                                              OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_global boolean := p_role IN ('moderator', 'admin');
    v_items jsonb;
    v_last bigint;
    v_n int;
BEGIN
    IF NOT khnet_forum_is_any_mod(p_me, p_role) THEN
        SELECT * INTO status, field, body FROM khnet_forum_err('forbidden', NULL, 'moderators only');
        RETURN;
    END IF;
    WITH page AS (
        SELECT l FROM khnet_mod_log l
         WHERE (p_after IS NULL OR l.id < p_after)
           AND (v_global OR l.category_id IN (SELECT m.category_id FROM khnet_forum_category_mods m
                                                 WHERE m.account_id = p_me))
           AND (p_actor IS NULL OR l.actor_id = p_actor)
           AND (p_action IS NULL OR l.action = p_action)
           AND (p_cat IS NULL OR l.category_id = p_cat)
           AND (p_kind IS NULL OR l.target_kind = p_kind)
           AND (p_target IS NULL OR l.target_id = p_target)
         ORDER BY l.id DESC LIMIT p_limit + 1),
    shown AS (SELECT * FROM page ORDER BY (l).id DESC LIMIT p_limit)
    SELECT coalesce((SELECT jsonb_agg(jsonb_build_object(
               'id', (s.l).id, 'at', khnet_time_text((s.l).at), 'actor_id', (s.l).actor_id,
               'action', (s.l).action, 'target_kind', (s.l).target_kind,
               'target_id', (s.l).target_id, 'category_id', (s.l).category_id,
               'before', (s.l).before, 'after', (s.l).after, 'reason', (s.l).reason)
               ORDER BY (s.l).id DESC) FROM shown s), '[]'),
           (SELECT min((s.l).id) FROM shown s), (SELECT count(*) FROM page)
      INTO v_items, v_last, v_n;
    status := 'ok';
    body := jsonb_build_object('items', v_items,
                               'next_key', CASE WHEN v_n > p_limit THEN v_last END);
END $$;

-- ---- data rights ------------------------------------------------------------------------

-- The forum part of GET /v1/account/export.
CREATE OR REPLACE FUNCTION khnet_forum_export(p_account bigint) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'handle', (SELECT handle FROM khnet_handles WHERE account_id = p_account),
        'threads', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'id', t.id, 'category_id', t.category_id, 'title', t.title, 'tags', to_jsonb(t.tags),
                'created_at', khnet_time_text(t.created_at)) ORDER BY t.id), '[]')
              FROM khnet_forum_threads t WHERE t.author_id = p_account),
        'posts', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'id', p.id, 'thread_id', p.thread_id, 'seq', p.seq, 'markdown', p.body,
                'created_at', khnet_time_text(p.created_at), 'edited_at', khnet_time_text(p.edited_at),
                'deleted_at', khnet_time_text(p.deleted_at),
                'hidden_reason', p.hidden_reason,
                'revisions', (SELECT jsonb_agg(jsonb_build_object('rev', v.rev, 'markdown', v.body,
                                  'created_at', khnet_time_text(v.created_at)) ORDER BY v.rev)
                                FROM khnet_forum_revisions v WHERE v.post_id = p.id))
                ORDER BY p.id), '[]')
              FROM khnet_forum_posts p WHERE p.author_id = p_account),
        'reactions', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'post_id', r.post_id, 'kind', r.kind, 'created_at', khnet_time_text(r.created_at))
                ORDER BY r.post_id), '[]')
              FROM khnet_forum_reactions r WHERE r.account_id = p_account),
        'watches', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'thread_id', w.thread_id, 'created_at', khnet_time_text(w.created_at))
                ORDER BY w.thread_id), '[]')
              FROM khnet_forum_watches w WHERE w.account_id = p_account))
$$;

-- Erasure (0008's khnet_account_erase sets erased_at): the posts stay and
-- show "former member" (khnet_author_name); what only described the person
-- goes.  Reactions go too, and the counts they made with them.
CREATE OR REPLACE FUNCTION khnet_forum_on_erase() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM khnet_handles WHERE account_id = NEW.id;
    DELETE FROM khnet_forum_watches WHERE account_id = NEW.id;
    DELETE FROM khnet_forum_reads WHERE account_id = NEW.id;
    DELETE FROM khnet_forum_mentions WHERE account_id = NEW.id;
    DELETE FROM khnet_forum_category_mods WHERE account_id = NEW.id;
    WITH gone AS (DELETE FROM khnet_forum_reactions WHERE account_id = NEW.id RETURNING post_id)
    UPDATE khnet_forum_posts p SET helpful = p.helpful - g.n
      FROM (SELECT post_id, count(*) AS n FROM gone GROUP BY post_id) g WHERE p.id = g.post_id;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS khnet_forum_on_erase ON khnet_accounts;
CREATE TRIGGER khnet_forum_on_erase AFTER UPDATE OF erased_at ON khnet_accounts
    FOR EACH ROW WHEN (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL)
    EXECUTE FUNCTION khnet_forum_on_erase();
