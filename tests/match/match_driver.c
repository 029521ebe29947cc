/* match_driver.c — runs the round optimiser (server/match) on an instance
 * read from stdin, for tests/match/oracle.py and tests/bench/matching.
 *
 *   in:  n_mentees n_mentors n_edges flags
 *        capacity of each mentor (n_mentors integers)
 *        n_edges lines "mentee mentor score pinned"
 *   out: "rc total pairs seconds" then one line of n_mentees mentor
 *        indexes (-1: unmatched)
 *
 * argv[1] "greedy" runs the greedy baseline instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "match/match.h"

static int read_problem(match_problem *p, int **cap, match_edge **edges)
{
    if (scanf("%d %d %d %d", &p->n_mentees, &p->n_mentors, &p->n_edges, &p->flags) != 4 ||
        p->n_mentees < 0 || p->n_mentors < 0 || p->n_edges < 0)
        return -1;
    *cap = calloc((size_t)p->n_mentors + 1, sizeof **cap);
    *edges = calloc((size_t)p->n_edges + 1, sizeof **edges);
    if (!*cap || !*edges) return -1;
    for (int j = 0; j < p->n_mentors; j++)
        if (scanf("%d", &(*cap)[j]) != 1) return -1;
    for (int k = 0; k < p->n_edges; k++) {
        match_edge *e = &(*edges)[k];
        if (scanf("%d %d %d %d", &e->mentee, &e->mentor, &e->score, &e->pinned) != 4) return -1;
    }
    p->capacity = *cap;
    p->edges = *edges;
    return 0;
}

int main(int argc, char **argv)
{
    match_problem p = {0};
    int *cap = NULL;
    match_edge *edges = NULL;
    int *assign = NULL;
    if (read_problem(&p, &cap, &edges) != 0 ||
        !(assign = calloc((size_t)p.n_mentees + 1, sizeof *assign))) {
        fprintf(stderr, "match_driver: bad input\n");
        free(cap);
        free(edges);
        return 2;
    }
    int greedy = argc > 1 && strcmp(argv[1], "greedy") == 0;
    match_result r = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = greedy ? match_greedy(&p, assign, &r) : match_solve(&p, assign, &r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%d %lld %d %.6f\n", rc, (long long)r.total, r.pairs, secs);
    for (int i = 0; rc == 0 && i < p.n_mentees; i++)
        printf("%d%c", assign[i], i + 1 < p.n_mentees ? ' ' : '\n');
    free(assign);
    free(cap);
    free(edges);
    return 0;
}
