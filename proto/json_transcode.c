/* json_transcode.c — kp_json_transcode: JSON text straight to msgpack,
 * without the kp_value tree (the reply path of SQL's JSON documents).
 *
 * It is a fast path, not a second decoder: it takes only what it can
 * encode exactly as kp_json_decode + kp_w_value would, and answers
 * KP_JSON_FALLBACK for anything else (syntax errors, duplicate keys, limits,
 * \u0000, lone surrogates, integer or float overflow, objects of more than
 * MAX_KEYS keys), leaving `out` as it found it; the caller then takes the
 * tree path, which gives the exact answer or error.  Strings without
 * escapes go from the text to the buffer with no copy in between, headers
 * and scalars written here as msgpack-c writes them (its shortest forms)
 * rather than through its packer's callbacks; strings are scanned 16
 * bytes at a time where SSE2 is there; a key is compared with the
 * object's earlier keys only when its signature bit is already set; a
 * container's header is reserved as map16/array16 and fixed on close, so
 * that a 20-post thread page (17 keys a post) moves only its 2-key top
 * object's bytes, once. */
#include "khproto.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum { MAX_KEYS = 64 }; /* per object, for the duplicate check */

typedef struct span {
    const char *ptr;   /* a key taken by top (its copy), or NULL: */
    uint32_t off, len; /* the key's bytes in out->data */
} span;

typedef struct tc {
    const char *p, *end;
    kp_buf *out;
    kp_buf tmp; /* unescaped strings */
    const kp_limits *lim;
    uint64_t items;
    uint32_t depth;
} tc;

/* Room for n more bytes in out: the common case here, growth in kp_buf. */
static inline bool room(kp_buf *b, size_t n)
{
    return b->cap - b->len >= n || kp_buf_reserve(b, n) == 0;
}

static inline void put_byte(kp_buf *b, uint8_t c)
{
    if (room(b, 1)) b->data[b->len++] = c;
}

/* A msgpack str, header as msgpack_pack_str writes it (fixstr, str8,
 * str16, str32: the shortest); n < 2^32 (the caller's max_str). */
static void put_str(kp_buf *b, const char *s, size_t n)
{
    if (!room(b, n + 5)) return;
    uint8_t *d = b->data + b->len;
    if (n < 32) {
        *d++ = (uint8_t)(0xa0 | n);
    } else if (n < 256) {
        *d++ = 0xd9, *d++ = (uint8_t)n;
    } else if (n < 65536) {
        *d++ = 0xda, *d++ = (uint8_t)(n >> 8), *d++ = (uint8_t)n;
    } else {
        *d++ = 0xdb, *d++ = (uint8_t)(n >> 24), *d++ = (uint8_t)(n >> 16);
        *d++ = (uint8_t)(n >> 8), *d++ = (uint8_t)n;
    }
    memcpy(d, s, n);
    b->len = (size_t)(d - b->data) + n;
}

/* put_str for a string of the text (s[0..n), n < 32, a key most often)
 * with 16 readable bytes at s: one fixed 16-byte copy or two instead of
 * a memcpy call; the bytes past n land in out's spare room, unused. */
static inline void put_short_str(kp_buf *b, const char *s, size_t n)
{
    if (!room(b, 33)) return;
    uint8_t *d = b->data + b->len;
    *d = (uint8_t)(0xa0 | n);
    memcpy(d + 1, s, 16);
    if (n > 16) memcpy(d + 17, s + 16, 16);
    b->len += 1 + n;
}

static inline void skip_ws(tc *t)
{
    if (t->p < t->end && (unsigned char)*t->p > ' ') return; /* the common case */
    while (t->p < t->end && (*t->p == ' ' || *t->p == '\n' || *t->p == '\r' || *t->p == '\t'))
        t->p++;
}

static int hex4(const char *s, uint32_t *cp)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *cp = v;
    return 0;
}

static void put_utf8(kp_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    kp_buf_append(b, u, n);
}

/* One \uXXXX (with its low half when it is a high surrogate) at t->p. */
static int unicode_escape(tc *t)
{
    uint32_t cp, lo;
    if (t->end - t->p < 6 || hex4(t->p + 2, &cp) < 0 || cp == 0) return -1;
    t->p += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return -1;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (t->end - t->p < 6 || t->p[0] != '\\' || t->p[1] != 'u' || hex4(t->p + 2, &lo) < 0 ||
            lo < 0xDC00 || lo > 0xDFFF)
            return -1;
        t->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    put_utf8(&t->tmp, cp);
    return 0;
}

