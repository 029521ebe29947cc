/* json_decode.c — kp_json_decode: JSON text into the kp_value tree.
 *
 * Parsing is jansson's (Debian's libjansson, well kept, strict RFC 8259
 * with duplicate-key rejection and UTF-8 checks built in).  jansson builds
 * its own heap tree, so before handing it the text we scan it once for
 * nesting depth and value count: a hostile document is refused before
 * jansson allocates ~100 bytes per value for it.  The jansson tree is then
 * copied into the arena and released; strings are copied too, so the text
 * need not outlive the result. */
#include "khproto.h"

#include <jansson.h>
#include <string.h>

typedef struct conv {
    kp_arena *a;
    const kp_limits *lim;
    kp_err *e;
    uint64_t items; /* values converted so far, object keys included */
} conv;

/* Counts values and nesting outside strings.  Exact for valid JSON; for
 * invalid JSON it may report a limit where jansson would report syntax,
 * which is still a 400. */
static int prescan(const char *s, size_t len, const kp_limits *lim, kp_err *e)
{
    uint64_t items = 0;
    uint32_t depth = 0;
    char prev = '\0'; /* last structural character outside strings */
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '"') {
            items++;
            for (i++; i < len && s[i] != '"'; i++)
                if (s[i] == '\\') i++; /* skip the escaped character */
            prev = '"';
        } else if (c == '[' || c == '{') {
            items++;
            if (++depth > lim->max_depth) {
                kp_err_set(e, "too_deep", NULL, "nesting deeper than %u", lim->max_depth);
                return -1;
            }
            prev = c;
        } else if (c == ']' || c == '}') {
            depth -= depth > 0;
            prev = c;
        } else if (c == ',' || c == ':') {
            prev = c;
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            /* a literal (number, true, false, null) starts after these */
            if (prev == '\0' || prev == '[' || prev == '{' || prev == ',' || prev == ':') items++;
            prev = 'x';
        }
        if (items > lim->max_items) {
            kp_err_set(e, "too_large", NULL, "more than %u values", lim->max_items);
            return -1;
        }
    }
    return 0;
}

static int conv_oom(conv *c)
{
    kp_err_set(c->e, "internal", NULL, "out of memory while decoding");
    return -1;
}

/* Copies a jansson string (key or value) into the arena as a KP_STR. */
static int conv_str(conv *c, kp_value *v, const char *s, size_t n)
{
    if (n > c->lim->max_str) {
        kp_err_set(c->e, "too_large", NULL, "string longer than %u bytes", c->lim->max_str);
        return -1;
    }
    if (!kp_utf8_valid(s, n)) {
        kp_err_set(c->e, "invalid_utf8", NULL, "string is not valid UTF-8");
        return -1;
    }
    char *p = kp_arena_strndup(c->a, s, n);
    if (!p) return conv_oom(c);
    v->type = KP_STR;
    v->v.s.ptr = p;
    v->v.s.len = (uint32_t)n;
    return 0;
}

static int conv_value(conv *c, const json_t *j, kp_value *v, uint32_t depth);

static int conv_array(conv *c, const json_t *j, kp_value *v, uint32_t depth)
{
    size_t n = json_array_size(j);
    v->type = KP_ARRAY;
    v->v.arr.n = (uint32_t)n;
    v->v.arr.items = n ? kp_arena_alloc(c->a, n * sizeof(kp_value)) : NULL;
    if (n && !v->v.arr.items) return conv_oom(c);
    for (size_t i = 0; i < n; i++)
        if (conv_value(c, json_array_get(j, i), &v->v.arr.items[i], depth + 1) < 0) return -1;
    return 0;
}

