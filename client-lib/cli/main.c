/* main.c — `khnet`, the command-line tool built on libkhnet.
 *
 * A thin shell over the public API only (no khnet__ internals), so it
 * doubles as an example for integrators.  Output: replies as JSON on
 * stdout, errors on stderr with the server's code and message; the exit
 * code says which kind of failure happened (see usage()).
 */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "khnet.h"

enum {
    EXIT_OK = 0,      /* 2xx (health: status 200) */
    EXIT_HTTP = 1,    /* the server answered with an error status */
    EXIT_USAGE = 2,   /* bad command line */
    EXIT_NETWORK = 3, /* no usable answer: connect, I/O, timeout, protocol */
};

typedef struct options {
    const char *url;   /* --url, else $KHNET_URL, else the default */
    const char *token; /* --token or NULL */
    int timeout_ms;    /* --timeout */
    int json;          /* --json: machine-readable output */
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: khnet [--url URL] [--token T] [--timeout MS] [--json] COMMAND ...\n"
            "\n"
            "commands:\n"
            "  health                      GET /healthz; print status and the DB pool\n"
            "  call METHOD PATH [BODY]     send a request; BODY is JSON text ('-' reads\n"
            "                              stdin); print the reply as JSON\n"
            "  chat SUB ...                messaging (needs --token); prints the reply as JSON:\n"
            "    direct ACCOUNT | group TITLE [ACCOUNT...] | list [CURSOR]\n"
            "    send CONV TEXT [CLIENT_ID] | history CONV [before|after CURSOR]\n"
            "    read CONV MESSAGE | unread | edit MESSAGE TEXT | delete MESSAGE\n"
            "    block ACCOUNT | unblock ACCOUNT\n"
            "  register EMAIL PASSWORD [PARTNER_KEY]\n"
            "                              make an account, signed up through a partner\n"
            "                              when a key is given ('-' as a password reads a\n"
            "                              line from stdin, here and below)\n"
            "  login EMAIL PASSWORD        log in; prints the token (use it with --token\n"
            "                              or $KHNET_TOKEN)\n"
            "  logout                      revoke this token\n"
            "  whoami                      my account, as JSON\n"
            "  profile get ID|me           a profile as I may see it, as JSON\n"
            "  profile create JSON         create my profile from a JSON object with\n"
            "                              \"full_name\" ('-' reads it from stdin)\n"
            "  profile patch ID|me JSON    update a profile; JSON carries \"version\"\n"
            "  profiles [--sector S] [--country CC] [--degree D] [--language L]\n"
            "           [--mentoring willing|seeking] [--after CURSOR] [--limit N]\n"
            "                              one directory page {items, next}, as JSON\n"
            "  export                      everything the service holds about me, as JSON\n"
            "  listen [--after SEQ]        the event stream (needs --token): one JSON line\n"
            "                              per event until Ctrl-C; reconnects and resumes\n"
            "  search TEXT [--country CC] [--sector SLUG] [--limit N]\n"
            "                              expert search; a table of name, country, top\n"
            "                              expertise and score (--json: the reply); --country\n"
            "                              and --sector may repeat\n"
            "  saved [list [CURSOR]]       my saved searches (liaison, admin), as JSON\n"
            "  saved create NAME QUERY     save a search; QUERY is a search body as JSON\n"
            "                              ('-' reads it from stdin), e.g. '{\"q\":\"wind\"}'\n"
            "  saved delete ID             delete one\n"
            "  saved new ID [--peek] [--after CURSOR]\n"
            "                              experts new since my last look, as a table\n"
            "                              (--json: the reply); --peek keeps the mark\n"
            "  erase PASSWORD              erase my account and its personal data\n"
            "  import jsonl|csv FILE       bulk-import profiles (liaison, admin; '-' reads\n"
            "                              stdin); prints the report\n"
            "  sessions [list]             my live sessions, as JSON\n"
            "  sessions revoke ID          revoke one of my sessions\n"
            "  sessions logout-all         revoke every session of my account\n"
            "  password change CURRENT NEW change my password (other sessions end)\n"
            "  password reset EMAIL        ask for a reset token, mailed by the server\n"
            "  password reset-confirm TOKEN NEW\n"
            "                              set a new password with a mailed token\n"
            "  role ACCOUNT ROLE           set a role (admin): member, moderator, liaison,\n"
            "                              admin; prints the account and previous_role\n"
            "  partners [list]             partner frontends (admin), as JSON\n"
            "  partners create NAME [ORIGIN...]\n"
            "                              register one; prints it with its key (shown once)\n"
            "  partners update ID [--enable|--disable] [ORIGIN...]\n"
            "                              change a partner; origins given replace the old\n"
            "  partners rekey ID           a new key; the old one stops working\n"
            "\n"
            "options:\n"
            "  --url URL      server, http://host[:port]  (default $KHNET_URL, else\n"
            "                 http://127.0.0.1:8080)\n"
            "  --token T      send Authorization: Bearer T (default $KHNET_TOKEN)\n"
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
            "  3  no usable answer (bad URL, connect, I/O, timeout, malformed reply)\n");
}

