/* thesaurus.c — the expertise thesaurus (PROTOCOL.md "Thesaurus"): list,
 * read, create, replace, delete, export and import concepts.  Reading is
 * public; writes need a liaison officer or an admin.  The checks of a
 * concept's content (labels, links, cycles, versions) live in SQL
 * (migrations/repeatable/45_thesaurus.sql), one place for a single concept
 * and an import alike; here: the body's shape, the key and the caller. */
#include <string.h>

#include "search_api.h"

enum { KEY_MAX = 64, Q_MAX_CHARS = 100, IMPORT_MAX = 2000, CSV_MAX = 2 * 1024 * 1024 };

static const unsigned editors = API_ROLE_BIT(ROLE_LIAISON) | API_ROLE_BIT(ROLE_ADMIN);

/* The {key} route parameter when it is a well-formed key; else 400. */
static const char *path_key(http_req *r)
{
    const char *k = http_req_param(r, "key");
    if (!k || !api_chars(k, strlen(k), "abcdefghijklmnopqrstuvwxyz0123456789_", 2, KEY_MAX) ||
        k[0] < 'a' || k[0] > 'z') {
        api_fail(r, "invalid_value", "a concept key is [a-z][a-z0-9_]{1,63}", "key");
        return NULL;
    }
    return k;
}

/* ---- GET /v1/thesaurus/concepts, GET /v1/thesaurus/concepts/{key} ---------- */

void api_thesaurus_list(http_req *r)
{
    const char *q = NULL, *sector = NULL, *key = NULL, *limit = NULL;
    int got = api_query_param(r, "q", &q);
    if (got < 0) return;
    if (got && (!q[0] || kp_utf8_len(q, strlen(q)) > Q_MAX_CHARS)) {
        api_fail(r, "invalid_value", "q is 1-100 characters", "q");
        return;
    }
    if (!got) q = NULL;
    got = api_query_param(r, "sector", &sector);
    if (got < 0) return;
    if (got && !api_chars(sector, strlen(sector), "abcdefghijklmnopqrstuvwxyz0123456789_", 2, 40)) {
        api_fail(r, "invalid_value", "not a sector slug", "sector");
        return;
    }
    if (!got) sector = NULL;
    if (api_page(r, "after", 20, &key, &limit) != 0) return;
    const char *p[4] = {q, sector, key, limit};
    api_query(r, SEARCH_STMT(THES_LIST), 4, p, api_reply_row);
}

void api_thesaurus_get(http_req *r)
{
    const char *key = path_key(r);
    if (!key) return;
    const char *p[1] = {key};
    api_query(r, SEARCH_STMT(THES_GET), 1, p, api_reply_row);
}

/* ---- POST, PUT, DELETE /v1/thesaurus/concepts[/{key}] ----------------------- */

static const char *const concept_fields[] = {"key",     "label_en", "label_vi", "sector", "alt",
                                             "broader", "related",  "version",  NULL};

/* The body as a one-concept JSON array for khnet_thesaurus_write; the
 * content is checked there.  NULL after replying. */
static const char *concept_docs(http_req *r, const kp_value **body)
{
    *body = api_body(r, concept_fields);
    if (!*body) return NULL;
    const char *json = search_json_text(r, *body);
    if (!json) {
        api_oom(r);
        return NULL;
    }
    size_t n = strlen(json);
    char *arr = kp_arena_alloc(http_req_arena(r), n + 3);
    if (!arr) {
        api_oom(r);
        return NULL;
    }
    arr[0] = '[';
    memcpy(arr + 1, json, n);
    arr[n + 1] = ']';
    arr[n + 2] = '\0';
    return arr;
}

static void create_authed(http_req *r, const api_principal *who)
{
    if (!api_allow(r, who, editors, "only liaison officers and admins edit the thesaurus")) return;
    const kp_value *body = NULL;
    const char *docs = concept_docs(r, &body);
    if (!docs) return;
    if (kp_map_get(body, "version")) {
        api_fail(r, "unknown_field", "a new concept has no version", "version");
        return;
    }
    api_dec me;
    const char *p[6] = {NULL, NULL, docs, "create", NULL, NULL};
    api_viewer(who, &me, p);
    api_query(r, SEARCH_STMT(THES_WRITE), 6, p, api_reply_row);
}

