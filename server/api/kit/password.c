/* password.c — passwords and the threadpool: the length rule, and the one
 * way every handler that checks or sets a password works — load the hash
 * (one query), run scrypt on the libuv threadpool so the loop never waits
 * for it, then act back on the loop. */
#include <string.h>

#include "kit.h"

/* ---- the threadpool ------------------------------------------------------- */
typedef struct offload {
    uv_work_t work;                         /* libuv's request */
    http_req *req;                          /* kept alive: not replied yet */
    void (*fn)(void *data);                 /* runs on a pool thread */
    void (*after)(http_req *r, void *data); /* then this, on the loop */
    void *data;                             /* shared by both */
    long fault;             /* fault-injection builds: the request's countdown, ... */
    const char *fault_site; /* ... carried to the pool thread and back */
} offload;

static void run_work(uv_work_t *w)
{
    offload *o = w->data;
    kp_fault_arm(o->fault); /* fn's allocations are the request's too */
    o->fn(o->data);
    o->fault = kp_fault_disarm();
    o->fault_site = kp_fault_fired();
}

static void after_work(uv_work_t *w, int status)
{
    offload *o = w->data;
#ifdef KHNET_FAULT_INJECTION
    *http_req_fault_left(o->req) = o->fault;
    http_req_fault_keep(o->req, o->fault_site);
#endif
    api_guard g;
    api__guard_begin(&g, o->req);
    if (status != 0) /* cancelled: nothing computed */
        api_fail(o->req, "shutting_down", "the server is stopping", NULL);
    else
        o->after(o->req, o->data);
    api__guard_end(&g, "threadpool after");
}

void api_offload(http_req *r, void (*fn)(void *data), void (*after)(http_req *r, void *data),
                 void *data)
{
    offload *o = kp_arena_alloc(http_req_arena(r), sizeof *o);
    if (!o) {
        api_oom(r);
        return;
    }
    *o = (offload){.req = r, .fn = fn, .after = after, .data = data};
    o->work.data = o;
    o->fault = kp_fault_disarm(); /* the work's now (0 in other builds) */
    if (uv_queue_work(http_req_server(r)->loop, &o->work, run_work, after_work) != 0)
        api_fail(r, "internal", "cannot queue work", NULL);
    else
        api__step_started();
}

/* ---- passwords ---------------------------------------------------------------- */
char *api_password(http_req *r, const kp_value *b, const char *key)
{
    const char *s;
    uint32_t n;
    kp_err e = {0};
    if (kp_get_str(b, key, true, API_PW_MIN, API_PW_MAX, &s, &n, &e) < 0) {
        api_fail_kperr(r, &e);
        return NULL;
    }
    char *copy = kp_arena_strndup(http_req_arena(r), s, n);
    if (!copy) api_oom(r);
    return copy;
}

api_pw *api_pw_new(http_req *r, void *data)
{
    api_pw *pw = kp_arena_alloc(http_req_arena(r), sizeof *pw);
    if (!pw) {
        api_oom(r);
        return NULL;
    }
    memset(pw, 0, sizeof *pw);
    pw->prm = ((api_ctx *)http_req_app(r))->scrypt;
    pw->data = data;
    return pw;
}

static void check_work(void *data)
{
    api_pw *pw = data;
    pw->ok = auth_password_verify(pw->password, strlen(pw->password), pw->stored);
    if (!pw->known) pw->ok = 0; /* the dummy hash never admits */
    if (pw->ok == 1 && pw->new_password &&
        auth_password_hash(pw->new_password, strlen(pw->new_password), &pw->prm, pw->hash) != 0)
        pw->ok = -1;
}

static void checked(http_req *r, void *data)
{
    api_pw *pw = data;
    pw->next(r, pw);
}

static void loaded(http_req *r, const PGresult *res, void *data)
{
    api_pw *pw = data;
    const char *id = api_col(res, "id"), *stored = api_col(res, "password_hash");
    pw->known =
        id && stored && strlen(stored) < sizeof pw->stored && strlen(id) < sizeof pw->account;
    if (pw->known) {
        memcpy(pw->account, id, strlen(id) + 1);
        memcpy(pw->stored, stored, strlen(stored) + 1);
    } else if (auth_password_dummy(&pw->prm, pw->stored) != 0) { /* same work as a hit */
        api_fail(r, "internal", "internal error", NULL);
        return;
    }
    api_offload(r, check_work, checked, pw);
}

void api_pw_check(http_req *r, const db_stmt *lookup, const char *key, api_pw *pw,
                  void (*next)(http_req *r, api_pw *pw))
{
    const char *params[1] = {key};
    pw->next = next;
    api_query_with(r, lookup, 1, params, loaded, pw);
}

static void hash_work(void *data)
{
    api_pw *pw = data;
    pw->ok = auth_password_hash(pw->password, strlen(pw->password), &pw->prm, pw->hash) == 0;
}

static void hashed(http_req *r, void *data)
{
    api_pw *pw = data;
    if (pw->ok != 1) {
        api_fail(r, "internal", "cannot hash the password", NULL);
        return;
    }
    pw->next(r, pw);
}

void api_pw_hash(http_req *r, api_pw *pw, void (*next)(http_req *r, api_pw *pw))
{
    pw->next = next;
    api_offload(r, hash_work, hashed, pw);
}
