/* test_match.c — the round optimiser (server/match/match.h): hand-made
 * cases with known answers (the greedy trap, capacities, pins, the two
 * objectives, refused input) and the optimum against brute force on 2,000
 * small random instances, each solved three ways (match_solve, the pricing
 * from one candidate per mentee, and the reference min-cost flow over all
 * pairs); then the pricing (cost scaling on candidates) against the
 * reference on 120 mid-size instances, both objectives, with pins.  The
 * independent-solver check on larger instances is tests/match/oracle.py
 * (networkx / scipy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

#define E(i, j, s)                                                                                 \
    {                                                                                              \
        (i), (j), (s), 0                                                                           \
    }
#define PIN(i, j, s)                                                                               \
    {                                                                                              \
        (i), (j), (s), 1                                                                           \
    }

static match_problem problem(int nm, int nt, const int *cap, int ne, const match_edge *e)
{
    return (match_problem){
        .n_mentees = nm, .n_mentors = nt, .capacity = cap, .n_edges = ne, .edges = e};
}

static void empty(void **st)
{
    (void)st;
    match_problem p = problem(0, 0, NULL, 0, NULL);
    match_result r = {-1, -1, -1, -1};
    assert_int_equal(match_solve(&p, NULL, &r), 0);
    assert_int_equal(r.total, 0);
    assert_int_equal(r.pairs, 0);
    /* Mentees but nobody eligible: all unmatched. */
    int cap[] = {3};
    int a[2] = {7, 7};
    p = problem(2, 1, cap, 0, NULL);
    assert_int_equal(match_solve(&p, a, &r), 0);
    assert_int_equal(a[0], -1);
    assert_int_equal(a[1], -1);
    assert_int_equal(r.pairs, 0);
}

/* Greedy takes A-M0 (10) and strands B; the optimum moves A to M1. */
static void greedy_trap(void **st)
{
    (void)st;
    int cap[] = {1, 1};
    match_edge e[] = {E(0, 0, 10), E(0, 1, 9), E(1, 0, 9)};
    match_problem p = problem(2, 2, cap, 3, e);
    int a[2];
    match_result r;
    assert_int_equal(match_greedy(&p, a, &r), 0);
    assert_int_equal(r.total, 10);
    assert_int_equal(r.pairs, 1);
    assert_int_equal(match_solve(&p, a, &r), 0);
    assert_int_equal(r.total, 18);
    assert_int_equal(r.pairs, 2);
    assert_int_equal(a[0], 1);
    assert_int_equal(a[1], 0);
}

/* A longer chain: the augmenting path must undo two earlier choices. */
static void chain_reassignment(void **st)
{
    (void)st;
    int cap[] = {1, 1, 1};
    match_edge e[] = {E(0, 0, 10), E(0, 1, 9), E(1, 1, 10), E(1, 2, 9), E(2, 0, 9)};
    match_problem p = problem(3, 3, cap, 5, e);
    int a[3];
    match_result r;
    assert_int_equal(match_solve(&p, a, &r), 0);
    assert_int_equal(r.total, 27); /* 0-1, 1-2, 2-0 beats 0-0 + 1-1 (20) */
    assert_int_equal(a[0], 1);
    assert_int_equal(a[1], 2);
    assert_int_equal(a[2], 0);
}

static void capacity(void **st)
{
    (void)st;
    int cap[] = {2, 0};
    match_edge e[] = {E(0, 0, 5), E(1, 0, 7), E(2, 0, 3), E(2, 1, 50)};
    match_problem p = problem(3, 2, cap, 4, e);
    int a[3];
    match_result r;
    assert_int_equal(match_solve(&p, a, &r), 0);
    assert_int_equal(r.total, 12);
    assert_int_equal(r.pairs, 2);
    assert_int_equal(a[0], 0);
    assert_int_equal(a[1], 0);
    assert_int_equal(a[2], -1); /* mentor 1 has no capacity */
}

/* Maximum score may leave someone out; MATCH_OPT_MAX_PAIRS does not. */
static void objectives(void **st)
{
    (void)st;
    int cap[] = {1, 1};
    match_edge e[] = {E(0, 0, 100), E(0, 1, 1), E(1, 0, 1)};
    match_problem p = problem(2, 2, cap, 3, e);
    int a[2];
    match_result r;
    assert_int_equal(match_solve(&p, a, &r), 0);
    assert_int_equal(r.total, 100);
    assert_int_equal(r.pairs, 1);
    p.flags = MATCH_OPT_MAX_PAIRS;
    assert_int_equal(match_solve(&p, a, &r), 0);
    assert_int_equal(r.total, 2);
    assert_int_equal(r.pairs, 2);
    /* A zero-score pair adds nothing but is still taken. */
    match_edge z[] = {E(0, 0, 0)};
    p = problem(1, 1, cap, 1, z);
    assert_int_equal(match_solve(&p, a, &r), 0);
    assert_int_equal(r.pairs, 1);
    assert_int_equal(a[0], 0);
}

