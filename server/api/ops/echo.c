/* echo.c — POST /v1/echo: returns the body after the same decoding and
 * limits as every endpoint, so integrators can test their encoders and our
 * JSON transcoding against the server. */
#include "ops.h"

void api_echo(http_req *r)
{
    const kp_value *body = http_req_body(r);
    if (!body) {
        api_fail(r, "missing_field", "a map body is required", "body");
        return;
    }
    kp_buf *b = http_req_out(r);
    kp_w_map(b, 2);
    kp_w_cstr(b, "data");
    kp_w_value(b, body);
    kp_w_cstr(b, "content_type");
    kp_w_cstr(b,
              http_req_body_type(r) == HTTP_CT_JSON ? "application/json" : "application/msgpack");
    http_reply(r, 200);
}
