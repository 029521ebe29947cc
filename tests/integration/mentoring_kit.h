/* mentoring_kit.h — what the mentoring suites (it_mentoring.c, it_rounds.c)
 * share: members with profiles shaped for mentoring, and typed reads of the
 * mentoring objects in a reply (PROTOCOL.md "Mentoring").  Like common.h,
 * every helper fails the running cmocka test on anything unexpected. */
#ifndef KHNET_TESTS_INTEGRATION_MENTORING_KIT_H
#define KHNET_TESTS_INTEGRATION_MENTORING_KIT_H

#include <stdbool.h>
#include <stdint.h>

#include "khnet.h"

/* Profile fields (JSON object members) of an early-career mentee and of a
 * mentor with that many years and places. */
#define MK_MENTEE "\"years_experience\":1,\"seeking_mentor\":true"
#define MK_MENTOR(years, cap)                                                                      \
    "\"years_experience\":" #years ",\"willing_to_mentor\":true,\"mentor_capacity\":" #cap

/* A member "<tag>@mentit.example.org" logged in, with a profile named tag in
 * Asia/Ho_Chi_Minh made of fields (JSON object members, "" for none) plus,
 * unless fields set them, languages ["vi","en"] and expertise
 * ["aquaculture"]; its account id in *id unless id is NULL.  The caller
 * frees the context. */
khnet_ctx *mk_person(const char *tag, const char *fields, int64_t *id);

/* A member with the liaison role, set by an admin through khnet_role_set. */
khnet_ctx *mk_officer(const char *tag, int64_t *id);

/* The integer, boolean or number (integer or float) at key of map. */
int64_t mk_int(const kp_value *map, const char *key);
bool mk_bool(const kp_value *map, const char *key);
double mk_num(const kp_value *map, const char *key);

/* Asserts that map's key is an array of exactly the n strings want[]. */
void mk_strs_list(const kp_value *map, const char *key, int n, const char *const *want);
/* mk_strs(map, key, n, "a", "b", ...): the same with the strings inline. */
#define mk_strs(map, key, n, ...) mk_strs_list(map, key, n, (const char *const[]){__VA_ARGS__})

/* The position of the suggestion of mentor id in items, or -1. */
int mk_index_of_mentor(const kp_value *items, int64_t id);

/* The events after seq `after` of the member of ctx, through a khnet_stream
 * opened at that cursor, until one of kind `until` arrives (fails after
 * 10 s); the number of events of kind `count` among them, and the payload
 * id of the last such in *last_id (unless NULL). */
int mk_events(khnet_ctx *ctx, int64_t after, const char *until, const char *count,
              int64_t *last_id);

#endif
