/* arena_fixture.c — the codec unit tests' shared arena fixtures (see
 * arena_fixture.h); built as the unit_fixtures library, named so that the
 * unit/test_*.c glob does not take it for a suite. */
#include "arena_fixture.h"

kp_arena *arena;

int arena_setup(void **state)
{
    arena = kp_arena_new(4096);
    return arena ? 0 : -1;
}

int arena_teardown(void **state)
{
    kp_arena_free(arena);
    return 0;
}

int arena_reset(void **state)
{
    kp_arena_reset(arena);
    return 0;
}
