/* cmd.c — the offline commands' table and the two that are one call each
 * (migrate, check-schema); the others have their own files. */
#include "cmd.h"

#include "db/db.h"
#include "log.h"

static int cmd_migrate(const config *cfg)
{
    char err[512];
    if (db_migrate(cfg->database_url, stderr, err, sizeof err) != 0) {
        log_event("error", "msg=\"migration failed\" reason=\"%s\"", err);
        return 1;
    }
    return 0;
}

static int cmd_check_schema(const config *cfg)
{
    char err[512];
    if (db_check_schema(cfg->database_url, err, sizeof err) != 0) {
        fprintf(stderr, "khnetd: %s\n", err);
        return 1;
    }
    printf("schema is current\n");
    return 0;
}

static int cmd_seed(const config *cfg)
{
    char err[512];
    if (seed_run(cfg->database_url, cfg->seed_profiles, (uint64_t)cfg->seed, stdout, err,
                 sizeof err) != 0) {
        fprintf(stderr, "khnetd: seed failed: %s\n", err);
        return 1;
    }
    return 0;
}

static const struct {
    int cmd;                       /* CMD_* from config_parse */
    int (*run)(const config *cfg); /* its exit status */
} commands[] = {
    {CMD_MIGRATE, cmd_migrate},
    {CMD_CHECK_SCHEMA, cmd_check_schema},
    {CMD_SEED, cmd_seed},
    {CMD_ADMIN_CREATE, cmd_admin_create},
    {CMD_IMPORT_PROFILES, cmd_import_profiles},
};

bool cmd_run(int cmd, const config *cfg, int *status)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].cmd == cmd) {
            *status = commands[i].run(cfg);
            return true;
        }
    return false;
}