static void pins(void **st)
{
    (void)st;
    int cap[] = {1, 1};
    /* Pin the greedy trap's bad pair: B is then unmatched, by order. */
    match_edge e[] = {PIN(0, 0, 10), E(0, 1, 9), E(1, 0, 9), E(1, 1, 1)};
    match_problem p = problem(2, 2, cap, 4, e);
    int a[2];
    match_result r;
    assert_int_equal(match_solve(&p, a, &r), 0);
    assert_int_equal(a[0], 0);
    assert_int_equal(a[1], 1);
    assert_int_equal(r.total, 11);
    /* A pin below the optimum is kept anyway. */
    match_edge f[] = {E(0, 0, 10), PIN(0, 1, 2), E(1, 0, 9)};
    p = problem(2, 2, cap, 3, f);
    assert_int_equal(match_solve(&p, a, &r), 0);
    assert_int_equal(a[0], 1);
    assert_int_equal(a[1], 0);
    assert_int_equal(r.total, 11);
}

static void refused(void **st)
{
    (void)st;
    int cap[] = {1, 1};
    int a[2];
    match_result r;
    match_edge dup[] = {E(0, 0, 1), E(1, 0, 1), E(0, 0, 2)};
    match_problem p = problem(2, 2, cap, 3, dup);
    assert_int_equal(match_solve(&p, a, &r), MATCH_EDUP);
    assert_int_equal(match_greedy(&p, a, &r), MATCH_EDUP);
    /* Pairs in mentee order take the check without a sort: still caught. */
    match_edge dup_sorted[] = {E(0, 1, 1), E(1, 0, 1), E(1, 1, 1), E(1, 0, 2)};
    p = problem(2, 2, cap, 4, dup_sorted);
    assert_int_equal(match_solve(&p, a, &r), MATCH_EDUP);
    assert_int_equal(match_greedy(&p, a, &r), MATCH_EDUP);
    match_edge twice[] = {PIN(0, 0, 1), PIN(0, 1, 1)};
    p = problem(2, 2, cap, 2, twice);
    assert_int_equal(match_solve(&p, a, &r), MATCH_EPIN);
    match_edge over[] = {PIN(0, 0, 1), PIN(1, 0, 1)};
    p = problem(2, 2, cap, 2, over);
    assert_int_equal(match_solve(&p, a, &r), MATCH_EPIN);
    match_edge bad_index[] = {E(2, 0, 1)};
    p = problem(2, 2, cap, 1, bad_index);
    assert_int_equal(match_solve(&p, a, &r), MATCH_EINVAL);
    match_edge negative[] = {E(0, 0, -1)};
    p = problem(2, 2, cap, 1, negative);
    assert_int_equal(match_solve(&p, a, &r), MATCH_EINVAL);
    match_edge huge[] = {E(0, 0, MATCH_SCORE_MAX + 1)};
    p = problem(2, 2, cap, 1, huge);
    assert_int_equal(match_solve(&p, a, &r), MATCH_EINVAL);
    int neg_cap[] = {1, -1};
    p = problem(2, 2, neg_cap, 0, NULL);
    assert_int_equal(match_solve(&p, a, &r), MATCH_EINVAL);
    p = problem(-1, 2, cap, 0, NULL);
    assert_int_equal(match_solve(&p, a, &r), MATCH_EINVAL);
    assert_string_equal(match_strerror(MATCH_EPIN),
                        "pinned pairs contradict each other or a capacity");
}

/* ---- brute force ---------------------------------------------------------- */

enum { BF_MENTEES = 6, BF_MENTORS = 4 };

typedef struct bf {
    const match_problem *p;
    int score[BF_MENTEES][BF_MENTORS]; /* -1: not eligible */
    int pin[BF_MENTEES];               /* pinned mentor or -1 */
    int cap[BF_MENTORS];
    int64_t best;
} bf;