/* Prints `v` as JSON plus a newline to f. */
static void print_json(FILE *f, const kp_value *v)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_json_write(&b, v);
    if (!b.oom) fprintf(f, "%.*s\n", (int)b.len, (const char *)b.data);
    kp_buf_free(&b);
}

/* Error line on stderr; returns the exit code for `err`. */
static int report(khnet_ctx *ctx, khnet_err err, const khnet_reply *rep, const options *o)
{
    if (err == KHNET_ERR_HTTP && rep) {
        fprintf(stderr, "khnet: HTTP %d %s: %s", rep->status, rep->code ? rep->code : "error",
                rep->message ? rep->message : "(no message)");
        if (rep->field) fprintf(stderr, " (field %s)", rep->field);
        if (rep->request_id[0]) fprintf(stderr, " [request %s]", rep->request_id);
        fputc('\n', stderr);
        if (o->json && rep->root) print_json(stdout, rep->root);
        return EXIT_HTTP;
    }
    fprintf(stderr, "khnet: %s: %s\n", khnet_strerror(err), ctx ? khnet_errstr(ctx) : "");
    return err == KHNET_ERR_ARG ? EXIT_USAGE : EXIT_NETWORK;
}

static void print_scalar(const kp_value *v)
{
    if (v->type == KP_STR)
        printf("%.*s", (int)v->v.s.len, v->v.s.ptr);
    else {
        kp_buf b;
        kp_buf_init(&b);
        kp_json_write(&b, v);
        printf("%.*s", (int)b.len, b.data ? (const char *)b.data : "");
        kp_buf_free(&b);
    }
}

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
                print_scalar(&q->val);
            }
        } else {
            putchar(' ');
            print_scalar(&p->val);
        }
        putchar('\n');
    }
}

