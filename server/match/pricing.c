/* pricing.c — the exact optimum of a round without handing every eligible
 * pair to the solver (pricing.h).  A round of 10,000 mentees and 2,000
 * mentors has ~10 million eligible pairs, but an optimum uses at most one per
 * mentee; so the solver (scale.c) runs on candidates, a few pairs per mentee,
 * and its prices decide whether the candidates were enough.
 *
 * Why the answer is exact.  The round is a min-cost flow (scale.c's
 * network) over the eligible pairs E; scale.c solves it over candidates
 * C, a subset of E, and returns a flow with node prices such that every
 * residual arc of C's network has reduced cost >= -1 with costs multiplied
 * by alpha > N (N the nodes).  The network over E has the same nodes and
 * the same flow; its residual arcs are C's plus the unused pairs of E \ C.
 * We check those too (reduced cost >= -1), and scale_check re-checks C's
 * and the flow's conservation.  Then the flow is (1/alpha)-optimal over E
 * in unscaled costs, and every cycle of the residual network (at most N
 * arcs) costs more than -N/alpha > -1; costs are integers, so no cycle is
 * negative, which is exactly optimality of a min-cost flow.  When pairs of
 * E \ C fail the check, the k worst of each mentee join C and the solver
 * runs again from its prices; every pass adds a pair, so it ends (in
 * practice after a few passes).  A failed scale_check would be a bug in
 * scale.c: MATCH_ECERT, never an unproven answer.
 *
 * The objective is kept whole through the weights: score * (n + 1) + 1
 * ranks by total score, then by pairs (at most n pairs, so the +1s never
 * outweigh one point); MATCH_OPT_MAX_PAIRS uses score + bonus instead
 * (match.c chooses).  k <= 0 is the reference path: all pairs to flow.c's
 * successive shortest paths at once, as before the pricing existed.
 *
 * How the passes go.  Most of a solve's time is in its last refines, where
 * eps is below one score point: they settle ties and the fine order of
 * prices, which choosing candidates does not need.  So the passes that look
 * for candidates stop there (coarse: eps down to one point, scale_solve's
 * eps_end), add the pairs those prices find breaking the proof, and solve
 * again; once no pair breaks it by more than a point, one solve goes down
 * to eps 1 and the proof is checked as above (more pairs and passes if it
 * fails: usually few and small).  A coarse pass proves nothing; it only
 * picks candidates.  The live pairs are copied once, grouped by mentee, as
 * (mentor, score): every pass then reads them in order, and checking a pair
 * is a multiply, a load of its mentor's price and a compare. */
#include "match/pricing.h"

#include <stdlib.h>

#include "match/flow.h"
#include "match/scale.h"

/* A live pair as the passes read it (its mentee is implied by its group). */
typedef struct live_pair {
    int mentor;
    int32_t score;
} live_pair;

typedef struct pricer {
    const pricing_input *in;
    int *start;             /* [n_mentees + 1] live pairs of mentee i: start[i] .. start[i+1]-1 */
    live_pair *pair;        /* [live] grouped by mentee */
    unsigned char *is_cand; /* [live] 1 when the pair is a candidate */
    flow_arc *cand;         /* [cand_cap] the candidates */
    int n_cand, cand_cap;
    scale_state *solver;
    int *chosen;    /* [n_mentees] the solver's arc per mentee or -1 */
    int64_t worst;  /* the most negative reduced cost priced last */
    int take;       /* pairs added per mentee and pass: k, at least 1 */
    int64_t *slack; /* [take] the smallest keys kept for one mentee */
    int *pick;      /* [take] their live positions */
} pricer;

static int64_t weight(const pricing_input *in, int32_t score)
{
    return (int64_t)score * in->mul + in->add;
}

/* A pair the flow may use: its mentee not pinned, its mentor with room. */
static int live(const pricing_input *in, const match_edge *e)
{
    return in->pinned[e->mentee] < 0 && in->cap_left[e->mentor] > 0;
}

