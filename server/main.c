/* main.c — khnetd's entry: read the configuration, run an offline command
 * (server/cmd/: migrate, check-schema, seed, admin create, import profiles)
 * or serve: check the schema, start the workers, wait for SIGTERM/SIGINT,
 * drain, exit 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "config.h"
#include "db/db.h"
#include "log.h"
#include "mail/mail.h"
#include "worker.h"

static int serve(const config *cfg)
{
    char err[512];
    if (db_check_schema(cfg->database_url, err, sizeof err) != 0) {
        log_event("error", "msg=\"refusing to start\" reason=\"%s\"", err);
        return 1;
    }
    /* Block the signals in every thread; main waits for them with sigwait,
     * so no handler ever runs inside a loop. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    (void)signal(SIGPIPE, SIG_IGN); /* writes report EPIPE instead */

    mail_transport *mt = mail_transport_new(cfg, err, sizeof err);
    if (!mt) {
        log_event("error", "msg=\"refusing to start\" reason=\"%s\"", err);
        return 1;
    }
    mail_pump *mail = mail_pump_start(cfg, mt);
    worker_group g;
    if (!mail || workers_start(&g, cfg) != 0) {
        if (mail) {
            workers_stop(&g);
            workers_join(&g);
        }
        mail_pump_stop(mail);
        return 1;
    }
    log_event("info", "msg=listening addr=%s:%d workers=%d", cfg->listen_host, cfg->listen_port,
              cfg->workers);
    int sig = 0;
    sigwait(&set, &sig);
    log_event("info", "msg=\"shutting down\" signal=%d", sig);
    workers_stop(&g);
    workers_join(&g);
    mail_pump_stop(mail); /* after the workers: nobody pokes it any more */
    log_event("info", "msg=stopped");
    return 0;
}

int main(int argc, char **argv)
{
    config cfg;
    int cmd = config_parse(&cfg, argc, argv, stderr), status = 2;
    switch (cmd) {
    case CMD_HELP:
        config_usage(stdout);
        return 0;
    case CMD_VERSION:
        printf("khnetd %s\n", KHNET_VERSION);
        return 0;
    case CMD_SERVE:
        return serve(&cfg);
    default:
        return cmd_run(cmd, &cfg, &status) ? status : 2;
    }
}
