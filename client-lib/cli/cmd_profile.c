/* cmd_profile.c — profiles and data rights: `profile get|create|patch`,
 * the directory (`profiles` with filter flags), bulk `import`, `export`
 * and `erase`.  JSON operands "-" are read from stdin. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ID or "me" (-1); 0 after a message when it is neither. */
static int64_t profile_id(const char *s)
{
    return strcmp(s, "me") == 0 ? -1 : cli_id_arg(s);
}

static int run_profile_get(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t id = profile_id(argv[0]);
    if (!id) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_profile_get(ctx, id, &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_profile_create(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    char *owned = NULL;
    const char *json = cli_text_arg(argv[0], false, &owned);
    if (!json) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_profile_create(ctx, json, &rep);
    free(owned);
    return cli_finish(ctx, o, err, rep);
}

static int run_profile_patch(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t id = profile_id(argv[0]);
    if (!id) return EXIT_USAGE;
    char *owned = NULL;
    const char *json = cli_text_arg(argv[1], false, &owned);
    if (!json) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_profile_patch(ctx, id, json, &rep);
    free(owned);
    return cli_finish(ctx, o, err, rep);
}

static const cli_cmd profile_cmds[] = {
    {.name = "get",
     .args = "ID|me",
     .help = "a profile as I may see it, as JSON",
     .min_args = 1,
     .max_args = 1,
     .run = run_profile_get},
    {.name = "create",
     .args = "JSON",
     .help = "create my profile from a JSON object with\n\"full_name\" ('-' reads it from stdin)",
     .min_args = 1,
     .max_args = 1,
     .run = run_profile_create},
    {.name = "patch",
     .args = "ID|me JSON",
     .help = "update a profile; JSON carries \"version\"",
     .min_args = 2,
     .max_args = 2,
     .run = run_profile_patch},
    {.name = NULL},
};

/* `profiles [--NAME VALUE]...`: the directory page the flags ask for. */
static int run_profiles(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    khnet_profile_filter f = KHNET_PROFILE_FILTER_INIT;
    const char *after = NULL, *limit = NULL;
    struct {
        const char *flag;
        const char **to;
    } flags[] = {
        {"--sector", &f.sector},     {"--country", &f.country},     {"--degree", &f.degree},
        {"--language", &f.language}, {"--mentoring", &f.mentoring}, {"--after", &after},
        {"--limit", &limit}};
    for (int i = 0; i < argc; i += 2) {
        size_t k = 0, n = sizeof flags / sizeof flags[0];
        while (k < n && strcmp(argv[i], flags[k].flag) != 0)
            k++;
        if (k == n || i + 1 >= argc) {
            fprintf(stderr, "khnet: profiles: unknown flag or missing value: %s\n", argv[i]);
            return EXIT_USAGE;
        }
        *flags[k].to = argv[i + 1];
    }
    char *end = NULL;
    long n = limit ? strtol(limit, &end, 10) : 0;
    if (limit && (!*limit || *end || n < 1 || n > 1000)) {
        fprintf(stderr, "khnet: profiles: --limit needs a positive number\n");
        return EXIT_USAGE;
    }
    khnet_reply *rep = NULL;
    khnet_err err = khnet_profiles_list(ctx, &f, after, (int)n, &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_import(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    char *data = NULL;
    if (!cli_text_arg(argv[1], true, &data)) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_profiles_import(ctx, argv[0], data, strlen(data), &rep);
    free(data);
    return cli_finish(ctx, o, err, rep);
}

static int run_erase(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    char pw[256];
    const char *p = cli_password_arg(argv[0], pw, sizeof pw);
    if (!p) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_account_erase(ctx, p, &rep);
    return cli_finish(ctx, o, err, rep);
}

const cli_cmd cli_profile_cmds[] = {
    {.name = "profile", .help = "profiles", .subs = profile_cmds},
    {.name = "profiles",
     .args = "[--sector S] [--country CC] [--degree D] [--language L]\n"
             "[--mentoring willing|seeking] [--after CURSOR] [--limit N]",
     .help = "one directory page {items, next}, as JSON",
     .max_args = -1,
     .run = run_profiles},
    {.name = "export",
     .help = "everything the service holds about me, as JSON",
     .call = khnet_export},
    {.name = "erase",
     .args = "PASSWORD",
     .help = "erase my account and its personal data",
     .min_args = 1,
     .max_args = 1,
     .run = run_erase},
    {.name = "import",
     .args = "jsonl|csv FILE",
     .help = "bulk-import profiles (liaison, admin; '-' reads\nstdin); prints the report",
     .min_args = 2,
     .max_args = 2,
     .run = run_import},
    {.name = NULL},
};
