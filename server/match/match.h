/* match.h — the programme round's optimiser (issue 10): one assignment of
 * mentees to mentors that maximises the total score of the chosen pairs,
 * subject to each mentor's capacity, exactly (min-cost flow by cost
 * scaling on candidate pairs, proven optimal for all pairs by LP duality:
 * scale.c, pricing.c; flow.c's successive shortest paths are the
 * reference the tests compare with).  Scores, eligibility and
 * capacities come from SQL (the mentoring SQL functions); this
 * module only optimises.  No I/O, no global state: safe from any thread.
 *
 * The problem is sparse: only eligible pairs are given (a pair absent from
 * the list is forbidden: a hard rule failed or an officer forbade it).
 * Pinned pairs are kept whatever the optimum would say; the rest is
 * optimised around them.
 *
 * Objective: the largest total score, not the largest number of pairs.
 * Every eligible pair scores > 0 in SQL (an eligibility base plus its
 * merits), so adding a pair never lowers the total and the optimum rarely
 * leaves a matchable mentee out; when it does, it is because two better
 * pairs beat it.  Among assignments of equal total, one with the most pairs.  A programme that
 * wants "as many pairs as possible first" adds the same large bonus to every pair (bonus > the sum
 * of all other scores makes the objective lexicographic); MATCH_OPT_MAX_PAIRS does that here
 * without overflow. */
#ifndef KHNET_MATCH_H
#define KHNET_MATCH_H

#include <stdint.h>

/* One eligible pair. */
typedef struct match_edge {
    int mentee;    /* 0 .. n_mentees-1 */
    int mentor;    /* 0 .. n_mentors-1 */
    int32_t score; /* the pair's score, 0 .. MATCH_SCORE_MAX */
    int pinned;    /* nonzero: the pair must be in the assignment */
} match_edge;

enum {
    MATCH_SCORE_MAX = 1000000,  /* keeps every total within int64 */
    MATCH_MAX_NODES = 1000000,  /* mentees + mentors */
    MATCH_MAX_EDGES = 50000000, /* eligible pairs */
    MATCH_OPT_MAX_PAIRS = 1,    /* flag: most pairs first, then score */
    MATCH_CANDIDATES = 8        /* match_solve's first candidates per mentee */
};

/* Error codes (negative, like libuv's). */
enum {
    MATCH_EINVAL = -1, /* an index, capacity, score or size out of range */
    MATCH_EDUP = -2,   /* the same pair given twice */
    MATCH_EPIN = -3,   /* pins contradict: a mentee pinned twice, or a mentor over capacity */
    MATCH_ENOMEM = -4,
    MATCH_ECERT = -5 /* internal: the optimality proof failed (a bug; no answer given) */
};

typedef struct match_problem {
    int n_mentees;
    int n_mentors;
    const int *capacity; /* [n_mentors], each 0 .. n_mentees */
    int n_edges;
    const match_edge *edges; /* [n_edges] */
    int flags;               /* 0 or MATCH_OPT_MAX_PAIRS */
} match_problem;

typedef struct match_result {
    int64_t total; /* sum of the chosen pairs' scores */
    int pairs;     /* how many mentees are matched */
    int passes;    /* match_solve: flow solves until the proof held */
    int64_t arcs;  /* match_solve: candidate pairs in the last solve */
} match_result;

/* Solves p exactly.  assign[i] (caller's array of n_mentees) receives the
 * mentor of mentee i or -1.  0, or one of the MATCH_E* codes (then assign
 * and *out are unspecified).  Memory O(V + E); time O(E) per pass plus the
 * flow on the candidates (a few per mentee, see pricing.c). */
int match_solve(const match_problem *p, int *assign, match_result *out);

/* match_solve starting from the k best pairs of each mentee; k <= 0 hands
 * every eligible pair to the flow at once (the plain min-cost flow, one
 * pass: the reference the tests compare the pricing with).  The optimum is
 * the same for every k; only the time differs. */
int match_solve_k(const match_problem *p, int k, int *assign, match_result *out);

/* The greedy baseline a spreadsheet would do: pins first, then pairs by
 * descending score (ties by input order), each taken if both sides are
 * free.  Same contract as match_solve; reported beside the optimum to show
 * what exactness buys. */
int match_greedy(const match_problem *p, int *assign, match_result *out);

/* A short English text for a MATCH_E* code. */
const char *match_strerror(int code);

#endif
