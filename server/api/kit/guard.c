/* guard.c — the exactly-once check of debug and fault-injection builds
 * (see kit.h): every handler and kit continuation either replies once or
 * hands the request to exactly one asynchronous step.  Checks nest: a reply
 * can flush a pipelined request whose handler runs inside the outer check,
 * and its replies are its own. */
#include "kit.h"

#ifdef API_CHECK_REPLIES
#include <stdlib.h>

#include "log.h"

static _Thread_local api_guard *top; /* innermost check running on this thread */

void api__guard_begin(api_guard *g, http_req *r)
{
    http_server *s = http_req_server(r);
    *g = (api_guard){.up = top, .srv = s, .replies = s->replies, .req = r};
    top = g;
#ifdef KHNET_FAULT_INJECTION
    g->outer = kp_fault_disarm(); /* the enclosing step's countdown, back at the end */
    kp_fault_arm(*http_req_fault_left(r));
#endif
}

void api__step_started(void)
{
    if (top) top->started++;
}

void api__guard_end(api_guard *g, const char *where)
{
    top = g->up;
    uint64_t all = g->srv->replies - g->replies, own = all - g->nested;
    if (top) top->nested += all;
#ifdef KHNET_FAULT_INJECTION
    long left = kp_fault_disarm();
    if (own == 0 && g->started == 1) { /* still ours */
        *http_req_fault_left(g->req) = left;
        http_req_fault_keep(g->req, kp_fault_fired());
    }
    kp_fault_arm(g->outer);
#endif
    if ((own == 1 && g->started == 0) || (own == 0 && g->started == 1)) return;
    log_event("error", "msg=\"request not completed exactly once\" where=%s replies=%llu steps=%d",
              where, (unsigned long long)own, g->started);
    abort();
}

void api__checked_handler(http_req *r)
{
    api_guard g;
    int route = http_req_route(r); /* r may be recycled once the handler returns */
    api__guard_begin(&g, r);
    api__route_handler(route)(r);
    api__guard_end(&g, api_tables()->routes[route].pattern);
}
#endif
