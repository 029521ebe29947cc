/* round_problem.c — khnet_round_problem's document into pairs_input
 * (round_problem.h).  The document is the database's own: a shape other
 * than the one 90_mentoring.sql builds is a bug, refused as a whole. */
#include <string.h>

#include "round_problem.h"

const kp_limits men_round_limits = {4, 40000000, 1 << 20, (size_t)1 << 30};

static const kp_value *array_of(const kp_value *v, uint32_t n_min)
{
    return v && v->type == KP_ARRAY && v->v.arr.n >= n_min ? v : NULL;
}

static const kp_value *key(const kp_value *doc, const char *name)
{
    return array_of(kp_map_get(doc, name), 0);
}

/* Item i of arr as an int within [lo, hi]; -1 in *bad otherwise. */
static int64_t int_at(const kp_value *arr, uint32_t i, int64_t lo, int64_t hi, int *bad)
{
    const kp_value *v = &arr->v.arr.items[i];
    if (v->type != KP_INT || v->v.i < lo || v->v.i > hi) {
        *bad = 1;
        return lo;
    }
    return v->v.i;
}

/* An array of ints into the arena (n = 0 gives NULL). */
static int *ints(kp_arena *a, const kp_value *arr, int64_t lo, int64_t hi, int *n, int *bad)
{
    if (!arr) {
        *bad = 1;
        return NULL;
    }
    *n = (int)arr->v.arr.n;
    int *out = *n ? kp_arena_alloc(a, sizeof(int) * (size_t)*n) : NULL;
    if (*n && !out) *bad = 1;
    for (int k = 0; out && k < *n; k++)
        out[k] = (int)int_at(arr, (uint32_t)k, lo, hi, bad);
    return out;
}

/* [id, years, limit, zone, [l], [k], [w], [s]] */
static int read_person(kp_arena *a, const kp_value *v, pairs_person *p)
{
    int bad = !array_of(v, 4 + PAIRS_KINDS);
    if (bad) return -1;
    p->id = int_at(v, 0, 1, INT64_MAX, &bad);
    p->years = (int)int_at(v, 1, 0, 1000, &bad);
    p->limit = (int)int_at(v, 2, 0, 1000000, &bad);
    p->zone = (int)int_at(v, 3, -1, PAIRS_MAX_ZONES, &bad);
    for (int k = 0; k < PAIRS_KINDS; k++)
        p->terms[k] =
            ints(a, array_of(&v->v.arr.items[4 + k], 0), 0, PAIRS_MAX_TERMS, &p->n_terms[k], &bad);
    return bad ? -1 : 0;
}

static pairs_person *read_side(kp_arena *a, const kp_value *arr, int *n)
{
    if (!arr) return NULL;
    *n = (int)arr->v.arr.n;
    pairs_person *side = kp_arena_alloc(a, sizeof *side * ((size_t)*n + 1));
    for (int i = 0; side && i < *n; i++)
        if (read_person(a, &arr->v.arr.items[i], &side[i]) != 0) return NULL;
    return side;
}

/* [[mentee, mentor], ...] */
static pairs_rule *read_rules(kp_arena *a, const kp_value *arr, int *n)
{
    if (!arr) return NULL;
    *n = (int)arr->v.arr.n;
    pairs_rule *rules = kp_arena_alloc(a, sizeof *rules * ((size_t)*n + 1));
    int bad = !rules;
    for (int i = 0; !bad && i < *n; i++) {
        const kp_value *r = array_of(&arr->v.arr.items[i], 2);
        if (!r) return NULL;
        rules[i] = (pairs_rule){int_at(r, 0, 1, INT64_MAX, &bad), int_at(r, 1, 1, INT64_MAX, &bad)};
    }
    return bad ? NULL : rules;
}

static int read_scalars(const kp_value *doc, men_round_problem *out)
{
    const kp_value *runs = kp_map_get(doc, "runs"), *gap = kp_map_get(doc, "min_gap"),
                   *max = kp_map_get(doc, "max_pairs");
    if (!runs || runs->type != KP_INT || !gap || gap->type != KP_INT || !max || max->type != KP_INT)
        return -1;
    out->runs = runs->v.i;
    out->in.min_gap = (int)gap->v.i;
    out->in.max_pairs = max->v.i;
    return 0;
}

static int read_zones(kp_arena *a, const kp_value *doc, pairs_input *in)
{
    int bad = 0, n_gap = 0, n_points = 0;
    in->zone_gap = ints(a, key(doc, "zone_gap"), 0, 24, &n_gap, &bad);
    in->zone_points = ints(a, key(doc, "zone_points"), 0, 1000, &n_points, &bad);
    int nz = 0;
    while (nz * nz < n_gap)
        nz++;
    in->n_zones = nz;
    return bad || nz * nz != n_gap || n_points != n_gap ? -1 : 0;
}

int men_round_read(kp_arena *a, const kp_value *doc, men_round_problem *out)
{
    memset(out, 0, sizeof *out);
    pairs_input *in = &out->in;
    int bad = 0, n_kinds = 0;
    const int *terms = ints(a, key(doc, "terms"), 0, PAIRS_MAX_TERMS, &n_kinds, &bad);
    if (bad || n_kinds != PAIRS_KINDS || read_scalars(doc, out) != 0 || read_zones(a, doc, in) != 0)
        return -1;
    memcpy(in->n_terms, terms, sizeof in->n_terms);
    in->mentees = read_side(a, key(doc, "mentees"), &in->n_mentees);
    in->mentors = read_side(a, key(doc, "mentors"), &in->n_mentors);
    in->excluded = read_rules(a, key(doc, "excluded"), &in->n_excluded);
    in->pins = read_rules(a, key(doc, "pins"), &in->n_pins);
    return in->mentees && in->mentors && in->excluded && in->pins ? 0 : -1;
}
