/* forum_inert.h — the test oracle for rendered forum HTML, shared by
 * tests/unit/test_forum_render.c and tests/fuzz/fuzz_markdown.c: written
 * apart from server/forum/ so that the renderer is not checked by itself. */
#ifndef KHNET_TESTS_FORUM_INERT_H
#define KHNET_TESTS_FORUM_INERT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* A URL in an attribute cmark wrote, as a browser reads its scheme
 * (entities are not decoded here: cmark writes none but &amp; in URLs). */
static inline bool forum_url_inert(const char *v, size_t n)
{
    char low[64];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof low - 1; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c <= 0x20 && k == 0) continue;
        if (c == '\t' || c == '\n' || c == '\r') continue;
        low[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    low[k] = '\0';
    return strncmp(low, "javascript:", 11) != 0 && strncmp(low, "vbscript:", 9) != 0 &&
           strncmp(low, "data:", 5) != 0 && strncmp(low, "file:", 5) != 0;
}

/* NULL when html is something no browser would run: every tag one cmark
 * writes for CommonMark (so no raw HTML, no event handler), no comment,
 * every attribute quoted and every href/src value with a harmless scheme;
 * else what is wrong. */
static inline const char *forum_inert(const char *html)
{
    if (strstr(html, "<!--")) return "a comment";
    static const char *const ok[] = {"p>",
                                     "/p>",
                                     "em>",
                                     "/em>",
                                     "strong>",
                                     "/strong>",
                                     "a href=\"",
                                     "/a>",
                                     "img src=\"",
                                     "code>",
                                     "/code>",
                                     "pre>",
                                     "/pre>",
                                     "blockquote>",
                                     "/blockquote>",
                                     "ul>",
                                     "/ul>",
                                     "ol>",
                                     "ol start=\"",
                                     "/ol>",
                                     "li>",
                                     "/li>",
                                     "h1>",
                                     "/h1>",
                                     "h2>",
                                     "/h2>",
                                     "h3>",
                                     "/h3>",
                                     "h4>",
                                     "/h4>",
                                     "h5>",
                                     "/h5>",
                                     "h6>",
                                     "/h6>",
                                     "hr />",
                                     "br />",
                                     "code class=\"language-"};
    for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
        bool known = false;
        for (size_t i = 0; i < sizeof ok / sizeof ok[0] && !known; i++)
            known = strncmp(p + 1, ok[i], strlen(ok[i])) == 0;
        if (!known) return "an unexpected tag";
        const char *end = strchr(p, '>');
        if (!end) return "an unclosed tag";
        /* Inside a tag: only the attributes cmark writes, each quoted. */
        for (const char *q = p; q < end; q++) {
            if (*q != '=') continue;
            if (q[1] != '"') return "an unquoted attribute";
            const char *close = strchr(q + 2, '"');
            if (!close || close > end) return "an attribute running past its tag";
            bool url = (q - p >= 4 && strncmp(q - 4, "href", 4) == 0) ||
                       (q - p >= 3 && strncmp(q - 3, "src", 3) == 0);
            if (url && !forum_url_inert(q + 2, (size_t)(close - q - 2))) return "a dangerous URL";
            q = close;
        }
    }
    return NULL;
}

#endif
