/* test_profile_import.c — the bulk import reader (server/profile/import.c):
 * RFC 4180 CSV (quotes, doubled quotes, CRLF and LF, cells spanning lines,
 * a BOM), the header row, the line numbers rejections carry, list cells
 * (';' and '|'), UTF-8, JSONL, and the report that merges the server's and
 * the database's rejections.  Rows are inspected through the JSON array the
 * reader hands to SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "arena_fixture.h"
#include "profile/profile.h"

enum { YEAR = 2026 };

/* A parsed import: its accepted rows decoded, and the parser's verdict. */
typedef struct parsed {
    int rc;
    kp_err e;
    profile_import imp;
    const kp_value *rows; /* the JSON array, decoded */
} parsed;

static parsed parse_n(const char *data, size_t len, profile_format fmt)
{
    parsed p = {0};
    p.rc = profile_import_parse(data, len, fmt, YEAR, &p.imp, &p.e);
    if (p.rc == 0) {
        kp_value *v = NULL;
        kp_err je = {0};
        assert_int_equal(
            kp_json_decode(arena, (const char *)p.imp.rows.data, p.imp.rows.len, NULL, &v, &je), 0);
        assert_int_equal(v->type, KP_ARRAY);
        assert_int_equal(v->v.arr.n, p.imp.accepted);
        p.rows = v;
    }
    return p;
}

static parsed csv(const char *data)
{
    return parse_n(data, strlen(data), PROFILE_CSV);
}

/* Row i's line and profile map. */
static const kp_value *row(const parsed *p, uint32_t i, int64_t *line)
{
    assert_true(i < p->rows->v.arr.n);
    const kp_value *r = &p->rows->v.arr.items[i];
    *line = kp_map_get(r, "line")->v.i;
    return kp_map_get(r, "p");
}

static void assert_str(const kp_value *v, const char *want)
{
    assert_non_null(v);
    assert_int_equal(v->type, KP_STR);
    assert_int_equal(v->v.s.len, strlen(want));
    assert_memory_equal(v->v.s.ptr, want, v->v.s.len);
}

static void assert_reject(const parsed *p, size_t i, int line, const char *code, const char *field)
{
    assert_true(i < p->imp.nrejected);
    const profile_reject *r = &p->imp.rejects[i];
    if (r->line != line || strcmp(r->code, code) != 0 || strcmp(r->field, field) != 0)
        fail_msg("reject %zu: want line %d %s '%s', got line %d %s '%s' (%s)", i, line, code, field,
                 r->line, r->code, r->field, r->message);
}

static void done(parsed *p)
{
    profile_import_free(&p->imp);
}

/* ---- CSV records ------------------------------------------------------------- */

static void quoting(void **st)
{
    (void)st;
    parsed p = csv("external_id,full_name,headline\n"
                   "a1,\"Trần, Thị B\",\"She said \"\"hi\"\"\"\n"
                   "a2,\"\",\"\"\"\"\n"
                   "\"a3\",Plain,\n");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.imp.accepted, 2);
    assert_int_equal(p.imp.nrejected, 1);
    int64_t line;
    const kp_value *r = row(&p, 0, &line);
    assert_int_equal(line, 2);
    assert_str(kp_map_get(r, "full_name"), "Trần, Thị B");
    assert_str(kp_map_get(r, "headline"), "She said \"hi\"");
    /* an empty quoted cell is "not given": full_name is then missing */
    assert_reject(&p, 0, 3, "missing_field", "full_name");
    r = row(&p, 1, &line);
    assert_int_equal(line, 4);
    assert_str(kp_map_get(r, "external_id"), "a3");
    assert_null(kp_map_get(r, "headline")); /* an empty cell is left out */
    done(&p);
}

