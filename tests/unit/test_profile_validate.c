/* test_profile_validate.c — profile_validate (server/profile/validate.c),
 * the one judge of profile writes, and the format checks it uses: what is
 * required in each mode, limits counted in characters (not bytes), formats
 * (country, BCP 47, ORCID, DOI, URL, time zone, slugs), nested lists with
 * their dotted field paths, and the normalised msgpack it writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "arena_fixture.h"
#include "profile/profile.h"

enum { YEAR = 2026 };

/* The result of one validation: return code, error, and the written map
 * decoded back (NULL on failure). */
typedef struct outcome {
    int rc;
    kp_err e;
    int64_t version;
    const kp_value *out;
} outcome;

static outcome run(const char *json, profile_mode mode)
{
    outcome o = {0};
    kp_value *body = NULL;
    kp_err je = {0};
    if (kp_json_decode(arena, json, strlen(json), NULL, &body, &je) != 0)
        fail_msg("test JSON does not parse: %s (%s)", json, je.message);
    kp_buf out;
    kp_buf_init(&out);
    o.rc = profile_validate(body, mode, YEAR, &out, &o.version, &o.e);
    if (o.rc == 0) {
        /* decoded strings point into their input: keep it in the arena */
        uint8_t *copy = kp_arena_alloc(arena, out.len);
        memcpy(copy, out.data, out.len);
        kp_value *v = NULL;
        assert_int_equal(kp_decode(arena, copy, out.len, NULL, &v, &je), 0);
        assert_int_equal(v->type, KP_MAP);
        o.out = v;
    }
    kp_buf_free(&out);
    return o;
}

/* Expects a refusal with this code and field. */
static void refused(const char *json, profile_mode mode, const char *code, const char *field)
{
    outcome o = run(json, mode);
    if (o.rc != -1 || !o.e.code || strcmp(o.e.code, code) != 0 || strcmp(o.e.field, field) != 0)
        fail_msg("%s: want %s on '%s', got rc %d %s on '%s'", json, code, field, o.rc,
                 o.e.code ? o.e.code : "(none)", o.e.field);
}

static const kp_value *accepted(const char *json, profile_mode mode)
{
    outcome o = run(json, mode);
    if (o.rc != 0) fail_msg("%s: refused with %s on '%s'", json, o.e.code, o.e.field);
    return o.out;
}

static void assert_str(const kp_value *v, const char *want)
{
    assert_non_null(v);
    assert_int_equal(v->type, KP_STR);
    assert_int_equal(v->v.s.len, strlen(want));
    assert_memory_equal(v->v.s.ptr, want, v->v.s.len);
}

/* A JSON string of n copies of the UTF-8 character ch. */
static char *repeat(const char *ch, int n)
{
    size_t l = strlen(ch);
    char *s = kp_arena_alloc(arena, l * (size_t)n + 1);
    for (int i = 0; i < n; i++)
        memcpy(s + l * (size_t)i, ch, l);
    s[l * (size_t)n] = '\0';
    return s;
}

static const char *fmt(const char *f, const char *arg)
{
    size_t cap = strlen(f) + strlen(arg) + 1;
    char *s = kp_arena_alloc(arena, cap);
    snprintf(s, cap, f, arg);
    return s;
}

/* ---- modes ----------------------------------------------------------------- */