static void bf_walk(bf *b, int i, int64_t total)
{
    if (i == b->p->n_mentees) {
        if (total > b->best) b->best = total;
        return;
    }
    if (b->pin[i] >= 0) { /* its capacity was reserved before the walk */
        bf_walk(b, i + 1, total + b->score[i][b->pin[i]]);
        return;
    }
    bf_walk(b, i + 1, total);
    for (int j = 0; j < b->p->n_mentors; j++) {
        if (b->score[i][j] < 0 || b->cap[j] == 0) continue;
        b->cap[j]--;
        bf_walk(b, i + 1, total + b->score[i][j]);
        b->cap[j]++;
    }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static int rnd(int n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (int)(rng_state % (uint64_t)n);
}

/* A random instance whose pins are feasible. */
static void random_instance(bf *b, match_problem *p, int *cap, match_edge *e)
{
    p->n_mentees = 1 + rnd(BF_MENTEES);
    p->n_mentors = 1 + rnd(BF_MENTORS);
    p->n_edges = 0;
    p->capacity = cap;
    p->edges = e;
    p->flags = 0;
    int pin_cap[BF_MENTORS];
    for (int j = 0; j < p->n_mentors; j++)
        pin_cap[j] = cap[j] = rnd(3);
    for (int i = 0; i < p->n_mentees; i++) {
        b->pin[i] = -1;
        for (int j = 0; j < p->n_mentors; j++) {
            b->score[i][j] = -1;
            if (rnd(3) == 0) continue;
            int s = rnd(4) == 0 ? 0 : rnd(100);
            int pinned = b->pin[i] < 0 && pin_cap[j] > 0 && rnd(12) == 0;
            if (pinned) {
                b->pin[i] = j;
                pin_cap[j]--;
            }
            b->score[i][j] = s;
            e[p->n_edges++] = (match_edge){i, j, s, pinned};
        }
    }
}

static void brute_force(void **st)
{
    (void)st;
    int beaten = 0;
    for (int round = 0; round < 2000; round++) {
        bf b = {0};
        match_problem p;
        int cap[BF_MENTORS];
        match_edge e[BF_MENTEES * BF_MENTORS];
        random_instance(&b, &p, cap, e);
        b.p = &p;
        memcpy(b.cap, cap, sizeof cap);
        for (int i = 0; i < p.n_mentees; i++)
            if (b.pin[i] >= 0) b.cap[b.pin[i]]--;
        b.best = -1;
        bf_walk(&b, 0, 0);
        int a[BF_MENTEES], g[BF_MENTEES];
        match_result r, gr;
        assert_int_equal(match_solve(&p, a, &r), 0);
        assert_int_equal(r.total, b.best);
        for (int k = 0; k <= 1; k++) { /* the reference, then one candidate per mentee */
            int a2[BF_MENTEES];
            match_result r2;
            assert_int_equal(match_solve_k(&p, k, a2, &r2), 0);
            assert_int_equal(r2.total, r.total);
            assert_int_equal(r2.pairs, r.pairs);
        }
        assert_int_equal(match_greedy(&p, g, &gr), 0);
        assert_true(gr.total <= r.total);
        beaten += gr.total < r.total;
        /* The assignment is feasible and adds up to its total. */
        int used[BF_MENTORS] = {0};
        int64_t sum = 0;
        for (int i = 0; i < p.n_mentees; i++) {
            if (b.pin[i] >= 0) assert_int_equal(a[i], b.pin[i]);
            if (a[i] < 0) continue;
            assert_true(b.score[i][a[i]] >= 0);
            used[a[i]]++;
            sum += b.score[i][a[i]];
        }
        for (int j = 0; j < p.n_mentors; j++)
            assert_true(used[j] <= cap[j]);
        assert_int_equal(sum, r.total);
    }
    /* The instances are varied enough that greedy loses now and then. */
    assert_true(beaten > 20);
}

/* A mid-size random instance: scores with many ties, capacities 0-5, a
 * few pins (kept feasible), density from sparse to dense. */
static int mid_instance(match_problem *p, int *cap, match_edge *e, int max_edges)
{
    p->n_mentees = 100 + rnd(200);
    p->n_mentors = 10 + rnd(70);
    p->capacity = cap;
    p->edges = e;
    p->n_edges = 0;
    p->flags = rnd(3) == 0 ? MATCH_OPT_MAX_PAIRS : 0;
    int density = 5 + rnd(60), pin_cap[80];
    for (int j = 0; j < p->n_mentors; j++)
        pin_cap[j] = cap[j] = rnd(6);
    for (int i = 0; i < p->n_mentees; i++) {
        int pinned = 0;
        for (int j = 0; j < p->n_mentors && p->n_edges < max_edges; j++) {
            if (rnd(100) >= density) continue;
            int pin = !pinned && pin_cap[j] > 0 && rnd(200) == 0;
            pin_cap[j] -= pin;
            pinned |= pin;
            e[p->n_edges++] = (match_edge){i, j, rnd(5) == 0 ? 0 : 10 + rnd(200), pin};
        }
    }
    return p->n_edges;
}

/* The assignment keeps the capacities and its pairs add up to r. */
static void assert_feasible(const match_problem *p, const int *a, const match_result *r)
{
    int used[80] = {0}, pairs = 0;
    int64_t sum = 0;
    for (int k = 0; k < p->n_edges; k++) {
        const match_edge *e = &p->edges[k];
        if (e->pinned) assert_int_equal(a[e->mentee], e->mentor);
        if (a[e->mentee] != e->mentor) continue;
        used[e->mentor]++;
        sum += e->score;
        pairs++;
    }
    for (int j = 0; j < p->n_mentors; j++)
        assert_true(used[j] <= p->capacity[j]);
    assert_int_equal(sum, r->total);
    assert_int_equal(pairs, r->pairs);
}

/* The pricing over candidates reaches the reference's optimum (the plain
 * min-cost flow over every pair, the solver before the pricing existed):
 * same total, same number of pairs, from 1, 2 or the default candidates
 * per mentee. */
static void pricing_vs_reference(void **st)
{
    (void)st;
    enum { MAX_EDGES = 300 * 80 };
    match_edge *e = malloc(MAX_EDGES * sizeof *e);
    int *a = malloc(300 * sizeof *a), cap[80], priced = 0;
    assert_non_null(e);
    assert_non_null(a);
    for (int round = 0; round < 120; round++) {
        match_problem p;
        mid_instance(&p, cap, e, MAX_EDGES);
        match_result ref, r;
        assert_int_equal(match_solve_k(&p, 0, a, &ref), 0);
        assert_feasible(&p, a, &ref);
        const int ks[] = {1, 2, MATCH_CANDIDATES};
        for (int t = 0; t < 3; t++) {
            assert_int_equal(match_solve_k(&p, ks[t], a, &r), 0);
            assert_int_equal(r.total, ref.total);
            assert_int_equal(r.pairs, ref.pairs);
            assert_feasible(&p, a, &r);
            priced += r.passes > 1;
        }
    }
    /* The candidates were often not enough at first: the pricing ran. */
    assert_true(priced > 40);
    free(e);
    free(a);
}

/* More mentees than places, scores with many ties, capacities 1-5: the
 * bench's shape (10,000 mentees for 6,000 places) in small.  Every solve
 * takes a coarse pass of pricing.c (candidates from approximate prices)
 * before the exact one, some several; the optimum must still be the
 * reference's, from 1 and the default candidates per mentee, in both
 * objectives, with ties (half the rounds score in a narrow range) and
 * pins. */
static void surplus_mentees(void **st)
{
    (void)st;
    enum { MAX_N = 400, MAX_M = 60 };
    match_edge *e = malloc(MAX_N * MAX_M * sizeof *e);
    int *a = malloc(MAX_N * sizeof *a), cap[MAX_M], multi = 0;
    assert_non_null(e);
    assert_non_null(a);
    for (int round = 0; round < 60; round++) {
        match_problem p = {200 + rnd(MAX_N - 200), 20 + rnd(MAX_M - 20), cap, 0, e, 0};
        p.flags = round % 3 == 0 ? MATCH_OPT_MAX_PAIRS : 0;
        int density = 20 + rnd(70), places = 0, pin_left[MAX_M];
        for (int j = 0; j < p.n_mentors; j++)
            places += pin_left[j] = cap[j] = 1 + rnd(5);
        for (int i = 0; i < p.n_mentees; i++) {
            int pinned = 0;
            for (int j = 0; j < p.n_mentors; j++) {
                if (rnd(100) >= density) continue;
                int pin = !pinned && pin_left[j] > 0 && rnd(400) == 0;
                pin_left[j] -= pin;
                pinned |= pin;
                e[p.n_edges++] = (match_edge){i, j, round % 2 ? 10 + rnd(25) : rnd(300), pin};
            }
        }
        assert_true(places < p.n_mentees);
        match_result ref, r;
        assert_int_equal(match_solve_k(&p, 0, a, &ref), 0);
        assert_feasible(&p, a, &ref);
        const int ks[] = {1, MATCH_CANDIDATES};
        for (int t = 0; t < 2; t++) {
            assert_int_equal(match_solve_k(&p, ks[t], a, &r), 0);
            assert_int_equal(r.total, ref.total);
            assert_int_equal(r.pairs, ref.pairs);
            assert_feasible(&p, a, &r);
            assert_true(r.passes >= 2); /* a coarse pass, then the exact one */
            multi += r.passes >= 3;
        }
    }
    /* Now and then the coarse prices' pairs were not enough at once. */
    assert_true(multi >= 5);
    free(e);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty),
        cmocka_unit_test(greedy_trap),
        cmocka_unit_test(chain_reassignment),
        cmocka_unit_test(capacity),
        cmocka_unit_test(objectives),
        cmocka_unit_test(pins),
        cmocka_unit_test(refused),
        cmocka_unit_test(brute_force),
        cmocka_unit_test(pricing_vs_reference),
        cmocka_unit_test(surplus_mentees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
