/* pairs.c — a programme round's eligible pairs and their scores (pairs.h).
 * Mentors' terms are dense bitsets (one row of 64-bit words per mentor and
 * kind), mentees' the few non-zero words of theirs, so a pair's shared
 * count of a kind is a popcount per word the mentee uses.  Blocks, forbids
 * and pins become per-mentee ascending lists of mentor indices walked
 * alongside the mentors.  The points are those of khnet_round_pairs
 * (migrations/repeatable/90_mentoring.sql), which
 * tests/interop/round_pairs_sql.py compares with this, pair by pair. */
#include <stdlib.h>
#include <string.h>

#include "match/pairs.h"

/* The caps of PROTOCOL.md "Scoring": counted at most this many. */
enum { LANG_CAP = 3, KEY_CAP = 4, WORD_CAP = 5, EXP_CAP = 10 };

typedef struct sparse {
    int word;      /* index of a 64-bit word of the bitset */
    uint64_t bits; /* its bits */
} sparse;

/* A per-mentee list of mentor indices (compressed rows). */
typedef struct rows {
    int *start; /* [n_mentees + 1] mentee i's mentors: idx[start[i] .. start[i+1]) */
    int *idx;   /* ascending within a mentee */
} rows;

typedef struct ctx {
    const pairs_input *in;
    int words[PAIRS_KINDS];       /* 64-bit words of a bitset of each kind */
    uint64_t *mbits[PAIRS_KINDS]; /* [n_mentors * words] mentors' bitsets */
    int *estart[PAIRS_KINDS];     /* [n_mentees + 1] mentee i's words: ebits[estart[i] ..) */
    sparse *ebits[PAIRS_KINDS];
    rows excluded, pinned;
} ctx;

/* The growing edge list: stops keeping edges past max (still counts). */
typedef struct edges {
    match_edge *e;
    int64_t n, cap, max;
    int oom;
} edges;

/* ---- checking and indexing the input ------------------------------------- */

static int person_ok(const pairs_person *p, const pairs_input *in, int64_t prev_id)
{
    if (p->id <= prev_id || p->zone < -1 || p->zone >= in->n_zones || p->limit < 0) return 0;
    for (int k = 0; k < PAIRS_KINDS; k++) {
        if (p->n_terms[k] < 0 || (p->n_terms[k] > 0 && !p->terms[k])) return 0;
        for (int t = 0; t < p->n_terms[k]; t++)
            if (p->terms[k][t] < 0 || p->terms[k][t] >= in->n_terms[k]) return 0;
    }
    return 1;
}

static int input_ok(const pairs_input *in)
{
    if (in->n_mentees < 0 || in->n_mentors < 0 || in->n_zones < 0 ||
        in->n_zones > PAIRS_MAX_ZONES || in->n_excluded < 0 || in->n_pins < 0 ||
        in->n_mentees + (int64_t)in->n_mentors > MATCH_MAX_NODES)
        return 0;
    if (in->n_zones > 0 && (!in->zone_gap || !in->zone_points)) return 0;
    for (int k = 0; k < PAIRS_KINDS; k++)
        if (in->n_terms[k] < 0 || in->n_terms[k] > PAIRS_MAX_TERMS) return 0;
    int64_t prev = INT64_MIN;
    for (int i = 0; i < in->n_mentees; prev = in->mentees[i++].id)
        if (!person_ok(&in->mentees[i], in, prev)) return 0;
    prev = INT64_MIN;
    for (int j = 0; j < in->n_mentors; prev = in->mentors[j++].id)
        if (!person_ok(&in->mentors[j], in, prev)) return 0;
    return 1;
}