/* Live pairs grouped by mentee (counting sort, O(V + E); in order when
 * the caller's pairs come by mentee, as the mentoring SQL gives them). */
static int group_by_mentee(pricer *s)
{
    const match_problem *p = s->in->p;
    s->start = calloc((size_t)p->n_mentees + 2, sizeof *s->start);
    if (!s->start) return MATCH_ENOMEM;
    for (int k = 0; k < p->n_edges; k++)
        if (live(s->in, &p->edges[k])) s->start[p->edges[k].mentee + 2]++;
    for (int i = 0; i < p->n_mentees; i++)
        s->start[i + 2] += s->start[i + 1];
    int n_live = s->start[p->n_mentees + 1];
    s->pair = calloc((size_t)n_live + 1, sizeof *s->pair);
    s->is_cand = calloc((size_t)n_live + 1, 1);
    if (!s->pair || !s->is_cand) return MATCH_ENOMEM;
    for (int k = 0; k < p->n_edges; k++) {
        const match_edge *e = &p->edges[k];
        if (live(s->in, e)) s->pair[s->start[e->mentee + 1]++] = (live_pair){e->mentor, e->score};
    }
    return 0; /* start[i] .. start[i+1]-1 now hold mentee i's pairs */
}

static int add_candidate(pricer *s, int mentee, int pos)
{
    if (s->n_cand == s->cand_cap) {
        int grown = s->cand_cap ? 2 * s->cand_cap : 4096;
        flow_arc *c = realloc(s->cand, (size_t)grown * sizeof *c);
        if (!c) return MATCH_ENOMEM;
        s->cand = c;
        s->cand_cap = grown;
    }
    const live_pair *e = &s->pair[pos];
    s->cand[s->n_cand++] = (flow_arc){mentee, e->mentor, weight(s->in, e->score)};
    s->is_cand[pos] = 1;
    return 0;
}

/* Keeps the k smallest keys seen for one mentee (insertion into a sorted
 * array of at most k: the lists are short). */
static void keep_smallest(pricer *s, int *kept, int64_t key, int pos)
{
    int k = s->take, n = *kept;
    if (n == k && key >= s->slack[n - 1]) return;
    int at = n < k ? n++ : n - 1;
    while (at > 0 && s->slack[at - 1] > key) {
        s->slack[at] = s->slack[at - 1];
        s->pick[at] = s->pick[at - 1];
        at--;
    }
    s->slack[at] = key;
    s->pick[at] = pos;
    *kept = n;
}

/* The first candidates: each mentee's k best-scoring pairs (all when k <= 0). */
static int first_candidates(pricer *s)
{
    const match_problem *p = s->in->p;
    for (int i = 0; i < p->n_mentees; i++) {
        int kept = 0;
        for (int pos = s->start[i]; pos < s->start[i + 1]; pos++) {
            if (s->in->k <= 0) {
                if (add_candidate(s, i, pos) != 0) return MATCH_ENOMEM;
                continue;
            }
            keep_smallest(s, &kept, -(int64_t)s->pair[pos].score, pos);
        }
        for (int t = 0; t < kept; t++)
            if (add_candidate(s, i, s->pick[t]) != 0) return MATCH_ENOMEM;
    }
    return 0;
}

