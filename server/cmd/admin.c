/* admin.c — `khnetd admin create`: bootstrap the first admin.  Validates
 * like the sign-up endpoint, hashes with the configured scrypt parameters
 * and calls khnet_admin_create (which writes the audit row). */
#include "cmd.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "khproto.h"

int cmd_admin_create(const config *cfg)
{
    char email[AUTH_EMAIL_MAX + 1], hash[AUTH_HASH_MAX];
    const char *pw = cfg->password ? cfg->password : "";
    size_t pwlen = strlen(pw);
    if (!cfg->email || !auth_email_normalize(cfg->email, strlen(cfg->email), email)) {
        fprintf(stderr, "khnetd: admin create needs a valid --email\n");
        return 1;
    }
    size_t chars = kp_utf8_valid(pw, pwlen) ? kp_utf8_len(pw, pwlen) : 0;
    if (chars < AUTH_PW_MIN || chars > AUTH_PW_MAX) {
        fprintf(stderr, "khnetd: --password must be %d..%d characters of UTF-8\n", AUTH_PW_MIN,
                AUTH_PW_MAX);
        return 1;
    }
    auth_scrypt prm = {(uint64_t)cfg->scrypt_n, (uint32_t)cfg->scrypt_r, (uint32_t)cfg->scrypt_p};
    if (auth_password_hash(pw, pwlen, &prm, hash) != 0) {
        fprintf(stderr, "khnetd: cannot hash the password\n");
        return 1;
    }
    PGconn *db = PQconnectdb(cfg->database_url);
    if (PQstatus(db) != CONNECTION_OK) {
        fprintf(stderr, "khnetd: %s", PQerrorMessage(db));
        PQfinish(db);
        return 1;
    }
    const char *params[2] = {email, hash};
    PGresult *res =
        PQexecParams(db, "SELECT khnet_admin_create($1, $2)", 2, NULL, params, NULL, NULL, 0);
    int rc = 1;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fprintf(stderr, "khnetd: %s", PQerrorMessage(db));
    else if (PQgetisnull(res, 0, 0))
        fprintf(stderr, "khnetd: an account with e-mail %s exists\n", email);
    else {
        printf("admin %s created (id %s)\n", email, PQgetvalue(res, 0, 0));
        rc = 0;
    }
    PQclear(res);
    PQfinish(db);
    return rc;
}
