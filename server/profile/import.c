/* import.c — reading a bulk profile import (JSONL or CSV, UTF-8) row by
 * row through profile_validate, and writing the import report.  Shared by
 * `khnetd import profiles` and POST /v1/profiles/import; no I/O, no
 * database: what only SQL can check happens in khnet_profiles_import
 * (migrations/0008_data_rights.sql), which receives the accepted rows.
 *
 * CSV: RFC 4180 (quoted cells, "" inside quotes, CRLF or LF, cells that span
 * lines); the first record names the columns (PROTOCOL.md "Bulk import").
 * An empty cell means "not given".  List cells separate items with ';',
 * and the parts of a degree, link or publication with '|'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "profile/profile.h"

enum { REPORT_MAX = 1000 }; /* rejections listed in a report; all are counted */

/* ---- collecting results ------------------------------------------------------ */

static int add_reject(profile_import *imp, int line, const kp_err *e)
{
    if (imp->nrejected == imp->cap) {
        size_t cap = imp->cap ? imp->cap * 2 : 16;
        profile_reject *r = kp_fault_hit("import") ? NULL : realloc(imp->rejects, cap * sizeof *r);
        if (!r) return -1;
        imp->rejects = r;
        imp->cap = cap;
    }
    profile_reject *r = &imp->rejects[imp->nrejected++];
    r->line = line;
    r->code = e->code ? e->code : "invalid_value";
    snprintf(r->field, sizeof r->field, "%s", e->field);
    snprintf(r->message, sizeof r->message, "%s", e->message);
    return 0;
}

/* One decoded row: validated, then appended to imp->rows as {line, p}. */
static int take_row(profile_import *imp, kp_arena *a, const kp_value *row, int line, int year_now)
{
    kp_err e = {0};
    kp_buf mp;
    kp_buf_init(&mp);
    int rc = 0;
    if (profile_validate(row, PROFILE_IMPORT, year_now, &mp, NULL, &e) != 0) {
        rc = add_reject(imp, line, &e);
    } else {
        kp_buf_appendf(&imp->rows, "%s{\"line\":%d,\"p\":", imp->accepted ? "," : "", line);
        if (kp_msgpack_to_json(a, mp.data, mp.len, &imp->rows, &e) != 0) rc = -1;
        kp_buf_append(&imp->rows, "}", 1);
        imp->accepted++;
    }
    kp_buf_free(&mp);
    return rc;
}

/* ---- JSONL ---------------------------------------------------------------------- */

static int read_jsonl(const char *d, size_t len, int year_now, profile_import *imp, kp_arena *a)
{
    int line = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(d + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - d) : len, n = end - i;
        const char *s = d + i;
        line++;
        i = end + 1;
        if (n && s[n - 1] == '\r') n--;
        size_t k = 0;
        while (k < n && (s[k] == ' ' || s[k] == '\t'))
            k++;
        if (k == n) continue; /* blank line */
        kp_value *v = NULL;
        kp_err e = {0};
        kp_arena_reset(a);
        if (kp_json_decode(a, s, n, NULL, &v, &e) != 0) {
            if (add_reject(imp, line, &e)) return -1;
        } else if (v->type != KP_MAP) {
            kp_err_set(&e, "invalid_body", NULL, "each line must be one JSON object");
            if (add_reject(imp, line, &e)) return -1;
        } else if (take_row(imp, a, v, line, year_now)) {
            return -1;
        }
    }
    return 0;
}

/* ---- CSV ------------------------------------------------------------------------ */

typedef enum col_kind { C_STR, C_INT, C_BOOL, C_LIST, C_DEGREES, C_LINKS, C_PUBS, C_VIS } col_kind;

