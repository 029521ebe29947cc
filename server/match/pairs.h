/* pairs.h — a programme round's eligible pairs and their scores, from the
 * two sides as SQL sends them (khnet_round_problem, O(mentees + mentors)),
 * with exactly the rules and points of khnet_round_pairs / khnet_mentor_pair
 * in round mode (PROTOCOL.md "Scoring"): the enumeration of every
 * (mentee, mentor) pair is done here, in C with bitsets, not in SQL, where
 * 10,000 x 2,000 took 33 s.  The edges come out ready for match_solve.
 * No I/O, no global state: safe from any thread.
 *
 * Each side's languages, topic keys, goal/topic words and sectors arrive as
 * term indices numbered per round and per kind (what two sides share is
 * the popcount of an AND); zones as an index into a table of the round's
 * distinct UTC offsets, whose gap and overlap points per pair of zones SQL
 * computes (daylight saving, rounding) so that no zone rule lives here. */
#ifndef KHNET_MATCH_PAIRS_H
#define KHNET_MATCH_PAIRS_H

#include <stdint.h>

#include "match/match.h"

/* The kinds of terms, in the order of pairs_person.terms. */
enum { PAIRS_LANG, PAIRS_KEY, PAIRS_WORD, PAIRS_SECTOR, PAIRS_KINDS };

enum {
    PAIRS_MAX_TERMS = 1 << 20, /* distinct terms of one kind in a round */
    PAIRS_MAX_ZONES = 512      /* distinct UTC offsets in a round */
};

/* Error codes beyond match.h's (negative). */
enum {
    PAIRS_ETOOMANY = -10 /* more eligible pairs than max_pairs: none kept, all counted */
};

/* One participant. */
typedef struct pairs_person {
    int64_t id;                    /* account id; ascending within a side */
    int years;                     /* years of experience (a mentee's unknown = 0) */
    int limit;                     /* mentee: max time-zone gap (hours); mentor: capacity */
    int zone;                      /* index into the zone table, or -1: no zone */
    const int *terms[PAIRS_KINDS]; /* term indices of each kind, 0 .. n_terms[kind]-1 */
    int n_terms[PAIRS_KINDS];      /* how many of each */
} pairs_person;

/* A pair of ids (mentee, mentor) that a rule concerns. */
typedef struct pairs_rule {
    int64_t mentee; /* account ids; ids not in the round are ignored */
    int64_t mentor;
} pairs_rule;

typedef struct pairs_input {
    int n_mentees, n_mentors;
    const pairs_person *mentees; /* [n_mentees] */
    const pairs_person *mentors; /* [n_mentors] (limit = round capacity) */
    int n_terms[PAIRS_KINDS];    /* terms of each kind in the round */
    int n_zones;
    const int
        *zone_gap; /* [n_zones * n_zones] mentee zone x mentor zone: whole hours, rounded up */
    const int *zone_points; /* [n_zones * n_zones] the overlap points of such a pair */
    int min_gap;            /* khnet_mentoring_settings.min_experience_gap */
    int n_excluded;
    const pairs_rule *excluded; /* blocks either way and forbids: never a pair */
    int n_pins;
    const pairs_rule *pins; /* pinned pairs (kept only when eligible) */
    int64_t max_pairs;      /* more eligible pairs than this: PAIRS_ETOOMANY */
} pairs_input;

typedef struct pairs_output {
    match_edge *edges; /* [n_edges] by mentee then mentor; malloc'd: free() it */
    int n_edges;
    int64_t n_eligible; /* eligible pairs counted (> max_pairs on PAIRS_ETOOMANY) */
} pairs_output;

/* Enumerates and scores every eligible pair of in into *out; has_pair[i]
 * (caller's array of n_mentees) is set to whether mentee i has any.  0, or
 * MATCH_EINVAL (a side not ascending by id, an index or size out of
 * range), MATCH_ENOMEM, PAIRS_ETOOMANY (out->n_eligible says how many).
 * On any error out holds no memory.  Time O(n_mentees x n_mentors) pair
 * tests of a few word operations each. */
int pairs_build(const pairs_input *in, pairs_output *out, unsigned char *has_pair);

#endif
