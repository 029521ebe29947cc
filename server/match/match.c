/* match.c — the round optimiser's entry points (match.h): input checks,
 * pins, the weights that encode the objective, and the greedy baseline.
 * The optimum itself is pricing.c (candidate pairs proven by LP duality)
 * over scale.c (min-cost flow by cost scaling).
 *
 * Pins are applied first (their mentors' capacities reduced, their mentees
 * removed); the flow optimises the rest. */
#include "match/match.h"

#include <stdlib.h>
#include <string.h>

#include "match/pricing.h"

/* ---- input checks and pins ---------------------------------------------- */

static int check_problem(const match_problem *p)
{
    if (!p || p->n_mentees < 0 || p->n_mentors < 0 || p->n_edges < 0 ||
        (int64_t)p->n_mentees + p->n_mentors > MATCH_MAX_NODES || p->n_edges > MATCH_MAX_EDGES)
        return MATCH_EINVAL;
    if ((p->n_mentors > 0 && !p->capacity) || (p->n_edges > 0 && !p->edges)) return MATCH_EINVAL;
    for (int j = 0; j < p->n_mentors; j++)
        if (p->capacity[j] < 0 || p->capacity[j] > MATCH_MAX_NODES) return MATCH_EINVAL;
    for (int k = 0; k < p->n_edges; k++) {
        const match_edge *e = &p->edges[k];
        if (e->mentee < 0 || e->mentee >= p->n_mentees || e->mentor < 0 ||
            e->mentor >= p->n_mentors || e->score < 0 || e->score > MATCH_SCORE_MAX)
            return MATCH_EINVAL;
    }
    return 0;
}

/* 1 when the pairs come grouped by mentee in ascending order (the mentoring
 * SQL orders them so): the duplicate check then needs no sort. */
static int by_mentee(const match_problem *p)
{
    for (int k = 1; k < p->n_edges; k++)
        if (p->edges[k].mentee < p->edges[k - 1].mentee) return 0;
    return 1;
}

/* A pair given twice is an error in the caller's SQL, not a tie to break. */
static int check_duplicates(const match_problem *p)
{
    /* Edges grouped by mentee (as given, or through a counting sort), then
     * a stamp per mentor: O(V + E). */
    int sorted = by_mentee(p);
    int *start = sorted ? NULL : calloc((size_t)p->n_mentees + 1, sizeof *start);
    int *order = sorted ? NULL : calloc((size_t)p->n_edges + 1, sizeof *order);
    int *stamp = malloc(((size_t)p->n_mentors + 1) * sizeof *stamp);
    int rc = 0;
    if (!stamp || (!sorted && (!start || !order))) {
        rc = MATCH_ENOMEM;
        goto out;
    }
    if (!sorted) {
        for (int k = 0; k < p->n_edges; k++)
            start[p->edges[k].mentee + 1]++;
        for (int i = 0; i < p->n_mentees; i++)
            start[i + 1] += start[i];
        for (int k = 0; k < p->n_edges; k++)
            order[start[p->edges[k].mentee]++] = k;
    }
    for (int j = 0; j < p->n_mentors; j++)
        stamp[j] = -1;
    for (int k = 0; k < p->n_edges && rc == 0; k++) {
        const match_edge *e = &p->edges[sorted ? k : order[k]];
        if (stamp[e->mentor] == e->mentee) rc = MATCH_EDUP;
        stamp[e->mentor] = e->mentee;
    }
out:
    free(start);
    free(order);
    free(stamp);
    return rc;
}

/* Pinned pairs into assign, their mentors' capacity taken; the rest -1. */
static int apply_pins(const match_problem *p, int *assign, int *cap_left, match_result *out)
{
    for (int i = 0; i < p->n_mentees; i++)
        assign[i] = -1;
    for (int j = 0; j < p->n_mentors; j++)
        cap_left[j] = p->capacity[j];
    *out = (match_result){0};
    for (int k = 0; k < p->n_edges; k++) {
        const match_edge *e = &p->edges[k];
        if (!e->pinned) continue;
        if (assign[e->mentee] >= 0 || cap_left[e->mentor] == 0) return MATCH_EPIN;
        assign[e->mentee] = e->mentor;
        cap_left[e->mentor]--;
        out->total += e->score;
        out->pairs++;
    }
    return 0;
}

/* Larger than any total of real scores, so one more pair always outweighs
 * any difference in score (MATCH_OPT_MAX_PAIRS). */