static const struct {
    const char *name;
    col_kind kind;
} columns[] = {
    {"external_id", C_STR},
    {"email", C_STR},
    {"full_name", C_STR},
    {"display_name", C_STR},
    {"headline", C_STR},
    {"bio", C_STR},
    {"country", C_STR},
    {"city", C_STR},
    {"affiliation", C_STR},
    {"position", C_STR},
    {"orcid", C_STR},
    {"time_zone", C_STR},
    {"years_experience", C_INT},
    {"publications_count", C_INT},
    {"mentor_capacity", C_INT},
    {"willing_to_mentor", C_BOOL},
    {"seeking_mentor", C_BOOL},
    {"languages", C_LIST},
    {"expertise", C_LIST},
    {"sectors", C_LIST},
    {"mentor_topics", C_LIST},
    {"degrees", C_DEGREES},
    {"links", C_LINKS},
    {"publications", C_PUBS},
    {"visibility.contact", C_VIS},
    {"visibility.affiliation", C_VIS},
    {"visibility.education", C_VIS},
    {"visibility.bio", C_VIS},
    {"visibility.career", C_VIS},
    {"visibility.mentoring", C_VIS},
};
enum { NCOLUMNS = sizeof columns / sizeof columns[0], MAX_COLS = 64 };

typedef struct cell {
    const char *s; /* arena, NUL-terminated (quotes undone) */
    size_t n;
} cell;

/* Reads one record starting at *pos into cells (arena); advances *pos and
 * *line past it.  Returns the number of cells, 0 at the end, -1 on a
 * quote left open or too many cells (e set). */
static int csv_record(const char *d, size_t len, size_t *pos, int *line, kp_arena *a, cell *cells,
                      kp_err *e)
{
    size_t i = *pos;
    int nc = 0;
    if (i >= len) return 0;
    char *buf = kp_arena_alloc(a, len - i + 1);
    if (!buf) return kp_err_set(e, "internal", NULL, "out of memory"), -1;
    for (;;) {
        size_t o = 0;
        bool quoted = false;
        char *start = buf;
        if (i < len && d[i] == '"') {
            quoted = true;
            for (i++;; i++) {
                if (i >= len)
                    return kp_err_set(e, "invalid_value", NULL, "a quote is not closed"), -1;
                if (d[i] == '"') {
                    if (i + 1 < len && d[i + 1] == '"')
                        buf[o++] = d[i++];
                    else
                        break;
                } else {
                    if (d[i] == '\n') (*line)++;
                    buf[o++] = d[i];
                }
            }
            i++; /* the closing quote */
        }
        while (i < len && d[i] != ',' && d[i] != '\n' &&
               !(d[i] == '\r' && i + 1 < len && d[i + 1] == '\n')) {
            if (quoted && d[i] != '\r') /* text after a closing quote */
                return kp_err_set(e, "invalid_value", NULL, "text after a closing quote"), -1;
            buf[o++] = d[i++];
        }
        if (nc == MAX_COLS) return kp_err_set(e, "too_long", NULL, "too many cells"), -1;
        buf[o] = '\0';
        cells[nc++] = (cell){start, o};
        buf += o + 1;
        if (i < len && d[i] == ',') {
            i++;
            continue;
        }
        if (i < len && d[i] == '\r') i++;
        if (i < len) i++; /* '\n' */
        (*line)++;
        *pos = i;
        return nc;
    }
}

static bool parse_int(const char *s, size_t n, int64_t *out)
{
    if (!n || n > 18) return false;
    size_t k = s[0] == '-' ? 1 : 0;
    if (k == n) return false;
    for (size_t i = k; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    *out = strtoll(s, NULL, 10);
    return true;
}

static kp_value str_val(const char *s, size_t n)
{
    kp_value v = {.type = KP_STR};
    v.v.s.ptr = s;
    v.v.s.len = (uint32_t)n;
    return v;
}

/* An integer when the text is one, else the text (the validator then
 * answers invalid_type naming the field). */
static kp_value int_or_str(const char *s, size_t n)
{
    kp_value v;
    int64_t i;
    if (parse_int(s, n, &i)) {
        v = (kp_value){.type = KP_INT};
        v.v.i = i;
        return v;
    }
    return str_val(s, n);
}

static kp_value bool_or_str(const char *s, size_t n)
{
    static const char *const yes[] = {"true", "yes", "1"}, *const no[] = {"false", "no", "0"};
    for (int k = 0; k < 3; k++) {
        if (strlen(yes[k]) == n && !strncasecmp(s, yes[k], n))
            return (kp_value){.type = KP_BOOL, .v.b = true};
        if (strlen(no[k]) == n && !strncasecmp(s, no[k], n))
            return (kp_value){.type = KP_BOOL, .v.b = false};
    }
    return str_val(s, n);
}

/* Splits s at sep into at most max trimmed parts (empty parts kept). */
static int split(const char *s, size_t n, char sep, cell *parts, int max)
{
    int k = 0;
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < n && s[j] != sep)
            j++;
        size_t a = i, b = j;
        while (a < b && (s[a] == ' ' || s[a] == '\t'))
            a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
            b--;
        if (parts && k < max) parts[k] = (cell){s + a, b - a};
        k++;
        if (j >= n) return k;
        i = j + 1;
    }
}

