/* scale.c — the transportation problem of flow.h by cost scaling
 * (Goldberg & Tarjan's push-relabel with epsilon-scaling, in the
 * assignment form of Goldberg & Kennedy), on the network
 *
 *     mentee --1, -weight*alpha--> mentor --cap, 0--> T
 *     mentee --1, 0--> T                    (staying unmatched costs nothing)
 *
 * where every unpinned mentee supplies one unit and T takes them all: a
 * min-cost flow here is a max-weight assignment.  Reduced costs are
 * cost + price[u] - price[v]; a flow is eps-optimal when every residual arc
 * has reduced cost >= -eps.  refine(eps) starts from no flow, sets the
 * mentees' prices so that this is eps-optimal, and pushes each unit along
 * admissible arcs (reduced cost < 0), lowering a node's price by at least
 * eps when it has none (relabel); pushes and relabels keep eps-optimality,
 * and it ends when every unit has reached T.  Eps goes down by SCALE_STEP
 * to 1; with costs multiplied by alpha > nodes, 1-optimal means optimal
 * (scale.h).
 *
 * A mentor may be a candidate of thousands of mentees but holds a few
 * units at a time, and only the arcs back to its holders are residual: it
 * keeps them in a list (hold) so that its pushes and relabels scan those
 * and its arc to T, not its whole adjacency.
 * Why not successive shortest paths (flow.c): each of its phases costs a
 * Dijkstra over every arc and there are as many phases as distinct path
 * costs; here the work per refine is close to linear, there are
 * log(max cost) refines, and the prices carry over when pricing.c adds
 * pairs, so a new solve starts from a near-optimal state. */
#include "match/scale.h"

#include <stdlib.h>

#include "match/match.h"

/* Eps is divided by this between refines.  Measured on the bench round
 * (10,000 x 2,000): 4 costs less in all than 8 (a refine's pushes grow
 * faster with the step than the refines drop) or 2. */
enum { SCALE_STEP = 4 };

struct scale_state {
    int n, m, nodes;     /* mentees, mentors, nodes (mentees, mentors, T) */
    int sink;            /* T = n + m */
    const int *capacity; /* [m] caller's */
    const int *pinned;   /* [n] caller's */
    int64_t alpha;       /* cost factor, > nodes */
    int64_t eps;         /* the last refine's eps */
    int64_t *price;      /* [nodes] kept across solves */
    int *excess;         /* [nodes] */
    int *cur;            /* [nodes] current arc */
    int *queue;          /* [nodes] FIFO ring of active nodes */
    int *head;           /* [nodes + 1] arcs of u: head[u] .. head[u+1]-1 */
    int *fill;           /* [nodes] next free slot while building */
    int *hold_n;         /* [m] holders of mentor j: hold[head[n+j] ..] */
    int *tarc;           /* [m] mentor j's arc to T, or -1 */
    int n_arcs, arc_cap; /* arcs in use / allocated */
    int *hold;           /* [arcs] per mentor: its arcs back to the mentees sending to it */
    int *hpos;           /* [arcs] where an arc back sits in hold, or -1 */
    int *to, *cap, *cap0, *rev, *orig; /* [arcs]; orig: the flow_arc or -1 */
    int64_t *cost;                     /* [arcs] */
};

scale_state *scale_new(int n_mentees, int n_mentors, const int *capacity, const int *pinned)
{
    scale_state *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->n = n_mentees;
    s->m = n_mentors;
    s->sink = n_mentees + n_mentors;
    s->nodes = s->sink + 1;
    s->capacity = capacity;
    s->pinned = pinned;
    s->alpha = (int64_t)s->nodes + 1;
    size_t nodes = (size_t)s->nodes;
    s->price = calloc(nodes, sizeof *s->price);
    s->excess = calloc(nodes, sizeof *s->excess);
    s->cur = calloc(nodes, sizeof *s->cur);
    s->queue = calloc(nodes, sizeof *s->queue);
    s->head = calloc(nodes + 1, sizeof *s->head);
    s->fill = calloc(nodes, sizeof *s->fill);
    s->hold_n = calloc((size_t)n_mentors + 1, sizeof *s->hold_n);
    s->tarc = calloc((size_t)n_mentors + 1, sizeof *s->tarc);
    if (!s->price || !s->excess || !s->cur || !s->queue || !s->head || !s->fill || !s->hold_n ||
        !s->tarc) {
        scale_free(s);
        return NULL;
    }
    return s;
}