static void line_endings_and_bom(void **st)
{
    (void)st;
    static const char lf[] = "external_id,full_name\nx1,Nguyễn Văn A\nx2,Phạm B\n";
    static const char crlf[] = "\xef\xbb\xbf"
                               "external_id,full_name\r\nx1,Nguyễn Văn A\r\nx2,Phạm B\r\n";
    static const char no_final[] = "external_id,full_name\r\nx1,Nguyễn Văn A\r\nx2,Phạm B";
    parsed a = csv(lf), b = csv(crlf), c = csv(no_final);
    assert_int_equal(a.rc, 0);
    assert_int_equal(b.rc, 0);
    assert_int_equal(c.rc, 0);
    assert_int_equal(a.imp.accepted, 2);
    /* same rows, byte for byte, whatever the line ends and the BOM */
    assert_int_equal(a.imp.rows.len, b.imp.rows.len);
    assert_memory_equal(a.imp.rows.data, b.imp.rows.data, a.imp.rows.len);
    assert_int_equal(a.imp.rows.len, c.imp.rows.len);
    assert_memory_equal(a.imp.rows.data, c.imp.rows.data, a.imp.rows.len);
    int64_t line;
    assert_str(kp_map_get(row(&b, 0, &line), "full_name"), "Nguyễn Văn A");
    done(&a);
    done(&b);
    done(&c);
    /* a BOM anywhere but the start is part of the column name */
    parsed d = csv("external_id,\xef\xbb\xbf"
                   "full_name\n");
    assert_int_equal(d.rc, -1);
    assert_string_equal(d.e.code, "unknown_field");
    done(&d);
    /* a lone CR is not a line end: it stays in the cell, and the
     * validator refuses the control character */
    parsed e = csv("external_id,full_name\nx1,A\rB\n");
    assert_int_equal(e.rc, 0);
    assert_reject(&e, 0, 2, "invalid_value", "full_name");
    done(&e);
}

static void multiline_cells_keep_line_numbers(void **st)
{
    (void)st;
    parsed p = csv("external_id,full_name,bio\n"
                   "m1,A,\"first\nsecond\r\nthird\"\n"
                   "\n"
                   "m2,,x\n"
                   "m3,C,z\n");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.imp.accepted, 2);
    int64_t line;
    const kp_value *r = row(&p, 0, &line);
    assert_int_equal(line, 2);
    assert_str(kp_map_get(r, "bio"), "first\nsecond\r\nthird");
    /* the record on line 2 spans three lines; a blank line follows */
    assert_reject(&p, 0, 6, "missing_field", "full_name");
    row(&p, 1, &line);
    assert_int_equal(line, 7);
    done(&p);
}

static void broken_records(void **st)
{
    (void)st;
    /* wrong cell counts are that row's rejection; the rest goes on */
    parsed p = csv("external_id,full_name\nx1\nx2,B,extra\nx3,C\n");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.imp.accepted, 1);
    assert_int_equal(p.imp.nrejected, 2);
    assert_reject(&p, 0, 2, "invalid_value", "");
    assert_reject(&p, 1, 3, "invalid_value", "");
    assert_non_null(strstr(p.imp.rejects[1].message, "3 cells"));
    done(&p);
    /* text after a closing quote */
    p = csv("external_id,full_name\nx1,\"A\"B\nx2,C\n");
    assert_int_equal(p.rc, 0);
    assert_reject(&p, 0, 2, "invalid_value", "");
    assert_non_null(strstr(p.imp.rejects[0].message, "closing quote"));
    done(&p);
    /* a quote left open swallows the file: that record is refused, and
     * reading stops there */
    p = csv("external_id,full_name\nx1,A\nx2,\"B\nx3,C\n");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.imp.accepted, 1);
    assert_int_equal(p.imp.nrejected, 1);
    assert_reject(&p, 0, 3, "invalid_value", "");
    assert_non_null(strstr(p.imp.rejects[0].message, "not closed"));
    done(&p);
    /* 65 cells: more than any header may have */
    char wide[512] = "external_id,full_name\n";
    for (int i = 0; i < 65; i++)
        strcat(wide, i ? ",x" : "x");
    strcat(wide, "\n");
    p = csv(wide);
    assert_int_equal(p.rc, 0);
    assert_reject(&p, 0, 2, "too_long", "");
    done(&p);
}

