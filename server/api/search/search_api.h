/* search_api.h — the search domain, inside: expert search, fit, similar
 * and suggest (search.c) and saved searches (saved.c).  Its one export is
 * api_domain_search (domain.c).  Matching, ranking and facets live in SQL
 * (migrations/repeatable/40_search.sql); cursors and input formats in server/search/. */
#ifndef KHNET_API_SEARCH_H
#define KHNET_API_SEARCH_H

#include "api/kit/kit.h"

enum search_stmt {
    SEARCH_EXPERTS,
    SEARCH_FIT,
    SEARCH_SIMILAR,
    SEARCH_SUGGEST,
    SEARCH_SAVED_CREATE,
    SEARCH_SAVED_LIST,
    SEARCH_SAVED_DELETE,
    SEARCH_SAVED_NEW,
    SEARCH_THES_LIST,
    SEARCH_THES_GET,
    SEARCH_THES_WRITE,
    SEARCH_THES_DELETE,
    SEARCH_THES_EXPORT,
    SEARCH_THES_IMPORT,
    SEARCH_NSTMTS
};
extern const db_stmt search_stmts[SEARCH_NSTMTS];
#define SEARCH_STMT(id) (&search_stmts[SEARCH_##id])

void api_search_experts(http_req *r); /* search.c */
void api_search_fit(http_req *r);
void api_search_similar(http_req *r);
void api_suggest(http_req *r);
void api_saved_create(http_req *r); /* saved.c */
void api_saved_list(http_req *r);
void api_saved_delete(http_req *r);
void api_saved_new(http_req *r);
void api_thesaurus_list(http_req *r); /* thesaurus.c */
void api_thesaurus_get(http_req *r);
void api_thesaurus_create(http_req *r);
void api_thesaurus_replace(http_req *r);
void api_thesaurus_delete(http_req *r);
void api_thesaurus_export(http_req *r);
void api_thesaurus_import(http_req *r);

/* A decoded value as JSON text in the request's arena (saved.c); NULL
 * when out of memory. */
const char *search_json_text(http_req *r, const kp_value *v);

/* khnet_search_experts' parameters: the viewer (2), the query and filters,
 * the sort and page, cities and affiliations. */
enum { SEARCH_NPARAMS = 16 };

/* Validates `query` (a map) exactly as POST /v1/search/experts validates its
 * body and fills p[2..15], khnet_search_experts' parameters after the
 * viewer's two (p[10] is the sort it will run with); strings live in the
 * request's arena.  0, or -1 with e naming the field as the search does. */
int api_search_parse(http_req *r, const kp_value *query, const char **p, kp_err *e);
/* Query callback: replies with a row in the one shape whose ok body is a
 * search's answer (khnet_saved_search_new), as the search does: its
 * next_key as the opaque cursor of the sort the body names. */
void api_search_answer(http_req *r, const PGresult *res);

#endif
