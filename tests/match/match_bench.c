/* match_bench.c — the round of tests/bench/matching (issue 10): builds one
 * deterministic programme round in memory (mentees, mentors with capacities
 * 1–5, languages and UTC offsets drawn like the diaspora's), keeps the
 * pairs the hard rules of proto/PROTOCOL.md "Mentoring" allow (a shared
 * language, the mentor 3+ years more experienced, the zone gap within the
 * mentee's limit), scores them with the documented points (topics, goal
 * words, languages, overlap, sector, experience; no capacity part in a
 * round), then times match_solve and runs match_greedy on the same pairs.
 *
 *   match_bench [n_mentees n_mentors [seed]]   (default 10000 2000 1)
 *
 * Prints `name value unit` lines; exit 1 if a solver fails or the optimum
 * is below greedy (an exactness bug, not a speed matter). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "match/match.h"

enum { N_TOPICS = 48, N_SECTORS = 8, N_WORDS = 240, MAX_TOPICS = 4, MAX_WORDS = 12 };

typedef struct person {
    int langs;   /* bit set over LANGS */
    int utc;     /* offset in hours */
    int years;   /* years of experience */
    int max_gap; /* mentees: accepted zone gap in hours */
    int sector;
    int n_topics, topics[MAX_TOPICS];
    int n_words, words[MAX_WORDS]; /* mentee: goal words; mentor: expertise words */
    int capacity;                  /* mentors */
} person;

static uint64_t rng_state;

/* splitmix64: the same instance on every machine for a given seed. */
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static int below(int n)
{
    return (int)(rng() % (uint64_t)n);
}

static int chance(int percent)
{
    return below(100) < percent;
}

/* Where members live (UTC offset, weight in percent): mentees mostly in
 * Việt Nam, mentors mostly abroad. */
typedef struct zone_weight {
    int utc, mentee, mentor;
} zone_weight;

static const zone_weight ZONES[] = {
    {7, 62, 22}, {8, 6, 9},  {9, 6, 10}, {10, 5, 12}, {1, 6, 14}, {0, 3, 8},
    {-5, 5, 12}, {-8, 4, 9}, {-6, 1, 2}, {12, 1, 1},  {3, 1, 1},
};

static int pick_zone(int mentor)
{
    int r = below(100), acc = 0;
    for (size_t k = 0; k < sizeof ZONES / sizeof ZONES[0]; k++) {
        acc += mentor ? ZONES[k].mentor : ZONES[k].mentee;
        if (r < acc) return ZONES[k].utc;
    }
    return 7;
}

/* Languages: vi, en, fr, ja, de, ko (bits 0..5); a zone makes its local
 * language likelier. */
static int pick_langs(int mentor, int utc)
{
    int l = 0;
    if (chance(mentor ? 85 : 96)) l |= 1;
    if (chance(mentor ? 93 : 65)) l |= 2;
    if (chance(utc == 1 ? 45 : 3)) l |= 4;
    if (chance(utc == 9 ? 40 : 2)) l |= 8;
    if (chance(utc == 1 ? 20 : 1)) l |= 16;
    if (chance(utc == 9 ? 15 : 1)) l |= 32;
    return l ? l : 1;
}

static void pick_interests(person *x, int n_words)
{
    x->sector = below(N_SECTORS);
    x->n_topics = 1 + below(MAX_TOPICS);
    for (int k = 0; k < x->n_topics; k++) /* mostly the own sector's 6 topics */
        x->topics[k] = chance(75) ? x->sector * 6 + below(6) : below(N_TOPICS);
    x->n_words = n_words;
    for (int k = 0; k < n_words; k++) /* words of the own sector's 30 first */
        x->words[k] = chance(70) ? x->sector * 30 + below(30) : below(N_WORDS);
}

static void make_mentee(person *x)
{
    static const int gaps[] = {2, 3, 4, 6, 8, 12};
    x->utc = pick_zone(0);
    x->langs = pick_langs(0, x->utc);
    x->years = below(9);
    x->max_gap = gaps[below(6)];
    pick_interests(x, 3 + below(4));
    x->capacity = 0;
}

static void make_mentor(person *x)
{
    x->utc = pick_zone(1);
    x->langs = pick_langs(1, x->utc);
    x->years = 4 + below(32);
    x->max_gap = 12;
    pick_interests(x, 5 + below(MAX_WORDS - 4));
    x->capacity = 1 + below(5);
}

static int count_common(const int *a, int na, const int *b, int nb)
{
    int n = 0;
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            if (a[i] == b[j]) {
                n++;
                break;
            }
    return n;
}

static int min_int(int a, int b)
{
    return a < b ? a : b;
}

