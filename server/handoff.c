/* handoff.c — a worker's inbox of accepted sockets (see handoff.h). */
#include "handoff.h"

static void on_wake(uv_async_t *a)
{
    handoff *h = a->data;
    uv_os_sock_t fds[HANDOFF_MAX];
    pthread_mutex_lock(&h->mu);
    int n = h->n;
    for (int i = 0; i < n; i++)
        fds[i] = h->fds[i];
    h->n = 0;
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; i < n; i++) {
        h->take(h, fds[i]);
        /* after take: the owner's connection count has it, so a balancer
         * reading count + waiting never sees it in neither */
        atomic_fetch_sub_explicit(&h->waiting, 1, memory_order_relaxed);
    }
}

int handoff_init(handoff *h, uv_loop_t *loop, handoff_take_cb take, void *data)
{
    h->n = 0;
    h->closed = false;
    atomic_init(&h->waiting, 0);
    if (pthread_mutex_init(&h->mu, NULL) != 0) return -1;
    if (uv_async_init(loop, &h->wake, on_wake) != 0) {
        pthread_mutex_destroy(&h->mu);
        return -1;
    }
    h->wake.data = h;
    h->take = take; /* set: handoff_free has a lock to destroy */
    h->data = data;
    atomic_store_explicit(&h->open, true, memory_order_release); /* last: ready for givers */
    return 0;
}

int handoff_give(handoff *h, uv_os_sock_t fd)
{
    if (!atomic_load_explicit(&h->open, memory_order_acquire)) return -1;
    int rc = -1;
    pthread_mutex_lock(&h->mu);
    if (!h->closed && h->n < HANDOFF_MAX) {
        h->fds[h->n++] = fd;
        atomic_fetch_add_explicit(&h->waiting, 1, memory_order_relaxed);
        /* under the lock: handoff_close cannot close the handle meanwhile */
        uv_async_send(&h->wake);
        rc = 0;
    }
    pthread_mutex_unlock(&h->mu);
    return rc;
}

bool handoff_open(handoff *h)
{
    return atomic_load_explicit(&h->open, memory_order_acquire);
}

int handoff_waiting(handoff *h)
{
    return atomic_load_explicit(&h->waiting, memory_order_relaxed);
}

void handoff_close(handoff *h)
{
    if (!atomic_load_explicit(&h->open, memory_order_acquire)) return;
    atomic_store_explicit(&h->open, false, memory_order_release);
    pthread_mutex_lock(&h->mu);
    h->closed = true; /* from here givers keep their sockets */
    pthread_mutex_unlock(&h->mu);
    on_wake(&h->wake); /* what was given before: the owner takes it (and may refuse it) */
    uv_close((uv_handle_t *)&h->wake, NULL);
}

void handoff_free(handoff *h)
{
    if (h->take) pthread_mutex_destroy(&h->mu);
    h->take = NULL;
}
