/* fault.c — the thread's allocation-failure countdown of fault-injection
 * builds (-DKHNET_FAULT_INJECTION=ON; tests only).  While armed, every
 * request-path allocation counts it down: an arena allocation, a kp_buf
 * growth, and the plain mallocs that call kp_fault_hit (the query queue, the
 * import report); the one that brings it to zero fails as if malloc had.
 * Thread-local because each worker runs one request step at a time: the
 * server arms it around a request's steps and saves what is left between
 * them.  In other builds kp_fault_hit is an inline false and this file is
 * empty. */
#include "khproto.h"

#ifdef KHNET_FAULT_INJECTION
static _Thread_local long countdown;    /* allocations until one fails; 0 = disarmed */
static _Thread_local const char *fired; /* the site of the last failure, until taken */

void kp_fault_arm(long n)
{
    countdown = n > 0 ? n : 0;
}

long kp_fault_disarm(void)
{
    long left = countdown;
    countdown = 0;
    return left;
}

bool kp_fault_hit(const char *site)
{
    if (!countdown || --countdown != 0) return false;
    fired = site;
    return true;
}

const char *kp_fault_fired(void)
{
    const char *s = fired;
    fired = NULL;
    return s;
}
#else
typedef int kp__fault_unused; /* ISO C: a translation unit is not empty */
#endif