/* The pair's points, or -1 when a hard rule fails. */
static int pair_score(const person *me, const person *mr)
{
    int shared = me->langs & mr->langs;
    int gap = abs(me->utc - mr->utc);
    if (gap > 12) gap = 24 - gap;
    int exp_gap = mr->years - me->years;
    if (!shared || exp_gap < 3 || gap > me->max_gap) return -1;
    int langs = __builtin_popcount((unsigned)shared);
    int overlap = gap < 9 ? 9 - gap : 0; /* 09:00–18:00 each side */
    return 10 + 25 * min_int(4, count_common(me->topics, me->n_topics, mr->topics, mr->n_topics)) +
           8 * min_int(5, count_common(me->words, me->n_words, mr->words, mr->n_words)) +
           5 * min_int(3, langs) + 3 * overlap + (me->sector == mr->sector ? 15 : 0) +
           min_int(10, exp_gap - 3);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Every eligible pair, mentee-major; *n_out its count. */
static match_edge *eligible_pairs(const person *mentees, int n_me, const person *mentors, int n_mr,
                                  int *n_out)
{
    size_t cap = 1u << 20, n = 0;
    match_edge *e = malloc(cap * sizeof *e);
    for (int i = 0; e && i < n_me; i++)
        for (int j = 0; j < n_mr; j++) {
            int s = pair_score(&mentees[i], &mentors[j]);
            if (s < 0) continue;
            if (n == cap) {
                match_edge *grown = realloc(e, 2 * cap * sizeof *e);
                if (!grown) {
                    free(e);
                    return NULL;
                }
                e = grown;
                cap *= 2;
            }
            e[n++] = (match_edge){.mentee = i, .mentor = j, .score = s, .pinned = 0};
        }
    *n_out = (int)n;
    return e;
}

/* The total if every mentee got its best eligible mentor (no capacities). */
static int64_t upper_bound(const match_edge *e, int n_edges, int n_mentees)
{
    int *best = calloc((size_t)n_mentees + 1, sizeof *best);
    int64_t total = 0;
    if (!best) return -1;
    for (int k = 0; k < n_edges; k++)
        if (e[k].score > best[e[k].mentee]) best[e[k].mentee] = e[k].score;
    for (int i = 0; i < n_mentees; i++)
        total += best[i];
    free(best);
    return total;
}

static int run(int n_me, int n_mr)
{
    person *mentees = calloc((size_t)n_me, sizeof *mentees);
    person *mentors = calloc((size_t)n_mr, sizeof *mentors);
    int *cap = calloc((size_t)n_mr, sizeof *cap), *assign = calloc((size_t)n_me, sizeof *assign);
    int n_edges = 0, rc = 1;
    match_edge *edges = NULL;
    if (!mentees || !mentors || !cap || !assign) goto out;
    for (int i = 0; i < n_me; i++)
        make_mentee(&mentees[i]);
    for (int j = 0; j < n_mr; j++) {
        make_mentor(&mentors[j]);
        cap[j] = mentors[j].capacity;
    }
    edges = eligible_pairs(mentees, n_me, mentors, n_mr, &n_edges);
    if (!edges) goto out;
    match_problem p = {n_me, n_mr, cap, n_edges, edges, 0};
    match_result opt, greedy;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_t c0 = clock();
    int src = match_solve(&p, assign, &opt);
    double solve_cpu_s = (double)(clock() - c0) / CLOCKS_PER_SEC;
    double solve_s = seconds_since(&t0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    c0 = clock();
    int grc = match_greedy(&p, assign, &greedy);
    double greedy_cpu_s = (double)(clock() - c0) / CLOCKS_PER_SEC;
    double greedy_s = seconds_since(&t0);
    if (src != 0 || grc != 0) {
        fprintf(stderr, "match_bench: %s / %s\n", match_strerror(src), match_strerror(grc));
        goto out;
    }
    int64_t cap_sum = 0, bound = upper_bound(edges, n_edges, n_me);
    for (int j = 0; j < n_mr; j++)
        cap_sum += cap[j];
    printf("round_mentees %d count\nround_mentors %d count\nround_capacity %lld places\n", n_me,
           n_mr, (long long)cap_sum);
    printf("round_eligible_pairs %d pairs\n", n_edges);
    printf("round_total_score %lld points\nround_pairs %d pairs\n", (long long)opt.total,
           opt.pairs);
    printf("round_greedy_score %lld points\nround_greedy_pairs %d pairs\n", (long long)greedy.total,
           greedy.pairs);
    printf("round_greedy_s %.3f s\nround_greedy_cpu_s %.3f s\n", greedy_s, greedy_cpu_s);
    /* What the officer's run pays in the C module: rounds.c runs both. */
    printf("round_run_cpu_s %.3f s\n", solve_cpu_s + greedy_cpu_s);
    printf("round_solve_passes %d count\nround_candidate_pairs %lld pairs\n", opt.passes,
           (long long)opt.arcs);
    printf("round_upper_bound %lld points\n", (long long)bound);
    printf("round_gap_to_bound %.4f ratio\n",
           bound > 0 ? 1.0 - (double)opt.total / (double)bound : 0.0);
    printf("round_solve_cpu_s %.3f s\n", solve_cpu_s);
    printf("round_solve_s %.3f s\n", solve_s);
    printf("round_vs_greedy %.4f ratio\n",
           greedy.total > 0 ? (double)opt.total / (double)greedy.total : 1.0);
    rc = opt.total < greedy.total || opt.total > bound;
    if (rc) fprintf(stderr, "match_bench: optimum outside [greedy, bound]\n");
out:
    free(mentees);
    free(mentors);
    free(cap);
    free(assign);
    free(edges);
    return rc;
}

int main(int argc, char **argv)
{
    int n_me = argc > 1 ? atoi(argv[1]) : 10000, n_mr = argc > 2 ? atoi(argv[2]) : 2000;
    rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (n_me <= 0 || n_mr <= 0 || n_me > 100000 || n_mr > 100000) {
        fprintf(stderr, "usage: match_bench [n_mentees n_mentors [seed]]\n");
        return 2;
    }
    return run(n_me, n_mr);
}
