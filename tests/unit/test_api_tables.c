/* test_api_tables.c — the domains' concatenation (every route and every
 * statement once, statement ids that resolve back), /metrics counters sized
 * from the route table (a route past the 64th is counted as itself), and
 * the error table (out of memory is 500, never 400). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api/kit/kit.h"
#include "metrics.h"

static void t_tables_concatenate_domains(void **state)
{
    (void)state;
    const api_table *t = api_tables();
    assert_non_null(t);
    int nr = 0, ns = 0;
    for (int d = 0; d < api_ndomains; d++) {
        const api_domain *dom = api_domains[d];
        for (int i = 0; i < dom->nroutes; i++) {
            assert_ptr_equal(api__route_handler(nr + i), dom->routes[i].handler);
            assert_string_equal(t->routes[nr + i].pattern, dom->routes[i].pattern);
        }
        for (int i = 0; i < dom->nstmts; i++) {
            assert_int_equal(api_stmt_id(&dom->stmts[i]), ns + i);
            assert_string_equal(t->stmts[ns + i].name, dom->stmts[i].name);
        }
        nr += dom->nroutes;
        ns += dom->nstmts;
    }
    assert_int_equal(t->nroutes, nr);
    assert_int_equal(t->nstmts, ns);
    assert_true(nr >= 57); /* every endpoint of PROTOCOL.md's first version */
    static const db_stmt stranger = {"x", "SELECT 1", 0};
    assert_int_equal(api_stmt_id(&stranger), -1);
}

static void t_statement_names_unique(void **state)
{
    (void)state;
    const api_table *t = api_tables();
    for (int i = 0; i < t->nstmts; i++)
        for (int j = i + 1; j < t->nstmts; j++)
            assert_string_not_equal(t->stmts[i].name, t->stmts[j].name);
}

static char name_buf[16];
static const char *name_of(int i)
{
    snprintf(name_buf, sizeof name_buf, "/r%d", i);
    return name_buf;
}
static const char *method_of(int i)
{
    (void)i;
    return "GET";
}

static void t_metrics_sized_from_routes(void **state)
{
    (void)state;
    metrics m;
    memset(&m, 0, sizeof m);
    assert_int_equal(metrics_init(&m, 100), 0);
    metrics_request(&m, 80, 200, 10);  /* past the old 64-slot table */
    metrics_request(&m, -1, 404, 10);  /* unmatched */
    metrics_request(&m, 100, 404, 10); /* out of the table: unmatched too */
    metrics *blocks[1] = {&m};
    kp_buf out;
    kp_buf_init(&out);
    metrics_render(&out, blocks, 1, name_of, method_of);
    kp_buf_append(&out, "", 1);
    const char *text = (const char *)out.data;
    assert_non_null(strstr(
        text, "khnet_http_requests_total{route=\"/r80\",method=\"GET\",status=\"200\"} 1\n"));
    assert_non_null(strstr(
        text, "khnet_http_requests_total{route=\"unmatched\",method=\"any\",status=\"404\"} 2\n"));
    kp_buf_free(&out);
    metrics_free(&m);
}

static void t_error_table(void **state)
{
    (void)state;
    assert_int_equal(kp_error_status("internal"), 500);
    assert_int_equal(kp_error_status("out_of_range"), 400);
    assert_int_equal(kp_error_status("unauthenticated"), 401);
    assert_int_equal(kp_error_status("silenced"), 403);
    assert_int_equal(kp_error_status("conflict"), 409);
    assert_int_equal(kp_error_status("db_timeout"), 503);
    assert_int_equal(kp_error_status("out_of_memory"), 0); /* not a protocol code */
    assert_int_equal(kp_error_status(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_tables_concatenate_domains),
        cmocka_unit_test(t_statement_names_unique),
        cmocka_unit_test(t_metrics_sized_from_routes),
        cmocka_unit_test(t_error_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
