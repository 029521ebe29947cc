/* cmd_account.c — accounts and sessions: register, login, logout, whoami,
 * role, `sessions ...` and `password ...`.  A password operand "-" reads a
 * line from stdin, so it stays out of the process list. */
#include <string.h>

#include "cli.h"

enum { PW_MAX = 256 };

static int run_register(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    char pw[PW_MAX];
    const char *p = cli_password_arg(argv[1], pw, sizeof pw);
    if (!p) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = argc == 3 ? khnet_register_partner(ctx, argv[0], p, argv[2], &rep)
                              : khnet_register(ctx, argv[0], p, &rep);
    return cli_finish(ctx, o, err, rep);
}

/* Prints the token alone (for $(...) and KHNET_TOKEN), or the reply with --json. */
static int run_login(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    char pw[PW_MAX];
    const char *p = cli_password_arg(argv[1], pw, sizeof pw);
    if (!p) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_login(ctx, argv[0], p, &rep);
    if (err != KHNET_OK || o->json) return cli_finish(ctx, o, err, rep);
    const kp_value *t = kp_map_get(rep->root, "token");
    printf("%.*s\n", (int)t->v.s.len, t->v.s.ptr); /* khnet_login checked it */
    khnet_reply_free(rep);
    return EXIT_OK;
}

static int run_role(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t id = cli_id_arg(argv[0]);
    if (!id) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_role_set(ctx, id, argv[1], &rep);
    return cli_finish(ctx, o, err, rep);
}

/* ---- sessions ------------------------------------------------------------------ */

static const cli_cmd sessions_cmds[] = {
    {.name = "list", .help = "my live sessions, as JSON", .call = khnet_sessions_list},
    {.name = "revoke",
     .args = "ID",
     .help = "revoke one of my sessions",
     .min_args = 1,
     .max_args = 1,
     .call_id = khnet_session_revoke},
    {.name = "logout-all", .help = "revoke every session of my account", .call = khnet_logout_all},
    {.name = NULL},
};

/* ---- passwords ----------------------------------------------------------------- */

static int run_password_change(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    char cur[PW_MAX], pw[PW_MAX];
    const char *first = cli_password_arg(argv[0], cur, sizeof cur);
    const char *next = first ? cli_password_arg(argv[1], pw, sizeof pw) : NULL;
    if (!next) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_password_change(ctx, first, next, &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_password_reset(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    khnet_reply *rep = NULL;
    khnet_err err = khnet_password_reset_request(ctx, argv[0], &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_password_reset_confirm(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    char pw[PW_MAX];
    const char *next = cli_password_arg(argv[1], pw, sizeof pw);
    if (!next) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_password_reset_confirm(ctx, argv[0], next, &rep);
    return cli_finish(ctx, o, err, rep);
}

static const cli_cmd password_cmds[] = {
    {.name = "change",
     .args = "CURRENT NEW",
     .help = "change my password (other sessions end)",
     .min_args = 2,
     .max_args = 2,
     .run = run_password_change},
    {.name = "reset",
     .args = "EMAIL",
     .help = "ask for a reset token, mailed by the server",
     .min_args = 1,
     .max_args = 1,
     .run = run_password_reset},
    {.name = "reset-confirm",
     .args = "TOKEN NEW",
     .help = "set a new password with a mailed token",
     .min_args = 2,
     .max_args = 2,
     .run = run_password_reset_confirm},
    {.name = NULL},
};

const cli_cmd cli_account_cmds[] = {
    {.name = "register",
     .args = "EMAIL PASSWORD [PARTNER_KEY]",
     .help = "make an account, signed up through a partner\nwhen a key is given ('-' as a "
             "password reads a\nline from stdin, here and below)",
     .min_args = 2,
     .max_args = 3,
     .run = run_register},
    {.name = "login",
     .args = "EMAIL PASSWORD",
     .help = "log in; prints the token (use it with --token\nor $KHNET_TOKEN; --json: the reply)",
     .min_args = 2,
     .max_args = 2,
     .run = run_login},
    {.name = "logout", .help = "revoke this token", .call = khnet_logout},
    {.name = "whoami", .help = "my account, as JSON", .call = khnet_me},
    {.name = "sessions",
     .help = "my sessions (default: list)",
     .subs = sessions_cmds,
     .dflt = "list"},
    {.name = "password", .help = "passwords", .subs = password_cmds},
    {.name = "role",
     .args = "ACCOUNT ROLE",
     .help = "set a role (admin): member, moderator, liaison,\nadmin; prints the account and "
             "previous_role",
     .min_args = 2,
     .max_args = 2,
     .run = run_role},
    {.name = NULL},
};
