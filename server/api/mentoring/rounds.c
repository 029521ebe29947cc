/* rounds.c — programme rounds (PROTOCOL.md "Programme rounds"): open,
 * read, join, run, pin/forbid, publish.  Running is the one handler with
 * two statements: khnet_round_problem gives the round's two sides once
 * each (round_problem.c reads them), then on the threadpool (a round of
 * thousands takes longer than a loop may block) server/match/pairs.c
 * makes and scores the eligible pairs and the exact optimiser picks the
 * assignment, and khnet_round_store keeps it with each pair's
 * explanation, judging the chosen pairs and the pins again. */
#include <stdlib.h>
#include <string.h>

#include "match/match.h"
#include "match/pairs.h"
#include "mentoring.h"
#include "round_problem.h"

enum { NAME_MAX_CHARS = 200 };

/* One run in flight: the round's sides, the optimiser's problem and its
 * answer.  Arrays are the request's arena, filled on the loop before the
 * threadpool step; the pairs are malloc'd and freed within it. */
typedef struct run_job {
    const api_principal *who;
    const char *round;      /* the path id */
    men_round_problem prob; /* the sides (khnet_round_problem) */
    int *capacity;          /* [n_mentors] */
    match_problem p;
    int *assign;             /* [n_mentees] the optimiser's answer */
    int *score;              /* [n_mentees] the chosen pair's score */
    unsigned char *has_pair; /* [n_mentees] any eligible pair */
    int64_t n_eligible;      /* pairs counted by pairs_build */
    match_result best, greedy;
    int rc; /* pairs_build's or match_solve's */
} run_job;

/* A round's reply (khnet_round_view): an officer's holds every mentee's
 * result with its explanation, some 30 values each, past the request
 * limits at 10,000 mentees; decoded under these instead. */
static const kp_limits round_view_limits = {8, 40000000, 1 << 20, (size_t)1 << 30};

static void reply_round(http_req *r, const PGresult *res)
{
    bool created = false;
    const kp_value *doc = api_row_body_lim(r, res, &round_view_limits, &created);
    if (!doc) return;
    api_write_doc(r, doc, NULL, NULL);
    http_reply(r, created ? 201 : 200);
}

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
    api_query(r, MEN_STMT(ROUND_OPEN), 4, p, reply_round);
}

static void get_authed(http_req *r, const api_principal *who)
{
    const char *id = api_path_id(r, "id");
    if (!id) return;
    api_dec me = api_dec_of(who->account_id);
    bool officer = who->role == ROLE_LIAISON || who->role == ROLE_ADMIN;
    const char *p[3] = {me.s, officer ? "true" : "false", id};
    api_query(r, MEN_STMT(ROUND_GET), 3, p, reply_round);
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
    api_query(r, MEN_STMT(ROUND_JOIN), 4, p, reply_round);
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
    api_query(r, MEN_STMT(ROUND_RULE), 5, p, reply_round);
}

static void publish_authed(http_req *r, const api_principal *who)
{
    if (!api_allow(r, who, MEN_OFFICERS, "only liaison officers and admins publish rounds")) return;
    const char *id = api_path_id(r, "id");
    if (!id) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[2] = {me.s, id};
    api_query(r, MEN_STMT(ROUND_PUBLISH), 2, p, reply_round);
}

/* ---- run -------------------------------------------------------------------- */

/* A PostgreSQL array literal "{1,2}" of n values (arena); value(job, k, &v)
 * gives the k-th or 0 to skip it. */
static const char *array_literal(kp_arena *a, const run_job *job, int n,
                                 int (*value)(const run_job *, int, int64_t *))
{
    size_t cap = (size_t)n * 21 + 3, o = 0;
    char *s = kp_arena_alloc(a, cap);
    if (!s) return NULL;
    s[o++] = '{';
    for (int k = 0; k < n; k++) {
        int64_t v = 0;
        if (!value(job, k, &v)) continue;
        o += (size_t)snprintf(s + o, cap - o, "%s%lld", o > 1 ? "," : "", (long long)v);
    }
    memcpy(s + o, "}", 2);
    return s;
}

static int chosen_mentee(const run_job *job, int i, int64_t *v)
{
    *v = job->prob.in.mentees[i].id;
    return job->assign[i] >= 0;
}
static int chosen_mentor(const run_job *job, int i, int64_t *v)
{
    *v = job->assign[i] >= 0 ? job->prob.in.mentors[job->assign[i]].id : 0;
    return job->assign[i] >= 0;
}
static int chosen_score(const run_job *job, int i, int64_t *v)
{
    *v = job->score[i];
    return job->assign[i] >= 0;
}
static int reachable(const run_job *job, int i, int64_t *v)
{
    *v = job->prob.in.mentees[i].id;
    return job->has_pair[i];
}

