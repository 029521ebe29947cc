/* pricing.h — internal to server/match: the round's optimum computed on a
 * few candidate pairs per mentee and proven for all eligible pairs by LP
 * duality, adding the pairs that break the proof until none does
 * (pricing.c). */
#ifndef KHNET_MATCH_PRICING_H
#define KHNET_MATCH_PRICING_H

#include <stdint.h>

#include "match/match.h"

typedef struct pricing_input {
    const match_problem *p;
    const int *pinned;   /* [n_mentees] pinned mentor or -1: those mentees are out */
    const int *cap_left; /* [n_mentors] places left after the pins */
    int64_t mul, add;    /* a pair's weight is score * mul + add (> 0) */
    int k;               /* candidates per mentee to start with; <= 0: all pairs */
} pricing_input;

/* assign[i] (n_mentees) receives the mentor of every unpinned mentee or -1
 * (pinned entries are left as they are); *passes the number of solves and
 * *arcs the candidate pairs of the last one.  0, MATCH_ENOMEM or
 * MATCH_ECERT. */
int pricing_solve(const pricing_input *in, int *assign, int *passes, int64_t *arcs);

#endif