void api_thesaurus_create(http_req *r)
{
    api_authenticate(r, create_authed);
}

static void replace_authed(http_req *r, const api_principal *who)
{
    if (!api_allow(r, who, editors, "only liaison officers and admins edit the thesaurus")) return;
    const char *key = path_key(r);
    if (!key) return;
    const kp_value *body = NULL;
    const char *docs = concept_docs(r, &body);
    if (!docs) return;
    int64_t version = 0;
    if (api_int(r, body, "version", true, 1, 2147483647, &version) < 0) return;
    if (kp_map_get(body, "key")) {
        api_fail(r, "unknown_field", "the key is the path's", "key");
        return;
    }
    api_dec me, ver = api_dec_of(version);
    const char *p[6] = {NULL, NULL, docs, "replace", key, ver.s};
    api_viewer(who, &me, p);
    api_query(r, SEARCH_STMT(THES_WRITE), 6, p, api_reply_row);
}

void api_thesaurus_replace(http_req *r)
{
    api_authenticate(r, replace_authed);
}

static void delete_authed(http_req *r, const api_principal *who)
{
    if (!api_allow(r, who, editors, "only liaison officers and admins edit the thesaurus")) return;
    const char *key = path_key(r);
    if (!key) return;
    const char *p[2] = {api_role_name(who->role), key};
    api_query(r, SEARCH_STMT(THES_DELETE), 2, p, api_reply_row_empty);
}

void api_thesaurus_delete(http_req *r)
{
    api_authenticate(r, delete_authed);
}

/* ---- export and import -------------------------------------------------------- */

static const char *const formats[] = {"json", "csv", NULL};

void api_thesaurus_export(http_req *r)
{
    const char *f = NULL;
    int got = api_query_param(r, "format", &f);
    if (got < 0) return;
    if (got && !api_one_of(f, strlen(f), formats)) {
        api_fail(r, "invalid_value", "format is json or csv", "format");
        return;
    }
    const char *p[1] = {got ? f : "json"};
    api_query(r, SEARCH_STMT(THES_EXPORT), 1, p, api_reply_row);
}

/* {format: "json", concepts: [...]} or {format: "csv", data: str}: the
 * payload khnet_thesaurus_import reads, into *payload.  -1 after replying. */
static int import_payload(http_req *r, const kp_value *body, const char **format,
                          const char **payload)
{
    kp_err e = {0};
    const char *s = NULL;
    uint32_t n = 0;
    if (kp_get_str(body, "format", true, 1, 10, &s, &n, &e) < 0) return api_fail_kperr(r, &e), -1;
    if (!api_one_of(s, n, formats))
        return api_fail(r, "invalid_value", "format is json or csv", "format"), -1;
    bool csv = n == 3;
    *format = csv ? "csv" : "json";
    if (csv) {
        if (kp_map_get(body, "concepts"))
            return api_fail(r, "unknown_field", "a CSV import sends data", "concepts"), -1;
        if (kp_get_str(body, "data", true, 1, CSV_MAX, &s, &n, &e) < 0)
            return api_fail_kperr(r, &e), -1;
        *payload = kp_arena_strndup(http_req_arena(r), s, n);
    } else {
        const kp_value *arr = NULL;
        if (kp_map_get(body, "data"))
            return api_fail(r, "unknown_field", "a JSON import sends concepts", "data"), -1;
        if (kp_get_array(body, "concepts", true, IMPORT_MAX, &arr, &e) < 0)
            return api_fail_kperr(r, &e), -1;
        *payload = search_json_text(r, arr);
    }
    return *payload ? 0 : (api_oom(r), -1);
}

static void import_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"format", "concepts", "data", NULL};
    if (!api_allow(r, who, editors, "only liaison officers and admins edit the thesaurus")) return;
    const kp_value *body = api_body(r, allowed);
    const char *format = NULL, *payload = NULL;
    if (!body || import_payload(r, body, &format, &payload) < 0) return;
    api_dec me;
    const char *p[4] = {NULL, NULL, format, payload};
    api_viewer(who, &me, p);
    api_query(r, SEARCH_STMT(THES_IMPORT), 4, p, api_reply_row);
}

void api_thesaurus_import(http_req *r)
{
    api_authenticate(r, import_authed);
}
