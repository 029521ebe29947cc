/* cmd_basic.c — `khnet health` and `khnet call`: the server's health and
 * the generic request any endpoint can be reached with. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Human form: "key: value" per field, maps (the db pool) one level deep. */
static void print_health(const kp_value *root)
{
    for (uint32_t i = 0; i < root->v.map.n; i++) {
        const kp_pair *p = &root->v.map.pairs[i];
        printf("%.*s:", (int)p->key.v.s.len, p->key.v.s.ptr);
        if (p->val.type == KP_MAP) {
            for (uint32_t j = 0; j < p->val.v.map.n; j++) {
                const kp_pair *q = &p->val.v.map.pairs[j];
                printf(" %.*s=", (int)q->key.v.s.len, q->key.v.s.ptr);
                cli_print_scalar(&q->val);
            }
        } else {
            putchar(' ');
            cli_print_scalar(&p->val);
        }
        putchar('\n');
    }
}

static int run_health(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    khnet_reply *rep = NULL;
    khnet_err err = khnet_health(ctx, &rep);
    int rc;
    if (err != KHNET_OK) {
        rc = cli_report(ctx, err, rep, o);
    } else if (o->json && rep->root) {
        cli_print_json(stdout, rep->root);
        rc = rep->status == 200 ? EXIT_OK : EXIT_HTTP;
    } else {
        printf("http: %d\n", rep->status);
        if (rep->root && rep->root->type == KP_MAP) print_health(rep->root);
        rc = rep->status == 200 ? EXIT_OK : EXIT_HTTP;
    }
    khnet_reply_free(rep);
    return rc;
}

static int run_call(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    char *owned = NULL;
    const char *body = argc == 3 ? cli_text_arg(argv[2], false, &owned) : NULL;
    if (argc == 3 && !body) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_call_json(ctx, argv[0], argv[1], body, &rep);
    free(owned);
    int rc = EXIT_OK;
    if (err != KHNET_OK)
        rc = cli_report(ctx, err, rep, o);
    else if (rep->root)
        cli_print_json(stdout, rep->root);
    else if (rep->body_len)
        printf("%.*s\n", (int)rep->body_len, (const char *)rep->body);
    if (rc == EXIT_OK && rep->status / 100 != 2)
        rc = EXIT_HTTP; /* 1xx/3xx: not an error to the library, not success here */
    khnet_reply_free(rep);
    return rc;
}

const cli_cmd cli_basic_cmds[] = {
    {.name = "health", .help = "GET /healthz; print status and the DB pool", .run = run_health},
    {.name = "call",
     .args = "METHOD PATH [BODY]",
     .help = "send a request; BODY is JSON text ('-' reads\nstdin); print the reply as JSON",
     .min_args = 2,
     .max_args = 3,
     .run = run_call},
    {.name = NULL},
};
