/* match.c — exact optimum of a round (match.h): min-cost flow on
 *
 *     S --1,0--> mentee --1,-score--> mentor --cap,0--> T
 *
 * by successive shortest paths.  Each augmentation moves one unit (each
 * mentee takes at most one mentor), and with every eligible score >= 0 the
 * cost of the k-th cheapest flow is convex in k, so the first augmenting
 * path whose cost is > 0 proves the optimum: stopping there maximises the
 * total score (and, among equal totals, takes the most pairs, because
 * zero-cost paths are still taken).  Dijkstra runs on reduced costs
 * cost + pot[u] - pot[v] >= 0; the initial potentials come from the
 * layered shape in one pass (no Bellman-Ford needed).  Each Dijkstra stops
 * once T is settled, and after it a blocking flow (Dinic) moves every unit
 * it can along zero reduced-cost arcs, all of them shortest paths of the
 * same cost, so one search serves many augmentations (primal-dual).
 *
 * Pins are applied first (their mentors' capacities reduced, their mentees
 * removed); the flow optimises the rest. */
#include "match/match.h"

#include <stdlib.h>
#include <string.h>

#define INF_DIST (INT64_MAX / 4)

typedef struct graph {
    int n;         /* nodes: S, mentees, mentors, T */
    int *head;     /* [n + 1]: arcs of node u are head[u] .. head[u+1]-1 */
    int *to;       /* [arcs] */
    int *cap;      /* [arcs] residual capacity */
    int64_t *cost; /* [arcs] */
    int *rev;      /* [arcs] the opposite arc */
    int *fill;     /* [n] next free slot per node while building */
} graph;

typedef struct heap_item {
    int64_t d;
    int v;
} heap_item;

typedef struct solver {
    const match_problem *p;
    graph g;
    int *cap_left;   /* [n_mentors] capacity after pins */
    int64_t bonus;   /* added to every score (MATCH_OPT_MAX_PAIRS), else 0 */
    int64_t *pot;    /* [n] potentials */
    int64_t *dist;   /* [n] */
    int *prev_arc;   /* [n] arc that reached the node; then BFS queue, path */
    int *level;      /* [n] BFS level in the admissible graph */
    int *cur;        /* [n] current arc of the blocking flow */
    heap_item *heap; /* [arcs + 1] lazy-deletion binary heap */
    int heap_len;
    int mentor_base; /* node of mentor 0 */
    int sink;
} solver;

static int node_mentee(int i)
{
    return 1 + i;
}

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

