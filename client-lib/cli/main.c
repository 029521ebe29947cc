/* main.c — `khnet`, the command-line tool built on libkhnet: global
 * options, then one command looked up in the command tables (cmd_*.c).
 *
 * The tables are the only list of commands: --help is printed from them,
 * dispatch finds the command (or a group's subcommand) in them, and the
 * operand count is checked against them before any connection is made.
 * Output: replies as JSON on stdout, errors on stderr with the server's
 * code and message; the exit code says which kind of failure happened.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_cmd *const tables[] = {cli_basic_cmds,   cli_chat_cmds,   cli_account_cmds,
                                        cli_profile_cmds, cli_search_cmds, cli_partner_cmds,
                                        cli_mentor_cmds,  cli_forum_cmds};
#define NTABLES (sizeof tables / sizeof tables[0])

enum { HELP_COL = 30 }; /* column where the descriptions start */

/* Prints "<indent>words", then each line of help from HELP_COL on. */
static void help_entry(FILE *f, int indent, const char *words, const char *help)
{
    int col = fprintf(f, "%*s%s", indent, "", words);
    for (const char *line = help; line && *line;) {
        size_t n = strcspn(line, "\n");
        if (col >= HELP_COL - 1) {
            fputc('\n', f);
            col = 0;
        }
        fprintf(f, "%*s%.*s\n", HELP_COL - col, "", (int)n, line);
        col = 0;
        line += n + (line[n] == '\n');
    }
    if (col) fputc('\n', f);
}

/* "name args" with the args' own line breaks indented under the name. */
static void synopsis(char *out, size_t cap, const char *name, const char *args, int indent)
{
    if (!args) args = "";
    int n = snprintf(out, cap, "%s%s", name, *args ? " " : "");
    for (const char *a = args; *a && n > 0 && (size_t)n < cap - 1; a++) {
        if (*a == '\n')
            n += snprintf(out + n, cap - (size_t)n, "\n%*s", indent + (int)strlen(name) + 1, "");
        else
            out[n++] = *a;
        out[n < (int)cap ? n : (int)cap - 1] = '\0';
    }
}

static void usage_cmd(FILE *f, const cli_cmd *c)
{
    char line[512];
    if (!c->subs) {
        synopsis(line, sizeof line, c->name, c->args, 2);
        help_entry(f, 2, line, c->help);
        return;
    }
    snprintf(line, sizeof line, "%s %s", c->name, c->dflt ? "[SUBCOMMAND]" : "SUBCOMMAND");
    help_entry(f, 2, line, c->help);
    for (const cli_cmd *s = c->subs; s->name; s++) {
        synopsis(line, sizeof line, s->name, s->args, 4);
        help_entry(f, 4, line, s->help);
    }
}

static void usage(FILE *f)
{
    fputs("usage: khnet [--url URL] [--token T] [--cacert FILE] [--timeout MS] [--json]\n"
          "             COMMAND ...\n\ncommands:\n",
          f);
    for (size_t t = 0; t < NTABLES; t++)
        for (const cli_cmd *c = tables[t]; c->name; c++)
            usage_cmd(f, c);
    fputs("\noptions:\n"
          "  --url URL      server, http://host[:port] or https://host[:port]\n"
          "                 (default $KHNET_URL, else http://127.0.0.1:8080)\n"
          "  --token T      send Authorization: Bearer T (default $KHNET_TOKEN)\n"

          "  --cacert FILE  https: trust the CA certificates in FILE (PEM) instead\n"
          "                 of the system's (default $KHNET_CACERT)\n"
          "  --timeout MS   longest wait for any step (default 10000, 0 = forever)\n"
          "  --json         health: print the raw reply as JSON; errors: also print\n"
          "                 the error body as JSON on stdout\n"
          "  -h, --help     this text\n"
          "  -V, --version  print the version\n"
          "\n"
          "exit codes:\n"
          "  0  success (2xx; health: 200)\n"
          "  1  the server answered with an error status (or health not 200)\n"
          "  2  usage error\n"
          "  3  no usable answer (bad URL, connect, TLS, I/O, timeout, malformed reply)\n",
          f);
}

