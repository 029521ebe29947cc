/* domain.c — the accounts domain's routes and statements.  The SQL lives
 * in migrations/ as functions; here are only the calls to them. */
#include "accounts.h"

static const http_route routes[] = {
    {"POST", "/v1/accounts", api_register},
    {"PUT", "/v1/accounts/{id}/role", api_role_set},
    {"GET", "/v1/account", api_me},
    {"DELETE", "/v1/account", api_account_erase},
    {"GET", "/v1/account/export", api_account_export},
    {"POST", "/v1/account/password", api_password_change},
    {"POST", "/v1/sessions", api_login},
    {"GET", "/v1/sessions", api_sessions_list},
    {"DELETE", "/v1/sessions", api_logout_all},
    {"DELETE", "/v1/sessions/current", api_logout}, /* before {id}: first match wins */
    {"DELETE", "/v1/sessions/{id}", api_session_revoke},
    {"GET", "/v1/partners", api_partners_list},
    {"POST", "/v1/partners", api_partner_create},
    {"PATCH", "/v1/partners/{id}", api_partner_update},
    {"POST", "/v1/partners/{id}/key", api_partner_rekey},
    {"POST", "/v1/password-resets", api_reset_request},
    {"POST", "/v1/password-resets/confirm", api_reset_confirm},
    {"POST", "/v1/invitations", api_invite},
    {"GET", "/v1/invitations", api_invitations_list},
    {"POST", "/v1/invitations/claim", api_invitation_claim},
};

/* Every function answers the one shape (status, field, body), except the
 * two password lookups the kit's api_pw_check reads (id, password_hash) and
 * the CORS cache's origin list. */
#define ROW "SELECT status, field, body::text AS body FROM "
const db_stmt accounts_stmts[ACC_NSTMTS] = {
    [ACC_REGISTER] = {"register",
                      "SELECT idem, status, field, body::text AS body FROM "
                      "khnet_register($1, $2, $3, $4, $5, $6)",
                      6},
    [ACC_LOGIN_LOOKUP] = {"login_lookup", "SELECT * FROM khnet_login_lookup($1)", 1},
    [ACC_SESSION_CREATE] = {"session_create", ROW "khnet_session_create($1, $2, $3, $4, $5)", 5},
    [ACC_SESSIONS_LIST] = {"sessions_list", ROW "khnet_sessions_list($1, $2)", 2},
    [ACC_SESSIONS_REVOKE] = {"sessions_revoke", ROW "khnet_sessions_revoke($1, $2, $3)", 3},
    [ACC_ACCOUNT_GET] = {"account_get", ROW "khnet_account_get($1)", 1},
    [ACC_PASSWORD_LOOKUP] = {"password_lookup", "SELECT * FROM khnet_account_password($1)", 1},
    [ACC_PASSWORD_SET] = {"password_set", ROW "khnet_password_set($1, $2, $3)", 3},
    [ACC_ROLE_SET] = {"role_set", ROW "khnet_role_set($1, $2, $3)", 3},
    /* the CORS cache's timer: not a profile writer (khnet_background_tx) */
    [ACC_CORS_ORIGINS] = {"cors_origins",
                          "SELECT khnet_cors_origins() AS cors FROM khnet_background_tx()", 0},
    [ACC_PARTNERS_LIST] = {"partners_list", ROW "khnet_partners_list()", 0},
    [ACC_PARTNER_CREATE] = {"partner_create", ROW "khnet_partner_create($1, $2, $3, $4)", 4},
    [ACC_PARTNER_UPDATE] = {"partner_update", ROW "khnet_partner_update($1, $2, $3, $4)", 4},
    [ACC_PARTNER_REKEY] = {"partner_rekey", ROW "khnet_partner_rekey($1, $2, $3)", 3},
    [ACC_RESET_CREATE] = {"reset_create", ROW "khnet_reset_create($1, $2, $3)", 3},
    [ACC_RESET_CONFIRM] = {"reset_confirm", ROW "khnet_reset_confirm($1, $2)", 2},
    /* data rights (migrations/repeatable/80_data_rights.sql) */
    [ACC_ACCOUNT_EXPORT] = {"account_export", ROW "khnet_account_export($1::bigint)", 1},
    [ACC_ACCOUNT_ERASE] = {"account_erase", ROW "khnet_account_erase($1::bigint)", 1},
    /* invitations (migrations/repeatable/85_invitations.sql); hashes come as hex text */
    [ACC_INVITE] = {"invite",
                    "SELECT status, field, body::text AS body FROM khnet_invite($1::bigint, "
                    "$2::bigint[], $3::text[], ARRAY(SELECT decode(h, 'hex') FROM "
                    "unnest($4::text[]) WITH ORDINALITY AS u(h, n) ORDER BY n))",
                    4},
    [ACC_INVITATIONS_LIST] = {"invitations_list",
                              "SELECT status, field, body::text AS body FROM "
                              "khnet_invitations_list($1::bigint, $2::int)",
                              2},
    [ACC_INVITATION_CLAIM] = {"invitation_claim",
                              "SELECT status, field, body::text AS body FROM "
                              "khnet_invitation_claim($1::bytea, $2)",
                              2},
};

const api_domain api_domain_accounts = API_DOMAIN("accounts", routes, accounts_stmts);
