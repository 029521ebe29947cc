/* pairs_driver.c — server/match/pairs.c on a round's sides as SQL gives
 * them, for tests/interop/round_pairs_sql.py (which compares the output
 * with khnet_round_pairs, the SQL reference, pair by pair).
 *
 *   in:  the body of khnet_round_problem (JSON) on stdin
 *   out: line 1, the pairs by mentee then mentor, space-separated
 *        "mentee:mentor:capacity:score:pinned" (pinned t/f, as psql's
 *        format() writes a boolean); line 2, the ids of the mentees with
 *        any eligible pair; or "too_many <eligible pairs>"
 *   exit 0, or 2 on bad input or another error. */
#include <stdio.h>
#include <stdlib.h>

#include "api/mentoring/round_problem.h"

static char *read_all(size_t *len)
{
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    *len = 0;
    for (size_t n; buf && (n = fread(buf + *len, 1, cap - *len, stdin)) > 0;) {
        *len += n;
        char *g = *len == cap ? realloc(buf, cap *= 2) : buf;
        if (!g) free(buf);
        buf = g;
    }
    return buf;
}

static void print(const pairs_input *in, const pairs_output *out, const unsigned char *has)
{
    for (int k = 0; k < out->n_edges; k++) {
        const match_edge *e = &out->edges[k];
        printf("%s%lld:%lld:%d:%d:%c", k ? " " : "", (long long)in->mentees[e->mentee].id,
               (long long)in->mentors[e->mentor].id, in->mentors[e->mentor].limit, e->score,
               e->pinned ? 't' : 'f');
    }
    printf("\n");
    for (int i = 0, first = 1; i < in->n_mentees; i++)
        if (has[i]) {
            printf("%s%lld", first ? "" : " ", (long long)in->mentees[i].id);
            first = 0;
        }
    printf("\n");
}

int main(void)
{
    size_t len = 0;
    char *text = read_all(&len);
    kp_arena *a = kp_arena_new(1 << 16);
    kp_value *doc = NULL;
    kp_err err = {0};
    men_round_problem prob;
    int rc = 2;
    if (text && a && kp_json_decode(a, text, len, &men_round_limits, &doc, &err) == 0 &&
        men_round_read(a, doc, &prob) == 0) {
        unsigned char *has = calloc((size_t)prob.in.n_mentees + 1, 1);
        pairs_output out;
        int brc = has ? pairs_build(&prob.in, &out, has) : MATCH_ENOMEM;
        if (brc == 0) print(&prob.in, &out, has);
        if (brc == PAIRS_ETOOMANY) printf("too_many %lld\n", (long long)out.n_eligible);
        rc = brc == 0 || brc == PAIRS_ETOOMANY ? 0 : 2;
        if (brc == 0) free(out.edges);
        free(has);
    }
    if (rc) fprintf(stderr, "pairs_driver: bad input or error\n");
    kp_arena_free(a);
    free(text);
    return rc;
}
