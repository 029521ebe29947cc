-- 0011_forum.sql — forums: categories and their moderators, threads,
-- posts with revisions, read marks, watches, reactions, mentions, handles,
-- the moderation log, report queue items and the trust rule's figures
-- (PROTOCOL.md "Forums", "Moderation").  Tables, indexes and seed data only;
-- the functions the API calls are in repeatable/75_forum.sql.
--
-- Ordering: a post's seq is its thread's last_seq + 1, taken while holding
-- the thread row FOR UPDATE in the function that inserts the post, so posts
-- of one thread are numbered without gaps in commit order (as messages).
-- Listing order is `activity`, a sequence value taken at each new post.

-- A member's public @handle (PROTOCOL.md "Handles and mentions").
CREATE TABLE khnet_handles (
    account_id bigint      PRIMARY KEY REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    handle     text        NOT NULL UNIQUE CHECK (handle ~ '^[a-z][a-z0-9_]{2,29}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE khnet_forum_categories (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9_]{1,39}$'),
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    description text        CHECK (char_length(description) <= 1000),
    sector_id   smallint    REFERENCES khnet_sectors (id),   -- the priority sector, if any
    position    int         NOT NULL CHECK (position BETWEEN 0 AND 10000), -- listing order
    read_only   boolean     NOT NULL DEFAULT false,          -- members cannot write
    archived_at timestamptz,                                 -- readable, closed to writing
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Moderators of one category, besides the global ones.
CREATE TABLE khnet_forum_category_mods (
    category_id bigint      NOT NULL REFERENCES khnet_forum_categories (id) ON DELETE CASCADE,
    account_id  bigint      NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    added_by    bigint      REFERENCES khnet_accounts (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (category_id, account_id)
);
CREATE INDEX khnet_forum_category_mods_account ON khnet_forum_category_mods (account_id);

-- A thread's tags as one text for its search document.  array_to_string
-- is only STABLE (element output functions could be); for text[] it
-- depends on its argument alone, which is what a generated column needs.
CREATE FUNCTION khnet_forum_tags_text(text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN array_to_string($1, ' ');

CREATE SEQUENCE khnet_forum_activity_seq;  -- orders threads by last activity

CREATE TABLE khnet_forum_threads (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category_id bigint      NOT NULL REFERENCES khnet_forum_categories (id),
    author_id   bigint      NOT NULL REFERENCES khnet_accounts (id),
    title       text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    tags        text[]      NOT NULL DEFAULT '{}'
                CHECK (cardinality(tags) <= 5 AND tags = lower(tags::text)::text[]),
    pinned      boolean     NOT NULL DEFAULT false,
    locked      boolean     NOT NULL DEFAULT false,
    hidden      boolean     NOT NULL DEFAULT false,  -- mirrors its first post's hidden state
    last_seq    int         NOT NULL DEFAULT 0,      -- newest post's seq
    posts       int         NOT NULL DEFAULT 0,      -- posts everyone sees
    activity    bigint      NOT NULL DEFAULT nextval('khnet_forum_activity_seq'),
    activity_at timestamptz NOT NULL DEFAULT now(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- title and tags folded as expert search folds (khnet_fold, 0004)
    fts         tsvector    GENERATED ALWAYS AS (
                    setweight(to_tsvector('simple'::regconfig, khnet_fold(title)), 'A') ||
                    setweight(to_tsvector('simple'::regconfig,
                                          khnet_fold(khnet_forum_tags_text(tags))), 'B'))
                STORED
);
-- The category listing: pinned first, then newest activity, as one keyset
-- key (a pinned thread's key is above every unpinned one's).  The same
-- expression is khnet_forum_sort_key in repeatable/75_forum.sql.
CREATE INDEX khnet_forum_threads_listing ON khnet_forum_threads
    (category_id, ((CASE WHEN pinned THEN 4611686018427387904 ELSE 0 END) + activity));
CREATE INDEX khnet_forum_threads_author ON khnet_forum_threads (author_id);
CREATE INDEX khnet_forum_threads_fts ON khnet_forum_threads USING gin (fts);
CREATE INDEX khnet_forum_threads_tags ON khnet_forum_threads USING gin (tags);

CREATE TABLE khnet_forum_posts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    thread_id     bigint      NOT NULL REFERENCES khnet_forum_threads (id) ON DELETE CASCADE,
    seq           int         NOT NULL,                  -- 1, 2, 3... per thread; 1 opens it
    author_id     bigint      NOT NULL REFERENCES khnet_accounts (id),
    reply_to      bigint      REFERENCES khnet_forum_posts (id),
    quote_of      bigint      REFERENCES khnet_forum_posts (id),
    body          text        CHECK (octet_length(body) BETWEEN 1 AND 32768), -- NULL once deleted
    html          text,                                  -- rendered body; NULL once deleted
    revisions     int         NOT NULL DEFAULT 1,        -- versions written
    helpful       int         NOT NULL DEFAULT 0,        -- "helpful" reactions
    notified      boolean     NOT NULL DEFAULT false,    -- watchers/mentions told (held: at release)
    hidden_at     timestamptz,                           -- hidden by a moderator or held
    hidden_reason text        CHECK (char_length(hidden_reason) BETWEEN 1 AND 1000),
    hidden_by     bigint      REFERENCES khnet_accounts (id), -- NULL: held by the trust rule
    held          boolean     NOT NULL DEFAULT false,    -- held for review (trust rule)
    created_at    timestamptz NOT NULL DEFAULT now(),
    edited_at     timestamptz,
    deleted_at    timestamptz,
    deleted_by    bigint      REFERENCES khnet_accounts (id),
    fts           tsvector    GENERATED ALWAYS AS (
                      to_tsvector('simple'::regconfig, khnet_fold(coalesce(body, '')))) STORED,
    UNIQUE (thread_id, seq),
    CHECK ((deleted_at IS NULL) = (body IS NOT NULL AND html IS NOT NULL)),
    CHECK ((hidden_at IS NULL) = (hidden_reason IS NULL)),
    CHECK (NOT held OR hidden_at IS NOT NULL)
);
CREATE INDEX khnet_forum_posts_author ON khnet_forum_posts (author_id, created_at);
CREATE INDEX khnet_forum_posts_fts ON khnet_forum_posts USING gin (fts);
CREATE INDEX khnet_forum_posts_created ON khnet_forum_posts (created_at);

-- Every version of a post's text, the first included (rev 1).
CREATE TABLE khnet_forum_revisions (
    post_id    bigint      NOT NULL REFERENCES khnet_forum_posts (id) ON DELETE CASCADE,
    rev        int         NOT NULL,
    body       text        NOT NULL,
    html       text        NOT NULL,
    editor_id  bigint      NOT NULL REFERENCES khnet_accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, rev)
);

-- Read marks: posts up to read_seq of the thread are read.
CREATE TABLE khnet_forum_reads (
    account_id bigint NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    thread_id  bigint NOT NULL REFERENCES khnet_forum_threads (id) ON DELETE CASCADE,
    read_seq   int    NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, thread_id)
);

CREATE TABLE khnet_forum_watches (
    account_id bigint      NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    thread_id  bigint      NOT NULL REFERENCES khnet_forum_threads (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, thread_id)
);
CREATE INDEX khnet_forum_watches_thread ON khnet_forum_watches (thread_id);

CREATE TABLE khnet_forum_reactions (
    post_id    bigint      NOT NULL REFERENCES khnet_forum_posts (id) ON DELETE CASCADE,
    account_id bigint      NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    kind       text        NOT NULL DEFAULT 'helpful' CHECK (kind = 'helpful'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, account_id, kind)
);
CREATE INDEX khnet_forum_reactions_account ON khnet_forum_reactions (account_id);

CREATE TABLE khnet_forum_mentions (
    post_id    bigint NOT NULL REFERENCES khnet_forum_posts (id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES khnet_accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, account_id)
);
CREATE INDEX khnet_forum_mentions_account ON khnet_forum_mentions (account_id);

-- Every moderator act: who, what, on what, the state before and after.
CREATE TABLE khnet_mod_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint      REFERENCES khnet_accounts (id),
    action      text        NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    target_kind text        NOT NULL
                CHECK (target_kind IN ('thread', 'post', 'account', 'category', 'queue_item')),
    target_id   bigint      NOT NULL,
    category_id bigint      REFERENCES khnet_forum_categories (id),
    before      jsonb,
    after       jsonb,
    reason      text
);
CREATE INDEX khnet_mod_log_category ON khnet_mod_log (category_id, id);
CREATE INDEX khnet_mod_log_actor ON khnet_mod_log (actor_id, id);
CREATE INDEX khnet_mod_log_target ON khnet_mod_log (target_kind, target_id, id);

