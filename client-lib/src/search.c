/* search.c — typed call for expert search (PROTOCOL.md "Search",
 * POST /v1/search/experts): builds the msgpack body from a
 * khnet_search_query and goes through khnet_call, so replies, errors and
 * ownership are those of khnet_call.  Values are checked by the server;
 * here only what cannot be encoded is refused. */
#include <string.h>

#include "khnet_int.h"

static uint32_t list_len(const char *const *list)
{
    uint32_t n = 0;
    while (list && list[n])
        n++;
    return n;
}

static void put_list(kp_buf *b, const char *key, const char *const *list)
{
    uint32_t n = list_len(list);
    kp_w_cstr(b, key);
    kp_w_array(b, n);
    for (uint32_t i = 0; i < n; i++)
        kp_w_cstr(b, list[i]);
}

static void put_str(kp_buf *b, const char *key, const char *v)
{
    kp_w_cstr(b, key);
    kp_w_cstr(b, v);
}

void khnet__search_body(kp_buf *b, const khnet_search_query *s)
{
    uint32_t n = (s->q != NULL) + (s->sectors != NULL) + (s->countries != NULL) +
                 (s->degree_levels != NULL) + (s->languages != NULL) + (s->willing_to_mentor != 0) +
                 (s->min_years > 0) + (s->updated_since != NULL) + (s->sort != NULL) +
                 (s->limit > 0) + (s->after != NULL);
    kp_w_map(b, n);
    if (s->q) put_str(b, "q", s->q);
    if (s->sectors) put_list(b, "sectors", s->sectors);
    if (s->countries) put_list(b, "countries", s->countries);
    if (s->degree_levels) put_list(b, "degree_levels", s->degree_levels);
    if (s->languages) put_list(b, "languages", s->languages);
    if (s->willing_to_mentor) {
        kp_w_cstr(b, "willing_to_mentor");
        kp_w_bool(b, s->willing_to_mentor > 0);
    }
    if (s->min_years > 0) {
        kp_w_cstr(b, "min_years");
        kp_w_int(b, s->min_years);
    }
    if (s->updated_since) put_str(b, "updated_since", s->updated_since);
    if (s->sort) put_str(b, "sort", s->sort);
    if (s->limit > 0) {
        kp_w_cstr(b, "limit");
        kp_w_int(b, s->limit);
    }
    if (s->after) put_str(b, "after", s->after);
}

int khnet__search_query_in(khnet_ctx *ctx, const khnet_search_query *query,
                           khnet_search_query *copy)
{
    *copy = (khnet_search_query)KHNET_SEARCH_QUERY_INIT;
    char why[KHNET__ERRSTR_MAX];
    if (query &&
        khnet__abi_in(copy, sizeof *copy, query, "khnet_search_query", why, sizeof why) < 0) {
        khnet__set_err(ctx, KHNET_ERR_ARG, "%s", why);
        return -1;
    }
    return 0;
}

khnet_err khnet_search_experts(khnet_ctx *ctx, const khnet_search_query *query, khnet_reply **out)
{
    khnet_search_query s;
    if (!ctx || khnet__search_query_in(ctx, query, &s) < 0 || s.limit < 0 || s.min_years < 0)
        return KHNET_ERR_ARG;
    kp_buf b;
    kp_buf_init(&b);
    khnet__search_body(&b, &s);
    return khnet__send_body(ctx, "POST", "/v1/search/experts", &b, out);
}
