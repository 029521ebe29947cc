/* scale.h — internal to server/match: the fast exact solver of the
 * transportation problem of flow.h, by cost scaling (push-relabel with
 * epsilon-scaling, scale.c).  Its prices persist from one solve to the next,
 * so pricing.c can add candidate pairs and solve again from where it was,
 * and they are the proof of optimality: see scale_prices.  No I/O, no
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
 * down by SCALE_STEP, and stops after the first eps <= eps_end (1: to the
 * end, an optimum; larger: prices only that close, for pricing.c to choose
 * candidates from, see scale_next_eps).  chosen[i] (n_mentees) receives the
 * index of mentee i's arc or -1.  0 or MATCH_ENOMEM.  The arcs must stay
 * valid until the next solve. */
int scale_solve(scale_state *s, const flow_arc *arcs, int n_arcs, int64_t eps0, int64_t eps_end,
                int *chosen);

/* The eps a solve continuing the last one's refines starts from: its last
 * eps divided by the scaling step (1 at the end). */
int64_t scale_next_eps(const scale_state *s);

/* The current prices (scaled units), [n_mentees + n_mentors]: mentee i's
 * at i, mentor j's at n_mentees + j.  Using the pair (mentee i, mentor j)
 * of weight w has reduced cost price[i] - w * alpha - price[n_mentees + j];
 * below -1 the last flow is not proven optimal once that pair is allowed.
 * Valid until the next solve or scale_free. */
const int64_t *scale_prices(const scale_state *s);

/* 0 when the last solve went down to eps 1, its flow conserves every unit
 * within the capacities and every residual arc has scaled reduced cost
 * >= -1; else MATCH_ECERT. */
int scale_check(const scale_state *s);

void scale_free(scale_state *s);

#endif