static int cmd_health(khnet_ctx *ctx, const options *o)
{
    khnet_reply *rep = NULL;
    khnet_err err = khnet_health(ctx, &rep);
    int rc;
    if (err != KHNET_OK) {
        rc = report(ctx, err, rep, o);
    } else if (o->json && rep->root) {
        print_json(stdout, rep->root);
        rc = rep->status == 200 ? EXIT_OK : EXIT_HTTP;
    } else {
        printf("http: %d\n", rep->status);
        if (rep->root && rep->root->type == KP_MAP) print_health(rep->root);
        rc = rep->status == 200 ? EXIT_OK : EXIT_HTTP;
    }
    khnet_reply_free(rep);
    return rc;
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

/* Whole stdin as a NUL-terminated string (caller frees), NULL on failure. */
static char *read_stdin(void)
{
    return read_stream(stdin);
}

/* A text argument: itself, or for "-" stdin / for a file argument the file
 * (*owned gets that copy, which the caller frees); NULL after a message. */
static const char *text_arg(const char *arg, bool is_file, char **owned)
{
    *owned = NULL;
    if (strcmp(arg, "-") == 0)
        *owned = read_stdin();
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

static int cmd_call(khnet_ctx *ctx, const options *o, int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "khnet: call needs METHOD PATH [JSON-BODY]\n");
        return EXIT_USAGE;
    }
    char *owned = NULL;
    const char *body = argc == 3 ? argv[2] : NULL;
    if (body && strcmp(body, "-") == 0) {
        if (!(body = owned = read_stdin())) {
            fprintf(stderr, "khnet: cannot read the body from stdin\n");
            return EXIT_USAGE;
        }
    }
    khnet_reply *rep = NULL;
    khnet_err err = khnet_call_json(ctx, argv[0], argv[1], body, &rep);
    free(owned);
    int rc = EXIT_OK;
    if (err != KHNET_OK)
        rc = report(ctx, err, rep, o);
    else if (rep->root)
        print_json(stdout, rep->root);
    else if (rep->body_len)
        printf("%.*s\n", (int)rep->body_len, (const char *)rep->body);
    if (rc == EXIT_OK && rep->status / 100 != 2)
        rc = EXIT_HTTP; /* 1xx/3xx: not an error to the library, not success here */
    khnet_reply_free(rep);
    return rc;
}

/* A positive id argument, or 0 (after a message) when it is not one. */
static int64_t id_arg(const char *s)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < 1) {
        fprintf(stderr, "khnet: '%s' is not an id\n", s);
        return 0;
    }
    return v;
}

