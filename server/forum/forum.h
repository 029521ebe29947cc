/* forum.h — the pure parts of the forums (PROTOCOL.md "Forums"): rendering
 * a post's CommonMark to safe HTML, finding its @mentions and links, and
 * checking tags and handles.  No I/O; the endpoints are in server/api/forum/
 * and the rules that depend on data (who may post, the trust rule) are SQL.
 *
 * Safe HTML: cmark (0.30) renders in its safe mode, and before that every
 * raw HTML node is removed from the tree, and every link or image whose URL
 * has a scheme other than http, https or mailto is unwrapped (its text
 * stays, the URL goes).  That is an allow-list: cmark's own check is a
 * deny-list (javascript:, vbscript:, file:, some data:). */
#ifndef KHNET_FORUM_H
#define KHNET_FORUM_H

#include <stdbool.h>
#include <stddef.h>

#include "khproto.h"

enum {
    FORUM_BODY_MAX = 32768,  /* bytes of CommonMark in one post */
    FORUM_TITLE_MAX = 200,   /* characters of a thread title */
    FORUM_TAGS_MAX = 5,      /* tags on a thread */
    FORUM_TAG_MAX = 40,      /* characters of one tag */
    FORUM_MENTIONS_MAX = 20, /* distinct @mentions acted on per post */
    FORUM_HANDLE_MIN = 3,    /* a handle is [a-z][a-z0-9_]{2,29} */
    FORUM_HANDLE_MAX = 30,
    FORUM_MENTION_MAX = 30 /* longest mention token (a handle, or an id in digits) */
};

/* A rendered post.  html lives in the arena given to forum_render. */
typedef struct forum_doc {
    char *html;                                               /* NUL-terminated safe HTML */
    size_t html_len;                                          /* its length in bytes */
    char mentions[FORUM_MENTIONS_MAX][FORUM_MENTION_MAX + 1]; /* handles (lower-cased) or ids */
    int nmentions;                                            /* distinct, in order of appearance */
    int nlinks;                                               /* links and images kept */
} forum_doc;

/* Renders md (len bytes of UTF-8; the caller has checked len <=
 * FORUM_BODY_MAX) into *out, HTML in arena a.  0, or -1 when the arena
 * is out of memory. */
int forum_render(kp_arena *a, const char *md, size_t len, forum_doc *out);

/* Is url allowed as a link or image target?  Relative URLs and the
 * schemes http, https and mailto are; the scheme is read the way browsers
 * read it (leading controls and spaces skipped, tabs and newlines inside
 * ignored, any case). */
bool forum_url_allowed(const char *url);

/* Is s (n bytes) a valid handle: [a-z][a-z0-9_]{2,29}? */
bool forum_handle_valid(const char *s, size_t n);

/* The mentions as a PostgreSQL text[] literal ("{a,b,42}") in arena a;
 * NULL when out of memory.  Tokens need no quoting (letters, digits, _). */
char *forum_mentions_literal(kp_arena *a, const forum_doc *d);

/* Checks and trims one tag (valid UTF-8): s and n are narrowed to the tag
 * without surrounding spaces.  0 when it is 1..FORUM_TAG_MAX characters
 * with no control character and no comma; -1 otherwise.  Lower-casing
 * (Unicode rules) and removing duplicates are SQL's, as for expertise
 * keywords (khnet_keywords). */
int forum_tag_check(const char **s, size_t *n);

#endif
