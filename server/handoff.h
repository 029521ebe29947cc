/* handoff.h — a worker's inbox of accepted sockets from other workers.
 *
 * The kernel spreads connections over the workers' SO_REUSEPORT sockets by a
 * hash of the addresses, blind to how many each worker already serves: with
 * few clients, two of them often share a worker while another idles (two
 * keep-alive clients on two workers: half the time).  Measured on the forum
 * thread-page bench (tests/bench/forum, 2 clients, 2 workers, 2 cores), the
 * clients of a shared worker wait for each other's wake-ups and get ~22%
 * fewer requests/s than when each has a worker of its own.  So a worker that
 * accepts a connection while another worker has fewer open passes it on
 * (worker.c decides) before reading a byte of it; the receiving worker's
 * loop adopts it as if it had accepted it.
 *
 * Any thread may give; only the owner's loop takes.  A closed inbox takes
 * nothing (the giver keeps the socket). */
#ifndef KHNET_HANDOFF_H
#define KHNET_HANDOFF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

enum { HANDOFF_MAX = 64 }; /* sockets waiting at once; beyond, the giver keeps them */

typedef struct handoff handoff;
/* Called on the owner's loop with each socket given; the callee owns it. */
typedef void (*handoff_take_cb)(handoff *h, uv_os_sock_t fd);

struct handoff {
    uv_async_t wake;    /* the owner's loop: sockets are waiting */
    pthread_mutex_t mu; /* guards fds, n and closed */
    uv_os_sock_t fds[HANDOFF_MAX];
    int n;                /* sockets waiting */
    bool closed;          /* takes nothing more */
    atomic_bool open;     /* initialized and not closed: worth giving to */
    atomic_int waiting;   /* n, readable by any thread without the lock */
    handoff_take_cb take; /* the owner's adopter */
    void *data;           /* the owner's, for take */
};

/* Initializes h on the owner's loop (call on that loop's thread). 0 or -1. */
int handoff_init(handoff *h, uv_loop_t *loop, handoff_take_cb take, void *data);
/* From any thread: queues fd for h's owner and wakes it.  0, or -1 when h
 * is closed, not initialized or full: fd stays the caller's. */
int handoff_give(handoff *h, uv_os_sock_t fd);
/* Initialized and not closed yet (any thread). */
bool handoff_open(handoff *h);
/* Sockets given and not taken yet (any thread; a hint for balancing). */
int handoff_waiting(handoff *h);
/* On the owner's loop: takes nothing more from now on, takes what was
 * given before, and closes the async handle (the loop then may end). */
void handoff_close(handoff *h);
/* After the owner's loop is done: frees the lock.  Safe on a zeroed h. */
void handoff_free(handoff *h);

#endif
