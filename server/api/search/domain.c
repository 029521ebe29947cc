/* domain.c — the search domain's routes and statements (functions in
 * migrations/repeatable/40_search.sql, 45_thesaurus.sql and
 * 70_saved_searches.sql). */
#include "search_api.h"

/* every statement answers one row in the one shape (api/README.md) */
#define ROW "SELECT status, field, body::text AS body FROM "

static const http_route routes[] = {
    {"GET", "/v1/profiles/{id}/similar", api_search_similar},
    {"POST", "/v1/search/experts", api_search_experts},
    {"POST", "/v1/search/fit", api_search_fit},
    {"GET", "/v1/suggest", api_suggest},
    {"POST", "/v1/saved-searches", api_saved_create},
    {"GET", "/v1/saved-searches", api_saved_list},
    {"DELETE", "/v1/saved-searches/{id}", api_saved_delete},
    {"GET", "/v1/saved-searches/{id}/new", api_saved_new},
    {"GET", "/v1/thesaurus/concepts", api_thesaurus_list},
    {"POST", "/v1/thesaurus/concepts", api_thesaurus_create},
    {"GET", "/v1/thesaurus/concepts/{key}", api_thesaurus_get},
    {"PUT", "/v1/thesaurus/concepts/{key}", api_thesaurus_replace},
    {"DELETE", "/v1/thesaurus/concepts/{key}", api_thesaurus_delete},
    {"GET", "/v1/thesaurus/export", api_thesaurus_export},
    {"POST", "/v1/thesaurus/import", api_thesaurus_import},
};

const db_stmt search_stmts[SEARCH_NSTMTS] = {
    [SEARCH_EXPERTS] = {"search_experts",
                        ROW "khnet_search_experts($1::bigint, $2, $3, $4::text[], "
                            "$5::text[], $6::text[], $7::text[], $8::boolean, $9::int, "
                            "$10::timestamptz, $11, $12::int, $13, $14::bigint, $15::text[], "
                            "$16::text[])",
                        SEARCH_NPARAMS},
    [SEARCH_FIT] = {"search_fit",
                    ROW "khnet_search_fit($1::bigint, $2, $3, $4::text[], $5::text[], "
                        "$6::text[], $7::text[], $8::boolean, $9::int, $10::int)",
                    10},
    [SEARCH_SIMILAR] = {"search_similar",
                        ROW "khnet_search_similar($1::bigint, $2, $3::bigint, $4::int)", 4},
    [SEARCH_SUGGEST] = {"search_suggest", ROW "khnet_search_suggest($1, $2::int)", 2},
    [SEARCH_SAVED_CREATE] = {"saved_create",
                             ROW "khnet_saved_search_create($1::bigint, $2, $3::jsonb, $4)", 4},
    [SEARCH_SAVED_LIST] = {"saved_list",
                           ROW "khnet_saved_searches_list($1::bigint, $2::bigint, $3::int)", 3},
    [SEARCH_SAVED_DELETE] = {"saved_delete",
                             ROW "khnet_saved_search_delete($1::bigint, $2::bigint)", 2},
    [SEARCH_SAVED_NEW] = {"saved_new",
                          ROW "khnet_saved_search_new($1::bigint, $2, $3::bigint, $4::boolean, "
                              "$5, $6, $7::bigint)",
                          7},
    /* the thesaurus (migrations/repeatable/45_thesaurus.sql) */
    [SEARCH_THES_LIST] = {"thes_list", ROW "khnet_thesaurus_list($1, $2, $3::bigint, $4::int)", 4},
    [SEARCH_THES_GET] = {"thes_get", ROW "khnet_thesaurus_get($1)", 1},
    [SEARCH_THES_WRITE] = {"thes_write",
                           ROW
                           "khnet_thesaurus_write($1::bigint, $2, $3::jsonb, $4, $5, $6::int, '')",
                           6},
    [SEARCH_THES_DELETE] = {"thes_delete", ROW "khnet_thesaurus_delete($1, $2)", 2},
    [SEARCH_THES_EXPORT] = {"thes_export", ROW "khnet_thesaurus_export($1)", 1},
    [SEARCH_THES_IMPORT] = {"thes_import", ROW "khnet_thesaurus_import($1::bigint, $2, $3, $4)", 4},
};

const api_domain api_domain_search = API_DOMAIN("search", routes, search_stmts);