/* A map of the given keys from a '|'-separated item; parts that are empty
 * are left out (so a missing required part reads as missing).  `ints`
 * marks keys read as integers. */
static int item_map(kp_arena *a, const cell *item, const char *const *keys, const bool *ints,
                    int nkeys, kp_value *out)
{
    cell parts[8];
    int np = split(item->s, item->n, '|', parts, 8);
    if (np > 8) np = 8;
    kp_pair *pairs = kp_arena_alloc(a, sizeof *pairs * (size_t)(np > nkeys ? np : nkeys));
    if (!pairs) return -1;
    uint32_t m = 0;
    for (int k = 0; k < np; k++) {
        if (parts[k].n == 0) continue;
        /* More parts than keys: named "partN", so the validator refuses it. */
        const char *key = k < nkeys ? keys[k] : "part";
        pairs[m].key = str_val(key, strlen(key));
        pairs[m].val = k < nkeys && ints[k] ? int_or_str(parts[k].s, parts[k].n)
                                            : str_val(parts[k].s, parts[k].n);
        m++;
    }
    *out = (kp_value){.type = KP_MAP};
    out->v.map.pairs = pairs;
    out->v.map.n = m;
    return 0;
}

/* A ';'-separated list cell as an array (of strings, or of maps for kind). */
static int list_val(kp_arena *a, const cell *c, col_kind kind, kp_value *out)
{
    static const char *const deg[] = {"level", "field", "institution", "year"};
    static const bool deg_int[] = {false, false, false, true};
    static const char *const link1[] = {"url"}, *const link2[] = {"label", "url"};
    static const bool no_int[] = {false, false};
    static const char *const pub[] = {"title", "doi", "year"};
    static const bool pub_int[] = {false, false, true};
    int n = split(c->s, c->n, ';', NULL, 0);
    cell *items = kp_arena_alloc(a, sizeof *items * (size_t)n);
    kp_value *vals = kp_arena_alloc(a, sizeof *vals * (size_t)n);
    if (!items || !vals) return -1;
    split(c->s, c->n, ';', items, n);
    uint32_t m = 0;
    for (int k = 0; k < n; k++) {
        if (items[k].n == 0) continue; /* "a;;b", a trailing ';' */
        int rc = 0;
        if (kind == C_LIST)
            vals[m] = str_val(items[k].s, items[k].n);
        else if (kind == C_DEGREES)
            rc = item_map(a, &items[k], deg, deg_int, 4, &vals[m]);
        else if (kind == C_PUBS)
            rc = item_map(a, &items[k], pub, pub_int, 3, &vals[m]);
        else if (memchr(items[k].s, '|', items[k].n))
            rc = item_map(a, &items[k], link2, no_int, 2, &vals[m]);
        else
            rc = item_map(a, &items[k], link1, no_int, 1, &vals[m]);
        if (rc) return -1;
        m++;
    }
    *out = (kp_value){.type = KP_ARRAY};
    out->v.arr.items = vals;
    out->v.arr.n = m;
    return 0;
}

