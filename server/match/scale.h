/* scale.h — internal to server/match: the fast exact solver of the
 * transportation problem of flow.h, by cost scaling (push-relabel with
 * epsilon-scaling, scale.c).  Its prices persist from one solve to the next,
 * so pricing.c can add candidate pairs and solve again from where it was,
 * and they are the proof of optimality: see scale_reduced.  No I/O, no
 * global state. */
#ifndef KHNET_MATCH_SCALE_H
#define KHNET_MATCH_SCALE_H

#include <stdint.h>

#include "match/flow.h"

typedef struct scale_state scale_state;

/* A solver for n_mentees and n_mentors, capacity[j] places per mentor and
 * pinned[i] >= 0 for mentees that stay out (both arrays the caller's, kept
 * until scale_free).  NULL when out of memory. */
scale_state *scale_new(int n_mentees, int n_mentors, const int *capacity, const int *pinned);

/* Costs are weights times this factor, larger than the number of nodes:
 * a flow whose residual arcs all have scaled reduced cost >= -1 is then
 * optimal (Goldberg & Tarjan: an eps-optimal circulation with eps < 1/N is
 * optimal for integer costs). */
int64_t scale_alpha(const scale_state *s);

/* Solves over arcs[n_arcs] (no pair twice, weights > 0), starting from the
 * prices the previous solve left, with eps from eps0 (scaled units, >= 1)
 * down to 1.  chosen[i] (n_mentees) receives the index of mentee i's arc or
 * -1.  0 or MATCH_ENOMEM.  The arcs must stay valid until the next solve. */
int scale_solve(scale_state *s, const flow_arc *arcs, int n_arcs, int64_t eps0, int *chosen);

/* The scaled reduced cost, under the current prices, of using the pair
 * (mentee, mentor) with the given weight; below -1 the last flow is not
 * proven optimal once that pair is allowed. */
int64_t scale_reduced(const scale_state *s, int mentee, int mentor, int64_t weight);

/* 0 when the last solve's flow conserves every unit within the capacities
 * and every residual arc has scaled reduced cost >= -1; else MATCH_ECERT. */
int scale_check(const scale_state *s);

void scale_free(scale_state *s);

#endif
