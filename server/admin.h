/* admin.h — command-line administration (khnetd admin ..., khnetd import
 * ...): blocking libpq, run from main() only, never on a loop. */
#ifndef KHNET_ADMIN_H
#define KHNET_ADMIN_H

#include "config.h"

/* khnetd admin create --email E --password P: a new admin account, audited
 * with actor NULL.  Returns the exit status (0 ok, 1 failure, message on
 * stderr). */
int admin_create(const config *cfg);

/* khnetd import profiles FILE [--format jsonl|csv] (import_cmd.c): the
 * same reading, validation and SQL function as POST /v1/profiles/import,
 * without a statement timeout and without the body limit; actor NULL in the
 * audit log.  Prints the report (JSON) on stdout and a summary on stderr;
 * exit 0 when imported, 1 when rows were refused (nothing written) or on
 * failure. */
int import_profiles(const config *cfg);

#endif