/* A pair given twice is an error in the caller's SQL, not a tie to break. */
static int check_duplicates(const match_problem *p)
{
    /* Edges grouped by mentee through a counting sort, then a stamp per
     * mentor: O(V + E). */
    int *start = calloc((size_t)p->n_mentees + 1, sizeof *start);
    int *order = malloc(((size_t)p->n_edges + 1) * sizeof *order);
    int *stamp = malloc(((size_t)p->n_mentors + 1) * sizeof *stamp);
    int rc = 0;
    if (!start || !order || !stamp) {
        rc = MATCH_ENOMEM;
        goto out;
    }
    for (int k = 0; k < p->n_edges; k++)
        start[p->edges[k].mentee + 1]++;
    for (int i = 0; i < p->n_mentees; i++)
        start[i + 1] += start[i];
    for (int k = 0; k < p->n_edges; k++)
        order[start[p->edges[k].mentee]++] = k;
    for (int j = 0; j < p->n_mentors; j++)
        stamp[j] = -1;
    for (int k = 0; k < p->n_edges && rc == 0; k++) {
        const match_edge *e = &p->edges[order[k]];
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
    out->total = 0;
    out->pairs = 0;
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

/* ---- the residual graph --------------------------------------------------- */

static void count_arc(graph *g, int u, int v)
{
    g->head[u + 1]++;
    g->head[v + 1]++;
}

static void add_arc(graph *g, int u, int v, int cap, int64_t cost)
{
    int a = g->fill[u]++, b = g->fill[v]++;
    g->to[a] = v;
    g->cap[a] = cap;
    g->cost[a] = cost;
    g->rev[a] = b;
    g->to[b] = u;
    g->cap[b] = 0;
    g->cost[b] = -cost;
    g->rev[b] = a;
}

/* Walks the arcs the flow needs, counting (build == 0) or adding them. */
static void walk_arcs(solver *s, const int *assign, int build)
{
    const match_problem *p = s->p;
    graph *g = &s->g;
    for (int i = 0; i < p->n_mentees; i++)
        if (assign[i] < 0) {
            if (build)
                add_arc(g, 0, node_mentee(i), 1, 0);
            else
                count_arc(g, 0, node_mentee(i));
        }
    for (int k = 0; k < p->n_edges; k++) {
        const match_edge *e = &p->edges[k];
        if (e->pinned || assign[e->mentee] >= 0 || s->cap_left[e->mentor] == 0) continue;
        int u = node_mentee(e->mentee), v = s->mentor_base + e->mentor;
        if (build)
            add_arc(g, u, v, 1, -((int64_t)e->score + s->bonus));
        else
            count_arc(g, u, v);
    }
    for (int j = 0; j < p->n_mentors; j++)
        if (s->cap_left[j] > 0) {
            if (build)
                add_arc(g, s->mentor_base + j, s->sink, s->cap_left[j], 0);
            else
                count_arc(g, s->mentor_base + j, s->sink);
        }
}

static int build_graph(solver *s, const int *assign)
{
    graph *g = &s->g;
    g->n = s->sink + 1;
    g->head = calloc((size_t)g->n + 1, sizeof *g->head);
    g->fill = malloc((size_t)g->n * sizeof *g->fill);
    if (!g->head || !g->fill) return MATCH_ENOMEM;
    walk_arcs(s, assign, 0);
    for (int u = 0; u < g->n; u++)
        g->head[u + 1] += g->head[u];
    size_t arcs = (size_t)g->head[g->n];
    g->to = malloc((arcs + 1) * sizeof *g->to);
    g->cap = malloc((arcs + 1) * sizeof *g->cap);
    g->cost = malloc((arcs + 1) * sizeof *g->cost);
    g->rev = malloc((arcs + 1) * sizeof *g->rev);
    s->heap = malloc((arcs + 2) * sizeof *s->heap);
    s->pot = calloc((size_t)g->n, sizeof *s->pot);
    s->dist = malloc((size_t)g->n * sizeof *s->dist);
    s->prev_arc = malloc((size_t)g->n * sizeof *s->prev_arc);
    s->level = malloc((size_t)g->n * sizeof *s->level);
    s->cur = malloc((size_t)g->n * sizeof *s->cur);
    if (!g->to || !g->cap || !g->cost || !g->rev || !s->heap || !s->pot || !s->dist ||
        !s->prev_arc || !s->level || !s->cur)
        return MATCH_ENOMEM;
    memcpy(g->fill, g->head, (size_t)g->n * sizeof *g->fill);
    walk_arcs(s, assign, 1);
    return 0;
}

/* Potentials that make every residual arc's reduced cost >= 0 from the
 * start: mentees 0, a mentor the cheapest arc into it, T the cheapest
 * mentor (arcs all point S -> mentees -> mentors -> T). */
static void initial_potentials(solver *s)
{
    graph *g = &s->g;
    for (int u = 1; u < s->mentor_base; u++)
        for (int a = g->head[u]; a < g->head[u + 1]; a++)
            if (g->cap[a] > 0 && g->cost[a] < s->pot[g->to[a]]) s->pot[g->to[a]] = g->cost[a];
    for (int v = s->mentor_base; v < s->sink; v++)
        if (s->pot[v] < s->pot[s->sink]) s->pot[s->sink] = s->pot[v];
}

/* ---- Dijkstra ------------------------------------------------------------- */

static void heap_push(solver *s, int64_t d, int v)
{
    int i = s->heap_len++;
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (s->heap[parent].d <= d) break;
        s->heap[i] = s->heap[parent];
        i = parent;
    }
    s->heap[i] = (heap_item){d, v};
}

static heap_item heap_pop(solver *s)
{
    heap_item top = s->heap[0], last = s->heap[--s->heap_len];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= s->heap_len) break;
        if (c + 1 < s->heap_len && s->heap[c + 1].d < s->heap[c].d) c++;
        if (s->heap[c].d >= last.d) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->heap_len > 0) s->heap[i] = last;
    return top;
}

