/* config.c — one table describes every setting: its flag, environment
 * variable, default and limits; parsing and --help both read it, so they
 * cannot drift apart. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum opt_kind { OPT_INT, OPT_SIZE, OPT_STR, OPT_BOOL, OPT_LISTEN, OPT_CIDRS } opt_kind;

typedef struct opt {
    const char *flag; /* without the leading "--" */
    const char *env;  /* KHNET_* */
    opt_kind kind;
    size_t offset;      /* into struct config */
    const char *def;    /* default, as text */
    long long min, max; /* numeric bounds */
    const char *help;
} opt;

#define OFF(f) offsetof(config, f)
static const opt opts[] = {
    {"listen", "KHNET_LISTEN", OPT_LISTEN, 0, "127.0.0.1:8080", 0, 0,
     "address and port to serve on"},
    {"workers", "KHNET_WORKERS", OPT_INT, OFF(workers), "0", 0, 256,
     "worker threads (0 = one per core)"},
    {"database-url", "KHNET_DATABASE_URL", OPT_STR, OFF(database_url), "postgresql:///khnet", 0, 0,
     "PostgreSQL connection (libpq URL or key=value)"},
    {"db-connections", "KHNET_DB_CONNECTIONS", OPT_INT, OFF(db_connections), "2", 1, 64,
     "PostgreSQL connections per worker"},
    {"statement-timeout", "KHNET_STATEMENT_TIMEOUT_MS", OPT_INT, OFF(statement_timeout_ms), "5000",
     1, 600000, "statement timeout, ms"},
    {"db-max-queue", "KHNET_DB_MAX_QUEUE", OPT_INT, OFF(db_max_queue), "4096", 1, 1000000,
     "queries queued or in flight per worker before refusing"},
    {"max-header-bytes", "KHNET_MAX_HEADER_BYTES", OPT_SIZE, OFF(max_header_bytes), "16384", 1024,
     1048576, "request line + headers, bytes"},
    {"max-body-bytes", "KHNET_MAX_BODY_BYTES", OPT_SIZE, OFF(max_body_bytes), "1048576", 0,
     268435456, "request body, bytes"},
    {"header-timeout", "KHNET_HEADER_TIMEOUT_MS", OPT_INT, OFF(header_timeout_ms), "10000", 10,
     3600000, "time to receive request headers, ms"},
    {"body-timeout", "KHNET_BODY_TIMEOUT_MS", OPT_INT, OFF(body_timeout_ms), "30000", 10, 3600000,
     "time to receive a request body, ms"},
    {"idle-timeout", "KHNET_IDLE_TIMEOUT_MS", OPT_INT, OFF(idle_timeout_ms), "60000", 10, 3600000,
     "idle keep-alive connection, ms"},
    {"max-connections", "KHNET_MAX_CONNECTIONS", OPT_INT, OFF(max_connections), "10000", 1, 1000000,
     "open connections per worker"},
    {"max-pipeline", "KHNET_MAX_PIPELINE", OPT_INT, OFF(max_pipeline), "32", 1, 1024,
     "pipelined requests queued per connection"},
    {"shutdown-timeout", "KHNET_SHUTDOWN_TIMEOUT_MS", OPT_INT, OFF(shutdown_timeout_ms), "10000", 0,
     600000, "grace period for in-flight requests on SIGTERM, ms"},
    {"access-log", "KHNET_ACCESS_LOG", OPT_BOOL, OFF(access_log), "on", 0, 0,
     "log one line per request (on/off)"},
    {"slow-request-ms", "KHNET_SLOW_REQUEST_MS", OPT_INT, OFF(slow_request_ms), "0", 0, 3600000,
     "log where the time of a request slower than this went, ms (0 = off)"},
    {"profiles", "KHNET_SEED_PROFILES", OPT_INT, OFF(seed_profiles), "1000", 1, 10000000,
     "seed: demo profiles to create"},
    {"seed", "KHNET_SEED", OPT_INT, OFF(seed), "1", 0, INT_MAX,
     "seed: random seed (the same seed makes the same people)"},
    {"scrypt-n", "KHNET_SCRYPT_N", OPT_INT, OFF(scrypt_n), "32768", 2, 1048576,
     "scrypt cost N for new password hashes (power of two)"},
    {"scrypt-r", "KHNET_SCRYPT_R", OPT_INT, OFF(scrypt_r), "8", 1, 64, "scrypt block size r"},
    {"scrypt-p", "KHNET_SCRYPT_P", OPT_INT, OFF(scrypt_p), "1", 1, 64, "scrypt parallelism p"},
    {"session-ttl-hours", "KHNET_SESSION_TTL_HOURS", OPT_INT, OFF(session_ttl_hours), "720", 1,
     87600, "lifetime of a login token, hours"},
    {"auth-burst-addr", "KHNET_AUTH_BURST_ADDR", OPT_INT, OFF(auth_burst_addr), "10", 1, 1000000,
     "logins/sign-ups at once per client address"},
    {"auth-burst-email", "KHNET_AUTH_BURST_EMAIL", OPT_INT, OFF(auth_burst_email), "5", 1, 1000000,
     "logins/sign-ups at once per e-mail"},
    {"auth-rate-per-min", "KHNET_AUTH_RATE_PER_MIN", OPT_INT, OFF(auth_rate_per_min), "5", 1,
     1000000, "refill of those limits, per minute"},
    {"cors-refresh-ms", "KHNET_CORS_REFRESH_MS", OPT_INT, OFF(cors_refresh_ms), "5000", 100,
     3600000, "reload of partner origins (CORS) per worker, ms"},
    {"ws-max-queue-bytes", "KHNET_WS_MAX_QUEUE_BYTES", OPT_SIZE, OFF(ws_max_queue_bytes), "262144",
     4096, 67108864, "unsent bytes per event stream before a slow consumer is dropped"},
    {"ws-ping-ms", "KHNET_WS_PING_MS", OPT_INT, OFF(ws_ping_ms), "30000", 100, 3600000,
     "WebSocket ping interval, ms (silent for two: dropped)"},
    {"stream-check-ms", "KHNET_STREAM_CHECK_MS", OPT_INT, OFF(stream_check_ms), "15000", 100,
     3600000, "how often open streams' sessions are re-checked, ms"},
    {"mentoring-expire-ms", "KHNET_MENTORING_EXPIRE_MS", OPT_INT, OFF(mentoring_expire_ms), "30000",
     0, 86400000,
     "how often overdue mentoring requests are expired (with their events), ms; 0: only lazily"},
    {"mail-url", "KHNET_MAIL_URL", OPT_STR, OFF(mail_url), "log", 0, 0,
     "mail: log, or smtp://[user:pass@]host[:port][?starttls=try|no][&cacert=FILE], smtps://"},
    {"mail-from", "KHNET_MAIL_FROM", OPT_STR, OFF(mail_from), "no-reply@localhost", 0, 0,
     "mail: sender address"},
    {"public-url", "KHNET_PUBLIC_URL", OPT_STR, OFF(public_url), "http://127.0.0.1:8080", 0, 0,
     "base URL of the links in mails"},
    {"trusted-proxies", "KHNET_TRUSTED_PROXIES", OPT_CIDRS, OFF(trusted_proxies), "", 0, 0,
     "proxies whose PROXY v2 header or X-Forwarded-For names the client: addresses/CIDRs, "
     "IPv4 or IPv6, comma-separated (default: none)"},
    {"email", "KHNET_ADMIN_EMAIL", OPT_STR, OFF(email), "", 0, 0, "admin create: e-mail"},
    {"password", "KHNET_ADMIN_PASSWORD", OPT_STR, OFF(password), "", 0, 0,
     "admin create: password"},
    {"format", "KHNET_IMPORT_FORMAT", OPT_STR, OFF(import_format), "", 0, 0,
     "import profiles: jsonl or csv (default: by the file name)"},
};
#undef OFF

