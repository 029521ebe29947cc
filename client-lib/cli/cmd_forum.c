/* cmd_forum.c — the forums (`forum ...`) and their moderation (`mod ...`),
 * PROTOCOL.md "Forums" and "Moderation".  Each prints the server's reply as
 * JSON.  A TEXT operand "-" reads the post from stdin.  `delete` (a whole
 * thread) is in both: an author's own thread, or a moderator's act. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int run_threads(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t cat = cli_id_arg(argv[0]);
    if (!cat) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_forum_threads(ctx, cat, argc > 1 ? argv[1] : NULL, 0, &rep);
    return cli_finish(ctx, o, err, rep);
}

/* `read THREAD [AFTER]`: a page of posts (and the read mark moves to it). */
static int run_read(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t id = cli_id_arg(argv[0]);
    if (!id) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_forum_posts(ctx, id, argc > 1 ? argv[1] : NULL, 0, &rep);
    return cli_finish(ctx, o, err, rep);
}

/* `post CATEGORY TITLE TEXT|- [TAG...]`: starts a thread. */
static int run_post(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t cat = cli_id_arg(argv[0]);
    char *owned = NULL;
    const char *text = cat ? cli_text_arg(argv[2], false, &owned) : NULL;
    if (!text) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_forum_thread_start(ctx, cat, argv[1], text, (const char *const *)argv + 3,
                                             (size_t)(argc - 3), &rep);
    free(owned);
    return cli_finish(ctx, o, err, rep);
}

/* `reply THREAD TEXT|- [REPLY_TO]`. */
static int run_reply(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t id = cli_id_arg(argv[0]), to = argc > 2 ? cli_id_arg(argv[2]) : -1;
    char *owned = NULL;
    const char *text = id && to ? cli_text_arg(argv[1], false, &owned) : NULL;
    if (!text) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_forum_reply(ctx, id, text, to > 0 ? to : 0, 0, &rep);
    free(owned);
    return cli_finish(ctx, o, err, rep);
}

/* `search QUERY [CATEGORY]`. */
static int run_search(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t cat = argc > 1 ? cli_id_arg(argv[1]) : -1;
    if (!cat) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_forum_search(ctx, argv[0], cat > 0 ? cat : 0, NULL, NULL, 0, &rep);
    return cli_finish(ctx, o, err, rep);
}

/* `delete THREAD [REASON]` (forum and mod): the whole thread. */
static int run_delete(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t id = cli_id_arg(argv[0]);
    if (!id) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_forum_thread_delete(ctx, id, argc > 1 ? argv[1] : NULL, &rep);
    return cli_finish(ctx, o, err, rep);
}

static const cli_cmd forum_cmds[] = {
    {.name = "categories", .help = "the categories", .call = khnet_forum_categories},
    {.name = "threads",
     .args = "CATEGORY [AFTER]",
     .help = "a category's threads, pinned first, then by last activity",
     .min_args = 1,
     .max_args = 2,
     .run = run_threads},
    {.name = "thread",
     .args = "ID",
     .help = "one thread",
     .min_args = 1,
     .max_args = 1,
     .call_id = khnet_forum_thread_get},
    {.name = "read",
     .args = "THREAD [AFTER]",
     .help = "a thread's posts, oldest first",
     .min_args = 1,
     .max_args = 2,
     .run = run_read},
    {.name = "post",
     .args = "CATEGORY TITLE TEXT|- [TAG...]",
     .help = "start a thread (CommonMark text; - reads stdin)",
     .min_args = 3,
     .max_args = 8,
     .run = run_post},
    {.name = "reply",
     .args = "THREAD TEXT|- [REPLY_TO]",
     .help = "reply in a thread, optionally to one post",
     .min_args = 2,
     .max_args = 3,
     .run = run_reply},
    {.name = "search",
     .args = "QUERY [CATEGORY]",
     .help = "full text over titles, tags and posts",
     .min_args = 1,
     .max_args = 2,
     .run = run_search},
    {.name = "delete",
     .args = "THREAD [REASON]",
     .help = "delete my thread (while no one else's post stands in it)",
     .min_args = 1,
     .max_args = 2,
     .run = run_delete},
    {.name = NULL},
};

static int run_queue(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    khnet_reply *rep = NULL;
    khnet_err err = khnet_mod_queue(ctx, argc ? argv[0] : NULL, 0, NULL, 0, &rep);
    return cli_finish(ctx, o, err, rep);
}

/* `assign ITEM [me|none|ID]`. */
static int run_assign(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t item = cli_id_arg(argv[0]), who = 0;
    if (!item) return EXIT_USAGE;
    if (argc > 1 && strcmp(argv[1], "me") != 0)
        who = !strcmp(argv[1], "none") ? -1 : cli_id_arg(argv[1]);
    if (!who && argc > 1 && strcmp(argv[1], "me") != 0) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_mod_queue_assign(ctx, item, who, &rep);
    return cli_finish(ctx, o, err, rep);
}