/* The request map a CSV record stands for. */
static int csv_row(kp_arena *a, const int *colidx, int ncols, const cell *cells, kp_value *out,
                   kp_err *e)
{
    kp_pair *pairs = kp_arena_alloc(a, sizeof *pairs * (size_t)(ncols + 1));
    kp_pair *vis = kp_arena_alloc(a, sizeof *vis * 6);
    if (!pairs || !vis) return kp_err_set(e, "internal", NULL, "out of memory"), -1;
    uint32_t n = 0, nvis = 0;
    for (int c = 0; c < ncols; c++) {
        const char *name = columns[colidx[c]].name;
        col_kind kind = columns[colidx[c]].kind;
        if (cells[c].n == 0) continue; /* not given */
        if (!kp_utf8_valid(cells[c].s, cells[c].n))
            return kp_err_set(e, "invalid_utf8", name, "not valid UTF-8"), -1;
        kp_value v;
        if (kind == C_STR || kind == C_VIS)
            v = str_val(cells[c].s, cells[c].n);
        else if (kind == C_INT)
            v = int_or_str(cells[c].s, cells[c].n);
        else if (kind == C_BOOL)
            v = bool_or_str(cells[c].s, cells[c].n);
        else if (list_val(a, &cells[c], kind, &v))
            return kp_err_set(e, "internal", NULL, "out of memory"), -1;
        if (kind == C_VIS) {
            const char *g = name + strlen("visibility.");
            vis[nvis++] = (kp_pair){str_val(g, strlen(g)), v};
        } else {
            pairs[n++] = (kp_pair){str_val(name, strlen(name)), v};
        }
    }
    if (nvis) {
        kp_value m = {.type = KP_MAP};
        m.v.map.pairs = vis;
        m.v.map.n = nvis;
        pairs[n++] = (kp_pair){str_val("visibility", 10), m};
    }
    *out = (kp_value){.type = KP_MAP};
    out->v.map.pairs = pairs;
    out->v.map.n = n;
    return 0;
}

static int read_header(const cell *cells, int n, int *colidx, kp_err *e)
{
    for (int c = 0; c < n; c++) {
        colidx[c] = -1;
        for (int k = 0; k < (int)NCOLUMNS; k++)
            if (strlen(columns[k].name) == cells[c].n &&
                !memcmp(columns[k].name, cells[c].s, cells[c].n))
                colidx[c] = k;
        if (colidx[c] < 0) {
            kp_err_set(e, "unknown_field", NULL, "unknown column '%.*s'",
                       (int)(cells[c].n > 60 ? 60 : cells[c].n), cells[c].s);
            snprintf(e->field, sizeof e->field, "%.*s", (int)(cells[c].n > 100 ? 100 : cells[c].n),
                     cells[c].s);
            return -1;
        }
        for (int p = 0; p < c; p++)
            if (colidx[p] == colidx[c]) {
                kp_err_set(e, "invalid_value", columns[colidx[c]].name, "column named twice");
                return -1;
            }
    }
    return 0;
}

static int read_csv(const char *d, size_t len, int year_now, profile_import *imp, kp_arena *a,
                    kp_err *e)
{
    cell header[MAX_COLS], cells[MAX_COLS];
    int colidx[MAX_COLS];
    size_t pos = 0;
    int line = 1;
    int nh = csv_record(d, len, &pos, &line, a, header, e);
    if (nh < 0) return e->field[0] = '\0', -2;
    if (nh == 0) return kp_err_set(e, "missing_field", "data", "the CSV needs a header row"), -2;
    if (read_header(header, nh, colidx, e)) return -2;
    kp_arena *rows = kp_arena_new(1 << 16);
    if (!rows) return -1;
    int rc = 0;
    while (rc == 0 && pos < len) {
        int start = line;
        kp_err re = {0};
        kp_arena_reset(rows);
        int nc = csv_record(d, len, &pos, &line, rows, cells, &re);
        if (nc < 0) { /* an open quote ends the file: refuse that record, stop */
            rc = add_reject(imp, start, &re);
            break;
        }
        if (nc == 1 && cells[0].n == 0) continue; /* blank line */
        if (nc != nh) {
            kp_err_set(&re, "invalid_value", NULL, "%d cells, the header has %d", nc, nh);
            rc = add_reject(imp, start, &re);
            continue;
        }
        kp_value row;
        if (csv_row(rows, colidx, nh, cells, &row, &re))
            rc = add_reject(imp, start, &re);
        else
            rc = take_row(imp, rows, &row, start, year_now);
    }
    kp_arena_free(rows);
    return rc;
}

/* ---- the entry points ------------------------------------------------------------ */

int profile_import_parse(const char *data, size_t len, profile_format fmt, int year_now,
                         profile_import *imp, kp_err *e)
{
    memset(imp, 0, sizeof *imp);
    kp_buf_init(&imp->rows);
    kp_buf_append(&imp->rows, "[", 1);
    if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) data += 3, len -= 3; /* a BOM */
    kp_arena *a = kp_arena_new(1 << 16);
    if (!a) return kp_err_set(e, "internal", NULL, "out of memory"), -1;
    int rc = fmt == PROFILE_CSV ? read_csv(data, len, year_now, imp, a, e)
                                : read_jsonl(data, len, year_now, imp, a);
    kp_arena_free(a);
    kp_buf_append(&imp->rows, "]", 1);
    if (rc == -2) return -1;
    if (rc != 0 || imp->rows.oom) return kp_err_set(e, "internal", NULL, "out of memory"), -1;
    return 0;
}

