/* admin.h — command-line administration (khnetd admin ...): blocking
 * libpq, run from main() only, never on a loop. */
#ifndef KHNET_ADMIN_H
#define KHNET_ADMIN_H

#include "config.h"

/* khnetd admin create --email E --password P: a new admin account, audited
 * with actor NULL.  Returns the exit status (0 ok, 1 failure, message on
 * stderr). */
int admin_create(const config *cfg);

#endif