static void required_by_mode(void **st)
{
    (void)st;
    refused("{}", PROFILE_CREATE, "missing_field", "full_name");
    refused("{\"full_name\":null}", PROFILE_CREATE, "missing_field", "full_name");
    refused("{\"full_name\":\"A\"}", PROFILE_PATCH, "missing_field", "version");
    refused("{\"version\":0}", PROFILE_PATCH, "out_of_range", "version");
    refused("{\"version\":\"3\"}", PROFILE_PATCH, "invalid_type", "version");
    refused("{\"full_name\":\"A\"}", PROFILE_IMPORT, "missing_field", "external_id");
    refused("{\"full_name\":\"A\",\"external_id\":\"x\",\"email\":\"no-at-sign\"}", PROFILE_IMPORT,
            "invalid_value", "email");
    /* version is PATCH's alone; external_id and email IMPORT's alone */
    refused("{\"full_name\":\"A\",\"version\":1}", PROFILE_CREATE, "unknown_field", "version");
    refused("{\"version\":1,\"external_id\":\"x\"}", PROFILE_PATCH, "unknown_field", "external_id");
    refused("{\"full_name\":\"A\",\"nickname\":\"B\"}", PROFILE_CREATE, "unknown_field",
            "nickname");
    refused("[1]", PROFILE_CREATE, "invalid_body", "");

    outcome o = run("{\"version\":7,\"headline\":\"Marine ecologist\"}", PROFILE_PATCH);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.version, 7);
    assert_int_equal(o.out->v.map.n, 1); /* version is not part of the fields */
    assert_null(kp_map_get(o.out, "version"));
    assert_str(kp_map_get(o.out, "headline"), "Marine ecologist");

    const kp_value *v = accepted("{\"full_name\":\"Lê Văn Tám\",\"external_id\":\"hr-17\","
                                 "\"email\":\"Tam@Example.org\"}",
                                 PROFILE_IMPORT);
    assert_str(kp_map_get(v, "external_id"), "hr-17");
    assert_str(kp_map_get(v, "email"), "Tam@Example.org"); /* normalised by SQL, not here */
}

/* ---- strings: characters, controls, nulls ------------------------------------- */

static void string_limits(void **st)
{
    (void)st;
    /* 200 characters of two bytes each: 400 bytes, still within 200 chars */
    const char *ok = fmt("{\"full_name\":\"%s\"}", repeat("ễ", 200));
    assert_non_null(accepted(ok, PROFILE_CREATE));
    refused(fmt("{\"full_name\":\"%s\"}", repeat("ễ", 201)), PROFILE_CREATE, "too_long",
            "full_name");
    refused(fmt("{\"version\":1,\"display_name\":\"%s\"}", repeat("a", 101)), PROFILE_PATCH,
            "too_long", "display_name");
    refused("{\"full_name\":\"\"}", PROFILE_CREATE, "too_short", "full_name");
    refused("{\"version\":1,\"full_name\":\"\"}", PROFILE_PATCH, "too_short", "full_name");
    assert_non_null(
        accepted(fmt("{\"version\":1,\"bio\":\"%s\"}", repeat("ư", 5000)), PROFILE_PATCH));
    refused(fmt("{\"version\":1,\"bio\":\"%s\"}", repeat("ư", 5001)), PROFILE_PATCH, "too_long",
            "bio");
    /* controls: newlines only where text is multi-line */
    refused("{\"version\":1,\"headline\":\"two\\nlines\"}", PROFILE_PATCH, "invalid_value",
            "headline");
    refused("{\"version\":1,\"city\":\"Nha\\u0007Trang\"}", PROFILE_PATCH, "invalid_value", "city");
    refused("{\"version\":1,\"city\":\"Nha\\u007fTrang\"}", PROFILE_PATCH, "invalid_value", "city");
    const kp_value *v =
        accepted("{\"version\":1,\"bio\":\"line one\\r\\n\\tline two\"}", PROFILE_PATCH);
    assert_str(kp_map_get(v, "bio"), "line one\r\n\tline two");
    /* nullable fields clear with null; the others refuse it */
    v = accepted("{\"version\":1,\"headline\":null,\"years_experience\":null}", PROFILE_PATCH);
    assert_int_equal(kp_map_get(v, "headline")->type, KP_NIL);
    assert_int_equal(kp_map_get(v, "years_experience")->type, KP_NIL);
    refused("{\"version\":1,\"full_name\":null}", PROFILE_PATCH, "missing_field", "full_name");
    refused("{\"version\":1,\"languages\":null}", PROFILE_PATCH, "missing_field", "languages");
    refused("{\"version\":1,\"mentor_capacity\":null}", PROFILE_PATCH, "missing_field",
            "mentor_capacity");
    refused("{\"version\":1,\"headline\":42}", PROFILE_PATCH, "invalid_type", "headline");
}

/* ---- formats ------------------------------------------------------------------ */

