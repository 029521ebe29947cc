/* cmd_search.c — expert search (`search`) and saved searches (`saved
 * ...`): results as a table of name, country, top expertise and score, or
 * the reply as JSON with --json. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Whether s[i] starts a character that takes a terminal column: not a
 * UTF-8 continuation byte, not a combining diacritic (U+0300-U+036F). */
static bool takes_column(const char *s, size_t n, size_t i)
{
    unsigned char c = (unsigned char)s[i];
    if ((c & 0xC0) == 0x80 || c == 0xCC) return false;
    return !(c == 0xCD && i + 1 < n && (unsigned char)s[i + 1] < 0xB0);
}

/* Prints s[0..n) in exactly `width` columns: cut (ending in "…") or padded. */
static void print_cell(const char *s, size_t n, int width)
{
    int cols = 0;
    for (size_t i = 0; i < n; i++)
        cols += takes_column(s, n, i);
    if (cols <= width) {
        printf("%.*s%*s", (int)n, s, width - cols, "");
        return;
    }
    size_t cut = 0;
    for (int c = 0; cut < n; cut++)
        if (takes_column(s, n, cut) && ++c == width) break;
    printf("%.*s…", (int)cut, s);
}

static void print_str_cell(const kp_value *v, int width)
{
    if (v && v->type == KP_STR)
        print_cell(v->v.s.ptr, v->v.s.len, width);
    else
        print_cell("-", 1, width);
}

static void print_hit(const kp_value *h)
{
    const kp_value *exp = kp_map_get(h, "expertise");
    const kp_value *score = kp_map_get(h, "score");
    print_str_cell(kp_map_get(h, "full_name"), 32);
    fputs("  ", stdout);
    print_str_cell(kp_map_get(h, "country"), 7);
    fputs("  ", stdout);
    print_str_cell(exp && exp->type == KP_ARRAY && exp->v.arr.n ? &exp->v.arr.items[0] : NULL, 36);
    fputs("  ", stdout);
    if (score && score->type == KP_FLOAT)
        printf("%.4f", score->v.f);
    else if (score && (score->type == KP_INT || score->type == KP_UINT))
        cli_print_scalar(score);
    putchar('\n');
}

/* The readable form of a search reply: one line per hit, then the total. */
static void print_search(const kp_value *root)
{
    const kp_value *hits = kp_map_get(root, "hits");
    const kp_value *total = kp_map_get(root, "total");
    const kp_value *exact = kp_map_get(root, "total_exact");
    const kp_value *dym = kp_map_get(root, "did_you_mean");
    const kp_value *corr = kp_map_get(root, "corrected");
    uint32_t n = hits && hits->type == KP_ARRAY ? hits->v.arr.n : 0;
    printf("%-32s  %-7s  %-36s  %s\n", "NAME", "COUNTRY", "TOP EXPERTISE", "SCORE");
    for (uint32_t i = 0; i < n; i++)
        print_hit(&hits->v.arr.items[i]);
    printf("%u shown of %s", n, exact && exact->type == KP_BOOL && !exact->v.b ? "about " : "");
    if (total) cli_print_scalar(total);
    fputs(" matching experts\n", stdout);
    if (dym && dym->type == KP_STR)
        printf("%s: %.*s\n",
               corr && corr->type == KP_BOOL && corr->v.b ? "showing results for" : "did you mean",
               (int)dym->v.s.len, dym->v.s.ptr);
}

/* A search reply as a table (with an optional "new since" line), or as
 * JSON with --json; frees rep. */
static int finish_table(khnet_ctx *ctx, const cli_opts *o, khnet_err err, khnet_reply *rep)
{
    if (err != KHNET_OK || o->json || !rep->root || rep->root->type != KP_MAP)
        return cli_finish(ctx, o, err, rep);
    const kp_value *since = kp_map_get(rep->root, "since");
    if (since && since->type == KP_STR)
        printf("new since %.*s\n", (int)since->v.s.len, since->v.s.ptr);
    print_search(rep->root);
    khnet_reply_free(rep);
    return EXIT_OK;
}

enum { SEARCH_LIST_MAX = 16 };

