/* seed.h — `khnetd seed --profiles N`: realistic demo profiles streamed
 * into PostgreSQL with COPY in one transaction.  Blocking libpq: a command
 * run from main(), never on a loop.
 *
 * Every demo account is demo+<id>@example.org with the password
 * SEED_DEMO_PASSWORD (hashed once per run).  The data is a pure function of
 * (seed, index): the same --seed gives the same people, field by field; only
 * the account ids depend on the database's sequence. */
#ifndef KHNET_SEED_H
#define KHNET_SEED_H

#include <stdint.h>
#include <stdio.h>

#define SEED_DEMO_PASSWORD "khnet-demo-password"

/* Inserts `profiles` accounts with profiles, degrees and sectors.  Prints
 * counts and the elapsed time to `out`.  0, or -1 with a message in err
 * (then nothing was inserted). */
int seed_run(const char *conninfo, int profiles, uint64_t seed, FILE *out, char *err,
             size_t errlen);

#endif