static int parse_listen(config *c, const char *v, FILE *err)
{
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v) {
        fprintf(err, "khnetd: --listen wants HOST:PORT, got '%s'\n", v);
        return -1;
    }
    size_t hl = (size_t)(colon - v);
    if (v[0] == '[' && hl >= 2 && v[hl - 1] == ']') { /* [::1]:8080 */
        v++;
        hl -= 2;
    }
    if (hl >= sizeof c->listen_host) {
        fprintf(err, "khnetd: --listen host too long\n");
        return -1;
    }
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || port < 1 || port > 65535) {
        fprintf(err, "khnetd: --listen port must be 1..65535, got '%s'\n", colon + 1);
        return -1;
    }
    memcpy(c->listen_host, v, hl);
    c->listen_host[hl] = '\0';
    c->listen_port = (int)port;
    return 0;
}

static int set_opt(config *c, const opt *o, const char *v, FILE *err)
{
    char *base = (char *)c + o->offset;
    if (o->kind == OPT_LISTEN) return parse_listen(c, v, err);
    if (o->kind == OPT_CIDRS) {
        char msg[160];
        if (net_cidrs_parse(v, (net_cidrs *)(void *)base, msg, sizeof msg) == 0) return 0;
        fprintf(err, "khnetd: --%s: %s\n", o->flag, msg);
        return -1;
    }
    if (o->kind == OPT_STR) {
        memcpy(base, &v, sizeof v);
        return 0;
    }
    if (o->kind == OPT_BOOL) {
        bool b;
        if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1"))
            b = true;
        else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0"))
            b = false;
        else {
            fprintf(err, "khnetd: --%s wants on or off, got '%s'\n", o->flag, v);
            return -1;
        }
        memcpy(base, &b, sizeof b);
        return 0;
    }
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n < o->min || n > o->max) {
        fprintf(err, "khnetd: --%s must be an integer in %lld..%lld, got '%s'\n", o->flag, o->min,
                o->max, v);
        return -1;
    }
    if (o->kind == OPT_INT) {
        int i = (int)n;
        memcpy(base, &i, sizeof i);
    } else {
        size_t z = (size_t)n;
        memcpy(base, &z, sizeof z);
    }
    return 0;
}