static int run_search(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    const char *countries[SEARCH_LIST_MAX + 1] = {NULL}, *sectors[SEARCH_LIST_MAX + 1] = {NULL};
    int nc = 0, ns = 0;
    khnet_search_query q = KHNET_SEARCH_QUERY_INIT;
    for (int i = 0; i < argc; i++) {
        bool more = i + 1 < argc;
        if (!strcmp(argv[i], "--country") && more && nc < SEARCH_LIST_MAX)
            countries[nc++] = argv[++i];
        else if (!strcmp(argv[i], "--sector") && more && ns < SEARCH_LIST_MAX)
            sectors[ns++] = argv[++i];
        else if (!strcmp(argv[i], "--limit") && more) {
            char *end = NULL;
            long v = strtol(argv[++i], &end, 10);
            if (!*argv[i] || *end || v < 1 || v > 50) {
                fprintf(stderr, "khnet: search: --limit needs 1-50\n");
                return EXIT_USAGE;
            }
            q.limit = (int)v;
        } else if (argv[i][0] != '-' && !q.q)
            q.q = argv[i];
        else
            return cli_wrong_args("search");
    }
    q.countries = nc ? countries : NULL;
    q.sectors = ns ? sectors : NULL;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_search_experts(ctx, &q, &rep);
    return finish_table(ctx, o, err, rep);
}

/* ---- saved searches ------------------------------------------------------------ */

static int run_saved_list(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    khnet_reply *rep = NULL;
    khnet_err err = khnet_saved_searches_list(ctx, argc == 1 ? argv[0] : NULL, 0, &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_saved_create(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    char *owned = NULL;
    const char *json = cli_text_arg(argv[1], false, &owned);
    if (!json) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_saved_search_create_json(ctx, argv[0], json, &rep);
    free(owned);
    if (err == KHNET_ERR_ARG) {
        fprintf(stderr, "khnet: saved create: QUERY must be one JSON object\n");
        return EXIT_USAGE;
    }
    return cli_finish(ctx, o, err, rep);
}

/* `saved new ID [--peek] [--after CURSOR]`. */
static int run_saved_new(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t id = cli_id_arg(argv[0]);
    if (!id) return EXIT_USAGE;
    int peek = 0;
    const char *after = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--peek"))
            peek = 1;
        else if (!strcmp(argv[i], "--after") && i + 1 < argc)
            after = argv[++i];
        else
            return cli_wrong_args("saved new");
    }
    khnet_reply *rep = NULL;
    khnet_err err = khnet_saved_search_new(ctx, id, peek, after, &rep);
    return finish_table(ctx, o, err, rep);
}

static const cli_cmd saved_cmds[] = {
    {.name = "list",
     .args = "[CURSOR]",
     .help = "my saved searches (liaison, admin), as JSON",
     .max_args = 1,
     .run = run_saved_list},
    {.name = "create",
     .args = "NAME QUERY",
     .help = "save a search; QUERY is a search body as JSON\n('-' reads it from stdin), e.g. "
             "'{\"q\":\"wind\"}'",
     .min_args = 2,
     .max_args = 2,
     .run = run_saved_create},
    {.name = "delete",
     .args = "ID",
     .help = "delete one",
     .min_args = 1,
     .max_args = 1,
     .call_id = khnet_saved_search_delete},
    {.name = "new",
     .args = "ID [--peek] [--after CURSOR]",
     .help = "experts new since my last look, as a table\n(--json: the reply); --peek keeps the "
             "mark",
     .min_args = 1,
     .max_args = 4,
     .run = run_saved_new},
    {.name = NULL},
};

const cli_cmd cli_search_cmds[] = {
    {.name = "search",
     .args = "TEXT [--country CC] [--sector SLUG] [--limit N]",
     .help = "expert search; a table of name, country, top\nexpertise and score (--json: the "
             "reply); --country\nand --sector may repeat",
     .max_args = -1,
     .run = run_search},
    {.name = "saved", .help = "saved searches (default: list)", .subs = saved_cmds, .dflt = "list"},
    {.name = NULL},
};