int64_t scale_alpha(const scale_state *s)
{
    return s->alpha;
}

int64_t scale_next_eps(const scale_state *s)
{
    return s->eps / SCALE_STEP > 1 ? s->eps / SCALE_STEP : 1;
}

void scale_free(scale_state *s)
{
    if (!s) return;
    free(s->price);
    free(s->excess);
    free(s->cur);
    free(s->queue);
    free(s->head);
    free(s->fill);
    free(s->hold_n);
    free(s->tarc);
    free(s->hold);
    free(s->hpos);
    free(s->to);
    free(s->cap);
    free(s->cap0);
    free(s->rev);
    free(s->orig);
    free(s->cost);
    free(s);
}

/* ---- the network ---------------------------------------------------------- */

static int grow_arcs(scale_state *s, int need)
{
    if (need <= s->arc_cap) return 0;
    size_t n = (size_t)need;
    int *to = realloc(s->to, n * sizeof *to);
    if (to) s->to = to;
    int *cap = realloc(s->cap, n * sizeof *cap);
    if (cap) s->cap = cap;
    int *cap0 = realloc(s->cap0, n * sizeof *cap0);
    if (cap0) s->cap0 = cap0;
    int *rev = realloc(s->rev, n * sizeof *rev);
    if (rev) s->rev = rev;
    int *orig = realloc(s->orig, n * sizeof *orig);
    if (orig) s->orig = orig;
    int64_t *cost = realloc(s->cost, n * sizeof *cost);
    if (cost) s->cost = cost;
    int *hold = realloc(s->hold, n * sizeof *hold);
    if (hold) s->hold = hold;
    int *hpos = realloc(s->hpos, n * sizeof *hpos);
    if (hpos) s->hpos = hpos;
    if (!to || !cap || !cap0 || !rev || !orig || !cost || !hold || !hpos) return MATCH_ENOMEM;
    s->arc_cap = need;
    return 0;
}

static void add_arc(scale_state *s, int u, int v, int cap, int64_t cost, int orig)
{
    int a = s->fill[u]++, b = s->fill[v]++;
    s->to[a] = v;
    s->cap0[a] = cap;
    s->cost[a] = cost;
    s->rev[a] = b;
    s->orig[a] = orig;
    s->to[b] = u;
    s->cap0[b] = 0;
    s->cost[b] = -cost;
    s->rev[b] = a;
    s->orig[b] = -1;
}

static int live_mentee(const scale_state *s, int i)
{
    return s->pinned[i] < 0;
}

/* Walks the network's arcs: counting them per node (build == 0) or adding. */
static void walk_arcs(scale_state *s, const flow_arc *arcs, int n_arcs, int build)
{
    for (int i = 0; i < s->n; i++)
        if (live_mentee(s, i)) {
            if (build)
                add_arc(s, i, s->sink, 1, 0, -1);
            else
                s->head[i + 1]++, s->head[s->sink + 1]++;
        }
    for (int k = 0; k < n_arcs; k++) {
        int u = arcs[k].mentee, v = s->n + arcs[k].mentor;
        if (build)
            add_arc(s, u, v, 1, -arcs[k].weight * s->alpha, k);
        else
            s->head[u + 1]++, s->head[v + 1]++;
    }
    for (int j = 0; j < s->m; j++)
        if (s->capacity[j] > 0) {
            if (build) s->tarc[j] = s->fill[s->n + j];
            if (build)
                add_arc(s, s->n + j, s->sink, s->capacity[j], 0, -1);
            else
                s->head[s->n + j + 1]++, s->head[s->sink + 1]++;
        }
}

