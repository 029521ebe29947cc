/* rounds.c — programme rounds (PROTOCOL.md "Programme rounds"): open,
 * read, join, run, pin/forbid, publish.  Running is the one handler with
 * two statements: khnet_round_problem gives the eligible pairs with their
 * scores, the exact optimiser (server/match/) picks the assignment on the
 * threadpool (a round of thousands takes longer than a loop may block),
 * and khnet_round_store keeps it with each pair's explanation, checking
 * the pins and forbids again. */
#include <stdlib.h>
#include <string.h>

#include "match/match.h"
#include "mentoring.h"

enum { NAME_MAX_CHARS = 200 };

/* One run in flight: the problem as the optimiser takes it, and its answer. */
typedef struct run_job {
    const api_principal *who;
    const char *round;  /* the path id */
    int64_t runs;       /* the round's run counter when the problem was read */
    int64_t *mentee_id; /* [n_mentees] */
    int64_t *mentor_id; /* [n_mentors] */
    int *capacity;      /* [n_mentors] */
    match_edge *edges;  /* [n_edges] */
    match_problem p;
    int *assign; /* [n_mentees] the optimiser's answer */
    match_result best, greedy;
    int rc; /* match_solve's */
} run_job;

/* ---- open, read, join ------------------------------------------------------- */

static void open_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"name", "deadline", "sector", NULL};
    if (!api_allow(r, who, MEN_OFFICERS, "only liaison officers and admins open rounds")) return;
    const kp_value *b = api_body(r, allowed);
    const char *name = b ? api_str(r, b, "name", NAME_MAX_CHARS, (size_t)4 * NAME_MAX_CHARS) : NULL;
    const char *deadline = name ? api_str(r, b, "deadline", 40, 40) : NULL;
    if (!deadline) return;
    /* RFC 3339 date-time, checked here so PostgreSQL never sees free text. */
    if (!api_chars(deadline, strlen(deadline), "0123456789-:TZ.+", 20, 40) || deadline[4] != '-' ||
        deadline[10] != 'T') {
        api_fail(r, "invalid_value", "an RFC 3339 date-time", "deadline");
        return;
    }
    bool bad = false;
    const char *sector = men_opt_str(r, b, "sector", 40, &bad);
    if (bad) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[4] = {me.s, name, deadline, sector};
    api_query(r, MEN_STMT(ROUND_OPEN), 4, p, api_reply_row);
}

static void get_authed(http_req *r, const api_principal *who)
{
    const char *id = api_path_id(r, "id");
    if (!id) return;
    api_dec me = api_dec_of(who->account_id);
    bool officer = who->role == ROLE_LIAISON || who->role == ROLE_ADMIN;
    const char *p[3] = {me.s, officer ? "true" : "false", id};
    api_query(r, MEN_STMT(ROUND_GET), 3, p, api_reply_row);
}

static void join_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"side", "capacity", NULL};
    static const char *const sides[] = {"mentor", "mentee", NULL};
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    const char *side = b ? api_str(r, b, "side", 6, 6) : NULL;
    if (!side) return;
    if (!api_one_of(side, strlen(side), sides)) {
        api_fail(r, "invalid_value", "side is mentor or mentee", "side");
        return;
    }
    bool mentor = !strcmp(side, "mentor");
    int64_t cap = 0;
    if (api_int(r, b, "capacity", mentor, 1, 20, &cap) < 0) return;
    api_dec me = api_dec_of(who->account_id), c = api_dec_of(cap);
    const char *p[4] = {me.s, id, side, mentor ? c.s : NULL};
    api_query(r, MEN_STMT(ROUND_JOIN), 4, p, api_reply_row);
}

/* ---- rules and publishing --------------------------------------------------- */