/* The index of id in the side's ascending ids, or -1. */
static int find(const pairs_person *side, int n, int64_t id)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (side[mid].id == id) return mid;
        if (side[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* rules as compressed rows per mentee; rules naming someone outside the
 * round are dropped.  0 or MATCH_ENOMEM. */
static int rows_build(const pairs_input *in, const pairs_rule *rule, int n, rows *out)
{
    out->start = calloc((size_t)in->n_mentees + 2, sizeof *out->start);
    out->idx = malloc(((size_t)n + 1) * sizeof *out->idx);
    int *fill = calloc((size_t)in->n_mentees + 1, sizeof *fill);
    if (!out->start || !out->idx || !fill) {
        free(fill);
        return MATCH_ENOMEM;
    }
    for (int r = 0; r < n; r++) {
        int i = find(in->mentees, in->n_mentees, rule[r].mentee);
        if (i >= 0 && find(in->mentors, in->n_mentors, rule[r].mentor) >= 0) out->start[i + 2]++;
    }
    for (int i = 0; i < in->n_mentees; i++)
        out->start[i + 2] += out->start[i + 1];
    for (int r = 0; r < n; r++) {
        int i = find(in->mentees, in->n_mentees, rule[r].mentee);
        int j = i < 0 ? -1 : find(in->mentors, in->n_mentors, rule[r].mentor);
        if (j >= 0) out->idx[out->start[i + 1] + fill[i]++] = j;
    }
    for (int i = 0; i < in->n_mentees; i++) {
        out->start[i + 1] = out->start[i] + fill[i];
        qsort(out->idx + out->start[i], (size_t)fill[i], sizeof *out->idx, cmp_int);
    }
    free(fill);
    return 0;
}

/* ---- the bitsets --------------------------------------------------------- */

static int mentor_bits(ctx *c, int k)
{
    const pairs_input *in = c->in;
    c->mbits[k] = calloc((size_t)in->n_mentors * (size_t)c->words[k] + 1, sizeof(uint64_t));
    if (!c->mbits[k]) return MATCH_ENOMEM;
    for (int j = 0; j < in->n_mentors; j++) {
        uint64_t *row = c->mbits[k] + (size_t)j * (size_t)c->words[k];
        const pairs_person *m = &in->mentors[j];
        for (int t = 0; t < m->n_terms[k]; t++)
            row[m->terms[k][t] >> 6] |= (uint64_t)1 << (m->terms[k][t] & 63);
    }
    return 0;
}

/* Adds term t to the sparse words ebits[from .. *n). */
static void sparse_add(sparse *s, int from, int *n, int t)
{
    for (int x = from; x < *n; x++)
        if (s[x].word == t >> 6) {
            s[x].bits |= (uint64_t)1 << (t & 63);
            return;
        }
    s[(*n)++] = (sparse){t >> 6, (uint64_t)1 << (t & 63)};
}

static int mentee_bits(ctx *c, int k)
{
    const pairs_input *in = c->in;
    size_t total = 1;
    for (int i = 0; i < in->n_mentees; i++)
        total += (size_t)in->mentees[i].n_terms[k];
    c->estart[k] = malloc(((size_t)in->n_mentees + 1) * sizeof(int));
    c->ebits[k] = malloc(total * sizeof(sparse));
    if (!c->estart[k] || !c->ebits[k]) return MATCH_ENOMEM;
    int n = 0;
    for (int i = 0; i < in->n_mentees; i++) {
        c->estart[k][i] = n;
        for (int t = 0; t < in->mentees[i].n_terms[k]; t++)
            sparse_add(c->ebits[k], c->estart[k][i], &n, in->mentees[i].terms[k][t]);
    }
    c->estart[k][in->n_mentees] = n;
    return 0;
}

/* How many terms of kind k mentee i and mentor j share, at most cap. */
static int shared(const ctx *c, int k, int i, int j, int cap)
{
    const uint64_t *row = c->mbits[k] + (size_t)j * (size_t)c->words[k];
    int n = 0;
    for (int x = c->estart[k][i]; x < c->estart[k][i + 1] && n < cap; x++)
        n += __builtin_popcountll(c->ebits[k][x].bits & row[c->ebits[k][x].word]);
    return n < cap ? n : cap;
}

/* ---- the pairs ------------------------------------------------------------ */

static void push(edges *v, match_edge e)
{
    if (++v->n > v->max || v->oom) {
        free(v->e); /* past the limit: counting only */
        v->e = NULL;
        return;
    }
    if (v->n > v->cap) {
        int64_t cap = v->cap ? v->cap * 2 : 1024;
        match_edge *g = realloc(v->e, (size_t)cap * sizeof *g);
        if (!g) {
            v->oom = 1;
            free(v->e);
            v->e = NULL;
            return;
        }
        v->e = g;
        v->cap = cap;
    }
    v->e[v->n - 1] = e;
}

/* The pair's score, or 0 when a hard rule (other than the rows') fails. */
static int32_t score(const ctx *c, int i, int j)
{
    const pairs_input *in = c->in;
    const pairs_person *e = &in->mentees[i], *m = &in->mentors[j];
    int years = m->years - e->years - in->min_gap;
    if (years < 0 || m->id == e->id) return 0;
    int gap = 0, points = 0;
    if (e->zone >= 0 && m->zone >= 0) {
        size_t z = (size_t)e->zone * (size_t)in->n_zones + (size_t)m->zone;
        gap = in->zone_gap[z];
        points = in->zone_points[z];
    }
    int langs = gap <= e->limit ? shared(c, PAIRS_LANG, i, j, LANG_CAP) : 0;
    if (langs == 0) return 0;
    return 10 + 25 * shared(c, PAIRS_KEY, i, j, KEY_CAP) +
           8 * shared(c, PAIRS_WORD, i, j, WORD_CAP) + 5 * langs + points +
           (shared(c, PAIRS_SECTOR, i, j, 1) ? 15 : 0) + (years < EXP_CAP ? years : EXP_CAP);
}

/* Whether row i of r holds j; *at walks it (mentors come ascending). */
static int in_row(const rows *r, int i, int j, int *at)
{
    while (*at < r->start[i + 1] && r->idx[*at] < j)
        (*at)++;
    return *at < r->start[i + 1] && r->idx[*at] == j;
}

static void scan_mentee(const ctx *c, int i, edges *v, unsigned char *has_pair)
{
    int xat = c->excluded.start[i], pat = c->pinned.start[i];
    int64_t before = v->n;
    for (int j = 0; j < c->in->n_mentors; j++) {
        int32_t s = score(c, i, j);
        if (s == 0 || in_row(&c->excluded, i, j, &xat)) continue;
        push(v, (match_edge){i, j, s, in_row(&c->pinned, i, j, &pat)});
    }
    has_pair[i] = v->n > before;
}

/* ---- the whole ------------------------------------------------------------- */

static void ctx_free(ctx *c)
{
    for (int k = 0; k < PAIRS_KINDS; k++) {
        free(c->mbits[k]);
        free(c->estart[k]);
        free(c->ebits[k]);
    }
    free(c->excluded.start);
    free(c->excluded.idx);
    free(c->pinned.start);
    free(c->pinned.idx);
}

static int ctx_init(ctx *c)
{
    const pairs_input *in = c->in;
    for (int k = 0; k < PAIRS_KINDS; k++) {
        c->words[k] = (in->n_terms[k] + 63) / 64;
        if (mentor_bits(c, k) != 0 || mentee_bits(c, k) != 0) return MATCH_ENOMEM;
    }
    if (rows_build(in, in->excluded, in->n_excluded, &c->excluded) != 0 ||
        rows_build(in, in->pins, in->n_pins, &c->pinned) != 0)
        return MATCH_ENOMEM;
    return 0;
}

int pairs_build(const pairs_input *in, pairs_output *out, unsigned char *has_pair)
{
    memset(out, 0, sizeof *out);
    if (!input_ok(in)) return MATCH_EINVAL;
    ctx c = {.in = in};
    int rc = ctx_init(&c);
    edges v = {.max = in->max_pairs < MATCH_MAX_EDGES ? in->max_pairs : MATCH_MAX_EDGES};
    for (int i = 0; rc == 0 && i < in->n_mentees; i++)
        scan_mentee(&c, i, &v, has_pair);
    ctx_free(&c);
    out->n_eligible = v.n;
    if (rc == 0 && v.oom) rc = MATCH_ENOMEM;
    if (rc == 0 && v.n > v.max) rc = PAIRS_ETOOMANY;
    if (rc != 0) {
        free(v.e);
        return rc;
    }
    out->edges = v.e;
    out->n_edges = (int)v.n;
    return 0;
}
