/* cmd_partner.c — partner frontends (admin): `partners list|create|update|rekey`. */
#include <string.h>

#include "cli.h"

static int run_create(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    khnet_reply *rep = NULL;
    khnet_err err =
        khnet_partner_create(ctx, argv[0], (const char *const *)argv + 1, (size_t)(argc - 1), &rep);
    return cli_finish(ctx, o, err, rep);
}

/* `update ID [--enable|--disable] [ORIGIN...]`: origins given replace the old. */
static int run_update(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t id = cli_id_arg(argv[0]);
    if (!id) return EXIT_USAGE;
    int i = 1, disabled = -1;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (strcmp(argv[i], "--enable") != 0 && strcmp(argv[i], "--disable") != 0)
            return cli_wrong_args("partners update");
        disabled = !strcmp(argv[i], "--disable");
    }
    khnet_reply *rep = NULL;
    khnet_err err = khnet_partner_update(ctx, id, i < argc ? (const char *const *)argv + i : NULL,
                                         (size_t)(argc - i), disabled, &rep);
    return cli_finish(ctx, o, err, rep);
}

static const cli_cmd partners_cmds[] = {
    {.name = "list", .help = "partner frontends (admin), as JSON", .call = khnet_partners_list},
    {.name = "create",
     .args = "NAME [ORIGIN...]",
     .help = "register one; prints it with its key (shown once)",
     .min_args = 1,
     .max_args = -1,
     .run = run_create},
    {.name = "update",
     .args = "ID [--enable|--disable] [ORIGIN...]",
     .help = "change a partner; origins given replace the old",
     .min_args = 1,
     .max_args = -1,
     .run = run_update},
    {.name = "rekey",
     .args = "ID",
     .help = "a new key; the old one stops working",
     .min_args = 1,
     .max_args = 1,
     .call_id = khnet_partner_rekey},
    {.name = NULL},
};

const cli_cmd cli_partner_cmds[] = {
    {.name = "partners",
     .help = "partner frontends (default: list)",
     .subs = partners_cmds,
     .dflt = "list"},
    {.name = NULL},
};
