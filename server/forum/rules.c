/* rules.c — the small checks of forum input: URL schemes allowed in
 * posts, handles, tags, and the mention list handed to SQL. */
#include <string.h>
#include <strings.h>

#include "forum.h"

bool forum_url_allowed(const char *url)
{
    if (!url) return false;
    /* Browsers skip leading C0 controls and spaces and drop tabs and
     * newlines anywhere before reading the scheme. */
    while (*url && (unsigned char)*url <= 0x20)
        url++;
    char scheme[8];
    size_t n = 0;
    for (const char *p = url; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\t' || c == '\n' || c == '\r') continue;
        if (c == ':') {
            if (n >= sizeof scheme) return false;
            scheme[n] = '\0';
            return n == 4   ? strcasecmp(scheme, "http") == 0
                   : n == 5 ? strcasecmp(scheme, "https") == 0
                   : n == 6 ? strcasecmp(scheme, "mailto") == 0
                            : false;
        }
        /* A '/', '?' or '#' before any ':' makes a relative URL. */
        if (c == '/' || c == '?' || c == '#') return true;
        /* Only letters, digits, '+', '-', '.' make a scheme; anything else
         * before the ':' is a path character, but an unknown one is
         * refused rather than guessed about. */
        bool sch = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '+' || c == '-' || c == '.';
        if (!sch) return strchr(p, ':') == NULL;
        if (n < sizeof scheme - 1) scheme[n] = (char)c;
        n++;
    }
    return true; /* no ':' at all: relative */
}

bool forum_handle_valid(const char *s, size_t n)
{
    if (n < FORUM_HANDLE_MIN || n > FORUM_HANDLE_MAX) return false;
    if (s[0] < 'a' || s[0] > 'z') return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

char *forum_mentions_literal(kp_arena *a, const forum_doc *d)
{
    char *s = kp_arena_alloc(a, (size_t)d->nmentions * (FORUM_MENTION_MAX + 1) + 3);
    if (!s) return NULL;
    size_t n = 0;
    s[n++] = '{';
    for (int i = 0; i < d->nmentions; i++) {
        if (i) s[n++] = ',';
        size_t k = strlen(d->mentions[i]);
        memcpy(s + n, d->mentions[i], k);
        n += k;
    }
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

/* Length of the UTF-8 sequence starting at p (input is valid UTF-8). */
static size_t seq_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

int forum_tag_check(const char **s, size_t *n)
{
    const char *p = *s;
    size_t len = *n;
    while (len && (*p == ' ' || *p == '\t'))
        p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    size_t chars = 0;
    for (size_t i = 0; i < len; i += seq_len((unsigned char)p[i])) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f || c == ',') return -1;
        /* C1 controls: U+0080..U+009F are 0xc2 0x80..0x9f. */
        if (c == 0xc2 && i + 1 < len && (unsigned char)p[i + 1] < 0xa0) return -1;
        chars++;
    }
    if (chars == 0 || chars > FORUM_TAG_MAX) return -1;
    *s = p;
    *n = len;
    return 0;
}