static void header_row(void **st)
{
    (void)st;
    parsed p = csv("");
    assert_int_equal(p.rc, -1);
    assert_string_equal(p.e.code, "missing_field");
    assert_string_equal(p.e.field, "data");
    done(&p);
    p = csv("\xef\xbb\xbf");
    assert_int_equal(p.rc, -1);
    assert_string_equal(p.e.code, "missing_field");
    done(&p);
    p = csv("external_id,full_name,Full_Name\n");
    assert_int_equal(p.rc, -1);
    assert_string_equal(p.e.code, "unknown_field");
    assert_string_equal(p.e.field, "Full_Name"); /* names are case-sensitive */
    done(&p);
    p = csv("external_id,full_name,external_id\n");
    assert_int_equal(p.rc, -1);
    assert_string_equal(p.e.code, "invalid_value");
    assert_string_equal(p.e.field, "external_id");
    done(&p);
    p = csv("external_id,\"full_name\nx1,A\n");
    assert_int_equal(p.rc, -1);
    assert_string_equal(p.e.code, "invalid_value");
    done(&p);
    /* a header alone is a valid, empty import */
    p = csv("external_id,full_name\r\n");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.imp.accepted, 0);
    assert_int_equal(p.imp.nrejected, 0);
    done(&p);
}

/* ---- cells to fields ---------------------------------------------------------- */

static void typed_cells(void **st)
{
    (void)st;
    parsed p = csv("external_id,full_name,years_experience,willing_to_mentor,seeking_mentor,"
                   "visibility.contact,visibility.bio\n"
                   "t1,A,12,Yes,0,members,public\n"
                   "t2,B,12a,,,,\n"
                   "t3,C,-1,,,,\n"
                   "t4,D,,maybe,,,\n"
                   "t5,E,,,,secret,\n");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.imp.accepted, 1);
    int64_t line;
    const kp_value *r = row(&p, 0, &line);
    assert_int_equal(kp_map_get(r, "years_experience")->v.i, 12);
    assert_true(kp_map_get(r, "willing_to_mentor")->v.b);
    assert_false(kp_map_get(r, "seeking_mentor")->v.b);
    const kp_value *vis = kp_map_get(r, "visibility");
    assert_int_equal(vis->v.map.n, 2);
    assert_str(kp_map_get(vis, "contact"), "members");
    assert_str(kp_map_get(vis, "bio"), "public");
    assert_reject(&p, 0, 3, "invalid_type", "years_experience");
    assert_reject(&p, 1, 4, "out_of_range", "years_experience");
    assert_reject(&p, 2, 5, "invalid_type", "willing_to_mentor");
    assert_reject(&p, 3, 6, "invalid_value", "visibility.contact");
    done(&p);
}

static void list_cells(void **st)
{
    (void)st;
    parsed p = csv("external_id,full_name,languages,expertise,degrees,links,publications\n"
                   "l1,A,vi; en-GB ;;,\" Aquaculture ;nuôi tôm\","
                   "phd|Marine Biology|Nha Trang University|2010;master|Ecology|Hue,"
                   "https://a.org/x;Lab | https://lab.a.org,"
                   "Seagrass|10.1000/sg1|2019\n"
                   "l2,B,,,phd|F|I|2010|extra,,\n"
                   "l3,C,,,,,Title||in press\n"
                   "l4,D,,,phd|F||2010,,\n");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.imp.accepted, 1);
    int64_t line;
    const kp_value *r = row(&p, 0, &line);
    const kp_value *langs = kp_map_get(r, "languages");
    assert_int_equal(langs->v.arr.n, 2); /* empty items dropped, items trimmed */
    assert_str(&langs->v.arr.items[1], "en-GB");
    const kp_value *ex = kp_map_get(r, "expertise");
    assert_str(&ex->v.arr.items[0], "Aquaculture");
    assert_str(&ex->v.arr.items[1], "nuôi tôm");
    const kp_value *deg = kp_map_get(r, "degrees");
    assert_int_equal(deg->v.arr.n, 2);
    assert_str(kp_map_get(&deg->v.arr.items[0], "institution"), "Nha Trang University");
    assert_int_equal(kp_map_get(&deg->v.arr.items[0], "year")->v.i, 2010);
    assert_int_equal(kp_map_get(&deg->v.arr.items[1], "year")->type, KP_NIL);
    const kp_value *links = kp_map_get(r, "links");
    assert_int_equal(kp_map_get(&links->v.arr.items[0], "label")->type, KP_NIL);
    assert_str(kp_map_get(&links->v.arr.items[1], "label"), "Lab");
    assert_str(kp_map_get(&links->v.arr.items[1], "url"), "https://lab.a.org");
    const kp_value *pub = &kp_map_get(r, "publications")->v.arr.items[0];
    assert_str(kp_map_get(pub, "doi"), "10.1000/sg1");
    assert_int_equal(kp_map_get(pub, "year")->v.i, 2019);
    /* a fifth part of a degree has no name: the validator refuses it */
    assert_reject(&p, 0, 3, "unknown_field", "degrees.0.part");
    assert_reject(&p, 1, 4, "invalid_type", "publications.0.year");
    assert_reject(&p, 2, 5, "missing_field", "degrees.0.institution");
    done(&p);
}

