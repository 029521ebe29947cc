/* cmd_mentor.c — mentoring (`mentor ...`) and programme rounds (`round
 * ...`), PROTOCOL.md "Mentoring".  Each prints the server's reply as JSON. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* An integer operand within [min, max], or INT_MIN after a message. */
static int int_arg(const char *name, const char *s, int min, int max)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > max) {
        fprintf(stderr, "khnet: %s: %s is not a number from %d to %d\n", name, s, min, max);
        return -1;
    }
    return (int)v;
}

static int run_suggest(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int limit = argc ? int_arg("mentor suggest", argv[0], 1, 50) : 0;
    if (limit < 0) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_mentor_suggest(ctx, limit, &rep);
    return cli_finish(ctx, o, err, rep);
}

/* `offer [--capacity N] [--pause|--resume] [TOPIC...]`: no operand shows it. */
static int run_offer(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    khnet_reply *rep = NULL;
    if (argc == 0) {
        khnet_err err = khnet_mentor_offer_get(ctx, &rep);
        return cli_finish(ctx, o, err, rep);
    }
    int capacity = -1, paused = -1, i = 0;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strcmp(argv[i], "--pause") || !strcmp(argv[i], "--resume")) {
            paused = !strcmp(argv[i], "--pause");
        } else if (!strcmp(argv[i], "--capacity") && i + 1 < argc) {
            if ((capacity = int_arg("mentor offer", argv[++i], 0, 50)) < 0) return EXIT_USAGE;
        } else {
            return cli_wrong_args("mentor offer");
        }
    }
    const char *const *topics = i < argc ? (const char *const *)argv + i : NULL;
    khnet_err err = khnet_mentor_offer_set(ctx, capacity, topics, (size_t)(argc - i), paused, &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_request(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t id = cli_id_arg(argv[0]);
    if (!id) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_mentor_request(ctx, id, argc > 1 ? argv[1] : NULL, &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_decline(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t id = cli_id_arg(argv[0]);
    if (!id) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_mentorship_decline(ctx, id, argc > 1 ? argv[1] : NULL, &rep);
    return cli_finish(ctx, o, err, rep);
}

/* `end ID [RATING [COMMENT]]`. */
static int run_end(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t id = cli_id_arg(argv[0]);
    int rating = argc > 1 ? int_arg("mentor end", argv[1], 1, 5) : 0;
    if (!id || rating < 0) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_mentorship_end(ctx, id, NULL, rating, argc > 2 ? argv[2] : NULL, &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_list(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    khnet_reply *rep = NULL;
    khnet_err err = khnet_mentorships_list(ctx, argc ? argv[0] : NULL, NULL, 0, &rep);
    return cli_finish(ctx, o, err, rep);
}

static const cli_cmd mentor_cmds[] = {
    {.name = "suggest",
     .args = "[LIMIT]",
     .help = "mentors for me, best first, with why",
     .max_args = 1,
     .run = run_suggest},
    {.name = "offer",
     .args = "[--capacity N] [--pause|--resume] [TOPIC...]",
     .help = "show my offer, or change it (topics given replace the old)",
     .max_args = -1,
     .run = run_offer},
    {.name = "request",
     .args = "MENTOR_ID [MESSAGE]",
     .help = "ask a mentor",
     .min_args = 1,
     .max_args = 2,
     .run = run_request},
    {.name = "accept",
     .args = "ID",
     .help = "accept a request (or a round's proposal)",
     .min_args = 1,
     .max_args = 1,
     .call_id = khnet_mentorship_accept},
    {.name = "decline",
     .args = "ID [REASON]",
     .help = "decline a request or a proposal",
     .min_args = 1,
     .max_args = 2,
     .run = run_decline},
    {.name = "end",
     .args = "ID [RATING [COMMENT]]",
     .help = "end a mentorship, optionally rating it 1-5",
     .min_args = 1,
     .max_args = 3,
     .run = run_end},
    {.name = "list",
     .args = "[STATUS]",
     .help = "my mentorships, newest first",
     .max_args = 1,
     .run = run_list},
    {.name = "stats",
     .help = "the province's figures (liaison, admin)",
     .call = khnet_mentoring_stats},
    {.name = NULL},
};

/* `open NAME DEADLINE [SECTOR]`. */
static int run_open(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    khnet_reply *rep = NULL;
    khnet_err err = khnet_round_open(ctx, argv[0], argv[1], argc > 2 ? argv[2] : NULL, &rep);
    return cli_finish(ctx, o, err, rep);
}

/* `join ID mentor CAPACITY` or `join ID mentee`. */
static int run_join(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t id = cli_id_arg(argv[0]);
    if (!id) return EXIT_USAGE;
    bool mentor = !strcmp(argv[1], "mentor");
    if ((!mentor && strcmp(argv[1], "mentee") != 0) || (mentor != (argc == 3)))
        return cli_wrong_args("round join");
    int cap = mentor ? int_arg("round join", argv[2], 1, 20) : 0;
    if (cap < 0) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_round_join(ctx, id, argv[1], cap, &rep);
    return cli_finish(ctx, o, err, rep);
}

/* `rule ID MENTEE_ID MENTOR_ID pin|forbid|none`. */
static int run_rule(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    (void)argc;
    int64_t id = cli_id_arg(argv[0]), mentee = id ? cli_id_arg(argv[1]) : 0,
            mentor = mentee ? cli_id_arg(argv[2]) : 0;
    if (!mentor) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_round_rule(ctx, id, mentee, mentor, argv[3], &rep);
    return cli_finish(ctx, o, err, rep);
}

static const cli_cmd round_cmds[] = {
    {.name = "open",
     .args = "NAME DEADLINE [SECTOR]",
     .help = "open a programme round (liaison, admin); DEADLINE in RFC 3339",
     .min_args = 2,
     .max_args = 3,
     .run = run_open},
    {.name = "show",
     .args = "ID",
     .help = "a round (officers: with its results)",
     .min_args = 1,
     .max_args = 1,
     .call_id = khnet_round_get},
    {.name = "join",
     .args = "ID mentor CAPACITY | ID mentee",
     .help = "take part in a round",
     .min_args = 2,
     .max_args = 3,
     .run = run_join},
    {.name = "run",
     .args = "ID",
     .help = "compute the optimal assignment (liaison, admin)",
     .min_args = 1,
     .max_args = 1,
     .call_id = khnet_round_run},
    {.name = "rule",
     .args = "ID MENTEE_ID MENTOR_ID pin|forbid|none",
     .help = "pin, forbid or clear a pair before publishing",
     .min_args = 4,
     .max_args = 4,
     .run = run_rule},
    {.name = "publish",
     .args = "ID",
     .help = "turn the pairs into proposals both sides accept",
     .min_args = 1,
     .max_args = 1,
     .call_id = khnet_round_publish},
    {.name = NULL},
};

const cli_cmd cli_mentor_cmds[] = {
    {.name = "mentor",
     .help = "mentoring (default: suggest)",
     .subs = mentor_cmds,
     .dflt = "suggest"},
    {.name = "round", .help = "programme rounds", .subs = round_cmds},
    {.name = NULL},
};
