-- 30_profiles.sql — profiles: validation, the JSON views by viewer level, directory,
-- create/patch/apply.
--
-- A repeatable file: every function, view and trigger of this domain at its
-- current version.  `khnetd migrate` re-applies it, in one transaction,
-- whenever its bytes change (migrations/README).  Change a function here;
-- 0003_profiles.sql created these first and is applied history (tables, indexes
-- and data stay there and in later numbered files).  Everything is
-- CREATE OR REPLACE; a changed signature or result type needs a
-- DROP ... IF EXISTS in front of the new definition.

-- ISO 7064 MOD 11-2 over the 15 digits of an ORCID iD; the 16th is the
-- check character (0-9 or X).  The C side has the same rule
-- (server/profile/orcid.c) so a bad iD gets a 400 naming the field before
-- any query; this CHECK keeps imports and hand edits honest.
CREATE OR REPLACE FUNCTION khnet_orcid_valid(id text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    digits text := replace(id, '-', '');
    total int := 0;
    r int;
BEGIN
    IF id !~ '^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$' THEN
        RETURN false;
    END IF;
    FOR i IN 1..15 LOOP
        total := (total + (substr(digits, i, 1))::int) * 2;
    END LOOP;
    r := (12 - total % 11) % 11;
    RETURN substr(digits, 16, 1) = CASE WHEN r = 10 THEN 'X' ELSE r::text END;
END
$$;

-- How much a viewer sees of someone else's profile; 3 for the owner is
-- decided by the caller that knows both ids.
CREATE OR REPLACE FUNCTION khnet_viewer_level(role text) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE role WHEN 'admin' THEN 3 WHEN 'liaison' THEN 2
                     WHEN 'member' THEN 1 WHEN 'moderator' THEN 1 ELSE 0 END
$$;

CREATE OR REPLACE FUNCTION khnet_vis_rank(v text) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE v WHEN 'public' THEN 0 WHEN 'members' THEN 1 ELSE 2 END $$;

CREATE OR REPLACE FUNCTION khnet_ts(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- A profile's sector slugs as a card lists them, in slug order: one row.
-- A table function in SQL: in a FROM or a subquery it is inlined into the
-- caller's statement (planned with it, no call of its own).
CREATE OR REPLACE FUNCTION khnet_profile_sector_slugs(pid bigint) RETURNS TABLE (slugs jsonb)
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT coalesce(jsonb_agg(s.slug ORDER BY s.slug), '[]')
      FROM khnet_profile_sectors ps JOIN khnet_sectors s ON s.id = ps.sector_id
     WHERE ps.profile_id = pid
$$;

-- The directory card: the fields of a profile every listing shows (the
-- directory, search hits, mentoring offers), the grouped ones only when a
-- viewer of `level` may see them (absent, not null, otherwise).  The one
-- definition of a card; khnet_profile_json's views are this and their
-- detail fields.  `sectors` is khnet_profile_sector_slugs's, read by the
-- caller: a subquery here would keep the function from being inlined.
-- Inlined into a statement it is an expression over the row's columns,
-- without khnet_profile_json's PL/pgSQL call and its sector query (20,000
-- cards: ~17 us a card through khnet_profile_json, ~11 inlined with the
-- sector subquery; a search page's cards, khnet_search_run).  One object
-- with every field, the hidden groups' keys deleted, costs less than
-- concatenating the groups' objects, each `||` copying both sides (20,000
-- cards: 176 -> 126 ms).
CREATE OR REPLACE FUNCTION khnet_profile_card(p khnet_profiles, level int, sectors jsonb)
    RETURNS jsonb LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT jsonb_build_object(
               'id', p.account_id, 'full_name', p.full_name, 'display_name', p.display_name,
               'headline', p.headline, 'country', p.country,
               'languages', to_jsonb(p.languages), 'expertise', to_jsonb(p.expertise),
               'sectors', sectors,
               'affiliation', p.affiliation, 'position', p.position,
               'willing_to_mentor', p.willing_to_mentor, 'mentor_capacity', p.mentor_capacity,
               'mentor_topics', to_jsonb(p.mentor_topics), 'seeking_mentor', p.seeking_mentor)
         - (CASE WHEN khnet_vis_rank(p.vis_affiliation) <= level THEN '{}'::text[]
                 ELSE '{affiliation,position}' END
            || CASE WHEN khnet_vis_rank(p.vis_mentoring) <= level THEN '{}'::text[]
                    ELSE '{willing_to_mentor,mentor_capacity,mentor_topics,seeking_mentor}' END)
$$;

-- The profile as a JSON object holding exactly the fields a viewer of
-- `level` may see: hidden groups' keys are absent (not null), so a client
-- can tell "hidden" from "empty".  `full` adds what only the detail view
-- carries (bio, degrees, links, timestamps).
-- PL/pgSQL, not SQL: the sector and degree subqueries keep a SQL function
-- from being inlined, and a non-inlined SQL function is parsed and planned
-- again on every call from PL/pgSQL; PL/pgSQL plans once per connection
-- (single reads ~5x faster, directory pages ~1.3-1.5x; tests/bench/profiles).
-- The subqueries run as statements of their own, before the object is built.
CREATE OR REPLACE FUNCTION khnet_profile_json(p khnet_profiles, level int, full_view boolean)
    RETURNS jsonb LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
    sectors jsonb := (SELECT s.slugs FROM khnet_profile_sector_slugs(p.account_id) s);
    degrees jsonb;
BEGIN
    IF full_view AND khnet_vis_rank(p.vis_education) <= level THEN
        degrees := coalesce((SELECT jsonb_agg(jsonb_build_object(
                       'level', d.level, 'field', d.field, 'institution', d.institution,
                       'year', d.year) ORDER BY d.year NULLS LAST, d.id)
                       FROM khnet_degrees d WHERE d.profile_id = p.account_id), '[]');
    END IF;
    -- No subquery below: PL/pgSQL evaluates it as a simple expression,
    -- without starting the executor for it (with the two subqueries in
    -- it, 420 cards took 75 ms, now 29; full views 191 -> 100 ms).
    RETURN khnet_profile_card(p, level, sectors)
        || CASE WHEN NOT full_view THEN '{}'::jsonb ELSE
               jsonb_build_object('updated_at', khnet_ts(p.updated_at))
            || CASE WHEN khnet_vis_rank(p.vis_contact) <= level THEN jsonb_build_object(
                   'city', p.city, 'time_zone', p.time_zone, 'links', p.links) ELSE '{}' END
            || CASE WHEN khnet_vis_rank(p.vis_bio) <= level THEN jsonb_build_object(
                   'bio', p.bio) ELSE '{}' END
            || CASE WHEN khnet_vis_rank(p.vis_career) <= level THEN jsonb_build_object(
                   'years_experience', p.years_experience,
                   'publications_count', p.publications_count,
                   'publications', p.publications, 'orcid', p.orcid) ELSE '{}' END
            || CASE WHEN khnet_vis_rank(p.vis_education) <= level THEN jsonb_build_object(
                   'degrees', degrees) ELSE '{}' END
            || CASE WHEN level >= 3 THEN jsonb_build_object(
                   'version', p.version, 'created_at', khnet_ts(p.created_at),
                   'visibility', jsonb_build_object(
                       'contact', p.vis_contact, 'affiliation', p.vis_affiliation,
                       'education', p.vis_education, 'bio', p.vis_bio,
                       'career', p.vis_career, 'mentoring', p.vis_mentoring))
               ELSE '{}' END
           END;
END
$$;

-- GET /v1/profiles/{id}.  viewer_id NULL = anonymous; viewer_role is the
-- account's role.  No row: no such profile, or its account was erased (the
-- caller answers 404 either way).  A liaison officer's read of a profile
-- with liaison-only groups is audited, hence VOLATILE.
CREATE OR REPLACE FUNCTION khnet_profile_view(profile_id bigint, viewer_id bigint, viewer_role text)
    RETURNS TABLE (profile jsonb) LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    p khnet_profiles;
    level int := CASE WHEN viewer_id IS NULL THEN 0 ELSE khnet_viewer_level(viewer_role) END;
