/* util.c — the `khnet` tool's shared helpers: printing replies and errors,
 * and reading operands (ids, passwords, texts from stdin or files).  No
 * command lives here. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_print_json(FILE *f, const kp_value *v)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_json_write(&b, v);
    if (!b.oom) fprintf(f, "%.*s\n", (int)b.len, (const char *)b.data);
    kp_buf_free(&b);
}

void cli_print_scalar(const kp_value *v)
{
    if (v->type == KP_STR) {
        printf("%.*s", (int)v->v.s.len, v->v.s.ptr);
        return;
    }
    kp_buf b;
    kp_buf_init(&b);
    kp_json_write(&b, v);
    printf("%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    kp_buf_free(&b);
}

int cli_report(khnet_ctx *ctx, khnet_err err, const khnet_reply *rep, const cli_opts *o)
{
    if (err == KHNET_ERR_HTTP && rep) {
        fprintf(stderr, "khnet: HTTP %d %s: %s", rep->status, rep->code ? rep->code : "error",
                rep->message ? rep->message : "(no message)");
        if (rep->field) fprintf(stderr, " (field %s)", rep->field);
        if (rep->request_id[0]) fprintf(stderr, " [request %s]", rep->request_id);
        fputc('\n', stderr);
        if (o->json && rep->root) cli_print_json(stdout, rep->root);
        return EXIT_HTTP;
    }
    fprintf(stderr, "khnet: %s: %s\n", khnet_strerror(err), ctx ? khnet_errstr(ctx) : "");
    return err == KHNET_ERR_ARG ? EXIT_USAGE : EXIT_NETWORK;
}

int cli_finish(khnet_ctx *ctx, const cli_opts *o, khnet_err err, khnet_reply *rep)
{
    int rc = EXIT_OK;
    if (err != KHNET_OK)
        rc = cli_report(ctx, err, rep, o);
    else if (rep->root)
        cli_print_json(stdout, rep->root);
    khnet_reply_free(rep);
    return rc;
}

int cli_wrong_args(const char *name)
{
    fprintf(stderr, "khnet: %s: wrong arguments (see --help)\n", name);
    return EXIT_USAGE;
}

int64_t cli_id_arg(const char *s)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < 1) {
        fprintf(stderr, "khnet: '%s' is not an id\n", s);
        return 0;
    }
    return v;
}

const char *cli_password_arg(const char *arg, char *buf, size_t cap)
{
    if (strcmp(arg, "-") != 0) return arg;
    if (!fgets(buf, (int)cap, stdin)) return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf;
}

/* The rest of f as a NUL-terminated string (caller frees), NULL on failure. */
static char *read_stream(FILE *f)
{
    kp_buf b;
    kp_buf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        kp_buf_append(&b, chunk, n);
    kp_buf_append(&b, "", 1);
    if (b.oom || ferror(f)) {
        kp_buf_free(&b);
        return NULL;
    }
    return (char *)b.data; /* kp_buf's bytes are plain malloc memory */
}

const char *cli_text_arg(const char *arg, bool is_file, char **owned)
{
    *owned = NULL;
    if (strcmp(arg, "-") == 0)
        *owned = read_stream(stdin);
    else if (!is_file)
        return arg;
    else {
        FILE *f = fopen(arg, "rb");
        if (f) {
            *owned = read_stream(f);
            (void)fclose(f); /* read-only: nothing to lose on close */
        }
    }
    if (!*owned) fprintf(stderr, "khnet: cannot read %s\n", strcmp(arg, "-") ? arg : "stdin");
    return *owned;
}
