/* ratelimit.c — token buckets keyed by string in a fixed table (set
 * associative, LRU within a set); bounded memory whatever keys clients
 * send.  One table serves every worker (a limit per worker would let an
 * attacker try workers × the limit), so a take holds a mutex for the few
 * hundred nanoseconds of a lookup. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

enum { WAYS = 4, KEY_MAX = 80 };

typedef struct bucket {
    uint64_t hash;     /* full hash of key; 0 = empty slot */
    char key[KEY_MAX]; /* the key, cut to fit */
    double tokens;     /* tokens left at `at` */
    uint64_t at;       /* last refill, ms */
} bucket;

struct auth_rl {
    pthread_mutex_t mu; /* guards b */
    bucket *b;          /* nsets * WAYS buckets */
    uint32_t nsets;     /* sets in the table */
    double burst;       /* bucket capacity */
    double per_ms;      /* refill rate, tokens per ms */
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h ? h : 1;
}

auth_rl *auth_rl_new(uint32_t slots, uint32_t burst, uint32_t per_min)
{
    if (slots < WAYS || burst == 0 || per_min == 0) return NULL;
    auth_rl *rl = calloc(1, sizeof *rl);
    if (!rl) return NULL;
    rl->nsets = slots / WAYS;
    rl->b = calloc((size_t)rl->nsets * WAYS, sizeof *rl->b);
    if (!rl->b) {
        free(rl);
        return NULL;
    }
    rl->burst = burst;
    rl->per_ms = per_min / 60000.0;
    pthread_mutex_init(&rl->mu, NULL);
    return rl;
}

void auth_rl_free(auth_rl *rl)
{
    if (!rl) return;
    pthread_mutex_destroy(&rl->mu);
    free(rl->b);
    free(rl);
}

static bucket *find(auth_rl *rl, const char *key, uint64_t now_ms)
{
    uint64_t h = fnv1a(key);
    bucket *set = rl->b + (h % rl->nsets) * WAYS, *oldest = set;
    for (int i = 0; i < WAYS; i++) {
        if (set[i].hash == h && !strncmp(set[i].key, key, KEY_MAX - 1)) return &set[i];
        if (set[i].at < oldest->at || !set[i].hash) oldest = &set[i];
    }
    oldest->hash = h;
    strncpy(oldest->key, key, KEY_MAX - 1);
    oldest->key[KEY_MAX - 1] = '\0';
    oldest->tokens = rl->burst;
    oldest->at = now_ms;
    return oldest;
}

uint32_t auth_rl_take(auth_rl *rl, const char *key, uint64_t now_ms)
{
    pthread_mutex_lock(&rl->mu);
    bucket *b = find(rl, key, now_ms);
    if (now_ms > b->at) {
        b->tokens += (double)(now_ms - b->at) * rl->per_ms;
        if (b->tokens > rl->burst) b->tokens = rl->burst;
        b->at = now_ms;
    }
    uint32_t secs = 0;
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
    } else {
        double wait_ms = (1.0 - b->tokens) / rl->per_ms;
        secs = (uint32_t)((wait_ms + 999.0) / 1000.0); /* round up */
        if (!secs) secs = 1;
    }
    pthread_mutex_unlock(&rl->mu);
    return secs;
}