static void utf8_and_limits(void **st)
{
    (void)st;
    char data[2048] = "external_id,full_name,orcid\n";
    /* 200 two-byte characters is the limit, in characters */
    strcat(data, "u1,");
    for (int i = 0; i < 200; i++)
        strcat(data, "ư");
    strcat(data, ",0000-0002-1694-233X\nu2,");
    for (int i = 0; i < 201; i++)
        strcat(data, "ư");
    strcat(data, ",\nu3,A,0000-0002-1694-2330\n"
                 "u4,\xc3\x28,\n"     /* a broken two-byte sequence */
                 "u5,\xed\xa0\x80,\n" /* an encoded surrogate */
                 "u6,A\xc0\xaf,\n");  /* an overlong '/' */
    parsed p = csv(data);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.imp.accepted, 1);
    int64_t line;
    assert_str(kp_map_get(row(&p, 0, &line), "orcid"), "0000-0002-1694-233X");
    assert_reject(&p, 0, 3, "too_long", "full_name");
    assert_reject(&p, 1, 4, "invalid_value", "orcid");
    assert_reject(&p, 2, 5, "invalid_utf8", "full_name");
    assert_reject(&p, 3, 6, "invalid_utf8", "full_name");
    assert_reject(&p, 4, 7, "invalid_utf8", "full_name");
    done(&p);
    /* a NUL inside a cell is not a string end: refused like bad UTF-8 */
    static const char nul[] = "external_id,full_name\nn1,A\0B\n";
    p = parse_n(nul, sizeof nul - 1, PROFILE_CSV);
    assert_int_equal(p.rc, 0);
    assert_reject(&p, 0, 2, "invalid_utf8", "full_name");
    done(&p);
}

/* ---- JSONL ---------------------------------------------------------------------- */

static void jsonl(void **st)
{
    (void)st;
    static const char data[] = "\xef\xbb\xbf{\"external_id\":\"j1\",\"full_name\":\"Đặng Thu "
                               "Hà\",\"languages\":[\"vi\"]}\r\n"
                               "\n"
                               "   \t\r\n"
                               "[1,2]\n"
                               "{\"external_id\":\"j2\",\n"
                               "{\"external_id\":\"j3\",\"full_name\":\"C\",\"version\":1}\n"
                               "{\"external_id\":\"j4\",\"full_name\":\"D\"}";
    parsed p = parse_n(data, sizeof data - 1, PROFILE_JSONL);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.imp.accepted, 2);
    int64_t line;
    assert_str(kp_map_get(row(&p, 0, &line), "full_name"), "Đặng Thu Hà");
    assert_int_equal(line, 1);
    row(&p, 1, &line);
    assert_int_equal(line, 7);
    assert_int_equal(p.imp.nrejected, 3);
    assert_reject(&p, 0, 4, "invalid_body", "");
    assert_reject(&p, 1, 5, "invalid_json", "");
    assert_reject(&p, 2, 6, "unknown_field", "version");
    done(&p);
}

/* ---- the report ------------------------------------------------------------------ */

