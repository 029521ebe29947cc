/* accounts.h — the accounts domain, inside: its statements and handlers.
 * Sign-up and login (signup.c), the caller's account and roles
 * (account.c), sessions (sessions.c), password resets (resets.c), data
 * rights (data_rights.c), invitations of imported people (invitations.c)
 * and partner frontends (partners.c).  The domain's
 * one export is api_domain_accounts (domain.c). */
#ifndef KHNET_API_ACCOUNTS_H
#define KHNET_API_ACCOUNTS_H

#include "api/kit/kit.h"

enum accounts_stmt {
    ACC_REGISTER,
    ACC_LOGIN_LOOKUP,
    ACC_SESSION_CREATE,
    ACC_SESSIONS_LIST,
    ACC_SESSIONS_REVOKE,
    ACC_ACCOUNT_GET,
    ACC_PASSWORD_LOOKUP,
    ACC_PASSWORD_SET,
    ACC_ROLE_SET,
    ACC_CORS_ORIGINS,
    ACC_PARTNERS_LIST,
    ACC_PARTNER_CREATE,
    ACC_PARTNER_UPDATE,
    ACC_PARTNER_REKEY,
    ACC_RESET_CREATE,
    ACC_RESET_CONFIRM,
    ACC_ACCOUNT_EXPORT,
    ACC_ACCOUNT_ERASE,
    ACC_INVITE,
    ACC_INVITATIONS_LIST,
    ACC_INVITATION_CLAIM,
    ACC_NSTMTS
};
extern const db_stmt accounts_stmts[ACC_NSTMTS];
#define ACC_STMT(id) (&accounts_stmts[ACC_##id])

void api_register(http_req *r); /* signup.c */
void api_login(http_req *r);
void api_me(http_req *r); /* account.c */
void api_password_change(http_req *r);
void api_role_set(http_req *r);
void api_sessions_list(http_req *r); /* sessions.c */
void api_logout(http_req *r);
void api_logout_all(http_req *r);
void api_session_revoke(http_req *r);
void api_reset_request(http_req *r); /* resets.c */
void api_reset_confirm(http_req *r);
api_pw *acc_token_password(http_req *r, const kp_value *b, const char *unknown);
void api_account_export(http_req *r); /* data_rights.c */
void api_account_erase(http_req *r);
void api_invite(http_req *r); /* invitations.c */
void api_invitations_list(http_req *r);
void api_invitation_claim(http_req *r);
void api_partners_list(http_req *r); /* partners.c */
void api_partner_create(http_req *r);
void api_partner_update(http_req *r);
void api_partner_rekey(http_req *r);

#endif