/* jansson keeps objects in insertion order, so pairs keep input order. */
static int conv_object(conv *c, json_t *j, kp_value *v, uint32_t depth)
{
    size_t n = json_object_size(j);
    v->type = KP_MAP;
    v->v.map.n = (uint32_t)n;
    v->v.map.pairs = n ? kp_arena_alloc(c->a, n * sizeof(kp_pair)) : NULL;
    if (n && !v->v.map.pairs) return conv_oom(c);
    size_t i = 0;
    for (void *it = json_object_iter(j); it && i < n; it = json_object_iter_next(j, it), i++) {
        kp_pair *pr = &v->v.map.pairs[i];
        pr->key.ext_type = 0;
        c->items++;
        if (conv_str(c, &pr->key, json_object_iter_key(it), json_object_iter_key_len(it)) < 0 ||
            conv_value(c, json_object_iter_value(it), &pr->val, depth + 1) < 0)
            return -1;
    }
    return 0;
}

static int conv_value(conv *c, const json_t *j, kp_value *v, uint32_t depth)
{
    v->ext_type = 0;
    if (++c->items > c->lim->max_items) {
        kp_err_set(c->e, "too_large", NULL, "more than %u values", c->lim->max_items);
        return -1;
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        if (depth + 1 > c->lim->max_depth) {
            kp_err_set(c->e, "too_deep", NULL, "nesting deeper than %u", c->lim->max_depth);
            return -1;
        }
        /* jansson's getters take non-const objects but do not modify them */
        return json_is_object(j) ? conv_object(c, (json_t *)j, v, depth)
                                 : conv_array(c, j, v, depth);
    case JSON_STRING:
        return conv_str(c, v, json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        v->type = KP_INT;
        v->v.i = json_integer_value(j);
        return 0;
    case JSON_REAL:
        v->type = KP_FLOAT;
        v->v.f = json_real_value(j);
        return 0;
    case JSON_TRUE:
        v->type = KP_BOOL;
        v->v.b = true;
        return 0;
    case JSON_FALSE:
        v->type = KP_BOOL;
        v->v.b = false;
        return 0;
    default:
        v->type = KP_NIL;
        return 0;
    }
}

static void load_error(const json_error_t *je, kp_err *e)
{
    switch (json_error_code(je)) {
    case json_error_invalid_utf8:
        kp_err_set(e, "invalid_utf8", NULL, "text is not valid UTF-8 (byte %d)", je->position);
        break;
    case json_error_out_of_memory:
        kp_err_set(e, "internal", NULL, "out of memory");
        break;
    case json_error_numeric_overflow:
        kp_err_set(e, "invalid_json", NULL, "number out of range at line %d column %d: %s",
                   je->line, je->column, je->text);
        break;
    default:
        kp_err_set(e, "invalid_json", NULL, "%s at line %d column %d", je->text, je->line,
                   je->column);
        break;
    }
    /* jansson quotes input near the error; never echo bytes that are not UTF-8 */
    if (e && !kp_utf8_valid(e->message, strlen(e->message)))
        kp_err_set(e, e->code, NULL, "invalid JSON at line %d column %d", je->line, je->column);
}

int kp_json_decode(kp_arena *a, const char *text, size_t len, const kp_limits *lim, kp_value **out,
                   kp_err *e)
{
    if (!lim) lim = &kp_default_limits;
    if (len > lim->max_total) {
        kp_err_set(e, "too_large", NULL, "document of %zu bytes exceeds the limit of %zu bytes",
                   len, lim->max_total);
        return -1;
    }
    if (!text) text = "";
    if (prescan(text, len, lim, e) < 0) return -1;
    json_error_t je;
    /* No JSON_ALLOW_NUL (\u0000 refused), no JSON_DISABLE_EOF_CHECK (one
     * document, nothing after it). */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!root) {
        load_error(&je, e);
        return -1;
    }
    conv c = {.a = a, .lim = lim, .e = e};
    kp_value *v = kp_arena_alloc(a, sizeof *v);
    int rc = v ? conv_value(&c, root, v, 0) : conv_oom(&c);
    json_decref(root);
    if (rc == 0) *out = v;
    return rc;
}