static int build(scale_state *s, const flow_arc *arcs, int n_arcs)
{
    for (int u = 0; u <= s->nodes; u++)
        s->head[u] = 0;
    walk_arcs(s, arcs, n_arcs, 0);
    for (int u = 0; u < s->nodes; u++)
        s->head[u + 1] += s->head[u];
    if (grow_arcs(s, s->head[s->nodes] + 1) != 0) return MATCH_ENOMEM;
    s->n_arcs = s->head[s->nodes];
    for (int u = 0; u < s->nodes; u++)
        s->fill[u] = s->head[u];
    for (int j = 0; j < s->m; j++)
        s->tarc[j] = -1;
    walk_arcs(s, arcs, n_arcs, 1);
    return 0;
}

/* ---- push-relabel ----------------------------------------------------------- */

static int64_t reduced(const scale_state *s, int u, int a)
{
    return s->cost[a] + s->price[u] - s->price[s->to[a]];
}

/* The largest price u can keep with one residual arc at reduced cost -eps
 * and none below (a node with excess always has a residual arc: a mentee
 * its way to T or back, a mentor the arc back to a mentee that sent). */
static int is_mentor(const scale_state *s, int u)
{
    return u >= s->n && u < s->sink;
}

static void consider(const scale_state *s, int a, int64_t *best)
{
    if (s->cap[a] > 0 && s->price[s->to[a]] - s->cost[a] > *best)
        *best = s->price[s->to[a]] - s->cost[a];
}

static void relabel(scale_state *s, int u, int64_t eps)
{
    int64_t best = INT64_MIN;
    if (is_mentor(s, u)) {
        int j = u - s->n;
        if (s->tarc[j] >= 0) consider(s, s->tarc[j], &best);
        for (int h = 0; h < s->hold_n[j]; h++)
            consider(s, s->hold[s->head[u] + h], &best);
    } else {
        for (int a = s->head[u]; a < s->head[u + 1]; a++)
            consider(s, a, &best);
    }
    s->price[u] = best - eps;
}

/* Keeps mentor lists right when a unit moves between a mentee and a
 * mentor: a is the mentor's arc back to the mentee. */
static void hold_add(scale_state *s, int mentor_node, int a)
{
    int j = mentor_node - s->n;
    s->hpos[a] = s->hold_n[j];
    s->hold[s->head[mentor_node] + s->hold_n[j]++] = a;
}

static void hold_remove(scale_state *s, int mentor_node, int a)
{
    int j = mentor_node - s->n, base = s->head[mentor_node];
    int last = s->hold[base + --s->hold_n[j]];
    s->hold[base + s->hpos[a]] = last;
    s->hpos[last] = s->hpos[a];
    s->hpos[a] = -1;
}

/* Pushes d units along arc a of u, queueing the head if that gives it
 * excess (a node is queued at most once: only when its excess turns
 * positive). */
static void push(scale_state *s, int u, int a, int d, int *qt)
{
    int w = s->to[a];
    if (u < s->n && is_mentor(s, w)) hold_add(s, w, s->rev[a]);
    if (is_mentor(s, u) && w < s->n) hold_remove(s, u, a);
    s->cap[a] -= d;
    s->cap[s->rev[a]] += d;
    s->excess[u] -= d;
    s->excess[w] += d;
    if (s->excess[w] > 0 && s->excess[w] <= d) {
        s->queue[*qt] = w;
        *qt = (*qt + 1) % s->nodes;
    }
}

/* Pushes u's excess out, relabelling when no admissible arc is left. */
/* A mentor's admissible arc among its arc to T and its holders, or -1. */
static int mentor_admissible(const scale_state *s, int u)
{
    int j = u - s->n, t = s->tarc[j];
    if (t >= 0 && s->cap[t] > 0 && reduced(s, u, t) < 0) return t;
    for (int h = 0; h < s->hold_n[j]; h++)
        if (reduced(s, u, s->hold[s->head[u] + h]) < 0) return s->hold[s->head[u] + h];
    return -1;
}

static void discharge_mentor(scale_state *s, int u, int64_t eps, int *qt)
{
    while (s->excess[u] > 0) {
        int a = mentor_admissible(s, u);
        if (a < 0)
            relabel(s, u, eps);
        else
            push(s, u, a, s->excess[u] < s->cap[a] ? s->excess[u] : s->cap[a], qt);
    }
}