-- The queue item that gathers every report of one target (one open item
-- per target at a time; the reports themselves stay in khnet_reports).
CREATE TABLE khnet_report_items (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target_kind text        NOT NULL CHECK (target_kind IN ('forum_post')),
    target_id   bigint      NOT NULL,
    category_id bigint      REFERENCES khnet_forum_categories (id),  -- where the post lives
    status      text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    assignee_id bigint      REFERENCES khnet_accounts (id),
    resolution  text        CHECK (resolution IN ('dismiss', 'hide', 'silence')),
    resolved_by bigint      REFERENCES khnet_accounts (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL AND resolution IS NOT NULL))
);
CREATE UNIQUE INDEX khnet_report_items_open ON khnet_report_items (target_kind, target_id)
    WHERE status = 'open';
CREATE INDEX khnet_report_items_status ON khnet_report_items (status, id);
ALTER TABLE khnet_reports ADD COLUMN item_id bigint REFERENCES khnet_report_items (id);
CREATE INDEX khnet_reports_item ON khnet_reports (item_id);

-- The trust rule's figures (PROTOCOL.md "Trust rule"); one row.
CREATE TABLE khnet_forum_trust (
    one            boolean PRIMARY KEY DEFAULT true CHECK (one),
    new_hours      int     NOT NULL CHECK (new_hours >= 0),       -- an account is new this long
    posts_per_hour int     NOT NULL CHECK (posts_per_hour >= 1),  -- a new member's posting rate
    hold_links     boolean NOT NULL                               -- a new member's links wait
);
INSERT INTO khnet_forum_trust (new_hours, posts_per_hour, hold_links) VALUES (72, 5, true);

-- Seed: one category per priority sector (its Vietnamese name), general
-- discussion, and the science, technology and innovation forum.
INSERT INTO khnet_forum_categories (slug, name, sector_id, position)
SELECT s.slug, s.name_vi, s.id, 10 * s.id FROM khnet_sectors s;
INSERT INTO khnet_forum_categories (slug, name, description, position) VALUES
    ('general', 'Thảo luận chung', 'Diễn đàn trí thức: general discussion', 0),
    ('sti', 'Diễn đàn khoa học, công nghệ và đổi mới sáng tạo',
     'The science, technology and innovation forum', 5);