/* Shortest reduced distances from S, up to T's; 1 when T is reachable. */
static int shortest_paths(solver *s)
{
    graph *g = &s->g;
    for (int u = 0; u < g->n; u++)
        s->dist[u] = INF_DIST;
    s->dist[0] = 0;
    s->heap_len = 0;
    heap_push(s, 0, 0);
    while (s->heap_len > 0) {
        heap_item it = heap_pop(s);
        if (it.d > s->dist[it.v]) continue;
        if (it.v == s->sink) break; /* the rest is settled by run_flow's cap */
        for (int a = g->head[it.v]; a < g->head[it.v + 1]; a++) {
            if (g->cap[a] == 0) continue;
            int w = g->to[a];
            int64_t nd = it.d + g->cost[a] + s->pot[it.v] - s->pot[w];
            if (nd < s->dist[w]) {
                s->dist[w] = nd;
                s->prev_arc[w] = a;
                heap_push(s, nd, w);
            }
        }
    }
    return s->dist[s->sink] < INF_DIST;
}

/* Reduced cost 0 and residual capacity: the arc lies on a shortest path. */
static int admissible(const solver *s, int u, int a)
{
    const graph *g = &s->g;
    return g->cap[a] > 0 && g->cost[a] + s->pot[u] - s->pot[g->to[a]] == 0;
}

/* BFS levels over admissible arcs from S (level -1: not reached), so the
 * blocking flow below only walks forward and never loops on the zero-cost
 * reverse arcs it creates.  1 when T is reached. */
static int admissible_levels(solver *s)
{
    graph *g = &s->g;
    int *queue = s->prev_arc, qh = 0, qt = 0;
    for (int u = 0; u < g->n; u++)
        s->level[u] = -1;
    s->level[0] = 0;
    queue[qt++] = 0;
    while (qh < qt) {
        int u = queue[qh++];
        for (int a = g->head[u]; a < g->head[u + 1]; a++)
            if (s->level[g->to[a]] < 0 && admissible(s, u, a)) {
                s->level[g->to[a]] = s->level[u] + 1;
                queue[qt++] = g->to[a];
            }
    }
    return s->level[s->sink] >= 0;
}

/* Dinic's blocking flow on the admissible level graph: every path found is
 * a shortest one (same real cost as the Dijkstra path), so many units move
 * per Dijkstra instead of one. */
static void blocking_flow(solver *s)
{
    graph *g = &s->g;
    int *it = s->cur, *path = s->prev_arc;
    if (!admissible_levels(s)) return;
    memcpy(it, g->head, (size_t)g->n * sizeof *it);
    int depth = 0, u = 0;
    for (;;) {
        if (u == s->sink) {
            for (int k = 0; k < depth; k++) {
                g->cap[path[k]]--;
                g->cap[g->rev[path[k]]]++;
            }
            depth = 0;
            u = 0;
            continue;
        }
        int a = it[u];
        while (a < g->head[u + 1] &&
               (s->level[g->to[a]] != s->level[u] + 1 || !admissible(s, u, a)))
            a++;
        it[u] = a;
        if (a < g->head[u + 1]) {
            path[depth++] = a;
            u = g->to[a];
            continue;
        }
        if (u == 0) return; /* S exhausted: the flow is blocking */
        s->level[u] = -1;   /* dead end for the rest of the phase */
        u = g->to[g->rev[path[--depth]]];
        it[u]++;
    }
}