BEGIN
    SELECT pr.* INTO p FROM khnet_profiles pr
      JOIN khnet_accounts a ON a.id = pr.account_id AND a.erased_at IS NULL
     WHERE pr.account_id = profile_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF viewer_id = p.account_id THEN
        level := 3;
    ELSIF level = 2 AND 'liaison' IN (p.vis_contact, p.vis_affiliation, p.vis_education,
                                      p.vis_bio, p.vis_career, p.vis_mentoring) THEN
        INSERT INTO khnet_audit_log (actor_id, action, target_id)
        VALUES (viewer_id, 'liaison_profile_read', p.account_id);
    END IF;
    RETURN QUERY SELECT khnet_profile_json(p, level, true);
END
$$;

-- GET /v1/profiles/{id} in one round trip: authenticates the bearer token's
-- hash by khnet_session_auth (the one session rule, its last_seen_at refresh
-- included; a PL/pgSQL call whose plans stay cached, measured at no cost
-- beside a copy of its query written out here) and reads the profile as
-- that viewer.  p_token_hash NULL = no Authorization sent (anonymous).  One
-- row in the one shape: 'ok' with the profile, 'not_found', or
-- khnet_unauthenticated()'s (the token is unknown, expired or revoked: the
-- profile is not read, so a bad token never becomes an anonymous read).
SELECT khnet_drop_old_shape('khnet_profile_view_by_token(bytea, bigint)');
CREATE OR REPLACE FUNCTION khnet_profile_view_by_token(p_token_hash bytea, p_profile bigint,
                                            OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_account bigint;
    v_role text;
BEGIN
    IF p_token_hash IS NOT NULL THEN
        SELECT s.account_id, s.role INTO v_account, v_role FROM khnet_session_auth(p_token_hash) s;
        IF NOT FOUND THEN
            SELECT * INTO status, field, body FROM khnet_unauthenticated();
            RETURN;
        END IF;
    END IF;
    SELECT v.profile INTO body FROM khnet_profile_view(p_profile, v_account, v_role) v;
    IF body IS NULL THEN
        SELECT f.* INTO status, field, body FROM khnet_fail('not_found', NULL, 'no such profile') f;
    ELSE
        status := 'ok';
    END IF;
END
$$;

-- GET /v1/profiles/me: the owner's view of the caller's own profile.
CREATE OR REPLACE FUNCTION khnet_profile_mine(p_account bigint,
                                   OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    SELECT v.profile INTO body FROM khnet_profile_view(p_account, p_account, 'member') v;
    IF body IS NULL THEN
        SELECT f.* INTO status, field, body
          FROM khnet_fail('not_found', NULL, 'you have no profile yet; POST /v1/profiles') f;
    ELSE
        status := 'ok';
    END IF;
END
$$;

-- GET /v1/profiles: a page of directory cards, newest accounts first, keyset
-- on account_id (after_id NULL = first page), in the one shape: {items,
-- next_key} (the last card's id when more follow; khnetd makes it the
-- opaque cursor).  Each filter is NULL or a value; a filter on a grouped
-- field matches only profiles whose group the viewer may see, so filtering
-- cannot reveal hidden values.
SELECT khnet_drop_old_shape('khnet_profile_directory(bigint, text, text, text, text, text, text, bigint, integer)');
CREATE OR REPLACE FUNCTION khnet_profile_directory(
    viewer_id bigint, viewer_role text, sector text, country_code text, degree_level text,
    lang text, mentoring text, after_id bigint, page_size int,
    OUT status text, OUT field text, OUT body jsonb) LANGUAGE sql STABLE
AS $$
    WITH v AS (SELECT CASE WHEN viewer_id IS NULL THEN 0
                           ELSE least(khnet_viewer_level(viewer_role), 2) END AS level),
    page AS (
    SELECT p.account_id AS id, khnet_profile_json(p, v.level, false) AS card
      FROM khnet_profiles p CROSS JOIN v
      JOIN khnet_accounts a ON a.id = p.account_id AND a.erased_at IS NULL
     WHERE (after_id IS NULL OR p.account_id < after_id)
       AND (country_code IS NULL OR p.country = country_code)
       AND (lang IS NULL OR p.languages @> ARRAY[lang])
       AND (sector IS NULL OR EXISTS (
             SELECT 1 FROM khnet_profile_sectors ps JOIN khnet_sectors s ON s.id = ps.sector_id
              WHERE ps.profile_id = p.account_id AND s.slug = sector))
       AND (degree_level IS NULL OR (khnet_vis_rank(p.vis_education) <= v.level AND EXISTS (
             SELECT 1 FROM khnet_degrees d
              WHERE d.profile_id = p.account_id AND d.level = degree_level)))
       AND (mentoring IS NULL OR (khnet_vis_rank(p.vis_mentoring) <= v.level AND
             CASE mentoring WHEN 'willing' THEN p.willing_to_mentor
                            WHEN 'seeking' THEN p.seeking_mentor ELSE false END))
     ORDER BY p.account_id DESC
     LIMIT page_size + 1), -- one more tells whether a next page exists
    shown AS (SELECT * FROM page ORDER BY id DESC LIMIT page_size)
    SELECT 'ok', NULL, jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(s.card ORDER BY s.id DESC) FROM shown s), '[]'),
        'next_key', CASE WHEN (SELECT count(*) FROM page) > page_size
                         THEN (SELECT min(s.id) FROM shown s) END)