static void rule_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"mentee_id", "mentor_id", "rule", NULL};
    static const char *const rules[] = {"pin", "forbid", "none", NULL};
    if (!api_allow(r, who, MEN_OFFICERS, "only liaison officers and admins review rounds")) return;
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    const char *rule = b ? api_str(r, b, "rule", 6, 6) : NULL;
    if (!rule) return;
    if (!api_one_of(rule, strlen(rule), rules)) {
        api_fail(r, "invalid_value", "rule is pin, forbid or none", "rule");
        return;
    }
    int64_t mentee = 0, mentor = 0;
    if (api_int(r, b, "mentee_id", true, 1, INT64_MAX, &mentee) < 0 ||
        api_int(r, b, "mentor_id", true, 1, INT64_MAX, &mentor) < 0)
        return;
    api_dec me = api_dec_of(who->account_id), a = api_dec_of(mentee), m = api_dec_of(mentor);
    const char *p[5] = {me.s, id, a.s, m.s, rule};
    api_query(r, MEN_STMT(ROUND_RULE), 5, p, api_reply_row);
}

static void publish_authed(http_req *r, const api_principal *who)
{
    if (!api_allow(r, who, MEN_OFFICERS, "only liaison officers and admins publish rounds")) return;
    const char *id = api_path_id(r, "id");
    if (!id) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[2] = {me.s, id};
    api_query(r, MEN_STMT(ROUND_PUBLISH), 2, p, api_reply_row);
}

/* ---- run -------------------------------------------------------------------- */

/* The index of id in the ascending ids[0..n), or -1. */
static int index_of(const int64_t *ids, int n, int64_t id)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (ids[mid] == id) return mid;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static int64_t int_at(const kp_value *arr, uint32_t i)
{
    const kp_value *v = &arr->v.arr.items[i];
    if (v->type == KP_INT) return v->v.i;
    return v->type == KP_BOOL ? v->v.b : -1;
}

static const kp_value *array_of(const kp_value *doc, const char *key)
{
    const kp_value *v = kp_map_get(doc, key);
    return v && v->type == KP_ARRAY ? v : NULL;
}

/* The problem document of khnet_round_problem into job; -1 when it is not
 * the expected shape (a bug: 500). */
static int read_problem(kp_arena *a, const kp_value *doc, run_job *job)
{
    const kp_value *es = array_of(doc, "mentees"), *ms = array_of(doc, "mentors"),
                   *ps = array_of(doc, "pairs"), *runs = kp_map_get(doc, "runs");
    if (!es || !ms || !ps || !runs || runs->type != KP_INT) return -1;
    job->runs = runs->v.i;
    int ne = (int)es->v.arr.n, nm = (int)ms->v.arr.n, np = (int)ps->v.arr.n;
    job->mentee_id = kp_arena_alloc(a, sizeof(int64_t) * ((size_t)ne + 1));
    job->mentor_id = kp_arena_alloc(a, sizeof(int64_t) * ((size_t)nm + 1));
    job->capacity = kp_arena_alloc(a, sizeof(int) * ((size_t)nm + 1));
    job->edges = kp_arena_alloc(a, sizeof(match_edge) * ((size_t)np + 1));
    job->assign = kp_arena_alloc(a, sizeof(int) * ((size_t)ne + 1));
    if (!job->mentee_id || !job->mentor_id || !job->capacity || !job->edges || !job->assign)
        return -1;
    for (int i = 0; i < ne; i++)
        job->mentee_id[i] = int_at(es, (uint32_t)i);
    for (int j = 0; j < nm; j++) {
        const kp_value *m = &ms->v.arr.items[j];
        if (m->type != KP_ARRAY || m->v.arr.n != 2) return -1;
        job->mentor_id[j] = int_at(m, 0);
        job->capacity[j] = (int)int_at(m, 1);
    }
    for (int k = 0; k < np; k++) {
        const kp_value *e = &ps->v.arr.items[k];
        if (e->type != KP_ARRAY || e->v.arr.n != 4) return -1;
        int i = index_of(job->mentee_id, ne, int_at(e, 0));
        int j = index_of(job->mentor_id, nm, int_at(e, 1));
        if (i < 0 || j < 0) return -1;
        job->edges[k] = (match_edge){i, j, (int32_t)int_at(e, 2), (int)int_at(e, 3)};
    }
    job->p = (match_problem){ne, nm, job->capacity, np, job->edges, 0};
    return 0;
}