/* On the threadpool: the pairs (pairs.c), greedy's total for the report,
 * the optimum, and the chosen pairs' scores; the pairs are freed here. */
static void solve(void *data)
{
    run_job *job = data;
    const pairs_input *in = &job->prob.in;
    pairs_output out;
    job->rc = pairs_build(in, &out, job->has_pair);
    job->n_eligible = out.n_eligible;
    if (job->rc != 0) return;
    job->p =
        (match_problem){in->n_mentees, in->n_mentors, job->capacity, out.n_edges, out.edges, 0};
    job->rc = match_greedy(&job->p, job->assign, &job->greedy);
    if (job->rc == 0) job->rc = match_solve(&job->p, job->assign, &job->best);
    for (int k = 0; job->rc == 0 && k < out.n_edges; k++)
        if (job->assign[out.edges[k].mentee] == out.edges[k].mentor)
            job->score[out.edges[k].mentee] = out.edges[k].score;
    free(out.edges);
    job->p.edges = NULL;
}

/* 409 for a round past round_max_pairs, saying how many pairs it has. */
static void too_many(http_req *r, const run_job *job)
{
    char *msg = kp_arena_alloc(http_req_arena(r), 200);
    if (!msg) {
        api_oom(r);
        return;
    }
    snprintf(msg, 200,
             "the round has %lld eligible pairs, more than the %lld a run takes; split it into "
             "smaller rounds (a sector focus each, fewer participants)",
             (long long)job->n_eligible, (long long)job->prob.in.max_pairs);
    api_fail(r, "conflict", msg, NULL);
}

static void solved(http_req *r, void *data)
{
    run_job *job = data;
    if (job->rc == PAIRS_ETOOMANY) {
        too_many(r, job);
        return;
    }
    if (job->rc == MATCH_EPIN) {
        api_fail(r, "conflict", "the pins do not fit the capacities; clear one and run again",
                 NULL);
        return;
    }
    kp_arena *a = http_req_arena(r);
    int n = job->prob.in.n_mentees;
    const char *p[9] = {NULL,
                        job->round,
                        NULL,
                        array_literal(a, job, n, chosen_mentee),
                        array_literal(a, job, n, chosen_mentor),
                        array_literal(a, job, n, chosen_score),
                        array_literal(a, job, n, reachable)};
    if (job->rc != 0 || !p[3] || !p[4] || !p[5] || !p[6]) {
        api_fail(r, "internal", job->rc ? match_strerror(job->rc) : "out of memory", NULL);
        return;
    }
    api_dec me = api_dec_of(job->who->account_id), runs = api_dec_of(job->prob.runs),
            total = api_dec_of(job->best.total), greedy = api_dec_of(job->greedy.total);
    p[0] = me.s;
    p[2] = runs.s;
    p[7] = total.s;
    p[8] = greedy.s;
    api_query(r, MEN_STMT(ROUND_STORE), 9, p, reply_round);
}

/* The job's arrays for the threadpool, from the arena (the loop's). */
static int job_arrays(kp_arena *a, run_job *job)
{
    const pairs_input *in = &job->prob.in;
    size_t ne = (size_t)in->n_mentees + 1, nm = (size_t)in->n_mentors + 1;
    job->capacity = kp_arena_alloc(a, sizeof(int) * nm);
    job->assign = kp_arena_alloc(a, sizeof(int) * ne);
    job->score = kp_arena_alloc(a, sizeof(int) * ne);
    job->has_pair = kp_arena_alloc(a, ne);
    if (!job->capacity || !job->assign || !job->score || !job->has_pair) return -1;
    for (int j = 0; j < in->n_mentors; j++)
        job->capacity[j] = in->mentors[j].limit;
    memset(job->score, 0, sizeof(int) * ne);
    memset(job->has_pair, 0, ne);
    return 0;
}

static void problem_done(http_req *r, const PGresult *res, void *data)
{
    run_job *job = data;
    const char *st = api_col(res, "status");
    if (!st || strcmp(st, "ok") != 0) { /* not_found, conflict: as SQL says */
        reply_round(r, res);
        return;
    }
    const kp_value *doc = api_json(r, api_col(res, "body"), &men_round_limits);
    if (!doc) return;
    kp_arena *a = http_req_arena(r);
    if (men_round_read(a, doc, &job->prob) != 0 || job_arrays(a, job) != 0) {
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