$$;

CREATE OR REPLACE FUNCTION khnet_time_zone_valid(tz text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT EXISTS (SELECT 1 FROM khnet_time_zones WHERE name = tz)
        OR EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = tz AND name !~ '^(posix|right)/')
$$;

-- NULL when the patch passes the database's checks, else the failing field:
-- 'sectors.N' (0-based) for an unknown sector slug, 'time_zone'.
CREATE OR REPLACE FUNCTION khnet_profile_check(p jsonb) RETURNS text
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        (SELECT 'sectors.' || (e.ord - 1)
           FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(p->'sectors') = 'array'
                                               THEN p->'sectors' ELSE '[]' END)
                WITH ORDINALITY e(slug, ord)
          WHERE NOT EXISTS (SELECT 1 FROM khnet_sectors s WHERE s.slug = e.slug)
          ORDER BY e.ord LIMIT 1),
        (SELECT 'time_zone' WHERE jsonb_typeof(p->'time_zone') = 'string'
                              AND NOT khnet_time_zone_valid(p->>'time_zone')))
$$;

-- Keywords: trimmed (done in C), lower-cased with Unicode rules, first
-- occurrence kept.
CREATE OR REPLACE FUNCTION khnet_keywords(a jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(k ORDER BY o), '{}')
      FROM (SELECT lower(e.k) AS k, min(e.o) AS o
              FROM jsonb_array_elements_text(a) WITH ORDINALITY e(k, o) GROUP BY lower(e.k)) d
