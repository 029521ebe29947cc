/* fuzz_proxy.c — libFuzzer target for the PROXY protocol v2 reader
 * (server/http/proxy.c), which sees bytes from the network before any
 * HTTP parsing.
 *
 * Invariants checked (abort on breach): the answer is a length, 0 (wait)
 * or one of the three refusals; a length is within the input and within
 * HTTP_PROXY_MAX; the header alone (without what follows) reads the same;
 * every strict prefix of an accepted header waits for more (0), so a
 * header split across reads is never judged early; a carried address is
 * IPv4 or IPv6 and never from a LOCAL header. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    http_proxy_hdr h, again;
    int rc = http_proxy_parse(data, size, &h);
    if (rc < HTTP_PROXY_V1) abort();
    if (rc <= 0) return 0;
    if ((size_t)rc > size || rc > HTTP_PROXY_MAX) abort();
    if (http_proxy_parse(data, (size_t)rc, &again) != rc || again.local != h.local ||
        again.ssl != h.ssl || memcmp(&again.src, &h.src, sizeof h.src) != 0)
        abort();
    for (size_t n = 0; n < (size_t)rc; n++)
        if (http_proxy_parse(data, n, &again) != 0) abort();
    int fam = h.src.ss_family;
    if (fam != 0 && fam != AF_INET && fam != AF_INET6) abort();
    if (h.local && fam != 0) abort();
    return 0;
}
