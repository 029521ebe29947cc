/* forum.h — the forum domain, inside: categories (categories.c), threads
 * and their posts (threads.c), one post's life (posts.c), reading state,
 * watches, reactions and handles (marks.c), forum search (search.c), and
 * the input every writer shares (text.c).  Its one export is
 * api_domain_forum (domain.c).  The moderators' side is in the moderation
 * domain (moderation/forum.c).  SQL: migrations/0011_forum.sql and
 * migrations/repeatable/75_forum.sql; rendering: server/forum/. */
#ifndef KHNET_API_FORUM_H
#define KHNET_API_FORUM_H

#include "api/kit/kit.h"

enum forum_stmt {
    FORUM_CATEGORIES,
    FORUM_CATEGORY_CREATE,
    FORUM_CATEGORY_UPDATE,
    FORUM_CATEGORY_MOD_SET,
    FORUM_CATEGORY_READ,
    FORUM_THREADS_LIST,
    FORUM_THREAD_CREATE,
    FORUM_THREAD_GET,
    FORUM_THREAD_DELETE,
    FORUM_POSTS_BY_TOKEN,
    FORUM_REPLY,
    FORUM_POST_EDIT,
    FORUM_POST_DELETE,
    FORUM_REVISIONS,
    FORUM_THREAD_READ,
    FORUM_WATCH,
    FORUM_HELPFUL,
    FORUM_HANDLE_SET,
    FORUM_SEARCH,
    FORUM_REPORT,
    FORUM_NSTMTS
};
extern const db_stmt forum_stmts[FORUM_NSTMTS];
#define FORUM_STMT(id) (&forum_stmts[FORUM_##id])

enum { FORUM_REASON_MAX = 1000 };

/* A post's text as the SQL writers take it (text.c). */
typedef struct forum_text {
    const char *markdown; /* as written */
    const char *html;     /* rendered safe HTML */
    const char *mentions; /* text[] literal of handles / ids */
    api_dec links;        /* links and images kept */
} forum_text;
/* Reads the required field "markdown" of b (1..32768 bytes) and renders
 * it; 0, or -1 after replying. */
int forum_text_read(http_req *r, const kp_value *b, forum_text *out);
/* Optional field `key` of b: NULL when absent; else a positive id as text,
 * or NULL after replying 400 (*bad set). */
const char *forum_opt_id(http_req *r, const kp_value *b, const char *key, bool *bad);
/* v as JSON text in the arena (a SQL jsonb parameter); NULL after
 * replying 500. */
const char *forum_json(http_req *r, const kp_value *v);
/* DELETE of the post or thread {id} with the optional query parameter
 * `reason` (1..FORUM_REASON_MAX characters): `stmt` takes (me, role, id,
 * reason); its row is the reply. */
void forum_delete(http_req *r, const api_principal *who, const db_stmt *stmt);
/* The query callback of every forum write: api_reply_row, except that
 * rate_limited also sets Retry-After (body.retry_after seconds). */
void forum_reply_row(http_req *r, const PGresult *res);

void api_forum_categories(http_req *r); /* categories.c */
void api_forum_category_create(http_req *r);
void api_forum_category_update(http_req *r);
void api_forum_category_mod_add(http_req *r);
void api_forum_category_mod_remove(http_req *r);
void api_forum_category_read(http_req *r);
void api_forum_threads_list(http_req *r); /* threads.c */
void api_forum_thread_create(http_req *r);
void api_forum_thread_get(http_req *r);
void api_forum_thread_delete(http_req *r);
void api_forum_posts_list(http_req *r);
void api_forum_reply(http_req *r);
void api_forum_post_edit(http_req *r); /* posts.c */
void api_forum_post_delete(http_req *r);
void api_forum_revisions(http_req *r);
void api_forum_report(http_req *r);
void api_forum_thread_read(http_req *r); /* marks.c */
void api_forum_watch(http_req *r);
void api_forum_unwatch(http_req *r);
void api_forum_helpful(http_req *r);
void api_forum_unhelpful(http_req *r);
void api_forum_handle_set(http_req *r);
void api_forum_search(http_req *r); /* search.c */

#endif
