/* profiles.h — the profiles domain, inside: reading (profiles.c: one
 * profile, the directory), writing (edit.c: create, patch, my own) and
 * bulk import (import.c).  Its one export is api_domain_profiles
 * (domain.c).  Visibility lives in SQL (migrations/0003_profiles.sql). */
#ifndef KHNET_API_PROFILES_H
#define KHNET_API_PROFILES_H

#include "api/kit/kit.h"

enum profiles_stmt {
    PROF_MINE,
    PROF_GET_BY_TOKEN,
    PROF_LIST,
    PROF_PATCH,
    PROF_CREATE,
    PROF_IMPORT,
    PROF_NSTMTS
};
extern const db_stmt profiles_stmts[PROF_NSTMTS];
#define PROF_STMT(id) (&profiles_stmts[PROF_##id])

void api_profile_get(http_req *r); /* profiles.c */
void api_profile_list(http_req *r);
void api_profile_me(http_req *r); /* edit.c */
void api_profile_create(http_req *r);
void api_profile_patch(http_req *r);
void api_profiles_import(http_req *r); /* import.c */

#endif