void profile_import_free(profile_import *imp)
{
    kp_buf_free(&imp->rows);
    free(imp->rejects);
    memset(imp, 0, sizeof *imp);
}

static int64_t sql_line(const kp_value *v)
{
    const kp_value *l = kp_map_get(v, "line");
    return l && l->type == KP_INT ? l->v.i : 0;
}

static void w_reject(kp_buf *b, int64_t line, const char *field, size_t flen, const char *code,
                     size_t clen, const char *msg, size_t mlen)
{
    kp_w_map(b, 4);
    kp_w_cstr(b, "line");
    kp_w_int(b, line);
    kp_w_cstr(b, "field");
    if (flen)
        kp_w_str(b, field, flen);
    else
        kp_w_nil(b);
    kp_w_cstr(b, "code");
    kp_w_str(b, code, clen);
    kp_w_cstr(b, "message");
    kp_w_str(b, msg, mlen);
}

static size_t str_of(const kp_value *m, const char *key, const char **s)
{
    const kp_value *v = kp_map_get(m, key);
    if (!v || v->type != KP_STR) return *s = "", 0;
    *s = v->v.s.ptr;
    return v->v.s.len;
}

void profile_import_report(kp_buf *out, const profile_import *imp, const kp_value *sql_rejected,
                           int created, int updated)
{
    uint32_t nsql = sql_rejected && sql_rejected->type == KP_ARRAY ? sql_rejected->v.arr.n : 0;
    size_t total = imp->nrejected + nsql, listed = total < REPORT_MAX ? total : REPORT_MAX;
    bool imported = total == 0;
    kp_w_map(out, 6);
    kp_w_cstr(out, "imported");
    kp_w_bool(out, imported);
    kp_w_cstr(out, "accepted");
    kp_w_int(out, (int64_t)imp->accepted - nsql);
    kp_w_cstr(out, "created");
    kp_w_int(out, imported ? created : 0);
    kp_w_cstr(out, "updated");
    kp_w_int(out, imported ? updated : 0);
    kp_w_cstr(out, "rejected_count");
    kp_w_int(out, (int64_t)total);
    kp_w_cstr(out, "rejected");
    kp_w_array(out, (uint32_t)listed);
    /* Both lists are in line order: merge them. */
    size_t i = 0, j = 0;
    for (size_t k = 0; k < listed; k++) {
        bool mine = j >= nsql || (i < imp->nrejected &&
                                  imp->rejects[i].line <= sql_line(&sql_rejected->v.arr.items[j]));
        if (mine) {
            const profile_reject *r = &imp->rejects[i++];
            w_reject(out, r->line, r->field, strlen(r->field), r->code, strlen(r->code), r->message,
                     strlen(r->message));
        } else {
            const kp_value *m = &sql_rejected->v.arr.items[j++];
            const char *f, *c, *msg;
            size_t fl = str_of(m, "field", &f), cl = str_of(m, "code", &c),
                   ml = str_of(m, "message", &msg);
            w_reject(out, sql_line(m), f, fl, c, cl, msg, ml);
        }
    }
}

static int int_of(const kp_value *m, const char *key)
{
    const kp_value *v = kp_map_get(m, key);
    return v && v->type == KP_INT && v->v.i >= 0 && v->v.i <= INT32_MAX ? (int)v->v.i : -1;
}

int profile_import_report_row(kp_buf *out, const profile_import *imp, const kp_value *body)
{
    const kp_value *rej = body && body->type == KP_MAP ? kp_map_get(body, "rejected") : NULL;
    int created = rej ? int_of(body, "created") : -1, updated = rej ? int_of(body, "updated") : -1;
    if (!rej || rej->type != KP_ARRAY || created < 0 || updated < 0) return -1;
    profile_import_report(out, imp, rej, created, updated);
    return (int)rej->v.arr.n;
}