static void formats_in_fields(void **st)
{
    (void)st;
    assert_non_null(accepted("{\"version\":1,\"country\":\"VN\",\"orcid\":\"0000-0002-1825-0097\","
                             "\"time_zone\":\"Asia/Ho_Chi_Minh\"}",
                             PROFILE_PATCH));
    refused("{\"version\":1,\"country\":\"vn\"}", PROFILE_PATCH, "invalid_value", "country");
    refused("{\"version\":1,\"country\":\"UK\"}", PROFILE_PATCH, "invalid_value", "country");
    refused("{\"version\":1,\"country\":\"VNM\"}", PROFILE_PATCH, "too_long", "country");
    refused("{\"version\":1,\"orcid\":\"0000-0002-1825-0098\"}", PROFILE_PATCH, "invalid_value",
            "orcid");
    refused("{\"version\":1,\"orcid\":\"https://orcid.org/0000-0002-1825-0097\"}", PROFILE_PATCH,
            "too_long", "orcid");
    refused("{\"version\":1,\"time_zone\":\"../etc/passwd\"}", PROFILE_PATCH, "invalid_value",
            "time_zone");
    refused("{\"version\":1,\"time_zone\":\"/UTC\"}", PROFILE_PATCH, "invalid_value", "time_zone");
    refused("{\"version\":1,\"time_zone\":\"Asia/\"}", PROFILE_PATCH, "invalid_value", "time_zone");
    assert_non_null(accepted("{\"version\":1,\"time_zone\":\"Etc/GMT+7\"}", PROFILE_PATCH));
}

static void format_helpers(void **st)
{
    (void)st;
#define OK(fn, s) assert_true(fn(s, strlen(s)))
#define NO(fn, s) assert_false(fn(s, strlen(s)))
    OK(profile_country_valid, "VN");
    OK(profile_country_valid, "GB");
    NO(profile_country_valid, "ZZ");
    NO(profile_country_valid, "V");
    OK(profile_bcp47_valid, "vi");
    OK(profile_bcp47_valid, "en-US");
    OK(profile_bcp47_valid, "zh-Hant-TW");
    OK(profile_bcp47_valid, "sr-Latn-RS");
    OK(profile_bcp47_valid, "es-419");
    OK(profile_bcp47_valid, "de-CH-1901");
    OK(profile_bcp47_valid, "x-whatever");
    OK(profile_bcp47_valid, "en-a-bbb-x-a-ccc");
    NO(profile_bcp47_valid, "");
    NO(profile_bcp47_valid, "e");
    NO(profile_bcp47_valid, "en-");
    NO(profile_bcp47_valid, "-en");
    NO(profile_bcp47_valid, "abcd"); /* four letters: reserved */
    NO(profile_bcp47_valid, "en--US");
    NO(profile_bcp47_valid, "en-a");     /* a singleton needs a subtag */
    NO(profile_bcp47_valid, "en-x");     /* so does private use */
    NO(profile_bcp47_valid, "en-a-x-y"); /* an empty extension */
    NO(profile_bcp47_valid, "en_US");
    NO(profile_bcp47_valid, "en-abcdefghi");
    OK(profile_bcp47_valid, "en-US-a-bbbbbbbb-cccccccc-dddddd-ee");  /* 35 bytes */
    NO(profile_bcp47_valid, "en-US-a-bbbbbbbb-cccccccc-ddddddd-ee"); /* 36 bytes */
    OK(profile_doi_valid, "10.1000/xyz123");
    OK(profile_doi_valid, "10.1038.2/nphys1170");
    OK(profile_doi_valid, "10.1000/Nguyễn");
    NO(profile_doi_valid, "10.100/xyz");   /* registrant under 4 digits */
    NO(profile_doi_valid, "10.1000./xyz"); /* trailing dot */
    NO(profile_doi_valid, "10.1000/");
    NO(profile_doi_valid, "10.1000/a b");
    NO(profile_doi_valid, "11.1000/xyz");
    NO(profile_doi_valid, "doi:10.1000/xyz");
    OK(profile_url_valid, "https://example.org");
    OK(profile_url_valid, "HTTP://example.org/a?b=c#d");
    OK(profile_url_valid, "http://[::1]:8080/p");
    NO(profile_url_valid, "ftp://example.org");
    NO(profile_url_valid, "https://");
    NO(profile_url_valid, "https://user@example.org/");
    NO(profile_url_valid, "https://.example.org");
    NO(profile_url_valid, "https://:80/");
    NO(profile_url_valid, "https://example.org/a b");
    NO(profile_url_valid, "javascript:alert(1)");
#undef OK
#undef NO
    char url[2060] = "https://example.org/";
    memset(url + 20, 'a', 2048 - 20);
    url[2048] = '\0';
    assert_true(profile_url_valid(url, 2048));
    url[2048] = 'a';
    assert_false(profile_url_valid(url, 2049));
}