/* On the threadpool: the optimum, and greedy's total for the report. */
static void solve(void *data)
{
    run_job *job = data;
    job->rc = match_greedy(&job->p, job->assign, &job->greedy);
    if (job->rc == 0) job->rc = match_solve(&job->p, job->assign, &job->best);
}

/* The chosen pairs as two PostgreSQL array literals "{1,2}" (arena). */
static int pair_arrays(kp_arena *a, const run_job *job, const char **mentees, const char **mentors)
{
    size_t cap = (size_t)job->best.pairs * 21 + 3;
    char *es = kp_arena_alloc(a, cap), *ms = kp_arena_alloc(a, cap);
    if (!es || !ms) return -1;
    size_t eo = 0, mo = 0;
    es[eo++] = '{';
    ms[mo++] = '{';
    for (int i = 0; i < job->p.n_mentees; i++) {
        if (job->assign[i] < 0) continue;
        const char *sep = eo > 1 ? "," : "";
        eo += (size_t)snprintf(es + eo, cap - eo, "%s%lld", sep, (long long)job->mentee_id[i]);
        mo += (size_t)snprintf(ms + mo, cap - mo, "%s%lld", sep,
                               (long long)job->mentor_id[job->assign[i]]);
    }
    memcpy(es + eo, "}", 2);
    memcpy(ms + mo, "}", 2);
    *mentees = es;
    *mentors = ms;
    return 0;
}

static void solved(http_req *r, void *data)
{
    run_job *job = data;
    if (job->rc == MATCH_EPIN) {
        api_fail(r, "conflict", "the pins do not fit the capacities; clear one and run again",
                 NULL);
        return;
    }
    const char *mentees = NULL, *mentors = NULL;
    if (job->rc != 0 || pair_arrays(http_req_arena(r), job, &mentees, &mentors) != 0) {
        api_fail(r, "internal", match_strerror(job->rc), NULL);
        return;
    }
    api_dec me = api_dec_of(job->who->account_id), runs = api_dec_of(job->runs),
            total = api_dec_of(job->best.total), greedy = api_dec_of(job->greedy.total);
    const char *p[7] = {me.s, job->round, runs.s, mentees, mentors, total.s, greedy.s};
    api_query(r, MEN_STMT(ROUND_STORE), 7, p, api_reply_row);
}

static void problem_done(http_req *r, const PGresult *res, void *data)
{
    run_job *job = data;
    const char *st = api_col(res, "status");
    if (!st || strcmp(st, "ok") != 0) { /* not_found, conflict: as SQL says */
        api_reply_row(r, res);
        return;
    }
    static const kp_limits big = {4, 40000000, 1 << 20, (size_t)1 << 30};
    const kp_value *doc = api_json(r, api_col(res, "body"), &big);
    if (!doc) return;
    if (read_problem(http_req_arena(r), doc, job) != 0) {
        api_fail(r, "internal", "the round's problem has an unexpected shape", NULL);
        return;
    }
    api_offload(r, solve, solved, job);
}

static void run_authed(http_req *r, const api_principal *who)
{
    if (!api_allow(r, who, MEN_OFFICERS, "only liaison officers and admins run rounds")) return;
    const char *id = api_path_id(r, "id");
    if (!id) return;
    run_job *job = kp_arena_alloc(http_req_arena(r), sizeof *job);
    if (!job) {
        api_oom(r);
        return;
    }
    *job = (run_job){.who = who, .round = id};
    const char *p[1] = {id};
    api_query_with(r, MEN_STMT(ROUND_PROBLEM), 1, p, problem_done, job);
}

void api_men_round_open(http_req *r)
{
    api_authenticate(r, open_authed);
}
void api_men_round_get(http_req *r)
{
    api_authenticate(r, get_authed);
}
void api_men_round_join(http_req *r)
{
    api_authenticate(r, join_authed);
}
void api_men_round_run(http_req *r)
{
    api_authenticate(r, run_authed);
}
void api_men_round_rule(http_req *r)
{
    api_authenticate(r, rule_authed);
}
void api_men_round_publish(http_req *r)
{
    api_authenticate(r, publish_authed);
}
