/* fuzz_markdown.c — libFuzzer target for forum_render (server/forum/).
 *
 * Any bytes up to the post limit must render without crashing or leaking,
 * to valid UTF-8 HTML that tests/forum_inert.h finds inert (only cmark's
 * own tags, quoted attributes, no dangerous URL, no comment), with every
 * mention a handle or an id and the mention list a well-formed literal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../forum_inert.h"
#include "forum/forum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_mentions(kp_arena *a, const forum_doc *d)
{
    if (d->nmentions < 0 || d->nmentions > FORUM_MENTIONS_MAX) abort();
    for (int i = 0; i < d->nmentions; i++) {
        const char *m = d->mentions[i];
        size_t n = strlen(m);
        bool id = n > 0 && n <= 18 && strspn(m, "0123456789") == n && m[0] != '0';
        if (!id && !forum_handle_valid(m, n)) abort();
        for (int j = 0; j < i; j++)
            if (strcmp(m, d->mentions[j]) == 0) abort();
    }
    const char *lit = forum_mentions_literal(a, d);
    if (!lit || lit[0] != '{' || lit[strlen(lit) - 1] != '}') abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FORUM_BODY_MAX) return 0;
    kp_arena *a = kp_arena_new(4096);
    if (!a) return 0;
    forum_doc d;
    if (forum_render(a, (const char *)data, size, &d) != 0) abort();
    if (strlen(d.html) != d.html_len) abort();
    if (!kp_utf8_valid(d.html, d.html_len)) abort();
    if (forum_inert(d.html)) abort();
    if (d.nlinks < 0) abort();
    check_mentions(a, &d);
    kp_arena_free(a);
    return 0;
}