/* One `khnet chat SUB ...` call into *rep; EXIT_USAGE on bad arguments. */
static int chat_call(khnet_ctx *ctx, int argc, char **argv, khnet_err *err, khnet_reply **rep)
{
    const char *sub = argc > 0 ? argv[0] : "";
    int64_t a =
        argc > 1 && strcmp(sub, "group") != 0 && strcmp(sub, "list") != 0 ? id_arg(argv[1]) : 1;
    int64_t b = argc > 2 && !strcmp(sub, "read") ? id_arg(argv[2]) : 1;
    if (!a || !b) return EXIT_USAGE;
    if (!strcmp(sub, "direct") && argc == 2)
        *err = khnet_conversation_direct(ctx, a, rep);
    else if (!strcmp(sub, "group") && argc >= 2 && argc <= 257) {
        int64_t ids[256];
        for (int i = 2; i < argc; i++)
            if (!(ids[i - 2] = id_arg(argv[i]))) return EXIT_USAGE;
        *err = khnet_conversation_group(ctx, argv[1], ids, (size_t)(argc - 2), rep);
    } else if (!strcmp(sub, "list") && argc <= 2)
        *err = khnet_conversations_list(ctx, argc == 2 ? argv[1] : NULL, 0, rep);
    else if (!strcmp(sub, "send") && (argc == 3 || argc == 4)) {
        char cid[64];
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(cid, sizeof cid, "cli-%lld-%ld-%d", (long long)ts.tv_sec, ts.tv_nsec,
                 (int)getpid());
        *err = khnet_message_send(ctx, a, argc == 4 ? argv[3] : cid, argv[2], 0, rep);
    } else if (!strcmp(sub, "history") && (argc == 2 || argc == 4)) {
        bool before = argc == 4 && !strcmp(argv[2], "before");
        if (argc == 4 && !before && strcmp(argv[2], "after") != 0) return EXIT_USAGE;
        *err = khnet_messages_history(ctx, a, before ? argv[3] : NULL,
                                      argc == 4 && !before ? argv[3] : NULL, 0, rep);
    } else if (!strcmp(sub, "read") && argc == 3)
        *err = khnet_conversation_read(ctx, a, b, rep);
    else if (!strcmp(sub, "unread") && argc == 1)
        *err = khnet_unread(ctx, rep);
    else if (!strcmp(sub, "edit") && argc == 3)
        *err = khnet_message_edit(ctx, a, argv[2], rep);
    else if (!strcmp(sub, "delete") && argc == 2)
        *err = khnet_message_delete(ctx, a, rep);
    else if ((!strcmp(sub, "block") || !strcmp(sub, "unblock")) && argc == 2)
        *err = khnet_block(ctx, a, !strcmp(sub, "block"), rep);
    else {
        fprintf(stderr, "khnet: chat needs a subcommand and its arguments (see --help)\n");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int cmd_chat(khnet_ctx *ctx, const options *o, int argc, char **argv)
{
    khnet_reply *rep = NULL;
    khnet_err err = KHNET_OK;
    int rc = chat_call(ctx, argc, argv, &err, &rep);
    if (rc != EXIT_OK) return rc;
    if (err != KHNET_OK)
        rc = report(ctx, err, rep, o);
    else if (rep->root)
        print_json(stdout, rep->root);
    khnet_reply_free(rep);
    return rc;
}

/* A password argument; "-" reads one line from stdin (kept out of ps). */
static const char *password_arg(const char *arg, char *buf, size_t cap)
{
    if (strcmp(arg, "-") != 0) return arg;
    if (!fgets(buf, (int)cap, stdin)) return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf;
}

/* `profiles [--NAME VALUE]...`: the directory page the flags ask for. */
static int profiles_call(khnet_ctx *ctx, int argc, char **argv, khnet_err *err, khnet_reply **rep)
{
    khnet_profile_filter f = {NULL, NULL, NULL, NULL, NULL};
    const char *after = NULL, *limit = NULL;
    struct {
        const char *flag;
        const char **to;
    } flags[] = {
        {"--sector", &f.sector},     {"--country", &f.country},     {"--degree", &f.degree},
        {"--language", &f.language}, {"--mentoring", &f.mentoring}, {"--after", &after},
        {"--limit", &limit}};
    for (int i = 1; i < argc; i += 2) {
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
    *err = khnet_profiles_list(ctx, &f, after, (int)n, rep);
    return EXIT_OK;
}

static int wrong_args(const char *cmd)
{
    fprintf(stderr, "khnet: %s: wrong arguments (see --help)\n", cmd);
    return EXIT_USAGE;
}

/* `profile get ID|me | create JSON | patch ID|me JSON` (JSON "-": stdin). */
static int profile_call(khnet_ctx *ctx, int argc, char **argv, khnet_err *err, khnet_reply **rep)
{
    const char *sub = argc > 1 ? argv[1] : "";
    bool get = !strcmp(sub, "get") && argc == 3, patch = !strcmp(sub, "patch") && argc == 4;
    if (!get && !patch && !(!strcmp(sub, "create") && argc == 3)) return wrong_args(argv[0]);
    int64_t id = get || patch ? (strcmp(argv[2], "me") ? id_arg(argv[2]) : -1) : -1;
    if (!id) return EXIT_USAGE;
    if (get) {
        *err = khnet_profile_get(ctx, id, rep);
        return EXIT_OK;
    }
    char *owned = NULL;
    const char *json = text_arg(argv[argc - 1], false, &owned);
    if (!json) return EXIT_USAGE;
    *err = patch ? khnet_profile_patch(ctx, id, json, rep) : khnet_profile_create(ctx, json, rep);
    free(owned);
    return EXIT_OK;
}

/* `import jsonl|csv FILE` (FILE "-": stdin). */
static int import_call(khnet_ctx *ctx, int argc, char **argv, khnet_err *err, khnet_reply **rep)
{
    if (argc != 3) return wrong_args(argv[0]);
    char *data = NULL;
    if (!text_arg(argv[2], true, &data)) return EXIT_USAGE;
    *err = khnet_profiles_import(ctx, argv[1], data, strlen(data), rep);
    free(data);
    return EXIT_OK;
}

/* `sessions [list | revoke ID | logout-all]`. */
static int sessions_call(khnet_ctx *ctx, int argc, char **argv, khnet_err *err, khnet_reply **rep)
{
    const char *sub = argc > 1 ? argv[1] : "list";
    if (!strcmp(sub, "list") && argc <= 2)
        *err = khnet_sessions_list(ctx, rep);
    else if (!strcmp(sub, "logout-all") && argc == 2)
        *err = khnet_logout_all(ctx, rep);
    else if (!strcmp(sub, "revoke") && argc == 3) {
        int64_t id = id_arg(argv[2]);
        if (!id) return EXIT_USAGE;
        *err = khnet_session_revoke(ctx, id, rep);
    } else
        return wrong_args(argv[0]);
    return EXIT_OK;
}

/* `password change CURRENT NEW | reset EMAIL | reset-confirm TOKEN NEW`;
 * a password "-" reads a line from stdin (current first, then new). */
static int password_call(khnet_ctx *ctx, int argc, char **argv, khnet_err *err, khnet_reply **rep)
{
    const char *sub = argc > 1 ? argv[1] : "";
    char cur[256], pw[256];
    if (!strcmp(sub, "reset") && argc == 3) {
        *err = khnet_password_reset_request(ctx, argv[2], rep);
        return EXIT_OK;
    }
    bool change = !strcmp(sub, "change");
    if (argc != 4 || (!change && strcmp(sub, "reset-confirm") != 0)) return wrong_args(argv[0]);
    const char *first = change ? password_arg(argv[2], cur, sizeof cur) : argv[2];
    const char *next = first ? password_arg(argv[3], pw, sizeof pw) : NULL;
    if (!next) return EXIT_USAGE;
    *err = change ? khnet_password_change(ctx, first, next, rep)
                  : khnet_password_reset_confirm(ctx, first, next, rep);
    return EXIT_OK;
}

/* `partners [list | create NAME [ORIGIN...] | update ID [--enable|--disable]
 * [ORIGIN...] | rekey ID]`. */
static int partners_call(khnet_ctx *ctx, int argc, char **argv, khnet_err *err, khnet_reply **rep)
{
    const char *sub = argc > 1 ? argv[1] : "list";
    if (!strcmp(sub, "list") && argc <= 2) {
        *err = khnet_partners_list(ctx, rep);
        return EXIT_OK;
    }
    if (argc < 3) return wrong_args(argv[0]);
    if (!strcmp(sub, "create")) {
        *err = khnet_partner_create(ctx, argv[2], (const char *const *)argv + 3, (size_t)(argc - 3),
                                    rep);
        return EXIT_OK;
    }
    bool rekey = !strcmp(sub, "rekey") && argc == 3;
    if (!rekey && strcmp(sub, "update") != 0) return wrong_args(argv[0]);
    int64_t id = id_arg(argv[2]);
    if (!id) return EXIT_USAGE;
    if (rekey)
        *err = khnet_partner_rekey(ctx, id, rep);
    else {
        int i = 3, disabled = -1;
        for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
            if (strcmp(argv[i], "--enable") != 0 && strcmp(argv[i], "--disable") != 0)
                return wrong_args(argv[0]);
            disabled = !strcmp(argv[i], "--disable");
        }
        *err = khnet_partner_update(ctx, id, i < argc ? (const char *const *)argv + i : NULL,
                                    (size_t)(argc - i), disabled, rep);
    }
    return EXIT_OK;
}

/* One account/profile command into *rep; EXIT_USAGE on bad arguments. */
static int account_call(khnet_ctx *ctx, int argc, char **argv, khnet_err *err, khnet_reply **rep)
{
    const char *cmd = argv[0];
    char pw[256];
    if ((!strcmp(cmd, "register") || !strcmp(cmd, "login")) && argc == 3) {
        const char *p = password_arg(argv[2], pw, sizeof pw);
        if (!p) return EXIT_USAGE;
        *err = !strcmp(cmd, "login") ? khnet_login(ctx, argv[1], p, rep)
                                     : khnet_register(ctx, argv[1], p, rep);
    } else if (!strcmp(cmd, "register") && argc == 4) {
        const char *p = password_arg(argv[2], pw, sizeof pw);
        if (!p) return EXIT_USAGE;
        *err = khnet_register_partner(ctx, argv[1], p, argv[3], rep);
    } else if (!strcmp(cmd, "logout") && argc == 1)
        *err = khnet_logout(ctx, rep);
    else if (!strcmp(cmd, "whoami") && argc == 1)
        *err = khnet_me(ctx, rep);
    else if (!strcmp(cmd, "export") && argc == 1)
        *err = khnet_export(ctx, rep);
    else if (!strcmp(cmd, "erase") && argc == 2) {
        const char *p = password_arg(argv[1], pw, sizeof pw);
        if (!p) return EXIT_USAGE;
        *err = khnet_account_erase(ctx, p, rep);
    } else if (!strcmp(cmd, "role") && argc == 3) {
        int64_t id = id_arg(argv[1]);
        if (!id) return EXIT_USAGE;
        *err = khnet_role_set(ctx, id, argv[2], rep);
    } else if (!strcmp(cmd, "profile"))
        return profile_call(ctx, argc, argv, err, rep);
    else if (!strcmp(cmd, "import"))
        return import_call(ctx, argc, argv, err, rep);
    else if (!strcmp(cmd, "profiles"))
        return profiles_call(ctx, argc, argv, err, rep);
    else if (!strcmp(cmd, "sessions"))
        return sessions_call(ctx, argc, argv, err, rep);
    else if (!strcmp(cmd, "password"))
        return password_call(ctx, argc, argv, err, rep);
    else if (!strcmp(cmd, "partners"))
        return partners_call(ctx, argc, argv, err, rep);
    else
        return wrong_args(cmd);
    return EXIT_OK;
}

static int cmd_account(khnet_ctx *ctx, const options *o, int argc, char **argv)
{
    khnet_reply *rep = NULL;
    khnet_err err = KHNET_OK;
    int rc = account_call(ctx, argc, argv, &err, &rep);
    if (rc != EXIT_OK) return rc;
    if (err != KHNET_OK)
        rc = report(ctx, err, rep, o);
    else if (!strcmp(argv[0], "login") && !o->json) {
        const kp_value *t = kp_map_get(rep->root, "token");
        printf("%.*s\n", (int)t->v.s.len, t->v.s.ptr); /* khnet_login checked it */
    } else if (rep->root)
        print_json(stdout, rep->root);
    khnet_reply_free(rep);
    return rc;
}

/* ---- search ------------------------------------------------------------------- */

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
    for (uint32_t i = 0; i < n; i++) {
        const kp_value *h = &hits->v.arr.items[i];
        const kp_value *exp = kp_map_get(h, "expertise");
        const kp_value *score = kp_map_get(h, "score");
        print_str_cell(kp_map_get(h, "full_name"), 32);
        fputs("  ", stdout);
        print_str_cell(kp_map_get(h, "country"), 7);
        fputs("  ", stdout);
        print_str_cell(exp && exp->type == KP_ARRAY && exp->v.arr.n ? &exp->v.arr.items[0] : NULL,
                       36);
        fputs("  ", stdout);
        if (score && score->type == KP_FLOAT)
            printf("%.4f", score->v.f);
        else if (score && (score->type == KP_INT || score->type == KP_UINT))
            print_scalar(score);
        putchar('\n');
    }
    printf("%u shown of %s", n, exact && exact->type == KP_BOOL && !exact->v.b ? "about " : "");
    if (total) print_scalar(total);
    fputs(" matching experts\n", stdout);
    if (dym && dym->type == KP_STR)
        printf("%s: %.*s\n",
               corr && corr->type == KP_BOOL && corr->v.b ? "showing results for" : "did you mean",
               (int)dym->v.s.len, dym->v.s.ptr);
}

enum { SEARCH_LIST_MAX = 16 };

static int cmd_search(khnet_ctx *ctx, const options *o, int argc, char **argv)
{
    const char *countries[SEARCH_LIST_MAX + 1] = {NULL}, *sectors[SEARCH_LIST_MAX + 1] = {NULL};
    int nc = 0, ns = 0;
    khnet_search_query q = {0};
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
        else {
            fprintf(stderr, "khnet: search: wrong arguments (see --help)\n");
            return EXIT_USAGE;
        }
    }
    q.countries = nc ? countries : NULL;
    q.sectors = ns ? sectors : NULL;
    khnet_reply *rep = NULL;
    khnet_err err = khnet_search_experts(ctx, &q, &rep);
    int rc = EXIT_OK;
    if (err != KHNET_OK)
        rc = report(ctx, err, rep, o);
    else if (o->json && rep->root)
        print_json(stdout, rep->root);
    else if (rep->root && rep->root->type == KP_MAP)
        print_search(rep->root);
    khnet_reply_free(rep);
    return rc;
}

