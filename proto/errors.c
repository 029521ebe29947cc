/* errors.c — the one table of PROTOCOL.md's error codes and their HTTP
 * statuses (see "Errors" there).  The server names a code; the status comes
 * from here, so the two can never disagree between endpoints.  Out of memory
 * anywhere is "internal" (500): it is the server's fault, never the
 * client's. */
#include <string.h>

#include "khproto.h"

static const struct {
    const char *code; /* stable snake_case code */
    int status;       /* its HTTP status */
} table[] = {
    {"bad_request", 400},
    {"invalid_msgpack", 400},
    {"invalid_json", 400},
    {"invalid_utf8", 400},
    {"too_deep", 400},
    {"too_large", 400},
    {"invalid_body", 400},
    {"missing_field", 400},
    {"unknown_field", 400},
    {"invalid_type", 400},
    {"out_of_range", 400},
    {"too_long", 400},
    {"too_short", 400},
    {"invalid_value", 400},
    {"unauthenticated", 401},
    {"forbidden", 403},
    {"cors_origin_denied", 403},
    {"blocked", 403},
    {"silenced", 403},
    {"not_found", 404},
    {"method_not_allowed", 405},
    {"not_acceptable", 406},
    {"request_timeout", 408},
    {"conflict", 409},
    {"not_eligible", 409},  /* mentoring: a hard rule fails; `reasons` */
    {"capacity_full", 409}, /* mentoring: the mentor has no free place */
    {"body_too_large", 413},
    {"unsupported_media_type", 415},
    {"idempotency_mismatch", 422},
    {"upgrade_required", 426},
    {"rate_limited", 429},
    {"headers_too_large", 431},
    {"internal", 500},
    {"not_implemented", 501},
    {"db_unavailable", 503},
    {"db_timeout", 503},
    {"db_read_only", 503}, /* SQLSTATE 25006 */
    {"db_full", 503},      /* SQLSTATE 53100 */
    {"server_busy", 503},
    {"shutting_down", 503},
    {"http_version_not_supported", 505},
};

int kp_error_status(const char *code)
{
    for (size_t i = 0; code && i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].code, code)) return table[i].status;
    return 0;
}
