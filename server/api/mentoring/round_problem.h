/* round_problem.h — the document of khnet_round_problem (the round's two
 * sides, migrations/repeatable/90_mentoring.sql) read into the input of
 * server/match/pairs.c.  Used by the run handler (rounds.c) and by the
 * test driver that compares pairs.c with SQL (tests/match/pairs_driver.c). */
#ifndef KHNET_API_ROUND_PROBLEM_H
#define KHNET_API_ROUND_PROBLEM_H

#include "khproto.h"
#include "match/pairs.h"

typedef struct men_round_problem {
    int64_t runs;   /* the round's run counter when the sides were read */
    pairs_input in; /* every array in the arena given to men_round_read */
} men_round_problem;

/* The decoding limits of that document (a round of 10,000 x 2,000 with
 * their terms is a few hundred thousand values). */
extern const kp_limits men_round_limits;

/* Reads doc into *out, arrays from arena a.  0, or -1 when doc is not the
 * expected shape or memory ran out. */
int men_round_read(kp_arena *a, const kp_value *doc, men_round_problem *out);

#endif