static int64_t pair_bonus(const match_problem *p)
{
    int64_t pairs = p->n_mentees, top = 0;
    for (int k = 0; k < p->n_edges; k++)
        if (p->edges[k].score > top) top = p->edges[k].score;
    return pairs * top + 1;
}

int match_solve_k(const match_problem *p, int k, int *assign, match_result *out)
{
    int rc = check_problem(p);
    if (rc == 0) rc = check_duplicates(p);
    if (rc != 0) return rc;
    int *cap_left = malloc(((size_t)p->n_mentors + 1) * sizeof *cap_left);
    int *pinned = malloc(((size_t)p->n_mentees + 1) * sizeof *pinned);
    rc = cap_left && pinned ? apply_pins(p, assign, cap_left, out) : MATCH_ENOMEM;
    if (rc == 0) {
        for (int i = 0; i < p->n_mentees; i++)
            pinned[i] = assign[i];
        /* Lexicographic weights, see pricing.c: score then pairs, or
         * pairs (the bonus) then score. */
        int max_pairs = (p->flags & MATCH_OPT_MAX_PAIRS) != 0;
        pricing_input in = {p,
                            pinned,
                            cap_left,
                            max_pairs ? 1 : (int64_t)p->n_mentees + 1,
                            max_pairs ? pair_bonus(p) : 1,
                            k};
        rc = pricing_solve(&in, assign, &out->passes, &out->arcs);
    }
    for (int x = 0; rc == 0 && x < p->n_edges; x++) { /* no pair twice: each found once */
        const match_edge *e = &p->edges[x];
        if (pinned[e->mentee] < 0 && assign[e->mentee] == e->mentor) {
            out->total += e->score;
            out->pairs++;
        }
    }
    free(cap_left);
    free(pinned);
    return rc;
}

int match_solve(const match_problem *p, int *assign, match_result *out)
{
    return match_solve_k(p, MATCH_CANDIDATES, assign, out);
}

/* ---- the greedy baseline -------------------------------------------------- */

/* The pairs in greedy order, higher score first, then input order: a
 * stable counting sort on the score (scores are bounded), O(E); a qsort of
 * 10 million pairs took over a second.  Caller frees; NULL when out of
 * memory. */
static int *greedy_order(const match_problem *p)
{
    int *count = calloc((size_t)MATCH_SCORE_MAX + 2, sizeof *count);
    int *order = malloc(((size_t)p->n_edges + 1) * sizeof *order);
    if (!count || !order) {
        free(count);
        free(order);
        return NULL;
    }
    for (int k = 0; k < p->n_edges; k++) /* key: MATCH_SCORE_MAX - score */
        count[MATCH_SCORE_MAX - p->edges[k].score + 1]++;
    for (int key = 0; key <= MATCH_SCORE_MAX; key++)
        count[key + 1] += count[key];
    for (int k = 0; k < p->n_edges; k++)
        order[count[MATCH_SCORE_MAX - p->edges[k].score]++] = k;
    free(count);
    return order;
}

int match_greedy(const match_problem *p, int *assign, match_result *out)
{
    int rc = check_problem(p);
    if (rc == 0) rc = check_duplicates(p);
    if (rc != 0) return rc;
    int *cap_left = malloc(((size_t)p->n_mentors + 1) * sizeof *cap_left);
    int *order = greedy_order(p);
    if (!cap_left || !order) {
        free(cap_left);
        free(order);
        return MATCH_ENOMEM;
    }
    rc = apply_pins(p, assign, cap_left, out);
    for (int k = 0; k < p->n_edges && rc == 0; k++) {
        const match_edge *e = &p->edges[order[k]];
        if (e->pinned || assign[e->mentee] >= 0 || cap_left[e->mentor] == 0) continue;
        assign[e->mentee] = e->mentor;
        cap_left[e->mentor]--;
        out->total += e->score;
        out->pairs++;
    }
    free(cap_left);
    free(order);
    return rc;
}

const char *match_strerror(int code)
{
    switch (code) {
    case 0:
        return "ok";
    case MATCH_EINVAL:
        return "an index, capacity, score or size is out of range";
    case MATCH_EDUP:
        return "a pair is given twice";
    case MATCH_EPIN:
        return "pinned pairs contradict each other or a capacity";
    case MATCH_ENOMEM:
        return "out of memory";
    case MATCH_ECERT:
        return "internal: the optimum's certificate failed";
    default:
        return "unknown error";
    }
}