static void report_merges_in_line_order(void **st)
{
    (void)st;
    parsed p = csv("external_id,full_name\nr1,A\nr2,\nr3,C\nr4,D\nr5,\n");
    assert_int_equal(p.imp.accepted, 3);
    assert_int_equal(p.imp.nrejected, 2); /* lines 3 and 6 */
    /* the database refused line 4 (say, a duplicate e-mail) */
    static const char sql[] =
        "[{\"line\":4,\"field\":\"email\",\"code\":\"conflict\",\"message\":\"taken\"}]";
    kp_value *sv = NULL;
    kp_err je = {0};
    assert_int_equal(kp_json_decode(arena, sql, sizeof sql - 1, NULL, &sv, &je), 0);
    kp_buf out;
    kp_buf_init(&out);
    profile_import_report(&out, &p.imp, sv, 2, 0);
    kp_value *rep = NULL;
    assert_int_equal(kp_decode(arena, out.data, out.len, NULL, &rep, &je), 0);
    assert_false(kp_map_get(rep, "imported")->v.b);
    assert_int_equal(kp_map_get(rep, "accepted")->v.i, 2);
    assert_int_equal(kp_map_get(rep, "created")->v.i, 0); /* nothing imported */
    assert_int_equal(kp_map_get(rep, "rejected_count")->v.i, 3);
    const kp_value *rej = kp_map_get(rep, "rejected");
    assert_int_equal(rej->v.arr.n, 3);
    static const int64_t lines[] = {3, 4, 6};
    for (int i = 0; i < 3; i++)
        assert_int_equal(kp_map_get(&rej->v.arr.items[i], "line")->v.i, lines[i]);
    assert_str(kp_map_get(&rej->v.arr.items[1], "code"), "conflict");
    assert_str(kp_map_get(&rej->v.arr.items[0], "field"), "full_name");
    kp_buf_free(&out);
    done(&p);

    /* all clean: imported, with the database's counts */
    p = csv("external_id,full_name\nr1,A\n");
    kp_buf_init(&out);
    profile_import_report(&out, &p.imp, NULL, 1, 0);
    assert_int_equal(kp_decode(arena, out.data, out.len, NULL, &rep, &je), 0);
    assert_true(kp_map_get(rep, "imported")->v.b);
    assert_int_equal(kp_map_get(rep, "created")->v.i, 1);
    assert_int_equal(kp_map_get(rep, "rejected")->v.arr.n, 0);
    kp_buf_free(&out);
    done(&p);
}

static void report_lists_at_most_1000(void **st)
{
    (void)st;
    /* 1500 rows without a full name: all counted, 1000 listed */
    size_t cap = 32 + 1500 * 8;
    char *data = kp_arena_alloc(arena, cap);
    size_t n = (size_t)snprintf(data, cap, "external_id,full_name\n");
    for (int i = 0; i < 1500; i++)
        n += (size_t)snprintf(data + n, cap - n, "e%d,\n", i);
    parsed p = parse_n(data, n, PROFILE_CSV);
    assert_int_equal(p.imp.nrejected, 1500);
    kp_buf out;
    kp_buf_init(&out);
    profile_import_report(&out, &p.imp, NULL, 0, 0);
    kp_value *rep = NULL;
    kp_err je = {0};
    assert_int_equal(kp_decode(arena, out.data, out.len, NULL, &rep, &je), 0);
    assert_int_equal(kp_map_get(rep, "rejected_count")->v.i, 1500);
    const kp_value *rej = kp_map_get(rep, "rejected");
    assert_int_equal(rej->v.arr.n, 1000);
    assert_int_equal(kp_map_get(&rej->v.arr.items[999], "line")->v.i, 1001);
    kp_buf_free(&out);
    done(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quoting),
        cmocka_unit_test(line_endings_and_bom),
        cmocka_unit_test(multiline_cells_keep_line_numbers),
        cmocka_unit_test(broken_records),
        cmocka_unit_test(header_row),
        cmocka_unit_test(typed_cells),
        cmocka_unit_test(list_cells),
        cmocka_unit_test(utf8_and_limits),
        cmocka_unit_test(jsonl),
        cmocka_unit_test(report_merges_in_line_order),
        cmocka_unit_test(report_lists_at_most_1000),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