static const opt *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (strlen(opts[i].flag) == len && !memcmp(opts[i].flag, name, len)) return &opts[i];
    return NULL;
}

void config_usage(FILE *out)
{
    fprintf(out, "usage: khnetd [COMMAND] [--flag VALUE ...]\n\n"
                 "commands:\n"
                 "  serve          serve HTTP (the default)\n"
                 "  migrate        apply pending database migrations, then exit\n"
                 "  check-schema   exit 0 if the database schema matches this binary\n"
                 "  seed           add demo profiles (--profiles N, --seed S); password\n"
                 "                 of every demo account: khnet-demo-password\n"
                 "  admin create   make an admin account (--email, --password), then exit\n"
                 "  import profiles FILE  import profiles from JSONL or CSV (--format);\n"
                 "                 all or nothing; prints the report, exit 0 if imported\n"
                 "  --help, --version\n\n"
                 "settings (flag, environment variable, default):\n");
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        fprintf(out, "  --%-19s %-28s %-20s %s\n", opts[i].flag, opts[i].env, opts[i].def,
                opts[i].help);
}

int config_parse(config *c, int argc, char **argv, FILE *err)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        const char *env = getenv(opts[i].env);
        if (set_opt(c, &opts[i], opts[i].def, err)) return -1;
        if (env && *env && set_opt(c, &opts[i], env, err)) return -1;
    }
    config_cmd cmd = CMD_SERVE;
    int i = 1;
    if (argc > 1 && argv[1][0] != '-') {
        if (!strcmp(argv[1], "serve"))
            cmd = CMD_SERVE;
        else if (!strcmp(argv[1], "migrate"))
            cmd = CMD_MIGRATE;
        else if (!strcmp(argv[1], "check-schema"))
            cmd = CMD_CHECK_SCHEMA;
        else if (!strcmp(argv[1], "seed"))
            cmd = CMD_SEED;
        else if (!strcmp(argv[1], "admin") && argc > 2 && !strcmp(argv[2], "create")) {
            cmd = CMD_ADMIN_CREATE;
            i = 3;
        } else if (!strcmp(argv[1], "import") && argc > 3 && !strcmp(argv[2], "profiles") &&
                   strncmp(argv[3], "--", 2) != 0) {
            cmd = CMD_IMPORT_PROFILES;
            c->import_file = argv[3];
            i = 4;
        } else {
            fprintf(err, "khnetd: unknown command '%s' (try --help)\n", argv[1]);
            return -1;
        }
        if (i == 1) i = 2;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return CMD_HELP;
        if (!strcmp(a, "--version")) return CMD_VERSION;
        if (strncmp(a, "--", 2) != 0) {
            fprintf(err, "khnetd: unexpected argument '%s' (try --help)\n", a);
            return -1;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        const opt *o = find_flag(name, nl);
        if (!o) {
            fprintf(err, "khnetd: unknown flag '%s' (try --help)\n", a);
            return -1;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) {
            fprintf(err, "khnetd: --%s needs a value\n", o->flag);
            return -1;
        }
        if (set_opt(c, o, v, err)) return -1;
    }
    if (c->scrypt_n & (c->scrypt_n - 1)) {
        fprintf(err, "khnetd: --scrypt-n must be a power of two, got %d\n", c->scrypt_n);
        return -1;
    }
    if (c->workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->workers = n > 0 && n <= 256 ? (int)n : 1;
    }
    return (int)cmd;
}