/* ---- lists -------------------------------------------------------------------- */

/* A PATCH body with n languages. */
static const char *languages(int n)
{
    char *s = kp_arena_alloc(arena, 64 + 6 * (size_t)n);
    strcpy(s, "{\"version\":1,\"languages\":[");
    for (int i = 0; i < n; i++)
        strcat(s, i ? ",\"vi\"" : "\"vi\"");
    strcat(s, "]}");
    return s;
}

static void string_lists(void **st)
{
    (void)st;
    /* keywords are trimmed (ASCII blanks and no-break spaces), not lower-cased */
    const kp_value *v = accepted("{\"version\":1,\"expertise\":[\"  Aquaculture\\t\","
                                 "\"\\u00a0nuôi trồng thủy sản\\u00a0\"],"
                                 "\"languages\":[\"vi\",\"en-GB\"],\"sectors\":[\"fisheries\"]}",
                                 PROFILE_PATCH);
    const kp_value *ex = kp_map_get(v, "expertise");
    assert_int_equal(ex->type, KP_ARRAY);
    assert_int_equal(ex->v.arr.n, 2);
    assert_str(&ex->v.arr.items[0], "Aquaculture");
    assert_str(&ex->v.arr.items[1], "nuôi trồng thủy sản");
    /* blanks of both kinds mixed: all go (found by fuzz_profile) */
    v = accepted("{\"version\":1,\"mentor_topics\":[\" \\u00a0 \\t\\u00a0x \\u00a0 \"]}",
                 PROFILE_PATCH);
    assert_str(&kp_map_get(v, "mentor_topics")->v.arr.items[0], "x");
    refused("{\"version\":1,\"expertise\":[\"\\u00a0 \\u00a0\"]}", PROFILE_PATCH, "too_short",
            "expertise.0");
    refused("{\"version\":1,\"expertise\":[\"ok\",\"   \"]}", PROFILE_PATCH, "too_short",
            "expertise.1");
    refused("{\"version\":1,\"languages\":[\"vi\",\"english!\"]}", PROFILE_PATCH, "invalid_value",
            "languages.1");
    refused("{\"version\":1,\"languages\":\"vi\"}", PROFILE_PATCH, "invalid_type", "languages");
    refused("{\"version\":1,\"sectors\":[\"Fisheries\"]}", PROFILE_PATCH, "invalid_value",
            "sectors.0");
    refused("{\"version\":1,\"sectors\":[\"1abc\"]}", PROFILE_PATCH, "invalid_value", "sectors.0");
    refused("{\"version\":1,\"expertise\":[7]}", PROFILE_PATCH, "invalid_type", "expertise.0");
    /* item counts */
    refused(languages(21), PROFILE_PATCH, "too_long", "languages");
    v = accepted(languages(20), PROFILE_PATCH);
    assert_int_equal(kp_map_get(v, "languages")->v.arr.n, 20);
}

