/* info.c — GET /v1/info: what this service is, and proof that the database
 * answers (one round trip). */
#include "ops.h"

static void info_done(http_req *r, const PGresult *res)
{
    const char *schema = api_col(res, "schema_version");
    const char *db_time = api_col(res, "db_time");
    kp_buf *b = http_req_out(r);
    kp_w_map(b, 5);
    kp_w_cstr(b, "service");
    kp_w_cstr(b, "khnet");
    kp_w_cstr(b, "version");
    kp_w_cstr(b, KHNET_VERSION);
    kp_w_cstr(b, "api");
    kp_w_int(b, 1);
    kp_w_cstr(b, "schema");
    if (schema)
        kp_w_cstr(b, schema);
    else
        kp_w_nil(b);
    kp_w_cstr(b, "db_time");
    if (db_time)
        kp_w_cstr(b, db_time);
    else
        kp_w_nil(b);
    http_reply(r, 200);
}

void api_info(http_req *r)
{
    api_query(r, OPS_STMT(INFO), 0, NULL, info_done);
}
