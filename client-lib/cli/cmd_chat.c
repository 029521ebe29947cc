/* cmd_chat.c — messaging: `chat ...` (conversations, messages, read
 * cursors, blocks; needs --token) and `listen`, the event stream printed
 * one JSON line per event. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static int run_group(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t ids[256];
    for (int i = 1; i < argc; i++)
        if (!(ids[i - 1] = cli_id_arg(argv[i]))) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_conversation_group(ctx, argv[0], ids, (size_t)(argc - 1), &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_list(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    khnet_reply *rep = NULL;
    khnet_err err = khnet_conversations_list(ctx, argc == 1 ? argv[0] : NULL, 0, &rep);
    return cli_finish(ctx, o, err, rep);
}

/* Without a CLIENT_ID a fresh one is made, so each run sends once. */
static int run_send(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t conv = cli_id_arg(argv[0]);
    if (!conv) return EXIT_USAGE;
    char cid[64];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(cid, sizeof cid, "cli-%lld-%ld-%d", (long long)ts.tv_sec, ts.tv_nsec, (int)getpid());
    khnet_reply *rep = NULL;
    khnet_err err = khnet_message_send(ctx, conv, argc == 3 ? argv[2] : cid, argv[1], 0, &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_history(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t conv = cli_id_arg(argv[0]);
    if (!conv) return EXIT_USAGE;
    bool before = argc == 3 && !strcmp(argv[1], "before");
    if (argc == 2 || (argc == 3 && !before && strcmp(argv[1], "after") != 0))
        return cli_wrong_args("chat history");
    khnet_reply *rep = NULL;
    khnet_err err = khnet_messages_history(ctx, conv, before ? argv[2] : NULL,
                                           argc == 3 && !before ? argv[2] : NULL, 0, &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_read(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t conv = cli_id_arg(argv[0]);
    if (!conv) return EXIT_USAGE;
    int64_t msg = cli_id_arg(argv[1]);
    if (!msg) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_conversation_read(ctx, conv, msg, &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_edit(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    int64_t msg = cli_id_arg(argv[0]);
    if (!msg) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_message_edit(ctx, msg, argv[1], &rep);
    return cli_finish(ctx, o, err, rep);
}

static int block(khnet_ctx *ctx, const cli_opts *o, const char *arg, int on)
{
    int64_t account = cli_id_arg(arg);
    if (!account) return EXIT_USAGE;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_block(ctx, account, on, &rep);
    return cli_finish(ctx, o, err, rep);
}

static int run_block(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    return block(ctx, o, argv[0], 1);
}

static int run_unblock(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    return block(ctx, o, argv[0], 0);
}

static const cli_cmd chat_cmds[] = {
    {.name = "direct",
     .args = "ACCOUNT",
     .help = "the conversation with one member",
     .min_args = 1,
     .max_args = 1,
     .call_id = khnet_conversation_direct},
    {.name = "group",
     .args = "TITLE [ACCOUNT...]",
     .help = "a new group with up to 255 members",
     .min_args = 1,
     .max_args = 256,
     .run = run_group},
    {.name = "list",
     .args = "[CURSOR]",
     .help = "my conversations, newest activity first",
     .max_args = 1,
     .run = run_list},
    {.name = "send",
     .args = "CONV TEXT [CLIENT_ID]",
     .help = "send a message (CLIENT_ID makes a retry safe)",
     .min_args = 2,
     .max_args = 3,
     .run = run_send},
    {.name = "history",
     .args = "CONV [before|after CURSOR]",
     .help = "a page of a conversation's messages",
     .min_args = 1,
     .max_args = 3,
     .run = run_history},
    {.name = "read",
     .args = "CONV MESSAGE",
     .help = "move my read cursor up to MESSAGE",
     .min_args = 2,
     .max_args = 2,
     .run = run_read},
    {.name = "unread", .help = "my unread counts", .call = khnet_unread},
    {.name = "edit",
     .args = "MESSAGE TEXT",
     .help = "edit my message",
     .min_args = 2,
     .max_args = 2,
     .run = run_edit},
    {.name = "delete",
     .args = "MESSAGE",
     .help = "delete my message",
     .min_args = 1,
     .max_args = 1,
     .call_id = khnet_message_delete},
    {.name = "block",
     .args = "ACCOUNT",
     .help = "block a member",
     .min_args = 1,
     .max_args = 1,
     .run = run_block},
    {.name = "unblock",
     .args = "ACCOUNT",
     .help = "unblock a member",
     .min_args = 1,
     .max_args = 1,
     .run = run_unblock},
    {.name = NULL},
};

/* ---- listen -------------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* {"seq":…,"kind":…,"payload":…,"at":…} on one line, flushed: `khnet listen`
 * is meant to be piped into other tools line by line. */
static void print_event(const khnet_event *ev)
{
    kp_pair f[4] = {
        {{.type = KP_STR, .v.s = {"seq", 3}}, {.type = KP_INT, .v.i = ev->seq}},
        {{.type = KP_STR, .v.s = {"kind", 4}},
         {.type = KP_STR, .v.s = {ev->kind, (uint32_t)strlen(ev->kind)}}},
        {{.type = KP_STR, .v.s = {"payload", 7}}, *ev->payload},
        {{.type = KP_STR, .v.s = {"at", 2}},
         {.type = KP_STR, .v.s = {ev->at, (uint32_t)strlen(ev->at)}}},
    };
    kp_value map = {.type = KP_MAP, .v.map = {f, 4}};
    cli_print_json(stdout, &map);
    (void)fflush(stdout);
}

/* The stream's counters on stderr, one line (`listen --stats`). */
static void print_stats(const khnet_stream *st)
{
    struct khnet_stream_stats ss = KHNET_STREAM_STATS_INIT;
    if (khnet_stream_stats(st, &ss) != KHNET_OK) return;
    fprintf(stderr,
            "khnet: stream: connects=%llu drops=%llu events=%llu duplicates=%llu "
            "tls_resumed=%llu\n",
            (unsigned long long)ss.connects, (unsigned long long)ss.drops,
            (unsigned long long)ss.events, (unsigned long long)ss.duplicates,
            (unsigned long long)ss.tls_resumed);
}

/* `[--after SEQ] [--stats]` into *after and *stats; -1 after a message. */
static int listen_args(int argc, char **argv, long long *after, bool *stats)
{
    for (int i = 0; i < argc; i++) {
        char *end = NULL;
        if (!strcmp(argv[i], "--stats")) {
            *stats = true;
        } else if (!strcmp(argv[i], "--after") && i + 1 < argc) {
            *after = strtoll(argv[++i], &end, 10);
            if (!*argv[i] || *end || *after < 0) {
                fprintf(stderr, "khnet: --after needs a seq >= 0\n");
                return -1;
            }
        } else {
            cli_wrong_args("listen");
            return -1;
        }
    }
    return 0;
}

/* `khnet listen [--after SEQ] [--stats]`: waits in short slices so Ctrl-C
 * is seen promptly; the stream reconnects by itself in between. */
static int run_listen(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv)
{
    long long after = -1;
    bool stats = false;
    if (listen_args(argc, argv, &after, &stats) < 0) return EXIT_USAGE;
    struct sigaction sa = {.sa_handler = on_sigint};
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    khnet_stream *st = NULL;
    /* A failed first connect is retried by next(); only its errors count. */
    khnet_err err = khnet_stream_open(ctx, after, &st);
    while (st && !interrupted) {
        khnet_event *ev = NULL;
        err = khnet_stream_next(st, 500, &ev);
        if (err == KHNET_OK) print_event(ev);
        khnet_event_free(ev);
        if (err != KHNET_OK && err != KHNET_ERR_TIMEOUT) break; /* the stream stopped for good */
    }
    int code = EXIT_OK;
    if (!interrupted && err != KHNET_OK && err != KHNET_ERR_TIMEOUT) {
        fprintf(stderr, "khnet: %s: %s\n", khnet_strerror(err), st ? khnet_stream_errstr(st) : "");
        code = err == KHNET_ERR_HTTP || err == KHNET_ERR_CLOSED ? EXIT_HTTP : EXIT_NETWORK;
    }
    if (stats && st) print_stats(st);
    khnet_stream_close(st);
    return code;
}

const cli_cmd cli_chat_cmds[] = {
    {.name = "chat",
     .help = "messaging (needs --token); prints the reply as JSON",
     .subs = chat_cmds},
    {.name = "listen",
     .args = "[--after SEQ] [--stats]",
     .help = "the event stream (needs --token): one JSON line\nper event until Ctrl-C; "
             "reconnects and resumes;\n--stats: its counters on stderr at the end",
     .max_args = 3,
     .run = run_listen},
    {.name = NULL},
};
