/* config.h — khnetd's configuration: defaults, flags, KHNET_* environment.
 *
 * Precedence: flag > environment > default.  Parsed once in main() before
 * any thread starts; read-only afterwards, so workers share it freely. */
#ifndef KHNET_CONFIG_H
#define KHNET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "net/net.h"

typedef struct config {
    char listen_host[256];     /* address to bind */
    int listen_port;           /* TCP port */
    int workers;               /* worker threads; 0 = number of cores */
    const char *database_url;  /* libpq conninfo */
    int db_connections;        /* pool size per worker */
    int statement_timeout_ms;  /* bounds every query */
    int db_max_queue;          /* queued + in-flight queries per worker */
    size_t max_header_bytes;   /* request line + headers */
    size_t max_body_bytes;     /* decoded body */
    int header_timeout_ms;     /* first byte to end of headers */
    int body_timeout_ms;       /* end of headers to end of body */
    int idle_timeout_ms;       /* keep-alive connection with nothing to do */
    int max_connections;       /* open connections per worker */
    int max_pipeline;          /* requests queued per connection */
    int shutdown_timeout_ms;   /* grace period on SIGTERM */
    bool access_log;           /* one log line per request */
    int slow_request_ms;       /* requests slower than this log their stages; 0: off */
    int seed_profiles;         /* seed: demo profiles to create */
    int seed;                  /* seed: PRNG seed (same seed, same people) */
    int scrypt_n;              /* scrypt cost for new password hashes, power of two */
    int scrypt_r;              /* scrypt block size */
    int scrypt_p;              /* scrypt parallelism */
    int session_ttl_hours;     /* lifetime of a login token */
    int auth_burst_addr;       /* login/sign-up bucket size per client address */
    int auth_burst_email;      /* login/sign-up bucket size per e-mail */
    int auth_rate_per_min;     /* refill of those buckets, tokens a minute */
    int cors_refresh_ms;       /* how often each worker reloads partner origins */
    size_t ws_max_queue_bytes; /* unsent bytes per stream before it is dropped */
    int ws_ping_ms;            /* WebSocket ping interval */
    int stream_check_ms;       /* how often open streams' sessions are re-checked */
    int mentoring_expire_ms;   /* period of the mentoring expiry sweep; 0: none */
    const char *mail_url;      /* "log" or smtp://, smtps:// (mail/smtp.c) */
    const char *mail_from;     /* the sender address of mails */
    const char *public_url;    /* base of the links in mails */
    net_cidrs trusted_proxies; /* peers whose PROXY header / X-Forwarded-For is believed */
    const char *email;         /* admin create: the new admin's e-mail */
    const char *password;      /* admin create: its password */
    const char *import_file;   /* import profiles: the file (argv) */
    const char *import_format; /* import profiles: "jsonl", "csv" or "" (by file name) */
} config;

/* What the command line asked for. */
typedef enum config_cmd {
    CMD_SERVE,
    CMD_MIGRATE,
    CMD_CHECK_SCHEMA,
    CMD_HELP,
    CMD_VERSION,
    CMD_ADMIN_CREATE,
    CMD_SEED,
    CMD_IMPORT_PROFILES
} config_cmd;

/* Fills `c` from defaults, the environment and argv.  Returns the command, or
 * -1 after printing a message to `err` for a bad flag or value. */
int config_parse(config *c, int argc, char **argv, FILE *err);
void config_usage(FILE *out);

#endif