/* `resolve dismiss|hide|silence[:MINUTES] REASON ITEM...`. */
static int run_resolve(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    char action[16];
    int minutes = 0;
    const char *colon = strchr(argv[0], ':');
    size_t n = colon ? (size_t)(colon - argv[0]) : strlen(argv[0]);
    if (n >= sizeof action) return cli_wrong_args("mod resolve");
    memcpy(action, argv[0], n);
    action[n] = '\0';
    if (colon && (minutes = atoi(colon + 1)) <= 0) return cli_wrong_args("mod resolve");
    int64_t items[100];
    size_t k = 0;
    for (int i = 2; i < argc; i++)
        if (!(items[k++] = cli_id_arg(argv[i]))) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_mod_queue_resolve(ctx, items, k, action, argv[1], minutes, &rep);
    return cli_finish(ctx, o, err, rep);
}

/* `lock|pin THREAD [off]` and `move THREAD CATEGORY`. */
static int thread_act(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv, int what)
{
    int64_t id = cli_id_arg(argv[0]), cat = 0;
    if (!id) return EXIT_USAGE;
    int on = 1;
    if (what == 2) {
        if (!(cat = cli_id_arg(argv[1]))) return EXIT_USAGE;
    } else if (argc > 1) {
        if (strcmp(argv[1], "off") != 0) return cli_wrong_args(what ? "mod pin" : "mod lock");
        on = 0;
    }
    khnet_reply *rep = NULL;
    khnet_err err =
        khnet_mod_thread(ctx, id, what == 0 ? on : -1, what == 1 ? on : -1, cat, NULL, &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_lock(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    return thread_act(ctx, o, argc, argv, 0);
}
static int run_pin(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    return thread_act(ctx, o, argc, argv, 1);
}
static int run_move(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    return thread_act(ctx, o, argc, argv, 2);
}

/* `hide POST REASON` / `unhide POST [REASON]`. */
static int post_act(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv, int hide)
{
    int64_t id = cli_id_arg(argv[0]);
    if (!id) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_mod_post_hide(ctx, id, hide, argc > 1 ? argv[1] : NULL, &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_hide(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    return post_act(ctx, o, argc, argv, 1);
}
static int run_unhide(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    return post_act(ctx, o, argc, argv, 0);
}

static int run_log(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    khnet_reply *rep = NULL;
    khnet_err err = khnet_mod_log(ctx, argc ? argv[0] : NULL, 0, NULL, 0, &rep);
    return cli_finish(ctx, o, err, rep);
}

static const cli_cmd mod_cmds[] = {
    {.name = "queue",
     .args = "[open|resolved]",
     .help = "the report queue of my categories, oldest first",
     .max_args = 1,
     .run = run_queue},
    {.name = "assign",
     .args = "ITEM [me|none|ACCOUNT_ID]",
     .help = "assign a queue item (default: to me)",
     .min_args = 1,
     .max_args = 2,
     .run = run_assign},
    {.name = "resolve",
     .args = "dismiss|hide|silence:MINUTES REASON ITEM...",
     .help = "resolve one or several queue items at once",
     .min_args = 3,
     .max_args = 102,
     .run = run_resolve},
    {.name = "lock",
     .args = "THREAD [off]",
     .help = "lock (or unlock) a thread",
     .min_args = 1,
     .max_args = 2,
     .run = run_lock},
    {.name = "pin",
     .args = "THREAD [off]",
     .help = "pin (or unpin) a thread",
     .min_args = 1,
     .max_args = 2,
     .run = run_pin},
    {.name = "move",
     .args = "THREAD CATEGORY",
     .help = "move a thread to another category",
     .min_args = 2,
     .max_args = 2,
     .run = run_move},
    {.name = "delete",
     .args = "THREAD [REASON]",
     .help = "delete a whole thread, every post a tombstone",
     .min_args = 1,
     .max_args = 2,
     .run = run_delete},
    {.name = "hide",
     .args = "POST REASON",
     .help = "hide a post",
     .min_args = 2,
     .max_args = 2,
     .run = run_hide},
    {.name = "unhide",
     .args = "POST [REASON]",
     .help = "unhide a post (or release one held for review)",
     .min_args = 1,
     .max_args = 2,
     .run = run_unhide},
    {.name = "log",
     .args = "[ACTION]",
     .help = "the moderation log, newest first",
     .max_args = 1,
     .run = run_log},
    {.name = NULL},
};

const cli_cmd cli_forum_cmds[] = {
    {.name = "forum",
     .help = "the forums (default: categories)",
     .subs = forum_cmds,
     .dflt = "categories"},
    {.name = "mod", .help = "forum moderation (default: queue)", .subs = mod_cmds, .dflt = "queue"},
    {.name = NULL},
};