/* The mentee whose group holds position pos (binary search on start). */
static int mentee_of(const pricer *s, int pos)
{
    int lo = 0, hi = s->in->p->n_mentees - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (s->start[mid] <= pos)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* One pair offered to its mentor's list of best mentees (sorted by score,
 * best first; b and bs the list's positions and scores, room its size). */
static void offer(int *b, int32_t *bs, int *len, int room, int pos, int32_t score)
{
    int at = *len;
    if (room == 0 || (at == room && bs[at - 1] >= score)) return;
    if (at < room)
        ++*len;
    else
        at--;
    while (at > 0 && bs[at - 1] < score) {
        b[at] = b[at - 1];
        bs[at] = bs[at - 1];
        at--;
    }
    b[at] = pos;
    bs[at] = score;
}

/* Each mentor's best mentees too (twice its places, plus two), so that a
 * mentor nobody ranks high still has bidders from the first solve: fewer
 * pricing passes. */
static int mentor_candidates(pricer *s)
{
    const match_problem *p = s->in->p;
    int *off = calloc((size_t)p->n_mentors + 1, sizeof *off), *len = NULL, *best = NULL;
    int32_t *bs = NULL;
    int rc = off ? 0 : MATCH_ENOMEM;
    for (int j = 0; rc == 0 && j < p->n_mentors; j++)
        off[j + 1] = off[j] + (s->in->cap_left[j] > 0 ? 2 * s->in->cap_left[j] + 2 : 0);
    if (rc == 0) {
        len = calloc((size_t)p->n_mentors + 1, sizeof *len);
        best = calloc((size_t)off[p->n_mentors] + 1, sizeof *best);
        bs = calloc((size_t)off[p->n_mentors] + 1, sizeof *bs);
        if (!len || !best || !bs) rc = MATCH_ENOMEM;
    }
    for (int pos = 0; rc == 0 && pos < s->start[p->n_mentees]; pos++) {
        int j = s->pair[pos].mentor;
        offer(best + off[j], bs + off[j], &len[j], off[j + 1] - off[j], pos, s->pair[pos].score);
    }
    for (int j = 0; rc == 0 && j < p->n_mentors; j++)
        for (int t = 0; rc == 0 && t < len[j]; t++)
            if (!s->is_cand[best[off[j] + t]])
                rc = add_candidate(s, mentee_of(s, best[off[j] + t]), best[off[j] + t]);
    free(off);
    free(len);
    free(best);
    free(bs);
    return rc;
}

/* Checks every live pair outside C (inside, scale_check does) against the
 * solver's prices; the k most violating pairs of each mentee become
 * candidates.  *added counts them. */
static int price(pricer *s, int *added)
{
    const match_problem *p = s->in->p;
    const int64_t *price = scale_prices(s->solver), *mentor_price = price + p->n_mentees;
    const int64_t alpha = scale_alpha(s->solver), per_point = s->in->mul * alpha;
    *added = 0;
    s->worst = 0;
    for (int i = 0; i < p->n_mentees; i++) {
        /* reduced cost: price[i] - weight * alpha - price[mentor] */
        int64_t base = price[i] - s->in->add * alpha;
        int kept = 0;
        for (int pos = s->start[i]; pos < s->start[i + 1]; pos++) {
            const live_pair *e = &s->pair[pos];
            int64_t r = base - e->score * per_point - mentor_price[e->mentor];
            if (r >= -1 || s->is_cand[pos]) continue;
            if (r < s->worst) s->worst = r;
            keep_smallest(s, &kept, r, pos);
        }
        for (int t = 0; t < kept; t++)
            if (add_candidate(s, i, s->pick[t]) != 0) return MATCH_ENOMEM;
        *added += kept;
    }
    return 0;
}

/* The assignment, with the capacities checked once more. */
static int write_assignment(pricer *s, int *assign)
{
    const match_problem *p = s->in->p;
    int *load = calloc((size_t)p->n_mentors + 1, sizeof *load);
    int rc = load ? 0 : MATCH_ENOMEM;
    for (int i = 0; rc == 0 && i < p->n_mentees; i++) {
        if (s->in->pinned[i] >= 0) continue;
        int c = s->chosen[i];
        if (c >= s->n_cand || !s->cand) c = -1; /* cannot happen: an arc of the solve */
        assign[i] = c < 0 ? -1 : s->cand[c].mentor;
        if (c >= 0 && ++load[assign[i]] > s->in->cap_left[assign[i]]) rc = MATCH_ECERT;
    }
    free(load);
    return rc;
}

static int alloc_pricer(pricer *s)
{
    const match_problem *p = s->in->p;
    s->take = s->in->k > 0 ? s->in->k : 1;
    size_t k = (size_t)s->take;
    s->chosen = malloc(((size_t)p->n_mentees + 1) * sizeof *s->chosen);
    s->slack = malloc(k * sizeof *s->slack);
    s->pick = malloc(k * sizeof *s->pick);
    s->solver = scale_new(p->n_mentees, p->n_mentors, s->in->cap_left, s->in->pinned);
    return s->chosen && s->slack && s->pick && s->solver ? 0 : MATCH_ENOMEM;
}

static void free_pricer(pricer *s)
{
    free(s->start);
    free(s->pair);
    free(s->is_cand);
    free(s->cand);
    free(s->chosen);
    scale_free(s->solver);
    free(s->slack);
    free(s->pick);
}

/* The largest weight times alpha: the first eps, where every price is
 * still far from its final value. */
static int64_t first_eps(const pricer *s)
{
    int64_t top = 1;
    for (int c = 0; c < s->n_cand; c++)
        if (s->cand[c].weight > top) top = s->cand[c].weight;
    return top * scale_alpha(s->solver);
}

/* The reference: every live pair to flow.c at once, one solve. */
static int solve_reference(pricer *s)
{
    const match_problem *p = s->in->p;
    int rc = 0;
    for (int i = 0; rc == 0 && i < p->n_mentees; i++)
        for (int pos = s->start[i]; rc == 0 && pos < s->start[i + 1]; pos++)
            if (!s->is_cand[pos]) rc = add_candidate(s, i, pos);
    flow_problem fp = {p->n_mentees, p->n_mentors, s->in->cap_left, s->n_cand, s->cand};
    return rc == 0 ? flow_solve(&fp, s->chosen) : rc;
}

/* Coarse passes (see the head comment): the eps the exact passes start
 * from, or -1 with *rc set on an error. */
static int64_t coarse_passes(pricer *s, int64_t eps, int *passes, int *rc)
{
    int64_t point = s->in->mul * scale_alpha(s->solver);
    int added = 1;
    while (*rc == 0 && eps > point) {
        *rc = scale_solve(s->solver, s->cand, s->n_cand, eps, point, s->chosen);
        ++*passes;
        if (*rc == 0) *rc = price(s, &added);
        /* The new pairs' violation, or where the refines stopped: the
         * prices are that close, and no closer. */
        eps = -s->worst > scale_next_eps(s->solver) ? -s->worst : scale_next_eps(s->solver);
        if (added == 0) break;
    }
    return eps;
}

int pricing_solve(const pricing_input *in, int *assign, int *passes, int64_t *arcs)
{
    pricer s = {.in = in};
    int rc = alloc_pricer(&s), added = 1;
    if (rc == 0) rc = group_by_mentee(&s);
    if (rc == 0) rc = first_candidates(&s);
    if (rc == 0 && in->k > 0) rc = mentor_candidates(&s);
    *passes = 0;
    /* Prices drift by at most a few times nodes * eps over the refines; a
     * round so large that this could leave int64 takes the reference path
     * (exact too, only slower).  Real rounds are far below it. */
    int64_t eps = rc == 0 ? first_eps(&s) : 1;
    int huge = rc == 0 && (double)eps * (double)scale_alpha(s.solver) * 8.0 > (double)INT64_MAX / 2;
    if (rc == 0 && (in->k <= 0 || huge)) {
        rc = solve_reference(&s);
        *passes = 1;
        added = 0;
    } else if (rc == 0) {
        eps = coarse_passes(&s, eps, passes, &rc);
    }
    while (rc == 0 && added > 0) { /* exact passes: down to eps 1, then the proof */
        rc = scale_solve(s.solver, s.cand, s.n_cand, eps, 1, s.chosen);
        ++*passes;
        if (rc == 0) rc = scale_check(s.solver);
        if (rc == 0) rc = price(&s, &added);
        eps = -s.worst;
    }
    if (rc == 0) rc = write_assignment(&s, assign);
    *arcs = s.n_cand;
    free_pricer(&s);
    return rc;
}
