/* json_write.c — kp_json_write and kp_msgpack_to_json.
 *
 * Written by hand rather than through jansson: responses are transcoded on
 * the hot path, and appending straight to the kp_buf avoids building a
 * second tree.  Output is compact RFC 8259 JSON; strings are already valid
 * UTF-8 (the decoders guarantee it), so only '"', '\\' and control
 * characters need escaping and everything else passes through byte-exact. */
#include "khproto.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(kp_buf *b, const char *s, size_t n)
{
    kp_buf_append(b, s, n);
}

static void put_escaped(kp_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (n == 0) {
        put(b, "\"\"", 2); /* s may be NULL */
        return;
    }
    put(b, "\"", 1);
    size_t run = 0; /* start of the pending unescaped run */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(b, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t len = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xf];
            len = 6;
        }
        put(b, esc, len);
    }
    put(b, s + run, n - run);
    put(b, "\"", 1);
}

static void put_base64(kp_buf *b, const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (kp_buf_reserve(b, (n + 2) / 3 * 4 + 2) < 0) return;
    char *o = (char *)b->data + b->len;
    *o++ = '"';
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = tab[w >> 18];
        *o++ = tab[(w >> 12) & 63];
        *o++ = tab[(w >> 6) & 63];
        *o++ = tab[w & 63];
    }
    if (i < n) {
        uint32_t w = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = tab[w >> 18];
        *o++ = tab[(w >> 12) & 63];
        *o++ = (char)(i + 1 < n ? tab[(w >> 6) & 63] : '=');
        *o++ = '=';
    }
    *o++ = '"';
    b->len = (size_t)(o - (char *)b->data);
}

static void put_uint(kp_buf *b, uint64_t u, bool neg)
{
    char tmp[24];
    char *o = tmp + sizeof tmp;
    do {
        *--o = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (neg) *--o = '-';
    put(b, o, (size_t)(tmp + sizeof tmp - o));
}

static void put_int(kp_buf *b, int64_t i)
{
    /* magnitude via unsigned arithmetic: -INT64_MIN does not fit int64_t */
    put_uint(b, i < 0 ? 0 - (uint64_t)i : (uint64_t)i, i < 0);
}

/* Shortest of %.15g/%.16g/%.17g that reads back as the same double, with
 * ".0" added when it would otherwise read back as an integer. */
static void put_double(kp_buf *b, double f)
{
    if (!isfinite(f)) {
        put(b, "null", 4);
        return;
    }
    char tmp[40];
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, f);
        if (prec == 17 || strtod(tmp, NULL) == f) break;
    }
    bool looks_int = true;
    for (int i = 0; i < n; i++) {
        if (tmp[i] == ',') tmp[i] = '.'; /* a locale with a decimal comma */
        if (tmp[i] == '.' || tmp[i] == 'e') looks_int = false;
    }
    put(b, tmp, (size_t)n);
    if (looks_int) put(b, ".0", 2);
}

void kp_json_write(kp_buf *out, const kp_value *v)
{
    if (!v) {
        put(out, "null", 4);
        return;
    }
    switch (v->type) {
    case KP_NIL:
        put(out, "null", 4);
        break;
    case KP_BOOL:
        v->v.b ? put(out, "true", 4) : put(out, "false", 5);
        break;
    case KP_INT:
        put_int(out, v->v.i);
        break;
    case KP_UINT:
        put_uint(out, v->v.u, false);
        break;
    case KP_FLOAT:
        put_double(out, v->v.f);
        break;
    case KP_STR:
        put_escaped(out, v->v.s.ptr, v->v.s.len);
        break;
    case KP_BIN:
    case KP_EXT:
        put_base64(out, (const uint8_t *)v->v.s.ptr, v->v.s.len);
        break;
    case KP_ARRAY:
        put(out, "[", 1);
        for (uint32_t i = 0; i < v->v.arr.n; i++) {
            if (i) put(out, ",", 1);
            kp_json_write(out, &v->v.arr.items[i]);
        }
        put(out, "]", 1);
        break;
    case KP_MAP:
        put(out, "{", 1);
        for (uint32_t i = 0; i < v->v.map.n; i++) {
            const kp_value *k = &v->v.map.pairs[i].key;
            if (i) put(out, ",", 1);
            /* keys are strings in every decoded tree; guard hand-built ones */
            put_escaped(out, k->type == KP_STR ? k->v.s.ptr : "",
                        k->type == KP_STR ? k->v.s.len : 0);
            put(out, ":", 1);
            kp_json_write(out, &v->v.map.pairs[i].val);
        }
        put(out, "}", 1);
        break;
    default:
        put(out, "null", 4);
        break;
    }
}

int kp_msgpack_to_json(kp_arena *a, const uint8_t *buf, size_t len, kp_buf *out, kp_err *e)
{
    kp_value *v;
    if (kp_decode(a, buf, len, &kp_default_limits, &v, e) < 0) return -1;
    kp_json_write(out, v);
    if (out->oom) {
        kp_err_set(e, "internal", NULL, "out of memory while writing JSON");
        return -1;
    }
    return 0;
}
