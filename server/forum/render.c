/* render.c — CommonMark to safe HTML with cmark (see forum.h for the
 * rules).  The tree is cleaned before rendering: raw HTML nodes removed,
 * links and images with a disallowed URL unwrapped; while walking it the
 * @mentions (text nodes only, never code) and kept links are collected. */
#include <cmark.h>
#include <stdlib.h>
#include <string.h>

#include "forum.h"

/* Nodes to change once the walk is over (the iterator must not see a
 * tree changing under it). */
typedef struct doomed {
    cmark_node **v; /* malloc */
    size_t n, cap;
} doomed;

static int doom(doomed *d, cmark_node *node)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        cmark_node **v = realloc(d->v, cap * sizeof(cmark_node *));
        if (!v) return -1;
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = node;
    return 0;
}

/* Replaces a link or image by its children (the text stays). */
static void unwrap(cmark_node *node)
{
    cmark_node *child;
    while ((child = cmark_node_first_child(node)) != NULL)
        cmark_node_insert_before(node, child);
    cmark_node_free(node);
}

static bool word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static char lower_ascii(char c)
{
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    return c;
}

static void add_mention(forum_doc *out, const char *tok, size_t n)
{
    if (out->nmentions == FORUM_MENTIONS_MAX) return;
    char t[FORUM_MENTION_MAX + 1];
    for (size_t i = 0; i < n; i++)
        t[i] = lower_ascii(tok[i]);
    t[n] = '\0';
    for (int i = 0; i < out->nmentions; i++)
        if (strcmp(out->mentions[i], t) == 0) return;
    memcpy(out->mentions[out->nmentions++], t, n + 1);
}

/* A handle in any case: [A-Za-z][A-Za-z0-9_]{2,29}. */
static bool handle_any_case(const char *tok, size_t n)
{
    char low[FORUM_HANDLE_MAX];
    if (n < FORUM_HANDLE_MIN || n > FORUM_HANDLE_MAX) return false;
    for (size_t k = 0; k < n; k++)
        low[k] = lower_ascii(tok[k]);
    return forum_handle_valid(low, n);
}

/* "@handle" or "@123" not preceded by a word character, '.' or '@' (so an
 * e-mail address is not a mention).  The token is every word character
 * after the '@'; a token that is neither a handle nor an id (1 to 18
 * digits, no leading zero) is no mention at all. */
static void scan_mentions(const char *s, forum_doc *out)
{
    for (size_t i = 0; s[i]; i++) {
        if (s[i] != '@') continue;
        if (i > 0 && (word_char((unsigned char)s[i - 1]) || s[i - 1] == '.' || s[i - 1] == '@'))
            continue;
        const char *tok = s + i + 1;
        size_t n = 0;
        while (word_char((unsigned char)tok[n]))
            n++;
        bool digits = n > 0 && strspn(tok, "0123456789") == n;
        if (digits ? (n <= 18 && tok[0] != '0') : handle_any_case(tok, n)) add_mention(out, tok, n);
        i += n;
    }
}

/* One walk: removes raw HTML, marks bad links, collects mentions. */
static int clean(cmark_node *root, forum_doc *out, doomed *html, doomed *bad)
{
    cmark_iter *it = cmark_iter_new(root);
    cmark_event_type ev;
    int rc = 0;
    while (rc == 0 && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        if (ev != CMARK_EVENT_ENTER) continue;
        cmark_node *node = cmark_iter_get_node(it);
        switch (cmark_node_get_type(node)) {
        case CMARK_NODE_HTML_BLOCK:
        case CMARK_NODE_HTML_INLINE:
            rc = doom(html, node);
            break;
        case CMARK_NODE_LINK:
        case CMARK_NODE_IMAGE:
            if (forum_url_allowed(cmark_node_get_url(node)))
                out->nlinks++;
            else
                rc = doom(bad, node);
            break;
        case CMARK_NODE_TEXT:
            scan_mentions(cmark_node_get_literal(node), out);
            break;
        default:
            break;
        }
    }
    cmark_iter_free(it);
    return rc;
}

int forum_render(kp_arena *a, const char *md, size_t len, forum_doc *out)
{
    memset(out, 0, sizeof *out);
    cmark_node *root = cmark_parse_document(md, len, CMARK_OPT_VALIDATE_UTF8);
    if (!root) return -1;
    /* Adjacent text nodes (cmark splits at delimiters like "_") become one,
     * so "@nguyen_van" is seen whole. */
    cmark_consolidate_text_nodes(root);
    doomed html = {0}, bad = {0};
    int rc = clean(root, out, &html, &bad);
    for (size_t i = 0; i < html.n; i++)
        cmark_node_free(html.v[i]);
    /* Innermost first: a bad link inside a bad image's text is unwrapped
     * before the image moves it. */
    for (size_t i = bad.n; i-- > 0;)
        unwrap(bad.v[i]);
    free(html.v);
    free(bad.v);
    char *h = rc == 0 ? cmark_render_html(root, CMARK_OPT_DEFAULT) : NULL;
    cmark_node_free(root);
    if (!h) return -1;
    out->html_len = strlen(h);
    out->html = kp_arena_strndup(a, h, out->html_len);
    free(h);
    return out->html ? 0 : -1;
}