/* `saved new ID [--peek] [--after CURSOR]` into *rep. */
static int saved_new_call(khnet_ctx *ctx, int argc, char **argv, khnet_err *err, khnet_reply **rep)
{
    int64_t id = argc > 2 ? id_arg(argv[2]) : 0;
    int peek = 0;
    const char *after = NULL;
    if (!id) return argc > 2 ? EXIT_USAGE : wrong_args("saved");
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--peek"))
            peek = 1;
        else if (!strcmp(argv[i], "--after") && i + 1 < argc)
            after = argv[++i];
        else
            return wrong_args("saved");
    }
    *err = khnet_saved_search_new(ctx, id, peek, after, rep);
    return EXIT_OK;
}

/* `saved [list [CURSOR] | create NAME QUERY-JSON | delete ID | new ID ...]`. */
static int saved_call(khnet_ctx *ctx, int argc, char **argv, khnet_err *err, khnet_reply **rep)
{
    const char *sub = argc > 1 ? argv[1] : "list";
    if (!strcmp(sub, "list") && argc <= 3) {
        *err = khnet_saved_searches_list(ctx, argc == 3 ? argv[2] : NULL, 0, rep);
    } else if (!strcmp(sub, "create") && argc == 4) {
        char *owned = NULL;
        const char *json = text_arg(argv[3], false, &owned);
        if (!json) return EXIT_USAGE;
        *err = khnet_saved_search_create_json(ctx, argv[2], json, rep);
        free(owned);
        if (*err == KHNET_ERR_ARG) {
            fprintf(stderr, "khnet: saved create: QUERY must be one JSON object\n");
            return EXIT_USAGE;
        }
    } else if (!strcmp(sub, "delete") && argc == 3) {
        int64_t id = id_arg(argv[2]);
        if (!id) return EXIT_USAGE;
        *err = khnet_saved_search_delete(ctx, id, rep);
    } else if (!strcmp(sub, "new")) {
        return saved_new_call(ctx, argc, argv, err, rep);
    } else {
        return wrong_args("saved");
    }
    return EXIT_OK;
}