#if defined(__SSE2__)
/* Past the plain bytes at p, 16 at a time: to the first '"', '\\' or
 * control byte (< 0x20), or end; *high when a byte >= 0x80 was seen (then
 * the string's UTF-8 must be checked; a high byte just past the stop, in
 * the same 16, may set it too, which only costs that check). */
static const char *plain_run(const char *p, const char *end, bool *high)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1f);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i stop = _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash));
        stop = _mm_or_si128(stop, _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x)); /* x <= 0x1f */
        if (_mm_movemask_epi8(x)) *high = true;
        unsigned m = (unsigned)_mm_movemask_epi8(stop);
        if (m) return p + __builtin_ctz(m);
        p += 16;
    }
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20) return p;
        if (c >= 0x80) *high = true;
    }
    return p;
}
#else
/* Any byte of x that needs a look: '"', '\\', a control byte (< 0x20) or
 * one of UTF-8's non-ASCII bytes (>= 0x80).  Exact for "none" (the
 * classic has-zero/has-less word tricks; a hit may also flag its
 * neighbours, which only sends that word to the byte loop). */
static uint64_t word_special(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return (((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x) | x) & high;
}

/* Past the plain bytes at p (8 at a time while none needs a look): to the
 * first '"', '\\' or control byte, or end; *high when a byte >= 0x80 was
 * passed (then the string's UTF-8 must be checked). */
static const char *plain_run(const char *p, const char *end, bool *high)
{
    for (;;) {
        uint64_t x;
        while (end - p >= 8 && (memcpy(&x, p, 8), !word_special(x)))
            p += 8;
        if (p >= end) return p;
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20) return p;
        if (c >= 0x80) *high = true;
        p++;
    }
}
#endif

/* The string at t->p (its opening quote) written to out as a msgpack str;
 * *off gets the offset of its bytes there. */
