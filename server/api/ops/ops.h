/* ops.h — the ops domain, inside: /healthz and /metrics (ops.c), /v1/info
 * (info.c) and /v1/echo (echo.c).  Its one export is api_domain_ops
 * (domain.c). */
#ifndef KHNET_API_OPS_H
#define KHNET_API_OPS_H

#include "api/kit/kit.h"

enum ops_stmt { OPS_INFO, OPS_NSTMTS };
extern const db_stmt ops_stmts[OPS_NSTMTS];
#define OPS_STMT(id) (&ops_stmts[OPS_##id])

void api_healthz(http_req *r); /* ops.c */
void api_metrics(http_req *r);
void api_info(http_req *r); /* info.c */
void api_echo(http_req *r); /* echo.c */

#endif