$$;

CREATE OR REPLACE FUNCTION khnet_text_array(a jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(array_agg(e ORDER BY o), '{}') FROM jsonb_array_elements_text(a)
                                                          WITH ORDINALITY t(e, o) $$;

-- Applies each patch of ps to the profile of the same position in ids:
-- the fields present (absent keys keep their value, JSON null clears);
-- degrees and sectors replaced when given; the version bumped.  The caller
-- has locked the rows and checked the versions.  Set-based (one UPDATE over
-- every (id, patch) pair, one DELETE and one INSERT each for degrees and
-- sectors) so that the search triggers, which are statement-level (0004),
-- run once for an import of 10,000 rows instead of 10,000 times.
-- khnet_profile_apply is the one-row case, so PATCH and import apply
-- fields the same way.
CREATE OR REPLACE FUNCTION khnet_profiles_apply(ids bigint[], ps jsonb[]) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE khnet_profiles t SET
        full_name = CASE WHEN u.p ? 'full_name' THEN u.p->>'full_name' ELSE t.full_name END,
        display_name = CASE WHEN u.p ? 'display_name' THEN u.p->>'display_name' ELSE t.display_name END,
        headline = CASE WHEN u.p ? 'headline' THEN u.p->>'headline' ELSE t.headline END,
        bio = CASE WHEN u.p ? 'bio' THEN u.p->>'bio' ELSE t.bio END,
        country = CASE WHEN u.p ? 'country' THEN u.p->>'country' ELSE t.country END,
        city = CASE WHEN u.p ? 'city' THEN u.p->>'city' ELSE t.city END,
        affiliation = CASE WHEN u.p ? 'affiliation' THEN u.p->>'affiliation' ELSE t.affiliation END,
        position = CASE WHEN u.p ? 'position' THEN u.p->>'position' ELSE t.position END,
        years_experience = CASE WHEN u.p ? 'years_experience'
                                THEN (u.p->>'years_experience')::int ELSE t.years_experience END,
        publications_count = CASE WHEN u.p ? 'publications_count'
                                  THEN (u.p->>'publications_count')::int ELSE t.publications_count END,
        publications = CASE WHEN u.p ? 'publications' THEN u.p->'publications' ELSE t.publications END,
        orcid = CASE WHEN u.p ? 'orcid' THEN u.p->>'orcid' ELSE t.orcid END,
        time_zone = CASE WHEN u.p ? 'time_zone' THEN u.p->>'time_zone' ELSE t.time_zone END,
        links = CASE WHEN u.p ? 'links' THEN u.p->'links' ELSE t.links END,
        languages = CASE WHEN u.p ? 'languages' THEN khnet_text_array(u.p->'languages')
                         ELSE t.languages END,
        expertise = CASE WHEN u.p ? 'expertise' THEN khnet_keywords(u.p->'expertise')
                         ELSE t.expertise END,
        willing_to_mentor = coalesce((u.p->>'willing_to_mentor')::boolean, t.willing_to_mentor),
        mentor_capacity = coalesce((u.p->>'mentor_capacity')::int, t.mentor_capacity),
        mentor_topics = CASE WHEN u.p ? 'mentor_topics' THEN khnet_keywords(u.p->'mentor_topics')
                             ELSE t.mentor_topics END,
        seeking_mentor = coalesce((u.p->>'seeking_mentor')::boolean, t.seeking_mentor),
        vis_contact = coalesce(u.p->'visibility'->>'contact', t.vis_contact),
        vis_affiliation = coalesce(u.p->'visibility'->>'affiliation', t.vis_affiliation),
        vis_education = coalesce(u.p->'visibility'->>'education', t.vis_education),
        vis_bio = coalesce(u.p->'visibility'->>'bio', t.vis_bio),
        vis_career = coalesce(u.p->'visibility'->>'career', t.vis_career),
        vis_mentoring = coalesce(u.p->'visibility'->>'mentoring', t.vis_mentoring),
        version = t.version + 1, updated_at = now()
      FROM unnest(ids, ps) AS u(id, p)
     WHERE t.account_id = u.id;
    DELETE FROM khnet_degrees d USING unnest(ids, ps) AS u(id, p)
     WHERE d.profile_id = u.id AND u.p ? 'degrees';
    INSERT INTO khnet_degrees (profile_id, level, field, institution, year)
    SELECT u.id, e.d->>'level', e.d->>'field', e.d->>'institution', (e.d->>'year')::int
      FROM unnest(ids, ps) WITH ORDINALITY AS u(id, p, o)
     CROSS JOIN LATERAL jsonb_array_elements(u.p->'degrees') WITH ORDINALITY AS e(d, k)
     WHERE u.p ? 'degrees'
     ORDER BY u.o, e.k;
    DELETE FROM khnet_profile_sectors s USING unnest(ids, ps) AS u(id, p)
     WHERE s.profile_id = u.id AND u.p ? 'sectors';
    INSERT INTO khnet_profile_sectors (profile_id, sector_id)
    SELECT DISTINCT u.id, s.id
      FROM unnest(ids, ps) AS u(id, p)
     CROSS JOIN LATERAL jsonb_array_elements_text(u.p->'sectors') AS e(slug)
      JOIN khnet_sectors s ON s.slug = e.slug
     WHERE u.p ? 'sectors';
END
$$;

CREATE OR REPLACE FUNCTION khnet_profile_apply(p_id bigint, p jsonb) RETURNS void
    LANGUAGE sql
AS $$ SELECT khnet_profiles_apply(ARRAY[p_id], ARRAY[p]) $$;

-- PATCH /v1/profiles/{id}: status 'ok' (profile = the owner's view),
-- 'invalid' (field), 'not_found', 'conflict' (stale version).  Permission
-- (owner or admin) is decided by the caller, which knows the principal; an
-- admin's edit of someone else's profile is audited.
SELECT khnet_drop_old_shape('khnet_profile_patch(bigint, bigint, integer, jsonb)');
CREATE OR REPLACE FUNCTION khnet_profile_patch(p_actor bigint, p_target bigint, p_version int, p jsonb,
                                    OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
DECLARE
    cur int;
    cur_row khnet_profiles;
BEGIN
    field := khnet_profile_check(p);
    IF field IS NOT NULL THEN
        SELECT f.* INTO status, field, body FROM khnet_fail('invalid_value', field, 'not an accepted value') f;
        RETURN;
    END IF;
    SELECT pr.version INTO cur FROM khnet_profiles pr
      JOIN khnet_accounts a ON a.id = pr.account_id AND a.erased_at IS NULL
     WHERE pr.account_id = p_target FOR UPDATE OF pr;
    IF NOT FOUND THEN
        SELECT f.* INTO status, field, body FROM khnet_fail('not_found', NULL, 'no such profile') f;
        RETURN;
    END IF;
    IF cur <> p_version THEN
        SELECT f.* INTO status, field, body
          FROM khnet_fail('conflict', 'version', 'the profile changed since that version; reload it') f;
        RETURN;
    END IF;
    PERFORM khnet_profile_apply(p_target, p);
    IF p_actor <> p_target THEN
        INSERT INTO khnet_audit_log (actor_id, action, target_id, detail)
        VALUES (p_actor, 'profile_edit', p_target,
                jsonb_build_object('fields', (SELECT jsonb_agg(k) FROM jsonb_object_keys(p) k)));
    END IF;
    SELECT * INTO cur_row FROM khnet_profiles WHERE account_id = p_target;
    status := 'ok';
    body := khnet_profile_json(cur_row, 3, true);
END
$$;

-- POST /v1/profiles: the caller's own profile.  'created', 'invalid_value'
-- (field), 'conflict' (one exists), 'not_found' (account erased).
SELECT khnet_drop_old_shape('khnet_profile_create(bigint, jsonb)');
CREATE OR REPLACE FUNCTION khnet_profile_create(p_actor bigint, p jsonb,
                                     OUT status text, OUT field text, OUT body jsonb)
    LANGUAGE plpgsql
AS $$
DECLARE
    cur_row khnet_profiles;
BEGIN
    field := khnet_profile_check(p);
    IF field IS NOT NULL THEN
        SELECT f.* INTO status, field, body FROM khnet_fail('invalid_value', field, 'not an accepted value') f;
        RETURN;
    END IF;
    PERFORM 1 FROM khnet_accounts WHERE id = p_actor AND erased_at IS NULL;
    IF NOT FOUND THEN
        SELECT f.* INTO status, field, body FROM khnet_fail('not_found', NULL, 'no such profile') f;
        RETURN;
    END IF;
    INSERT INTO khnet_profiles (account_id, full_name, version)
    VALUES (p_actor, p->>'full_name', 0) ON CONFLICT (account_id) DO NOTHING;
    IF NOT FOUND THEN
        SELECT f.* INTO status, field, body FROM khnet_fail('conflict', NULL, 'you already have a profile; PATCH it') f;
        RETURN;
    END IF;
    PERFORM khnet_profile_apply(p_actor, p);
    SELECT * INTO cur_row FROM khnet_profiles WHERE account_id = p_actor;
    status := 'created';
    body := khnet_profile_json(cur_row, 3, true);
END
$$;