/* Augments until no path lowers the cost; returns nothing: the flow is in
 * the residual capacities. */
static void run_flow(solver *s)
{
    graph *g = &s->g;
    initial_potentials(s);
    while (shortest_paths(s)) {
        /* pot[S] stays 0, so the real cost is the reduced one plus pot[T]. */
        if (s->dist[s->sink] + s->pot[s->sink] > 0) break;
        /* Dijkstra stopped at T: nodes not settled by then are at least
         * dist[T] away, and raising them by dist[T] keeps every reduced
         * cost >= 0 (the usual early-exit rule). */
        int64_t d_sink = s->dist[s->sink];
        for (int u = 0; u < g->n; u++)
            s->pot[u] += s->dist[u] < d_sink ? s->dist[u] : d_sink;
        blocking_flow(s);
    }
}

/* Saturated mentee -> mentor arcs are the chosen pairs. */
static void read_flow(solver *s, int *assign, match_result *out)
{
    graph *g = &s->g;
    for (int i = 0; i < s->p->n_mentees; i++) {
        int u = node_mentee(i);
        for (int a = g->head[u]; a < g->head[u + 1]; a++) {
            int v = g->to[a];
            if (v < s->mentor_base || v >= s->sink || g->cost[a] > 0 || g->cap[a] > 0) continue;
            assign[i] = v - s->mentor_base;
            out->total += -g->cost[a] - s->bonus;
            out->pairs++;
        }
    }
}

static void solver_free(solver *s)
{
    free(s->g.head);
    free(s->g.fill);
    free(s->g.to);
    free(s->g.cap);
    free(s->g.cost);
    free(s->g.rev);
    free(s->heap);
    free(s->pot);
    free(s->dist);
    free(s->prev_arc);
    free(s->level);
    free(s->cur);
    free(s->cap_left);
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

int match_solve(const match_problem *p, int *assign, match_result *out)
{
    int rc = check_problem(p);
    if (rc == 0) rc = check_duplicates(p);
    if (rc != 0) return rc;
    solver s = {.p = p, .mentor_base = 1 + p->n_mentees};
    s.sink = s.mentor_base + p->n_mentors;
    s.bonus = (p->flags & MATCH_OPT_MAX_PAIRS) ? pair_bonus(p) : 0;
    s.cap_left = malloc(((size_t)p->n_mentors + 1) * sizeof *s.cap_left);
    if (!s.cap_left) return MATCH_ENOMEM;
    rc = apply_pins(p, assign, s.cap_left, out);
    if (rc == 0) rc = build_graph(&s, assign);
    if (rc == 0) {
        run_flow(&s);
        read_flow(&s, assign, out);
    }
    solver_free(&s);
    return rc;
}

/* ---- the greedy baseline -------------------------------------------------- */

/* Sort key of the greedy order: higher score first, then input order. */
typedef struct greedy_key {
    int32_t score;
    int k;
} greedy_key;

static int by_score_desc(const void *a, const void *b)
{
    const greedy_key *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k);
}

int match_greedy(const match_problem *p, int *assign, match_result *out)
{
    int rc = check_problem(p);
    if (rc == 0) rc = check_duplicates(p);
    if (rc != 0) return rc;
    int *cap_left = malloc(((size_t)p->n_mentors + 1) * sizeof *cap_left);
    greedy_key *order = malloc(((size_t)p->n_edges + 1) * sizeof *order);
    if (!cap_left || !order) {
        free(cap_left);
        free(order);
        return MATCH_ENOMEM;
    }
    rc = apply_pins(p, assign, cap_left, out);
    for (int k = 0; k < p->n_edges; k++)
        order[k] = (greedy_key){p->edges[k].score, k};
    qsort(order, (size_t)p->n_edges, sizeof *order, by_score_desc);
    for (int k = 0; k < p->n_edges && rc == 0; k++) {
        const match_edge *e = &p->edges[order[k].k];
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
    default:
        return "unknown error";
    }
}
