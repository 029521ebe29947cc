/* input.c — reading a request: path ids, the paging limit, cursors, the
 * body map and its string fields, each refused with the field named and
 * the same code everywhere. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit.h"
#include "profile/profile.h"

const char *const api_degree_levels[] = {"bachelor", "master", "phd", "md",
                                         "engineer", "other",  NULL};

api_dec api_dec_of(int64_t v)
{
    api_dec d;
    snprintf(d.s, sizeof d.s, "%lld", (long long)v);
    return d;
}

bool api_chars(const char *s, size_t n, const char *chars, size_t min, size_t max)
{
    if (n < min || n > max) return false;
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(chars, s[i])) return false;
    return true;
}

bool api_one_of(const char *s, size_t n, const char *const *set)
{
    for (; *set; set++)
        if (strlen(*set) == n && !memcmp(s, *set, n)) return true;
    return false;
}

const char *api_path_id(http_req *r, const char *name)
{
    const char *s = http_req_param(r, name);
    size_t n = s ? strlen(s) : 0;
    if (n && s[0] != '0' && api_chars(s, n, "0123456789", 1, 18)) return s;
    api_fail(r, "invalid_value", "an id is a positive integer", name);
    return NULL;
}

int api_query_param(http_req *r, const char *name, const char **out)
{
    int got = http_req_query_param(r, name, out);
    if (got == -2) api_oom(r);
    if (got == -1) api_fail(r, "invalid_value", "bad percent-encoding or not UTF-8", name);
    return got < 0 ? -1 : got;
}

int api_limit(http_req *r, int def, int max, int *out)
{
    const char *v = NULL;
    int got = api_query_param(r, "limit", &v);
    *out = def;
    if (got <= 0) return got;
    size_t n = strlen(v);
    if (!api_chars(v, n, "0123456789", 1, SIZE_MAX)) {
        api_fail(r, "invalid_value", "limit is a decimal integer", "limit");
        return -1;
    }
    n -= strspn(v, "0"); /* leading zeros do not make a number big */
    long long lim = n > 9 ? LLONG_MAX : strtoll(v, NULL, 10);
    if (lim < 1 || lim > max) {
        char msg[48];
        snprintf(msg, sizeof msg, "limit is 1..%d", max);
        api_fail(r, "out_of_range", msg, "limit");
        return -1;
    }
    *out = (int)lim;
    return 0;
}

int api_page(http_req *r, const char *cursor, int def, const char **key, const char **limit)
{
    const char *v = NULL;
    int64_t k = 0;
    int lim = 0;
    *key = NULL;
    int got = cursor ? api_query_param(r, cursor, &v) : 0;
    if (got < 0) return -1;
    if (got > 0 && profile_cursor_decode(v, strlen(v), &k) != 0) {
        api_fail(r, "invalid_value", "not a cursor from this listing", cursor);
        return -1;
    }
    if (api_limit(r, def, 100, &lim) != 0) return -1;
    char *text = kp_arena_alloc(http_req_arena(r), 48);
    if (!text) {
        api_oom(r);
        return -1;
    }
    snprintf(text, 24, "%lld", (long long)k);
    snprintf(text + 24, 24, "%d", lim);
    *key = got > 0 ? text : NULL;
    *limit = text + 24;
    return 0;
}

const kp_value *api_body(http_req *r, const char *const *allowed)
{
    const kp_value *b = http_req_body(r);
    kp_err e = {0};
    if (!b) {
        api_fail(r, "missing_field", "a map body is required", "body");
        return NULL;
    }
    if (kp_expect_map(b, NULL, &e) != 0 || kp_check_fields(b, allowed, &e) != 0) {
        api_fail_kperr(r, &e);
        return NULL;
    }
    return b;
}

const char *api_str(http_req *r, const kp_value *b, const char *key, uint32_t max_chars,
                    size_t max_bytes)
{
    const char *s = NULL;
    uint32_t n = 0;
    kp_err e = {0};
    if (kp_get_str(b, key, true, 1, max_chars, &s, &n, &e) < 0) {
        api_fail_kperr(r, &e);
        return NULL;
    }
    if (n > max_bytes) {
        char msg[64];
        snprintf(msg, sizeof msg, "at most %zu bytes of UTF-8", max_bytes);
        api_fail(r, "too_long", msg, key);
        return NULL;
    }
    char *out = kp_arena_strndup(http_req_arena(r), s, n);
    if (!out) api_oom(r);
    return out;
}

int api_int(http_req *r, const kp_value *b, const char *key, bool required, int64_t min,
            int64_t max, int64_t *out)
{
    kp_err e = {0};
    int got = kp_get_int(b, key, required, min, max, out, &e);
    if (got < 0) api_fail_kperr(r, &e);
    return got;
}

/* Is item i of arr an id that appears before it? */
static bool repeated(const kp_value *arr, uint32_t i)
{
    for (uint32_t j = 0; j < i; j++)
        if (arr->v.arr.items[j].v.i == arr->v.arr.items[i].v.i) return true;
    return false;
}

const char *api_id_array(http_req *r, const kp_value *arr, const char *key, bool unique)
{
    char *lit = kp_arena_alloc(http_req_arena(r), 3 + (size_t)arr->v.arr.n * 20);
    if (!lit) {
        api_oom(r);
        return NULL;
    }
    size_t k = 0;
    lit[k++] = '{';
    for (uint32_t i = 0; i < arr->v.arr.n; i++) {
        const kp_value *v = &arr->v.arr.items[i];
        char field[64];
        snprintf(field, sizeof field, "%s.%u", key, i);
        if (v->type != KP_INT && v->type != KP_UINT) {
            api_fail(r, "invalid_type", "an account id is an integer", field);
            return NULL;
        }
        if (v->type == KP_UINT || v->v.i < 1) { /* KP_UINT: past int64 */
            api_fail(r, "invalid_value", "an account id is a positive integer", field);
            return NULL;
        }
        if (unique && repeated(arr, i)) {
            api_fail(r, "invalid_value", "a repeated account id", field);
            return NULL;
        }
        k += (size_t)snprintf(lit + k, 22, "%s%lld", i ? "," : "", (long long)v->v.i);
    }
    lit[k++] = '}';
    lit[k] = '\0';
    return lit;
}

const char *api_col(const PGresult *res, const char *name)
{
    int c = PQfnumber(res, name);
    if (c < 0 || PQntuples(res) < 1 || PQgetisnull(res, 0, c)) return NULL;
    return PQgetvalue(res, 0, c);
}
