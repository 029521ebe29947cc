/* arena_fixture.h — the arena unit tests that decode values (test_codec.c,
 * test_json.c, test_profile_*.c) decode into, and the cmocka fixtures that
 * manage it: made once for the group, emptied before each test that uses it. */
#ifndef KHNET_TESTS_UNIT_ARENA_FIXTURE_H
#define KHNET_TESTS_UNIT_ARENA_FIXTURE_H

#include "khproto.h"

extern kp_arena *arena; /* the group's arena; valid between arena_setup and arena_teardown */

/* Group setup: makes the arena (a 4 KiB first chunk); -1 when out of memory. */
int arena_setup(void **state);

/* Group teardown: frees the arena. */
int arena_teardown(void **state);

/* Per-test setup: empties the arena, keeping its first chunk. */
int arena_reset(void **state);

#endif
