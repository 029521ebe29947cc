/* abi.c — the sized structs of the ABI promise (khnet.h): copying what a
 * caller's struct holds into the library's own layout, and the library's
 * counters into a caller's struct, by the size the caller was compiled with.
 *
 * Every public entry point that takes such a struct copies it here first,
 * so the rest of the library only ever sees its own, complete layout with
 * unknown fields at their zero defaults.
 */
#include <stdio.h>
#include <string.h>

#include "khnet_int.h"

int khnet__abi_in(void *dst, size_t known, const void *src, const char *what, char *err,
                  size_t errlen)
{
    size_t size;
    memcpy(&size, src, sizeof size);
    if (size < sizeof size) {
        snprintf(err, errlen, "%s.size is %zu: initialise it with its KHNET_*_INIT", what, size);
        return -1;
    }
    /* A newer program's struct: fine while what this library does not know is unset. */
    for (size_t i = known; i < size; i++)
        if (((const unsigned char *)src)[i] != 0) {
            snprintf(err, errlen,
                     "%s sets a field at byte %zu that libkhnet %s does not know (it knows %zu "
                     "bytes); use a newer libkhnet",
                     what, i, KHNET_VERSION_STRING, known);
            return -1;
        }
    memset(dst, 0, known);
    memcpy(dst, src, size < known ? size : known);
    memcpy(dst, &known, sizeof known);
    return 0;
}

int khnet__abi_out(void *dst, const void *src, size_t known)
{
    size_t size;
    memcpy(&size, dst, sizeof size);
    if (size < sizeof size) return -1;
    unsigned char *d = dst;
    const unsigned char *s = src;
    size_t n = size < known ? size : known;
    memcpy(d + sizeof size, s + sizeof size, n - sizeof size);
    if (size > known) memset(d + known, 0, size - known); /* counters this library lacks: 0 */
    return 0;
}
