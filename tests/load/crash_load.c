/* crash_load.c — a steady write load through the public libkhnet for the
 * crash-safety suites (tests/interop/crash_safety*.py, issue 12 Tests).
 *
 * usage: crash_load URL TOKEN CONVERSATION_ID THREAD_ID PREFIX SECONDS
 *
 * Round i writes three things, one after another, for SECONDS (then the
 * round in hand is finished):
 *   msg  PREFIX-m-i  a message with client id PREFIX-m-i, text PREFIX-m-i;
 *   edit PREFIX-e-i  PATCH /v1/profiles/me {version: v, headline: PREFIX-e-i},
 *                    v the version the previous acknowledged edit returned;
 *   post PREFIX-p-i  a forum reply, markdown PREFIX-p-i, Idempotency-Key
 *                    PREFIX-p-i.
 * A write whose answer is lost (transport error, 5xx) is retried with the
 * SAME client id / key / version until acknowledged, so a retry can never
 * write twice: messages by client id, posts by key, edits by the version
 * (the retry of an edit that was applied finds 409 on version; the profile
 * then read shows the edit's headline at version v+1: acknowledged by
 * that read).  Only this process edits its account's profile.
 * stdout, one line per attempt, flushed at once (a killed run loses none);
 * times are CLOCK_MONOTONIC milliseconds (Python's time.monotonic()):
 *   ack KIND ID T_START T_END ATTEMPTS STATUS VERSION FOUND
 *   fail KIND ID T_START T_END STATUS                    (retried; 0: no answer)
 * VERSION: the profile's after an edit, else 0.  FOUND 1: the write was
 * already done by an earlier delivery whose answer was lost — a retry of
 * ours, or libkhnet's own one resend of a keyed request whose connection
 * dropped before any answer (client-lib/src/khnet.c) (a
 * message answered 200, an edit read back after 409, a post answered with
 * Idempotent-Replay).  T_START/T_END: the last attempt's.
 * Exit 0; 1 on an answer retrying cannot fix (a bug, not an outage). */
#include "khnet.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct load {
    khnet_ctx *ctx;
    int64_t conv, thread;
    int64_t version; /* of my profile, as the last acknowledged edit left it */
    int found;       /* the attempt in hand found its write already done */
} load;

/* One attempt's outcome. */
enum { ACKED, RETRY, FATAL };

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t int_field(const khnet_reply *rep, const char *key)
{
    const kp_value *v = rep && rep->root ? kp_map_get(rep->root, key) : NULL;
    return v && v->type == KP_INT ? v->v.i : -1;
}

static int str_field_is(const khnet_reply *rep, const char *key, const char *want)
{
    const kp_value *v = rep && rep->root ? kp_map_get(rep->root, key) : NULL;
    return v && v->type == KP_STR && v->v.s.len == strlen(want) &&
           !memcmp(v->v.s.ptr, want, v->v.s.len);
}

/* Sorts an answer: no answer or 5xx is an outage (retry); else *status. */
static int judge(khnet_err e, const khnet_reply *rep, int *status)
{
    *status = rep ? rep->status : 0;
    if (e != KHNET_OK && e != KHNET_ERR_HTTP) return RETRY;
    if (*status >= 500) return RETRY;
    return *status == 200 || *status == 201 ? ACKED : FATAL;
}

static int send_msg(load *l, const char *id, int *status)
{
    khnet_reply *rep = NULL;
    khnet_err e = khnet_message_send(l->ctx, l->conv, id, id, 0, &rep);
    int rc = judge(e, rep, status);
    l->found = rc == ACKED && *status == 200; /* 200: the client id was stored */
    khnet_reply_free(rep);
    return rc;
}

static int send_post(load *l, const char *id, int *status)
{
    khnet_reply *rep = NULL;
    khnet_err e = khnet_forum_reply_idem(l->ctx, l->thread, id, 0, 0, id, &rep);
    int rc = judge(e, rep, status);
    l->found = rc == ACKED && rep->replayed;
    khnet_reply_free(rep);
    return rc;
}

/* After 409 on version: was it my edit (the profile at version+1 with my
 * headline)?  ACKED (l->version updated), RETRY (the read failed), FATAL. */
