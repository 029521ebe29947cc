/* test_pairs.c — a round's pairs from its two sides (server/match/pairs.h):
 * a hand-scored pair, each hard rule alone (language, experience, zone gap,
 * self, a block or forbid), pins, the caps of every kind of point with
 * terms past one 64-bit word, the pair limit and refused input; then 300
 * random rounds against a plain reference written here from PROTOCOL.md's
 * formula (lists, no bitsets).  tests/interop/round_pairs_sql.py compares
 * the same module with the SQL definition on a real round. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/pairs.h"

enum { L = PAIRS_LANG, K = PAIRS_KEY, W = PAIRS_WORD, S = PAIRS_SECTOR };

static pairs_person person(int64_t id, int years, int limit, int zone)
{
    return (pairs_person){.id = id, .years = years, .limit = limit, .zone = zone};
}

static void terms(pairs_person *p, int kind, const int *t, int n)
{
    p->terms[kind] = t;
    p->n_terms[kind] = n;
}

/* Two zones: gap 0 / 3 hours, points 27 / 18. */
static const int gap2[] = {0, 3, 3, 0}, pts2[] = {27, 18, 18, 27};

static pairs_input input(int ne, const pairs_person *e, int nm, const pairs_person *m)
{
    return (pairs_input){.n_mentees = ne,
                         .mentees = e,
                         .n_mentors = nm,
                         .mentors = m,
                         .n_terms = {200, 200, 200, 10},
                         .n_zones = 2,
                         .zone_gap = gap2,
                         .zone_points = pts2,
                         .min_gap = 3,
                         .max_pairs = 1000};
}

static void hand_scored(void **st)
{
    (void)st;
    static const int el[] = {0, 1, 70}, ml[] = {1, 70, 130, 0}, ek[] = {5, 64, 199},
                     mk[] = {199, 64}, ew[] = {3}, mw[] = {4}, es[] = {2}, ms[] = {2, 3};
    pairs_person e = person(10, 2, 6, 0), m = person(20, 9, 2, 1);
    terms(&e, L, el, 3);
    terms(&m, L, ml, 4);
    terms(&e, K, ek, 3);
    terms(&m, K, mk, 2);
    terms(&e, W, ew, 1);
    terms(&m, W, mw, 1);
    terms(&e, S, es, 1);
    terms(&m, S, ms, 2);
    pairs_input in = input(1, &e, 1, &m);
    pairs_output out;
    unsigned char has[1] = {0};
    assert_int_equal(pairs_build(&in, &out, has), 0);
    assert_int_equal(out.n_edges, 1);
    /* 10 + 25*2 keys + 0 words + 5*3 langs + 18 overlap + 15 sector + (7-3) */
    assert_int_equal(out.edges[0].score, 10 + 50 + 0 + 15 + 18 + 15 + 4);
    assert_int_equal(has[0], 1);
    free(out.edges);
}

/* One rule broken at a time: no pair, and has_pair says so. */
static void each_hard_rule(void **st)
{
    (void)st;
    static const int vi[] = {0}, en[] = {1};
    pairs_person e = person(10, 2, 2, 0), m = person(20, 5, 1, 0);
    terms(&e, L, vi, 1);
    terms(&m, L, vi, 1);
    pairs_input in = input(1, &e, 1, &m);
    pairs_output out;
    unsigned char has[1];
    assert_int_equal(pairs_build(&in, &out, has), 0); /* gap exactly 3: eligible */
    assert_int_equal(out.n_edges, 1);
    assert_int_equal(out.edges[0].score, 10 + 5 + 27);
    free(out.edges);
    pairs_person m2 = m;
    m2.years = 4; /* gap 2 < 3 */
    in.mentors = &m2;
    assert_int_equal(pairs_build(&in, &out, has), 0);
    assert_int_equal(out.n_edges + has[0], 0);
    m2 = m;
    terms(&m2, L, en, 1); /* no shared language */
    assert_int_equal(pairs_build(&in, &out, has), 0);
    assert_int_equal(out.n_edges + has[0], 0);
    m2 = m;
    m2.zone = 1; /* 3 hours apart, mentee accepts 2 */
    assert_int_equal(pairs_build(&in, &out, has), 0);
    assert_int_equal(out.n_edges + has[0], 0);
    m2.zone = -1; /* no zone: gap 0, no overlap points */
    assert_int_equal(pairs_build(&in, &out, has), 0);
    assert_int_equal(out.edges[0].score, 10 + 5);
    free(out.edges);
    m2 = m;
    m2.id = 10; /* self */
    assert_int_equal(pairs_build(&in, &out, has), 0);
    assert_int_equal(out.n_edges + has[0], 0);
    in.mentors = &m;
    pairs_rule x = {10, 20};
    in.excluded = &x;
    in.n_excluded = 1;
    assert_int_equal(pairs_build(&in, &out, has), 0);
    assert_int_equal(out.n_edges + has[0], 0);
}