static void discharge(scale_state *s, int u, int64_t eps, int *qt)
{
    if (is_mentor(s, u)) {
        discharge_mentor(s, u, eps, qt);
        return;
    }
    while (s->excess[u] > 0) {
        int a = s->cur[u], end = s->head[u + 1];
        while (a < end && (s->cap[a] == 0 || reduced(s, u, a) >= 0))
            a++;
        if (a == end) {
            relabel(s, u, eps);
            s->cur[u] = s->head[u];
            continue;
        }
        s->cur[u] = a;
        push(s, u, a, s->excess[u] < s->cap[a] ? s->excess[u] : s->cap[a], qt);
    }
}

/* An eps-optimal start: the mentees' units back home with prices putting
 * each one's best arc at exactly -eps (Goldberg & Kennedy's trick: nothing
 * flows into a mentee then, so its price is free), and each mentor's arc
 * to T full when its reduced cost is negative, empty otherwise.  The
 * mentors' prices, which carry what the last refine learnt, are kept. */
static void reset(scale_state *s, int64_t eps, int *qt)
{
    for (int a = 0; a < s->n_arcs; a++) {
        s->cap[a] = s->cap0[a];
        s->hpos[a] = -1;
    }
    for (int j = 0; j < s->m; j++)
        s->hold_n[j] = 0;
    for (int u = 0; u < s->nodes; u++) {
        s->excess[u] = 0;
        s->cur[u] = s->head[u];
    }
    for (int i = 0; i < s->n; i++)
        if (live_mentee(s, i)) {
            s->excess[i] = 1;
            s->excess[s->sink]--;
            relabel(s, i, eps);
            s->queue[(*qt)++] = i;
        }
    for (int j = 0; j < s->m; j++) {
        int u = s->n + j;
        for (int a = s->head[u]; a < s->head[u + 1]; a++)
            if (s->to[a] == s->sink && s->cap[a] > 0 && reduced(s, u, a) < 0)
                push(s, u, a, s->cap[a], qt);
    }
    *qt %= s->nodes;
}

static void refine(scale_state *s, int64_t eps)
{
    int qh = 0, qt = 0;
    reset(s, eps, &qt);
    while (qh != qt) {
        int u = s->queue[qh];
        qh = (qh + 1) % s->nodes;
        discharge(s, u, eps, &qt);
    }
}

int scale_solve(scale_state *s, const flow_arc *arcs, int n_arcs, int64_t eps0, int64_t eps_end,
                int *chosen)
{
    if (build(s, arcs, n_arcs) != 0) return MATCH_ENOMEM;
    int64_t eps = eps0 > 1 ? eps0 : 1;
    for (;;) {
        refine(s, eps);
        if (eps <= eps_end || eps == 1) break;
        eps = eps / SCALE_STEP > 1 ? eps / SCALE_STEP : 1;
    }
    s->eps = eps;
    for (int i = 0; i < s->n; i++) {
        chosen[i] = -1;
        for (int a = s->head[i]; a < s->head[i + 1]; a++)
            if (s->orig[a] >= 0 && s->cap[a] == 0) chosen[i] = s->orig[a];
    }
    return 0;
}

const int64_t *scale_prices(const scale_state *s)
{
    return s->price;
}

/* Independent of the excess array: every arc pair keeps its capacity, and
 * each node sends out what it supplies (a live mentee 1, a mentor 0). */
int scale_check(const scale_state *s)
{
    if (s->eps != 1) return MATCH_ECERT;
    for (int u = 0; u < s->sink; u++) {
        int net = 0;
        for (int a = s->head[u]; a < s->head[u + 1]; a++) {
            int b = s->rev[a];
            if (s->cap[a] < 0 || s->cap[a] + s->cap[b] != s->cap0[a] + s->cap0[b])
                return MATCH_ECERT;
            net += s->cap0[a] > 0 ? s->cap0[a] - s->cap[a] : -s->cap[a];
            if (s->cap[a] > 0 && reduced(s, u, a) < -1) return MATCH_ECERT;
        }
        if (net != (u < s->n && live_mentee(s, u))) return MATCH_ECERT;
    }
    for (int a = s->head[s->sink]; a < s->head[s->nodes]; a++) /* T's arcs back */
        if (s->cap[a] > 0 && reduced(s, s->sink, a) < -1) return MATCH_ECERT;
    return 0;
}