static const cli_cmd *find(const cli_cmd *table, const char *name)
{
    for (const cli_cmd *c = table; c->name; c++)
        if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

/* The command argv names, its operands left in argc and argv; NULL (after a
 * message) when there is none or the operand count is wrong. */
static const cli_cmd *resolve(int *argc, char ***argv)
{
    const char *name = (*argv)[0];
    const cli_cmd *c = NULL;
    for (size_t t = 0; t < NTABLES && !c; t++)
        c = find(tables[t], name);
    if (!c) {
        fprintf(stderr, "khnet: unknown command '%s'\n", name);
        usage(stderr);
        return NULL;
    }
    (*argc)--, (*argv)++;
    const cli_cmd *group = NULL;
    if (c->subs) {
        group = c;
        const char *sub = *argc > 0 ? (*argv)[0] : group->dflt;
        if (!sub || !(c = find(group->subs, sub))) {
            fprintf(stderr, "khnet: %s needs one of these subcommands:\n", group->name);
            usage_cmd(stderr, group);
            return NULL;
        }
        if (*argc > 0) (*argc)--, (*argv)++;
    }
    if (*argc < c->min_args || (c->max_args >= 0 && *argc > c->max_args)) {
        char line[512];
        synopsis(line, sizeof line, c->name, c->args, 0);
        fprintf(stderr, "khnet: wrong number of arguments; usage: khnet %s%s%s\n",
                group ? group->name : "", group ? " " : "", line);
        return NULL;
    }
    return c;
}

/* Runs a resolved command: its own code, or its one library call. */
static int run(const cli_cmd *c, khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    if (c->run) return c->run(ctx, o, argc, argv);
    khnet_reply *rep = NULL;
    khnet_err err;
    if (c->call_id) {
        int64_t id = cli_id_arg(argv[0]);
        if (!id) return EXIT_USAGE;
        err = c->call_id(ctx, id, &rep);
    } else {
        err = c->call(ctx, &rep);
    }
    return cli_finish(ctx, o, err, rep);
}

/* Parses options into *o; returns -1 to exit with *code. */
static int parse_options(int argc, char **argv, cli_opts *o, int *code)
{
    static const struct option longopts[] = {
        {"url", required_argument, NULL, 'u'},    {"token", required_argument, NULL, 't'},
        {"cacert", required_argument, NULL, 'c'}, {"timeout", required_argument, NULL, 'T'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0}};
    const char *env = getenv("KHNET_URL"), *tok = getenv("KHNET_TOKEN");
    const char *ca = getenv("KHNET_CACERT");
    *o = (cli_opts){.url = env && *env ? env : "http://127.0.0.1:8080",
                    .timeout_ms = 10000,
                    .token = tok && *tok ? tok : NULL,
                    .cacert = ca && *ca ? ca : NULL};
    int c;
    /* "+": stop at the command, so `call GET /x` is never read as options. */
    while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'u':
            o->url = optarg;
            break;
        case 't':
            o->token = optarg;
            break;
        case 'c':
            o->cacert = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'T':
            o->timeout_ms = (int)strtol(optarg, &end, 10);
            if (!*optarg || *end || o->timeout_ms < 0) {
                fprintf(stderr, "khnet: --timeout needs milliseconds >= 0\n");
                *code = EXIT_USAGE;
                return -1;
            }
            break;
        case 'h':
            usage(stdout);
            *code = EXIT_OK;
            return -1;
        case 'V':
            printf("khnet %s (libkhnet %s)\n", KHNET_VERSION_STRING, khnet_version());
            *code = EXIT_OK;
            return -1;
        default:
            usage(stderr);
            *code = EXIT_USAGE;
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    cli_opts o;
    int code = EXIT_OK;
    if (parse_options(argc, argv, &o, &code) < 0) return code;
    argc -= optind;
    argv += optind;
    if (argc < 1) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const cli_cmd *cmd = resolve(&argc, &argv);
    if (!cmd) return EXIT_USAGE;
    /* Options first, then the command's first call connects with them. */
    khnet_ctx *ctx = NULL;
    khnet_err err = khnet_create(o.url, &ctx);
    if (err == KHNET_OK) err = khnet_set_timeout(ctx, o.timeout_ms);
    if (err == KHNET_OK && o.token) err = khnet_set_token(ctx, o.token);
    if (err == KHNET_OK && o.cacert) err = khnet_set_cacert(ctx, o.cacert);
    if (err != KHNET_OK) {
        code = cli_report(ctx, err, NULL, &o);
        khnet_free(ctx);
        return code;
    }
    code = run(cmd, ctx, &o, argc, argv);
    khnet_free(ctx);
    return code;
}
