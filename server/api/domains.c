/* domains.c — the list of domains, and the route table and statement list
 * that are their concatenation.  Adding a domain is one line here (and its
 * folder); adding an endpoint to a domain touches only that domain. */
#include <pthread.h>
#include <stdint.h>

#include "api.h"
#include "kit/kit.h"
#include "log.h"

extern const api_domain api_domain_kit, api_domain_ops, api_domain_accounts, api_domain_profiles,
    api_domain_search, api_domain_messaging, api_domain_moderation, api_domain_forum,
    api_domain_mentoring;

/* Route order matters only within a domain (first match wins); across
 * domains no two patterns overlap. */
const api_domain *const api_domains[] = {
    &api_domain_kit,        &api_domain_ops,    &api_domain_accounts,
    &api_domain_profiles,   &api_domain_search, &api_domain_messaging,
    &api_domain_moderation, &api_domain_forum,  &api_domain_mentoring,
};
const int api_ndomains = (int)(sizeof api_domains / sizeof api_domains[0]);

enum { MAX_ROUTES = 512, MAX_STMTS = 512 };

static struct {
    http_route routes[MAX_ROUTES]; /* what the server routes by */
    http_handler real[MAX_ROUTES]; /* each route's own handler */
    db_stmt stmts[MAX_STMTS];
    int base[sizeof api_domains / sizeof api_domains[0]]; /* first statement id per domain */
    api_table table;
    bool ok;
} reg;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;

static void build(void)
{
    int nr = 0, ns = 0;
    for (int d = 0; d < api_ndomains; d++) {
        const api_domain *dom = api_domains[d];
        if (nr + dom->nroutes > MAX_ROUTES || ns + dom->nstmts > MAX_STMTS) {
            log_event("error", "msg=\"too many routes or statements\" domain=%s", dom->name);
            return;
        }
        for (int i = 0; i < dom->nroutes; i++, nr++) {
            reg.routes[nr] = dom->routes[i];
            reg.real[nr] = dom->routes[i].handler;
#ifdef API_CHECK_REPLIES
            reg.routes[nr].handler = api__checked_handler; /* checks, then real[nr] */
#endif
        }
        reg.base[d] = ns;
        for (int i = 0; i < dom->nstmts; i++)
            reg.stmts[ns++] = dom->stmts[i];
    }
    reg.table = (api_table){reg.routes, nr, reg.stmts, ns};
    reg.ok = true;
}

const api_table *api_tables(void)
{
    pthread_once(&reg_once, build);
    return reg.ok ? &reg.table : NULL;
}

int api_stmt_id(const db_stmt *s)
{
    uintptr_t p = (uintptr_t)s;
    if (!api_tables()) return -1;
    for (int d = 0; d < api_ndomains; d++) {
        const api_domain *dom = api_domains[d];
        uintptr_t lo = (uintptr_t)dom->stmts, hi = lo + (size_t)dom->nstmts * sizeof *s;
        if (dom->nstmts && p >= lo && p < hi) return reg.base[d] + (int)((p - lo) / sizeof *s);
    }
    return -1;
}

http_handler api__route_handler(int i)
{
    return reg.real[i];
}