static int string(tc *t, uint32_t *off, uint32_t *len)
{
    const char *s = ++t->p;
    bool high = false;
    t->p = plain_run(t->p, t->end, &high);
    if (t->p >= t->end || (unsigned char)*t->p < 0x20) return -1;
    const char *body = s;
    size_t n = (size_t)(t->p - s);
    if (*t->p == '\\') { /* the slow half: unescape into tmp */
        kp_buf_reset(&t->tmp);
        kp_buf_append(&t->tmp, s, n);
        /* what an escape makes is whole, valid UTF-8 (no surrogate halves,
         * no NUL: refused above), so only raw high bytes (plain_run's
         * *high) can make the string invalid */
        while (t->p < t->end && *t->p != '"') {
            unsigned char c = (unsigned char)*t->p;
            if (c < 0x20) return -1;
            if (c != '\\') { /* a run of plain bytes at once: an HTML body's text */
                const char *run = t->p;
                t->p = plain_run(t->p, t->end, &high);
                kp_buf_append(&t->tmp, run, (size_t)(t->p - run));
                continue;
            }
            if (t->p + 1 >= t->end) return -1;
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *k = t->p[1] ? strchr(from, t->p[1]) : NULL;
            if (k) {
                kp_buf_append(&t->tmp, &to[k - from], 1);
                t->p += 2;
            } else if (t->p[1] != 'u' || unicode_escape(t) < 0) {
                return -1;
            }
        }
        if (t->p >= t->end || t->tmp.oom) return -1;
        body = (const char *)t->tmp.data;
        n = t->tmp.len;
    }
    t->p++; /* the closing quote */
    /* ASCII without control bytes (the scan stops at those) is valid UTF-8 */
    if (n > t->lim->max_str || (high && !kp_utf8_valid(body, n))) return -1;
    if (body == s && n < 32 && t->end - s >= 32)
        put_short_str(t->out, body, n);
    else
        put_str(t->out, body, n);
    if (t->out->oom) return -1;
    *off = (uint32_t)(t->out->len - n);
    *len = (uint32_t)n;
    return 0;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? as KP_INT or KP_FLOAT. */
static int number(tc *t)
{
    const char *s = t->p, *q = s;
    bool real = false;
    if (q < t->end && *q == '-') q++;
    if (q >= t->end || *q < '0' || *q > '9') return -1;
    if (*q == '0')
        q++;
    else
        while (q < t->end && *q >= '0' && *q <= '9')
            q++;
    if (q < t->end && *q == '.') {
        real = true;
        if (++q >= t->end || *q < '0' || *q > '9') return -1;
        while (q < t->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < t->end && (*q == 'e' || *q == 'E')) {
        real = true;
        if (++q < t->end && (*q == '+' || *q == '-')) q++;
        if (q >= t->end || *q < '0' || *q > '9') return -1;
        while (q < t->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (!real && q - s <= 18) { /* fits an int64 whatever its digits: no strtoll */
        bool neg = *s == '-';
        long long v = 0;
        for (const char *d = s + neg; d < q; d++)
            v = v * 10 + (*d - '0');
        t->p = q;
        if (!neg && v < 128)
            put_byte(t->out, (uint8_t)v); /* positive fixint, as msgpack-c */
        else
            kp_w_int(t->out, neg ? -v : v);
        return 0;
    }
    char num[64];
    if ((size_t)(q - s) >= sizeof num) return -1;
    memcpy(num, s, (size_t)(q - s));
    num[q - s] = '\0';
    t->p = q;
    errno = 0;
    if (real) {
        double d = strtod(num, NULL);
        if (errno == ERANGE && isinf(d)) return -1;
        kp_w_double(t->out, d);
    } else {
        long long v = strtoll(num, NULL, 10);
        if (errno == ERANGE) return -1;
        kp_w_int(t->out, v);
    }
    return 0;
}

static int literal(tc *t, const char *word, size_t n)
{
    if ((size_t)(t->end - t->p) < n || memcmp(t->p, word, n) != 0) return -1;
    t->p += n;
    return 0;
}

/* Container headers: reserved as map16/array16 (3 bytes), written at
 * their shortest (as msgpack-c writes them) on close: a fixmap/fixarray
 * moves the content down 2 bytes to meet it, a map32/array32 up 2. */
enum { RESERVED = 3 };

static size_t open_header(tc *t)
{
    size_t at = t->out->len;
    if (room(t->out, RESERVED)) t->out->len += RESERVED;
    return at;
}

static void close_header(tc *t, size_t at, uint32_t n, bool map)
{
    kp_buf *b = t->out;
    if (b->oom) return;
    size_t body = b->len - at - RESERVED;
    if (n < 16) {
        uint8_t *d = b->data + at;
        d[0] = (uint8_t)((map ? 0x80 : 0x90) | n);
        memmove(d + 1, d + RESERVED, body);
        b->len -= RESERVED - 1;
    } else if (n < 65536) {
        uint8_t *d = b->data + at;
        d[0] = map ? 0xde : 0xdc, d[1] = (uint8_t)(n >> 8), d[2] = (uint8_t)n;
    } else {
        if (!room(b, 2)) return;
        uint8_t *d = b->data + at;
        memmove(d + 5, d + RESERVED, body);
        d[0] = map ? 0xdf : 0xdd, d[1] = (uint8_t)(n >> 24), d[2] = (uint8_t)(n >> 16);
        d[3] = (uint8_t)(n >> 8), d[4] = (uint8_t)n;
        b->len += 2;
    }
}

static int value(tc *t, const kp_json_top *top);

static const void *key_bytes(const tc *t, const span *k)
{
    return k->ptr ? (const void *)k->ptr : (const void *)(t->out->data + k->off);
}

/* One of 64 bits for a key, from its length and end bytes: equal keys
 * have equal bits, so a key whose bit is not yet set is new. */
static uint64_t key_bit(const tc *t, const span *k)
{
    const uint8_t *s = key_bytes(t, k);
    unsigned h = k->len ? k->len * 7u + s[0] + ((unsigned)s[k->len - 1] << 2) : 0;
    return 1ull << (h & 63);
}

/* A key of this object equal to an earlier one: jansson refuses it. */
static bool duplicate(const tc *t, const span *keys, uint32_t n)
{
    const span *k = &keys[n];
    for (uint32_t i = 0; i < n; i++)
        if (keys[i].len == k->len && !memcmp(key_bytes(t, &keys[i]), key_bytes(t, k), k->len))
            return true;
    return false;
}

/* The valid JSON value s[0..n) as kp_json_decode makes it when it is null
 * or an integer of at most 18 digits (a cursor key's values): true and *v
 * set; false for anything else. */
static bool small_scalar(const char *s, size_t n, kp_value *v)
{
    if (n == 4 && !memcmp(s, "null", 4)) {
        v->type = KP_NIL;
        return true;
    }
    size_t i = s[0] == '-';
    if (n - i == 0 || n - i > 18) return false;
    long long x = 0;
    for (size_t k = i; k < n; k++) {
        if (s[k] < '0' || s[k] > '9') return false;
        x = x * 10 + (s[k] - '0');
    }
    v->type = KP_INT;
    v->v.i = i ? -x : x;
    return true;
}

/* A top-level pair the caller takes: its value decoded alone (null and
 * small integers here, anything else by kp_json_decode), the pair (key and
 * value) written by top->put in place of the key just written. */
static int top_pair(tc *t, const kp_json_top *top, span *key, size_t key_at)
{
    const char *vs = t->p;
    key->ptr = kp_arena_strndup(top->arena, (const char *)t->out->data + key->off, key->len);
    if (!key->ptr || value(t, NULL) < 0) return -1;
    t->out->len = key_at; /* drop the key and the value: put writes both */
    kp_value small = {0}, *v = &small;
    kp_err e = {0};
    if (!small_scalar(vs, (size_t)(t->p - vs), &small) &&
        kp_json_decode(top->arena, vs, (size_t)(t->p - vs), t->lim, &v, &e) != 0)
        return -1;
    top->put(t->out, key->ptr, key->len, v, top->data);
    return 0;
}

static int object(tc *t, const kp_json_top *top)
{
    span keys[MAX_KEYS];
    uint32_t n = 0;
    uint64_t seen = 0; /* key_bit of the keys so far */
    size_t at = open_header(t);
    t->p++;
    skip_ws(t);
    if (t->p < t->end && *t->p == '}') {
        t->p++;
        close_header(t, at, 0, true);
        return 0;
    }
    for (;;) {
        skip_ws(t);
        if (n == MAX_KEYS || t->p >= t->end || *t->p != '"' || ++t->items > t->lim->max_items)
            return -1;
        size_t key_at = t->out->len;
        keys[n].ptr = NULL;
        if (string(t, &keys[n].off, &keys[n].len) < 0) return -1;
        uint64_t bit = key_bit(t, &keys[n]);
        if ((seen & bit) && duplicate(t, keys, n)) return -1;
        seen |= bit;
        skip_ws(t);
        if (t->p >= t->end || *t->p != ':') return -1;
        t->p++;
        skip_ws(t);
        bool taken =
            top && top->wants((const char *)t->out->data + keys[n].off, keys[n].len, top->data);
        if (taken ? top_pair(t, top, &keys[n], key_at) < 0 : value(t, NULL) < 0) return -1;
        n++;
        skip_ws(t);
        if (t->p < t->end && *t->p == ',') {
            t->p++;
            continue;
        }
        if (t->p >= t->end || *t->p != '}') return -1;
        t->p++;
        close_header(t, at, n, true);
        return 0;
    }
}

static int array(tc *t)
{
    uint32_t n = 0;
    size_t at = open_header(t);
    t->p++;
    skip_ws(t);
    if (t->p < t->end && *t->p == ']') {
        t->p++;
        close_header(t, at, 0, false);
        return 0;
    }
    for (;;) {
        skip_ws(t);
        if (value(t, NULL) < 0) return -1;
        n++;
        skip_ws(t);
        if (t->p < t->end && *t->p == ',') {
            t->p++;
            continue;
        }
        if (t->p >= t->end || *t->p != ']') return -1;
        t->p++;
        close_header(t, at, n, false);
        return 0;
    }
}

static int value(tc *t, const kp_json_top *top)
{
    uint32_t off, len;
    if (t->p >= t->end || ++t->items > t->lim->max_items) return -1;
    switch (*t->p) {
    case '{':
    case '[': {
        if (++t->depth >= t->lim->max_depth) return -1;
        int rc = *t->p == '{' ? object(t, top) : array(t);
        t->depth--;
        return rc;
    }
    case '"':
        return string(t, &off, &len);
    case 't':
        put_byte(t->out, 0xc3);
        return literal(t, "true", 4);
    case 'f':
        put_byte(t->out, 0xc2);
        return literal(t, "false", 5);
    case 'n':
        put_byte(t->out, 0xc0);
        return literal(t, "null", 4);
    default:
        return number(t);
    }
}

int kp_json_transcode(kp_buf *out, const char *text, size_t len, const kp_limits *lim,
                      const kp_json_top *top)
{
    if (!lim) lim = &kp_default_limits;
    if (!text || len > lim->max_total || len > UINT32_MAX / 2 || out->oom) return KP_JSON_FALLBACK;
    size_t start = out->len;
    bool was_oom = out->oom;
    tc t = {.p = text, .end = text + len, .out = out, .lim = lim};
    kp_buf_init(&t.tmp);
    skip_ws(&t);
    bool ok = t.p < t.end && *t.p == '{' && value(&t, top) == 0;
    skip_ws(&t);
    ok = ok && t.p == t.end && !out->oom;
    kp_buf_free(&t.tmp);
    if (ok) return 0;
    out->len = start; /* as it was: the caller takes the tree path */
    out->oom = was_oom;
    return KP_JSON_FALLBACK;
}