static void pins_and_limits(void **st)
{
    (void)st;
    static const int vi[] = {0};
    pairs_person e[2] = {person(1, 0, 12, -1), person(2, 0, 12, -1)};
    pairs_person m[3] = {person(5, 9, 1, -1), person(6, 1, 1, -1), person(7, 9, 1, -1)};
    for (int k = 0; k < 2; k++)
        terms(&e[k], L, vi, 1);
    for (int k = 0; k < 3; k++)
        terms(&m[k], L, vi, 1);
    pairs_rule pins[] = {{1, 7}, {2, 6}, {99, 5}}; /* (2, 6) breaks the gap: dropped */
    pairs_input in = input(2, e, 3, m);
    in.pins = pins;
    in.n_pins = 3;
    pairs_output out;
    unsigned char has[2];
    assert_int_equal(pairs_build(&in, &out, has), 0);
    assert_int_equal(out.n_edges, 4);
    int pinned = 0;
    for (int k = 0; k < out.n_edges; k++)
        pinned += out.edges[k].pinned ? 10 * out.edges[k].mentee + out.edges[k].mentor + 1 : 0;
    assert_int_equal(pinned, 0 * 10 + 2 + 1); /* only mentee 0 with mentor 2 */
    free(out.edges);
    in.max_pairs = 3;
    assert_int_equal(pairs_build(&in, &out, has), PAIRS_ETOOMANY);
    assert_int_equal(out.n_eligible, 4);
    assert_null(out.edges);
    in.max_pairs = 1000;
    e[1].id = 1; /* ids not ascending */
    assert_int_equal(pairs_build(&in, &out, has), MATCH_EINVAL);
    e[1].id = 2;
    static const int bad[] = {200};
    terms(&m[0], K, bad, 1); /* term index out of range */
    assert_int_equal(pairs_build(&in, &out, has), MATCH_EINVAL);
}

/* ---- random rounds against a plain reference ---- */

static int shared(const pairs_person *e, const pairs_person *m, int kind, int cap)
{
    int n = 0;
    for (int a = 0; a < e->n_terms[kind]; a++)
        for (int b = 0; b < m->n_terms[kind]; b++)
            n += e->terms[kind][a] == m->terms[kind][b];
    return n < cap ? n : cap;
}

static int ref_score(const pairs_input *in, int i, int j)
{
    const pairs_person *e = &in->mentees[i], *m = &in->mentors[j];
    for (int x = 0; x < in->n_excluded; x++)
        if (in->excluded[x].mentee == e->id && in->excluded[x].mentor == m->id) return 0;
    int z = e->zone < 0 || m->zone < 0 ? -1 : e->zone * in->n_zones + m->zone;
    int gap = z < 0 ? 0 : in->zone_gap[z], years = m->years - e->years - in->min_gap;
    int langs = shared(e, m, L, 3);
    if (e->id == m->id || years < 0 || gap > e->limit || langs == 0) return 0;
    return 10 + 25 * shared(e, m, K, 4) + 8 * shared(e, m, W, 5) + 5 * langs +
           (z < 0 ? 0 : in->zone_points[z]) + (shared(e, m, S, 1) ? 15 : 0) +
           (years < 10 ? years : 10);
}

/* n distinct random terms below range into t. */
static int draw(int *t, int max_n, int range)
{
    int n = rand() % (max_n + 1), k = 0;
    if (n > range) n = range;
    while (k < n) {
        t[k] = rand() % range;
        int dup = 0;
        for (int x = 0; x < k; x++)
            dup |= t[x] == t[k];
        k += !dup; /* a duplicate is drawn again */
    }
    return n;
}

static void random_person(pairs_person *p, int64_t id, int *store, const int *range, int nz)
{
    *p = person(id, rand() % 30, rand() % 13, rand() % (nz + 1) - 1);
    static const int max_n[PAIRS_KINDS] = {3, 8, 8, 2};
    for (int k = 0; k < PAIRS_KINDS; k++)
        terms(p, k, store + 16 * k, draw(store + 16 * k, max_n[k], range[k]));
}

static void check_random(const pairs_input *in)
{
    pairs_output out;
    unsigned char has[12];
    assert_int_equal(pairs_build(in, &out, has), 0);
    int k = 0;
    for (int i = 0; i < in->n_mentees; i++) {
        int any = 0;
        for (int j = 0; j < in->n_mentors; j++) {
            int s = ref_score(in, i, j);
            if (!s) continue;
            any = 1;
            assert_true(k < out.n_edges);
            assert_int_equal(out.edges[k].mentee, i);
            assert_int_equal(out.edges[k].mentor, j);
            assert_int_equal(out.edges[k++].score, s);
        }
        assert_int_equal(has[i], any);
    }
    assert_int_equal(k, out.n_edges);
    free(out.edges);
}

static void random_rounds(void **st)
{
    (void)st;
    srand(7);
    static int store[20][PAIRS_KINDS * 16];
    int gap[16], pts[16];
    for (int round = 0; round < 300; round++) {
        int range[PAIRS_KINDS] = {1 + rand() % 6, 1 + rand() % 150, 1 + rand() % 300,
                                  1 + rand() % 5};
        int nz = rand() % 5, ne = 1 + rand() % 12, nm = 1 + rand() % 8;
        for (int z = 0; z < nz * nz; z++)
            gap[z] = rand() % 13, pts[z] = rand() % 28;
        pairs_person e[12], m[8];
        for (int i = 0; i < ne; i++)
            random_person(&e[i], 1 + 2 * i, store[i], range, nz);
        for (int j = 0; j < nm; j++)
            random_person(&m[j], 3 + 2 * j, store[12 + j], range, nz);
        pairs_rule x[3] = {{1, 3}, {3, 5}, {5, 1}};
        pairs_input in = {.n_mentees = ne,
                          .mentees = e,
                          .n_mentors = nm,
                          .mentors = m,
                          .n_zones = nz,
                          .zone_gap = gap,
                          .zone_points = pts,
                          .min_gap = rand() % 4,
                          .n_excluded = 3,
                          .excluded = x,
                          .max_pairs = 1000};
        memcpy(in.n_terms, range, sizeof range);
        check_random(&in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_scored),
        cmocka_unit_test(each_hard_rule),
        cmocka_unit_test(pins_and_limits),
        cmocka_unit_test(random_rounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
