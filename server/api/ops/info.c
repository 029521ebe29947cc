/* info.c — GET /v1/info: what this service is (from the build), and proof
 * that the database answers (one round trip: khnet_info, 10_core.sql). */
#include "ops.h"

/* The database's {schema, db_time}, and {service, version, api} from here. */
static void info_done(http_req *r, const PGresult *res)
{
    bool created;
    const kp_value *doc = api_row_body(r, res, &created);
    if (!doc) return;
    kp_buf *b = http_req_out(r);
    api_write_doc_plus(r, doc, NULL, 3);
    kp_w_cstr(b, "service");
    kp_w_cstr(b, "khnet");
    kp_w_cstr(b, "version");
    kp_w_cstr(b, KHNET_VERSION);
    kp_w_cstr(b, "api");
    kp_w_int(b, 1);
    http_reply(r, 200);
}

void api_info(http_req *r)
{
    api_query(r, OPS_STMT(INFO), 0, NULL, info_done);
}
