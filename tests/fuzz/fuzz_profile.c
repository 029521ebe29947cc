/* fuzz_profile.c — libFuzzer target for the profile import reader and the
 * profile validator (server/profile/).
 *
 * The first byte picks what the rest is: a CSV file, a JSONL file, or a
 * msgpack request body for profile_validate in one of its modes.
 * Invariants checked (abort on breach):
 * - an import either fails as a whole with a code, or yields rows that
 *   parse as the JSON array SQL expects, one {line, p} per accepted row,
 *   lines and rejections in non-decreasing line order, every rejection
 *   with a code and a UTF-8 message, and a report our decoder reads back
 *   with rejected_count = the rejections;
 * - the validator either refuses with a code, or writes a map our decoder
 *   reads, and (CREATE, IMPORT) validating that output again accepts it
 *   and writes the same bytes: normalising twice changes nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_import(const char *d, size_t n, profile_format fmt, kp_arena *a)
{
    profile_import imp;
    kp_err e = {0};
    if (profile_import_parse(d, n, fmt, 2026, &imp, &e) != 0) {
        if (!e.code) abort();
        profile_import_free(&imp);
        return;
    }
    kp_value *rows = NULL;
    if (kp_json_decode(a, (const char *)imp.rows.data, imp.rows.len, NULL, &rows, &e) != 0 ||
        rows->type != KP_ARRAY || rows->v.arr.n != (uint32_t)imp.accepted)
        abort();
    int64_t last = 0;
    for (uint32_t i = 0; i < rows->v.arr.n; i++) {
        const kp_value *line = kp_map_get(&rows->v.arr.items[i], "line");
        const kp_value *p = kp_map_get(&rows->v.arr.items[i], "p");
        if (!line || line->type != KP_INT || line->v.i < last || !p || p->type != KP_MAP) abort();
        last = line->v.i;
    }
    for (size_t i = 0; i < imp.nrejected; i++) {
        const profile_reject *r = &imp.rejects[i];
        if (!r->code || (i && r->line < imp.rejects[i - 1].line) ||
            !kp_utf8_valid(r->message, strlen(r->message)))
            abort();
    }
    kp_buf out;
    kp_buf_init(&out);
    profile_import_report(&out, &imp, NULL, 0, 0);
    kp_value *rep = NULL;
    if (out.oom || kp_decode(a, out.data, out.len, NULL, &rep, &e) != 0) abort();
    const kp_value *count = kp_map_get(rep, "rejected_count");
    if (!count || count->type != KP_INT || count->v.i != (int64_t)imp.nrejected) abort();
    kp_buf_free(&out);
    profile_import_free(&imp);
}

static void check_validate(const uint8_t *d, size_t n, profile_mode mode, kp_arena *a)
{
    kp_value *body = NULL;
    kp_err e = {0};
    if (kp_decode(a, d, n, NULL, &body, &e) != 0) return;
    kp_buf out, again;
    kp_buf_init(&out);
    kp_buf_init(&again);
    int64_t version = 0;
    if (profile_validate(body, mode, 2026, &out, &version, &e) != 0) {
        if (!e.code) abort();
    } else {
        kp_value *v = NULL;
        if (kp_decode(a, out.data, out.len, NULL, &v, &e) != 0 || v->type != KP_MAP) abort();
        if (mode != PROFILE_PATCH &&
            (profile_validate(v, mode, 2026, &again, &version, &e) != 0 || again.len != out.len ||
             memcmp(again.data, out.data, out.len) != 0))
            abort();
    }
    kp_buf_free(&out);
    kp_buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    kp_arena *a = kp_arena_new(4096);
    if (!a) return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch (data[0] % 5) {
    case 0:
        check_import((const char *)d, n, PROFILE_CSV, a);
        break;
    case 1:
        check_import((const char *)d, n, PROFILE_JSONL, a);
        break;
    case 2:
        check_validate(d, n, PROFILE_CREATE, a);
        break;
    case 3:
        check_validate(d, n, PROFILE_IMPORT, a);
        break;
    default:
        check_validate(d, n, PROFILE_PATCH, a);
        break;
    }
    kp_arena_free(a);
    return 0;
}
