/* cli.h — what the files of the `khnet` tool share: exit codes, global
 * options, the command table's entry type, and the argument and output
 * helpers every command uses.
 *
 * The tool links the public libkhnet only (khnet.h, khproto.h): it is a
 * worked example for integrators.  Each command group lives in its own
 * file (cmd_*.c) and exports its table; main.c concatenates the tables, and
 * help, dispatch and argument-count checks all read them, so a command is
 * added by adding one entry.
 */
#ifndef KHNET_CLI_H
#define KHNET_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "khnet.h"

enum {
    EXIT_OK = 0,      /* 2xx (health: status 200) */
    EXIT_HTTP = 1,    /* the server answered with an error status */
    EXIT_USAGE = 2,   /* bad command line */
    EXIT_NETWORK = 3, /* no usable answer: connect, TLS, I/O, timeout, protocol */
};

typedef struct cli_opts {
    const char *url;    /* --url, else $KHNET_URL, else the default */
    const char *token;  /* --token, else $KHNET_TOKEN, or NULL */
    const char *cacert; /* --cacert, else $KHNET_CACERT, or NULL: the system's CAs */
    int timeout_ms;     /* --timeout */
    int json;           /* --json: machine-readable output */
} cli_opts;

/* Runs a command with its operands (argv[0] is the first operand, not the
 * command's name); returns the exit code. */
typedef int cli_run_fn(khnet_ctx *ctx, const cli_opts *o, int argc, char **argv);

/* One command, or one subcommand of a group: exactly one of run, call,
 * call_id and subs is set.  The simple kinds need no code of their own:
 * main.c makes the call and prints the reply as JSON. */
typedef struct cli_cmd {
    const char *name; /* "login"; in a group, "send" */
    const char *args; /* operand synopsis for --help, NULL if none */
    const char *help; /* what it does, for --help (lines joined by '\n') */
    int min_args;     /* fewest operands */
    int max_args;     /* most operands, -1: no limit */
    cli_run_fn *run;  /* a command with its own code */
    khnet_err (*call)(khnet_ctx *ctx, khnet_reply **out);                /* no operands */
    khnet_err (*call_id)(khnet_ctx *ctx, int64_t id, khnet_reply **out); /* one id operand */
    const struct cli_cmd *subs; /* a group's subcommands, ended by a NULL name */
    const char *dflt;           /* a group: the subcommand run when none is named */
} cli_cmd;

/* The command groups' tables, each ended by an entry with a NULL name. */
extern const cli_cmd cli_basic_cmds[];   /* health, call (cmd_basic.c) */
extern const cli_cmd cli_account_cmds[]; /* accounts, sessions, passwords, roles */
extern const cli_cmd cli_profile_cmds[]; /* profile, profiles, import, export, erase */
extern const cli_cmd cli_chat_cmds[];    /* chat, listen */
extern const cli_cmd cli_search_cmds[];  /* search, saved */
extern const cli_cmd cli_partner_cmds[]; /* partners */
extern const cli_cmd cli_mentor_cmds[];  /* mentor, round */
extern const cli_cmd cli_forum_cmds[];   /* forum, mod */

/* ---- util.c -------------------------------------------------------------------- */
/* Prints v as JSON plus a newline to f. */
void cli_print_json(FILE *f, const kp_value *v);
/* A scalar's text (strings bare, the rest as JSON) on stdout. */
void cli_print_scalar(const kp_value *v);
/* The error line on stderr for err (and the reply's error body on stdout
 * with --json); returns the exit code for err. */
int cli_report(khnet_ctx *ctx, khnet_err err, const khnet_reply *rep, const cli_opts *o);
/* The common ending: report err, else print the reply's root as JSON; frees rep. */
int cli_finish(khnet_ctx *ctx, const cli_opts *o, khnet_err err, khnet_reply *rep);
/* "khnet: NAME: wrong arguments (see --help)"; returns EXIT_USAGE. */
int cli_wrong_args(const char *name);
/* A positive id, or 0 (after a message on stderr) when s is not one. */
int64_t cli_id_arg(const char *s);
/* A password operand; "-" reads one line from stdin into buf (kept out of
 * ps).  NULL when stdin had none. */
const char *cli_password_arg(const char *arg, char *buf, size_t cap);
/* A text operand: itself, or for "-" stdin, or (is_file) the named file;
 * *owned gets a copy the caller frees.  NULL after a message on stderr. */
const char *cli_text_arg(const char *arg, bool is_file, char **owned);

#endif
