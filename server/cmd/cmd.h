/* cmd.h — khnetd's offline commands: `migrate`, `check-schema`, `seed`,
 * `admin create`, `import profiles`.  Each is blocking libpq, run from
 * main() before (instead of) any loop, never on one; each returns the
 * process's exit status (0 ok, 1 failure with a message on stderr).
 * cmd_run dispatches them from one table. */
#ifndef KHNET_CMD_H
#define KHNET_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"

#define SEED_DEMO_PASSWORD "khnet-demo-password"

/* Runs the offline command `cmd` (a CMD_* from config_parse) and sets
 * *status to its exit status; false when `cmd` is not an offline command. */
bool cmd_run(int cmd, const config *cfg, int *status);

/* khnetd admin create --email E --password P: a new admin account, audited
 * with actor NULL (admin.c). */
int cmd_admin_create(const config *cfg);

/* khnetd import profiles FILE [--format jsonl|csv] (import.c): the same
 * reading, validation and SQL function as POST /v1/profiles/import, without
 * a statement timeout and without the body limit; actor NULL in the audit
 * log.  Prints the report (JSON) on stdout and a summary on stderr; exit 1
 * when rows were refused (nothing written) or on failure. */
int cmd_import_profiles(const config *cfg);

/* khnetd seed --profiles N (seed.c): realistic demo profiles streamed into
 * PostgreSQL with COPY in one transaction.  Every demo account is
 * demo+<id>@example.org with the password SEED_DEMO_PASSWORD (hashed once
 * per run).  The data is a pure function of (seed, index): the same --seed
 * gives the same people, field by field; only the account ids depend on
 * the database's sequence.  Prints counts and the elapsed time to `out`.
 * 0, or -1 with a message in err (then nothing was inserted). */
int seed_run(const char *conninfo, int profiles, uint64_t seed, FILE *out, char *err,
             size_t errlen);

#endif