static void nested_lists(void **st)
{
    (void)st;
    const kp_value *v = accepted(
        "{\"version\":1,\"degrees\":[{\"level\":\"phd\",\"field\":\"Marine biology\","
        "\"institution\":\"Nha Trang University\",\"year\":2010}],"
        "\"links\":[{\"url\":\"https://example.org/lab\"}],"
        "\"publications\":[{\"title\":\"Seagrass\",\"doi\":\"10.1000/sg1\",\"year\":2027}]}",
        PROFILE_PATCH);
    const kp_value *d = &kp_map_get(v, "degrees")->v.arr.items[0];
    assert_int_equal(d->v.map.n, 4);
    assert_int_equal(kp_map_get(d, "year")->v.i, 2010);
    const kp_value *l = &kp_map_get(v, "links")->v.arr.items[0];
    assert_int_equal(kp_map_get(l, "label")->type, KP_NIL); /* absent member written as nil */
    const kp_value *p = &kp_map_get(v, "publications")->v.arr.items[0];
    assert_int_equal(kp_map_get(p, "year")->v.i, YEAR + 1); /* in press */

    static const char deg[] = "{\"version\":1,\"degrees\":[{\"level\":\"phd\",\"field\":\"F\","
                              "\"institution\":\"I\",%s}]}";
    refused(fmt(deg, "\"year\":1949"), PROFILE_PATCH, "out_of_range", "degrees.0.year");
    refused(fmt(deg, "\"year\":2027"), PROFILE_PATCH, "out_of_range", "degrees.0.year");
    refused(fmt(deg, "\"year\":\"2010\""), PROFILE_PATCH, "invalid_type", "degrees.0.year");
    refused(fmt(deg, "\"grade\":\"A\""), PROFILE_PATCH, "unknown_field", "degrees.0.grade");
    refused("{\"version\":1,\"degrees\":[{\"level\":\"doctor\",\"field\":\"F\","
            "\"institution\":\"I\"}]}",
            PROFILE_PATCH, "invalid_value", "degrees.0.level");
    refused("{\"version\":1,\"degrees\":[{\"level\":\"phd\",\"field\":\"F\"}]}", PROFILE_PATCH,
            "missing_field", "degrees.0.institution");
    refused("{\"version\":1,\"degrees\":[\"phd\"]}", PROFILE_PATCH, "invalid_type", "degrees.0");
    refused("{\"version\":1,\"links\":[{\"url\":\"https://a.org\"},{\"url\":\"ftp://a.org\"}]}",
            PROFILE_PATCH, "invalid_value", "links.1.url");
    refused("{\"version\":1,\"links\":[{\"label\":\"x\"}]}", PROFILE_PATCH, "missing_field",
            "links.0.url");
    refused("{\"version\":1,\"publications\":[{\"title\":\"T\",\"doi\":\"10.12/x\"}]}",
            PROFILE_PATCH, "invalid_value", "publications.0.doi");
    refused("{\"version\":1,\"publications\":[{\"title\":\"T\",\"year\":1899}]}", PROFILE_PATCH,
            "out_of_range", "publications.0.year");
}

static void visibility_and_scalars(void **st)
{
    (void)st;
    const kp_value *v = accepted("{\"version\":1,\"visibility\":{\"contact\":\"liaison\","
                                 "\"bio\":\"public\"},\"willing_to_mentor\":true,"
                                 "\"mentor_capacity\":50,\"years_experience\":0}",
                                 PROFILE_PATCH);
    const kp_value *vis = kp_map_get(v, "visibility");
    assert_int_equal(vis->v.map.n, 2);
    assert_str(kp_map_get(vis, "contact"), "liaison");
    assert_true(kp_map_get(v, "willing_to_mentor")->v.b);
    refused("{\"version\":1,\"visibility\":{\"contact\":\"secret\"}}", PROFILE_PATCH,
            "invalid_value", "visibility.contact");
    refused("{\"version\":1,\"visibility\":{\"phone\":\"public\"}}", PROFILE_PATCH, "unknown_field",
            "visibility.phone");
    refused("{\"version\":1,\"visibility\":\"public\"}", PROFILE_PATCH, "invalid_type",
            "visibility");
    refused("{\"version\":1,\"mentor_capacity\":51}", PROFILE_PATCH, "out_of_range",
            "mentor_capacity");
    refused("{\"version\":1,\"years_experience\":-1}", PROFILE_PATCH, "out_of_range",
            "years_experience");
    refused("{\"version\":1,\"years_experience\":81}", PROFILE_PATCH, "out_of_range",
            "years_experience");
    refused("{\"version\":1,\"publications_count\":100001}", PROFILE_PATCH, "out_of_range",
            "publications_count");
    refused("{\"version\":1,\"publications_count\":9223372036854775807}", PROFILE_PATCH,
            "out_of_range", "publications_count");
    assert_non_null(accepted("{\"version\":1,\"publications_count\":100000}", PROFILE_PATCH));
    refused("{\"version\":1,\"years_experience\":2.5}", PROFILE_PATCH, "invalid_type",
            "years_experience");
    refused("{\"version\":1,\"seeking_mentor\":1}", PROFILE_PATCH, "invalid_type",
            "seeking_mentor");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(required_by_mode),       cmocka_unit_test(string_limits),
        cmocka_unit_test(formats_in_fields),      cmocka_unit_test(format_helpers),
        cmocka_unit_test(string_lists),           cmocka_unit_test(nested_lists),
        cmocka_unit_test(visibility_and_scalars),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
