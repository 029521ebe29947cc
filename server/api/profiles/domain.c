/* domain.c — the profiles domain's routes and statements (functions in
 * migrations/0003_profiles.sql and 0008_data_rights.sql). */
#include "profiles.h"

static const http_route routes[] = {
    {"GET", "/v1/profiles", api_profile_list},
    {"GET", "/v1/profiles/me", api_profile_me}, /* before {id}: first match wins */
    {"GET", "/v1/profiles/{id}", api_profile_get},
    {"POST", "/v1/profiles", api_profile_create},
    {"POST", "/v1/profiles/import", api_profiles_import},
    {"PATCH", "/v1/profiles/me", api_profile_patch},
    {"PATCH", "/v1/profiles/{id}", api_profile_patch},
};

/* Each answers the one shape but the import's (its report merges khnetd's
 * own rejections). */
#define ROW "SELECT status, field, body::text AS body FROM "
const db_stmt profiles_stmts[PROF_NSTMTS] = {
    [PROF_MINE] = {"profile_mine", ROW "khnet_profile_mine($1::bigint)", 1},
    [PROF_GET_BY_TOKEN] = {"profile_get_by_token",
                           ROW "khnet_profile_view_by_token($1::bytea, $2::bigint)", 2},
    [PROF_LIST] = {"profile_list",
                   ROW "khnet_profile_directory($1::bigint, $2, $3, $4, $5, $6, $7, $8::bigint, "
                       "$9::int)",
                   9},
    [PROF_PATCH] = {"profile_patch",
                    ROW "khnet_profile_patch($1::bigint, $2::bigint, $3::int, $4::jsonb)", 4},
    [PROF_CREATE] = {"profile_create", ROW "khnet_profile_create($1::bigint, $2::jsonb)", 2},
    [PROF_IMPORT] = {"profiles_import",
                     ROW "khnet_profiles_import($1::bigint, $2::jsonb, $3::boolean)", 3},
};

const api_domain api_domain_profiles = API_DOMAIN("profiles", routes, profiles_stmts);
