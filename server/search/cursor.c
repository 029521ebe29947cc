/* cursor.c — the ranked result's keyset cursor: sealed (util/b64url.h)
 * [version 1][sort 1][key 8, big-endian: float64 bits or int64][id 8]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/search.h"
#include "util/b64url.h"

enum { PAYLOAD = 18, CURSOR_VERSION = 1 };
static const uint32_t SALT = 0x73726368u; /* "srch" */

_Static_assert(SEALED_LEN(PAYLOAD) == SEARCH_CURSOR_LEN, "SEARCH_CURSOR_LEN");

int search_sort_parse(const char *s, size_t n, search_sort *out)
{
    static const char *const names[] = {"relevance", "experience", "recent"};
    for (int i = 0; i < 3; i++)
        if (strlen(names[i]) == n && !memcmp(s, names[i], n)) {
            *out = (search_sort)i;
            return 0;
        }
    return -1;
}

const char *search_sort_name(search_sort s)
{
    return s == SEARCH_RELEVANCE ? "relevance" : s == SEARCH_EXPERIENCE ? "experience" : "recent";
}

int search_key_parse(const char *text, search_sort sort, search_key *out)
{
    const char *bar = text ? strchr(text, '|') : NULL;
    if (!bar || bar == text) return -1;
    char *end = NULL;
    search_key k = {.sort = sort};
    if (sort == SEARCH_RELEVANCE) {
        k.score = strtod(text, &end);
        if (!isfinite(k.score)) return -1;
    } else {
        k.k = strtoll(text, &end, 10);
    }
    if (end != bar) return -1;
    k.id = strtoll(bar + 1, &end, 10);
    if (*end || k.id <= 0) return -1;
    *out = k;
    return 0;
}

void search_cursor_encode(const search_key *key, char *out, size_t cap)
{
    uint8_t raw[PAYLOAD + 4] = {CURSOR_VERSION, (uint8_t)key->sort};
    uint64_t kv = 0;
    if (key->sort == SEARCH_RELEVANCE)
        memcpy(&kv, &key->score, sizeof kv);
    else
        kv = (uint64_t)key->k;
    b64url_put64(raw + 2, kv);
    b64url_put64(raw + 10, (uint64_t)key->id);
    char tmp[SEARCH_CURSOR_LEN + 1];
    sealed_encode(raw, PAYLOAD, SALT, tmp);
    size_t n = cap > SEARCH_CURSOR_LEN ? SEARCH_CURSOR_LEN : (cap ? cap - 1 : 0);
    memcpy(out, tmp, n);
    if (cap) out[n] = '\0';
}

int search_cursor_decode(const char *s, size_t n, search_key *out)
{
    uint8_t raw[PAYLOAD + 4];
    if (sealed_decode(s, n, SALT, raw, PAYLOAD) != 0 || raw[0] != CURSOR_VERSION ||
        raw[1] > SEARCH_RECENT)
        return -1;
    search_key k = {.sort = (search_sort)raw[1]};
    uint64_t kv = b64url_get64(raw + 2);
    if (k.sort == SEARCH_RELEVANCE) {
        memcpy(&k.score, &kv, sizeof kv);
        if (!isfinite(k.score)) return -1;
    } else {
        k.k = (int64_t)kv;
    }
    uint64_t id = b64url_get64(raw + 10);
    if (id == 0 || id > (uint64_t)INT64_MAX) return -1;
    k.id = (int64_t)id;
    *out = k;
    return 0;
}

void search_key_text(const search_key *key, char *buf, size_t cap)
{
    /* %.9g round-trips a float4, which is what the score is in SQL. */
    if (key->sort == SEARCH_RELEVANCE)
        snprintf(buf, cap, "%.9g", key->score);
    else
        snprintf(buf, cap, "%lld", (long long)key->k);
}

bool search_chars_valid(const char *s, size_t n, const char *set, size_t min, size_t max)
{
    if (n < min || n > max) return false;
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(set, s[i])) return false;
    return true;
}

static bool digits(const char *s, size_t n, int lo, int hi, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    if (out) *out = v;
    return v >= lo && v <= hi;
}

bool search_rfc3339_valid(const char *s, size_t n)
{
    /* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM) */
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 0, mo = 0, d = 0;
    if (n < 20 || n > 40) return false;
    if (!digits(s, 4, 1, 9999, &y) || s[4] != '-' || !digits(s + 5, 2, 1, 12, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, 1, 31, &d) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2, 0, 23, NULL) || s[13] != ':' || !digits(s + 14, 2, 0, 59, NULL) ||
        s[16] != ':' || !digits(s + 17, 2, 0, 60, NULL))
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap)) return false;
    size_t i = 19;
    if (s[i] == '.') {
        size_t f = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == f || i - f > 9) return false;
    }
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) return i + 1 == n;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        return n - i == 6 && digits(s + i + 1, 2, 0, 23, NULL) && s[i + 3] == ':' &&
               digits(s + i + 4, 2, 0, 59, NULL);
    return false;
}
