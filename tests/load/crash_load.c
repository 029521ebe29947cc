/* crash_load.c — a steady write load through the public libkhnet for the
 * crash-safety suite (tests/interop/crash_safety.py, issue 12 Tests).
 *
 * usage: crash_load URL TOKEN CONVERSATION_ID PREFIX SECONDS
 *
 * Sends messages with client ids PREFIX-0, PREFIX-1, ... one after another
 * for SECONDS, then finishes the one in hand.  A send that fails (connection
 * refused or reset, 5xx) is retried with the SAME client id until it is
 * acknowledged (200 or 201), so a retry can never create a second message.
 * stdout, one line per event, flushed at once so a killed run loses none:
 *   ack CLIENT_ID STATUS T_MS ATTEMPTS   an acknowledged write
 *   fail CLIENT_ID T_MS WHAT             one failed attempt (will be retried)
 * T_MS counts from the start.  Exit 0, or 1 on a 4xx (a bug, not an outage). */
#include "khnet.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* One message, retried under the same client id until acknowledged.
 * Returns 0 when acknowledged, -1 on a refusal that retrying cannot fix. */
static int send_until_acked(khnet_ctx *ctx, int64_t conv, const char *cid, long t0)
{
    for (int attempt = 1;; attempt++) {
        khnet_reply *rep = NULL;
        khnet_err e = khnet_message_send(ctx, conv, cid, "crash-safety load", 0, &rep);
        int status = rep ? rep->status : 0;
        if (e == KHNET_OK && (status == 200 || status == 201)) {
            printf("ack %s %d %ld %d\n", cid, status, now_ms() - t0, attempt);
            fflush(stdout);
            khnet_reply_free(rep);
            return 0;
        }
        if (status >= 400 && status < 500) {
            fprintf(stderr, "crash_load: %s refused: %d %s\n", cid, status,
                    rep->code ? rep->code : "");
            khnet_reply_free(rep);
            return -1;
        }
        printf("fail %s %ld %s\n", cid, now_ms() - t0, status ? "5xx" : khnet_strerror(e));
        fflush(stdout);
        khnet_reply_free(rep);
        pause_ms(50);
    }
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: crash_load URL TOKEN CONVERSATION_ID PREFIX SECONDS\n");
        return 2;
    }
    int64_t conv = strtoll(argv[3], NULL, 10);
    long seconds = strtol(argv[5], NULL, 10);
    khnet_ctx *ctx = NULL;
    if (khnet_create(argv[1], &ctx) != KHNET_OK || khnet_set_token(ctx, argv[2]) != KHNET_OK ||
        khnet_set_timeout(ctx, 3000) != KHNET_OK) {
        fprintf(stderr, "crash_load: %s\n", ctx ? khnet_errstr(ctx) : "out of memory");
        khnet_free(ctx);
        return 2;
    }
    long t0 = now_ms();
    int rc = 0;
    for (long i = 0; rc == 0 && now_ms() - t0 < seconds * 1000L; i++) {
        char cid[64];
        snprintf(cid, sizeof cid, "%s-%ld", argv[4], i);
        rc = send_until_acked(ctx, conv, cid, t0) ? 1 : 0;
    }
    khnet_free(ctx);
    return rc;
}