static int cmd_saved(khnet_ctx *ctx, const options *o, int argc, char **argv)
{
    khnet_reply *rep = NULL;
    khnet_err err = KHNET_OK;
    int rc = saved_call(ctx, argc, argv, &err, &rep);
    if (rc != EXIT_OK) return rc;
    bool table = argc > 1 && !strcmp(argv[1], "new") && !o->json;
    if (err != KHNET_OK)
        rc = report(ctx, err, rep, o);
    else if (table && rep->root && rep->root->type == KP_MAP) {
        const kp_value *since = kp_map_get(rep->root, "since");
        if (since && since->type == KP_STR)
            printf("new since %.*s\n", (int)since->v.s.len, since->v.s.ptr);
        print_search(rep->root);
    } else if (rep->root)
        print_json(stdout, rep->root);
    khnet_reply_free(rep);
    return rc;
}

static bool is_account_cmd(const char *c)
{
    static const char *const cmds[] = {"register", "login",    "logout",   "whoami", "profile",
                                       "export",   "profiles", "erase",    "import", "sessions",
                                       "password", "role",     "partners", NULL};
    for (int i = 0; cmds[i]; i++)
        if (!strcmp(c, cmds[i])) return true;
    return false;
}

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
    print_json(stdout, &map);
    (void)fflush(stdout);
}