static int edit_landed(load *l, const char *id, int *status)
{
    khnet_reply *rep = NULL;
    khnet_err e = khnet_profile_get(l->ctx, 0, &rep);
    int rc = judge(e, rep, status);
    if (rc == ACKED) {
        int64_t v = int_field(rep, "version");
        if (v == l->version + 1 && str_field_is(rep, "headline", id)) {
            l->version = v;
            l->found = 1;
            *status = 409;
        } else {
            fprintf(stderr, "crash_load: %s: 409 but the profile is at %lld\n", id, (long long)v);
            rc = FATAL;
        }
    }
    khnet_reply_free(rep);
    return rc;
}

static int send_edit(load *l, const char *id, int *status)
{
    char body[160];
    snprintf(body, sizeof body, "{\"version\":%lld,\"headline\":\"%s\"}", (long long)l->version,
             id);
    khnet_reply *rep = NULL;
    khnet_err e = khnet_profile_patch(l->ctx, 0, body, &rep);
    int rc = judge(e, rep, status);
    l->found = 0;
    if (rc == ACKED) l->version = int_field(rep, "version");
    int stale = rc == FATAL && *status == 409 && rep->field && !strcmp(rep->field, "version");
    khnet_reply_free(rep);
    return stale ? edit_landed(l, id, status) : rc;
}

/* Attempts one write until acknowledged; 0, or -1 on FATAL. */
static int until_acked(load *l, const char *kind, const char *id,
                       int (*attempt)(load *, const char *, int *))
{
    for (int n = 1;; n++) {
        int status;
        long t = now_ms();
        int rc = attempt(l, id, &status);
        if (rc == ACKED) {
            printf("ack %s %s %ld %ld %d %d %lld %d\n", kind, id, t, now_ms(), n, status,
                   (long long)(strcmp(kind, "edit") ? 0 : l->version), l->found);
            fflush(stdout);
            return 0;
        }
        if (rc == FATAL) {
            fprintf(stderr, "crash_load: %s %s refused: %d\n", kind, id, status);
            return -1;
        }
        printf("fail %s %s %ld %ld %d\n", kind, id, t, now_ms(), status);
        fflush(stdout);
        pause_ms(50);
    }
}

static int read_version(load *l)
{
    int status;
    for (int tries = 0; tries < 100; tries++) {
        khnet_reply *rep = NULL;
        khnet_err e = khnet_profile_get(l->ctx, 0, &rep);
        int rc = judge(e, rep, &status);
        l->version = rc == ACKED ? int_field(rep, "version") : -1;
        khnet_reply_free(rep);
        if (rc == FATAL) return -1;
        if (rc == ACKED) return l->version > 0 ? 0 : -1;
        pause_ms(100);
    }
    return -1;
}

static int run(load *l, const char *prefix, long seconds)
{
    if (read_version(l) != 0) {
        fprintf(stderr, "crash_load: cannot read my profile\n");
        return 1;
    }
    long end = now_ms() + seconds * 1000L;
    for (long i = 0; now_ms() < end; i++) {
        char m[64], e[64], p[64];
        snprintf(m, sizeof m, "%s-m-%ld", prefix, i);
        snprintf(e, sizeof e, "%s-e-%ld", prefix, i);
        snprintf(p, sizeof p, "%s-p-%ld", prefix, i);
        if (until_acked(l, "msg", m, send_msg) || until_acked(l, "edit", e, send_edit) ||
            until_acked(l, "post", p, send_post))
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 7 || strlen(argv[5]) > 32) {
        fprintf(stderr, "usage: crash_load URL TOKEN CONVERSATION_ID THREAD_ID PREFIX SECONDS\n");
        return 2;
    }
    load l = {NULL, strtoll(argv[3], NULL, 10), strtoll(argv[4], NULL, 10), 0, 0};
    if (khnet_create(argv[1], &l.ctx) != KHNET_OK || khnet_set_token(l.ctx, argv[2]) != KHNET_OK ||
        khnet_set_timeout(l.ctx, 5000) != KHNET_OK) {
        fprintf(stderr, "crash_load: %s\n", l.ctx ? khnet_errstr(l.ctx) : "out of memory");
        khnet_free(l.ctx);
        return 2;
    }
    int rc = run(&l, argv[5], strtol(argv[6], NULL, 10));
    khnet_free(l.ctx);
    return rc;
}
