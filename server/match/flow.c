/* flow.c — exact maximum-weight assignment with capacities (flow.h) as a
 * min-cost flow on
 *
 *     S --1,0--> mentee --1,-weight--> mentor --cap,0--> T
 *
 * by successive shortest paths.  Each augmentation moves one unit (each
 * mentee takes at most one mentor), and the cost of the cheapest flow of
 * value k is convex in k, so the first augmenting path whose cost is > 0
 * proves the optimum.  Dijkstra runs on reduced costs
 * cost + pot[u] - pot[v] >= 0; the initial potentials come from the
 * layered shape in one pass (no Bellman-Ford needed).  Each Dijkstra stops
 * once T is settled, and after it a blocking flow (Dinic) moves every unit
 * it can along zero reduced-cost arcs, all of them shortest paths of the
 * same cost, so one search serves many augmentations (primal-dual).
 *
 * It is the reference path (match_solve_k with k <= 0: all pairs at once);
 * match_solve uses scale.c on candidates instead. */
#include "match/flow.h"

#include <stdlib.h>
#include <string.h>

#include "match/match.h"

#define INF_DIST (INT64_MAX / 4)

typedef struct graph {
    int n;         /* nodes: S, mentees, mentors, T */
    int *head;     /* [n + 1]: arcs of node u are head[u] .. head[u+1]-1 */
    int *to;       /* [arcs] */
    int *cap;      /* [arcs] residual capacity */
    int64_t *cost; /* [arcs] */
    int *rev;      /* [arcs] the opposite arc */
    int *orig;     /* [arcs] the flow_arc a mentee -> mentor arc stands for, else -1 */
    int *fill;     /* [n] next free slot per node while building */
} graph;

typedef struct heap_item {
    int64_t d;
    int v;
} heap_item;

typedef struct solver {
    const flow_problem *p;
    graph g;
    int *degree;     /* [n_mentees + n_mentors] arcs per mentee, then per mentor */
    int64_t *pot;    /* [n] potentials */
    int64_t *dist;   /* [n] */
    int *queue;      /* [n] BFS queue, then the blocking flow's path */
    int *level;      /* [n] BFS level in the admissible graph */
    int *cur;        /* [n] current arc of the blocking flow */
    heap_item *heap; /* [arcs + 1] lazy-deletion binary heap */
    int heap_len;
    int mentor_base; /* node of mentor 0 */
    int sink;
} solver;

/* ---- the residual graph --------------------------------------------------- */

static void count_arc(graph *g, int u, int v)
{
    g->head[u + 1]++;
    g->head[v + 1]++;
}

static void add_arc(graph *g, int u, int v, int cap, int64_t cost, int orig)
{
    int a = g->fill[u]++, b = g->fill[v]++;
    g->to[a] = v;
    g->cap[a] = cap;
    g->cost[a] = cost;
    g->rev[a] = b;
    g->orig[a] = orig;
    g->to[b] = u;
    g->cap[b] = 0;
    g->cost[b] = -cost;
    g->rev[b] = a;
    g->orig[b] = -1;
}

/* Mentees without an arc and mentors without a place stay out. */
static int mentee_in(const solver *s, int i)
{
    return s->degree[i] > 0;
}

static int mentor_in(const solver *s, int j)
{
    return s->p->capacity[j] > 0 && s->degree[s->p->n_mentees + j] > 0;
}

/* Walks the arcs the flow needs, counting (build == 0) or adding them. */
static void walk_arcs(solver *s, int build)
{
    const flow_problem *p = s->p;
    graph *g = &s->g;
    for (int i = 0; i < p->n_mentees; i++)
        if (mentee_in(s, i)) {
            if (build)
                add_arc(g, 0, 1 + i, 1, 0, -1);
            else
                count_arc(g, 0, 1 + i);
        }
    for (int k = 0; k < p->n_arcs; k++) {
        const flow_arc *e = &p->arcs[k];
        if (p->capacity[e->mentor] == 0) continue;
        int u = 1 + e->mentee, v = s->mentor_base + e->mentor;
        if (build)
            add_arc(g, u, v, 1, -e->weight, k);
        else
            count_arc(g, u, v);
    }
    for (int j = 0; j < p->n_mentors; j++)
        if (mentor_in(s, j)) {
            if (build)
                add_arc(g, s->mentor_base + j, s->sink, p->capacity[j], 0, -1);
            else
                count_arc(g, s->mentor_base + j, s->sink);
        }
}