/* `khnet listen [--after SEQ]`: waits in short slices so Ctrl-C is seen
 * promptly; the stream reconnects by itself in between. */
static int cmd_listen(khnet_ctx *ctx, int argc, char **argv)
{
    long long after = -1;
    if (argc == 2 && strcmp(argv[0], "--after") == 0) {
        char *end;
        after = strtoll(argv[1], &end, 10);
        if (!*argv[1] || *end || after < 0) {
            fprintf(stderr, "khnet: --after needs a seq >= 0\n");
            return EXIT_USAGE;
        }
    } else if (argc != 0) {
        fprintf(stderr, "khnet: usage: listen [--after SEQ]\n");
        return EXIT_USAGE;
    }
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
    khnet_stream_close(st);
    return code;
}

/* Parses options into *o; returns -1 to exit with *code. */
static int parse_options(int argc, char **argv, options *o, int *code)
{
    static const struct option longopts[] = {{"url", required_argument, NULL, 'u'},
                                             {"token", required_argument, NULL, 't'},
                                             {"timeout", required_argument, NULL, 'T'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"version", no_argument, NULL, 'V'},
                                             {NULL, 0, NULL, 0}};
    const char *env = getenv("KHNET_URL");
    const char *tok = getenv("KHNET_TOKEN");
    *o = (options){.url = env && *env ? env : "http://127.0.0.1:8080",
                   .timeout_ms = 10000,
                   .token = tok && *tok ? tok : NULL};
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
    options o;
    int code = EXIT_OK;
    if (parse_options(argc, argv, &o, &code) < 0) return code;
    argc -= optind;
    argv += optind;
    if (argc < 1 || (strcmp(argv[0], "health") != 0 && strcmp(argv[0], "call") != 0 &&
                     strcmp(argv[0], "chat") != 0 && !is_account_cmd(argv[0]) &&
                     strcmp(argv[0], "listen") != 0 && strcmp(argv[0], "search") != 0 &&
                     strcmp(argv[0], "saved") != 0)) {
        if (argc >= 1) fprintf(stderr, "khnet: unknown command '%s'\n", argv[0]);
        usage(stderr);
        return EXIT_USAGE;
    }
    khnet_ctx *ctx = NULL;
    khnet_err err = khnet_connect(o.url, &ctx);
    if (err == KHNET_OK) err = khnet_set_timeout(ctx, o.timeout_ms);
    if (err == KHNET_OK && o.token) err = khnet_set_token(ctx, o.token);
    if (err != KHNET_OK) {
        code = report(ctx, err, NULL, &o);
        khnet_free(ctx);
        return code;
    }
    if (strcmp(argv[0], "chat") == 0)
        code = cmd_chat(ctx, &o, argc - 1, argv + 1);
    else if (strcmp(argv[0], "search") == 0)
        code = cmd_search(ctx, &o, argc - 1, argv + 1);
    else if (strcmp(argv[0], "saved") == 0)
        code = cmd_saved(ctx, &o, argc, argv);
    else if (is_account_cmd(argv[0]))
        code = cmd_account(ctx, &o, argc, argv);
    else if (strcmp(argv[0], "listen") == 0)
        code = cmd_listen(ctx, argc - 1, argv + 1);
    else
        code = strcmp(argv[0], "health") == 0 ? cmd_health(ctx, &o)
                                              : cmd_call(ctx, &o, argc - 1, argv + 1);
    khnet_free(ctx);
    return code;
}
