/* flow.h — internal to server/match: a transportation problem given as a
 * list of weighted arcs (mentee, mentor, weight), each mentee taking at most
 * one arc and each mentor at most its capacity, maximising the total
 * weight, and its plain exact solver (successive shortest paths, flow.c:
 * the reference; scale.c is the fast one).  No I/O, no global state. */
#ifndef KHNET_MATCH_FLOW_H
#define KHNET_MATCH_FLOW_H

#include <stdint.h>

typedef struct flow_arc {
    int mentee;     /* 0 .. n_mentees-1 */
    int mentor;     /* 0 .. n_mentors-1 */
    int64_t weight; /* > 0 */
} flow_arc;

typedef struct flow_problem {
    int n_mentees;
    int n_mentors;
    const int *capacity; /* [n_mentors] places left, >= 0 */
    int n_arcs;
    const flow_arc *arcs; /* [n_arcs], no pair twice */
} flow_problem;

/* Maximum-weight assignment by min-cost flow (successive shortest paths):
 * chosen[i] (caller's array of n_mentees) receives the index of mentee i's
 * arc in the optimum or -1.  0 or MATCH_ENOMEM. */
int flow_solve(const flow_problem *p, int *chosen);

#endif