static int alloc_solver(solver *s)
{
    graph *g = &s->g;
    size_t arcs = (size_t)g->head[g->n], n = (size_t)g->n;
    g->to = malloc((arcs + 1) * sizeof *g->to);
    g->cap = malloc((arcs + 1) * sizeof *g->cap);
    g->cost = malloc((arcs + 1) * sizeof *g->cost);
    g->rev = malloc((arcs + 1) * sizeof *g->rev);
    g->orig = malloc((arcs + 1) * sizeof *g->orig);
    s->heap = malloc((arcs + 2) * sizeof *s->heap);
    s->pot = calloc(n, sizeof *s->pot);
    s->dist = malloc(n * sizeof *s->dist);
    s->queue = malloc(n * sizeof *s->queue);
    s->level = malloc(n * sizeof *s->level);
    s->cur = malloc(n * sizeof *s->cur);
    return g->to && g->cap && g->cost && g->rev && g->orig && s->heap && s->pot && s->dist &&
                   s->queue && s->level && s->cur
               ? 0
               : MATCH_ENOMEM;
}

static int build_graph(solver *s)
{
    const flow_problem *p = s->p;
    graph *g = &s->g;
    g->n = s->sink + 1;
    g->head = calloc((size_t)g->n + 1, sizeof *g->head);
    g->fill = malloc((size_t)g->n * sizeof *g->fill);
    s->degree = calloc((size_t)p->n_mentees + (size_t)p->n_mentors + 1, sizeof *s->degree);
    if (!g->head || !g->fill || !s->degree) return MATCH_ENOMEM;
    for (int k = 0; k < p->n_arcs; k++)
        if (p->capacity[p->arcs[k].mentor] > 0) {
            s->degree[p->arcs[k].mentee]++;
            s->degree[p->n_mentees + p->arcs[k].mentor]++;
        }
    walk_arcs(s, 0);
    for (int u = 0; u < g->n; u++)
        g->head[u + 1] += g->head[u];
    if (alloc_solver(s) != 0) return MATCH_ENOMEM;
    memcpy(g->fill, g->head, (size_t)g->n * sizeof *g->fill);
    walk_arcs(s, 1);
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

/* Shortest reduced distances from S, up to T's (nodes not settled by then
 * keep a tentative distance >= dist[T]); 1 when T is reachable. */
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
        if (it.v == s->sink) break;
        for (int a = g->head[it.v]; a < g->head[it.v + 1]; a++) {
            if (g->cap[a] == 0) continue;
            int w = g->to[a];
            int64_t nd = it.d + g->cost[a] + s->pot[it.v] - s->pot[w];
            if (nd < s->dist[w]) {
                s->dist[w] = nd;
                heap_push(s, nd, w);
            }
        }
    }
    return s->dist[s->sink] < INF_DIST;
}

/* pot += min(dist, cap): keeps every residual reduced cost >= 0 for any
 * cap <= dist[T] (the usual early-exit rule of Dijkstra stopped at T). */
static void raise_potentials(solver *s, int64_t cap)
{
    for (int u = 0; u < s->g.n; u++)
        s->pot[u] += s->dist[u] < cap ? s->dist[u] : cap;
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
    int *queue = s->queue, qh = 0, qt = 0;
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
static int blocking_flow(solver *s)
{
    graph *g = &s->g;
    int *it = s->cur, *path = s->queue;
    if (!admissible_levels(s)) return 0;
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
        if (u == 0) return 1; /* S exhausted: the flow is blocking */
        s->level[u] = -1;     /* dead end for the rest of the phase */
        u = g->to[g->rev[path[--depth]]];
        it[u]++;
    }
}

/* Augments until no path lowers the cost. */
static void run_flow(solver *s)
{
    initial_potentials(s);
    while (shortest_paths(s)) {
        /* pot[S] stays 0, so the real cost is the reduced one plus pot[T]. */
        if (s->dist[s->sink] + s->pot[s->sink] > 0) break;
        raise_potentials(s, s->dist[s->sink]);
        while (blocking_flow(s))
            ;
    }
}

/* Saturated mentee -> mentor arcs are the chosen pairs. */
static void read_solution(const solver *s, int *chosen)
{
    const graph *g = &s->g;
    for (int i = 0; i < s->p->n_mentees; i++) {
        chosen[i] = -1;
        if (!mentee_in(s, i)) continue;
        for (int a = g->head[1 + i]; a < g->head[2 + i]; a++)
            if (g->orig[a] >= 0 && g->cap[a] == 0) chosen[i] = g->orig[a];
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
    free(s->g.orig);
    free(s->degree);
    free(s->heap);
    free(s->pot);
    free(s->dist);
    free(s->queue);
    free(s->level);
    free(s->cur);
}

int flow_solve(const flow_problem *p, int *chosen)
{
    solver s = {.p = p, .mentor_base = 1 + p->n_mentees};
    s.sink = s.mentor_base + p->n_mentors;
    int rc = build_graph(&s);
    if (rc == 0) {
        run_flow(&s);
        read_solution(&s, chosen);
    }
    solver_free(&s);
    return rc;
}
